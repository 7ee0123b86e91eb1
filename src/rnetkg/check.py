"""rnetkg check: everything that can be wrong with the ontology and the graph, as findings.

- ``shacl``, ``quote_not_in_source``, ``statistic_mismatch``: pySHACL with shapes/ (rnetkg.validate);
- ``owl_inconsistent``, ``unsatisfiable_class``: OWL 2 reasoning (Pellet or HermiT through owlready2)
  over ontology + kg, the referral expansion included;
- the QC queries ``queries/qc/*-violation.rq`` on the embedded store: every row is a finding whose kind
  and severity come from the file's ``#+ kind:`` and ``#+ severity:`` header lines
  (``boundary_overlap`` among them);
- ``coverage_gap`` and ``intra_guideline_conflict``, computed from the criteria: for each guideline and
  decision point, a grid of profiles over every cell that its criteria distinguish (every bound of
  a numeric field, the open intervals between them, and every value of the other fields that its
  criteria test) within the sizes its recommendations address. A cell where none of its management
  recommendations applies is a coverage gap (a property of the source: warning); two of its
  management recommendations that both apply in some cell and recommend disjoint modality sets are a
  conflict (an error unless a ``rnet:PrecedenceRule`` with a justification settles it). Cells are
  merged into readable regions for the messages.

Severity follows DESIGN.md: a property of the source is a warning, a defect of the graph an error.
"""

from __future__ import annotations

import itertools
import json
import os
import tempfile
import textwrap
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

import pyoxigraph as ox

from . import graph, namespaces, queries
from . import reasoner as reasoning
from .findings import ERROR, WARNING, Finding
from .profile import DEPTHS, GRADES, NODES, ProfileError, parse_profile

KIND_COVERAGE_GAP = "coverage_gap"
KIND_CONFLICT = "intra_guideline_conflict"
_SEVERITY_ORDER = {ERROR: 0, WARNING: 1}


# ---------------------------------------------------------------- entry points

def run_check(seeds: str | Path | None = None, reasoner: str = "pellet",
              extra: Sequence[Path] | None = None,
              timings: dict[str, float] | None = None) -> tuple[list[Finding], float]:
    """Run every check over ontology + kg (+ ``extra`` Turtle files, for test fixtures).

    Returns the findings (errors first) and the elapsed time in seconds. ``timings``, when given,
    receives the time of each part. Raises rnetkg.cli.UsageError for a bad ``seeds`` folder, an
    unknown reasoner, or no Java runtime.
    """
    from .cli import UsageError

    t_start = time.perf_counter()
    timings = timings if timings is not None else {}
    if reasoner not in reasoning.REASONERS:
        raise UsageError(f"check: --reasoner must be one of {', '.join(reasoning.REASONERS)}, got {reasoner!r}")
    if seeds is not None and not Path(seeds).is_dir():
        raise UsageError(f"check: --seeds {seeds}: no such folder (it must hold the seed article texts)")
    try:
        reasoning.require_java()
    except reasoning.ReasonerUnavailable as e:
        raise UsageError(f"check: {e}") from None
    extra = [Path(p) for p in (extra or [])]

    findings: list[Finding] = []

    def step(name, fn, *args):
        t0 = time.perf_counter()
        out = fn(*args)
        timings[name] = time.perf_counter() - t0
        return out

    findings += step("shacl", _shacl_findings, extra, seeds)
    store = step("load", _load_store, extra)
    findings += step("owl", owl_findings, store, reasoner)
    findings += step("qc", qc_findings, store)
    findings += step("coverage_and_conflicts", criteria_findings, store)
    findings = sort_findings(findings)
    elapsed = time.perf_counter() - t_start
    timings["total"] = elapsed
    return findings, elapsed


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(set(findings), key=lambda f: (_SEVERITY_ORDER.get(f.severity, 2), f.kind, f.subject, f.message))


def format_findings(findings: Sequence[Finding], fmt: str = "table", elapsed: float | None = None) -> str:
    """The findings as JSON ({"findings": [...]} as DESIGN.md, plus "elapsed_seconds") or as a table."""
    if fmt == "json":
        doc: dict[str, Any] = {"findings": [f.to_dict() for f in findings]}
        if elapsed is not None:
            doc["elapsed_seconds"] = round(elapsed, 2)
        return json.dumps(doc, ensure_ascii=False, indent=2)
    errors = sum(f.severity == ERROR for f in findings)
    warnings = sum(f.severity == WARNING for f in findings)
    lines = []
    if findings:
        kind_w = max(len("kind"), *(len(f.kind) for f in findings))
        lines.append(f"{'kind':<{kind_w}}  {'severity':<8}  subject")
        lines.append(f"{'':-<{kind_w}}  {'':-<8}  {'':-<40}")
        for f in findings:
            lines.append(f"{f.kind:<{kind_w}}  {f.severity:<8}  {short_iri(f.subject)}")
            lines.extend(textwrap.wrap(f.message, width=110, initial_indent="    ", subsequent_indent="    ",
                                       break_long_words=False, break_on_hyphens=False))
    took = f" in {elapsed:.1f} s" if elapsed is not None else ""
    lines.append(f"{len(findings)} finding(s): {errors} error(s), {warnings} warning(s){took}")
    return "\n".join(lines)


def short_iri(iri: str) -> str:
    for prefix, ns in (("kg:", namespaces.KG), ("rnet:", namespaces.RNET)):
        if iri.startswith(ns):
            return prefix + iri[len(ns):]
    return iri


# ---------------------------------------------------------------- loading

@contextmanager
def _seeds_env(seeds):
    """rnetkg.validate finds the seeds through $RNETKG_SEEDS (rnetkg.paths.seeds_dir)."""
    if seeds is None:
        yield
        return
    old = os.environ.get("RNETKG_SEEDS")
    os.environ["RNETKG_SEEDS"] = str(Path(seeds).resolve())
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("RNETKG_SEEDS", None)
        else:
            os.environ["RNETKG_SEEDS"] = old


def _shacl_findings(extra: list[Path], seeds) -> list[Finding]:
    from .validate import validate

    with _seeds_env(seeds):
        return validate(extra_data=extra)


def _parses(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            for _ in ox.parse(fh, format=ox.RdfFormat.TURTLE):
                pass
        return True
    except (SyntaxError, ValueError, OSError):
        return False


def _load_store(extra: list[Path]) -> ox.Store:
    """The store of ontology + kg + extra files, referrals expanded. A file that does not parse is
    left out here (the SHACL step reports it as rdf_syntax_error)."""
    return graph.load_store([p for p in extra if _parses(p)])


# ---------------------------------------------------------------- OWL reasoning

def _dump(store: ox.Store, path: Path, skip_subjects: set | None = None) -> Path:
    if skip_subjects:
        part = ox.Store()
        part.extend(q for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph())
                    if q.subject not in skip_subjects)
        store = part
    store.dump(output=str(path), format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    return path


_BUILTIN_NS = (namespaces.OWL, namespaces.RDF, namespaces.RDFS)


def _individual_subjects(store: ox.Store) -> set:
    """Subjects that are individuals: typed owl:NamedIndividual or with a class of their own."""
    rdf_type = ox.NamedNode(namespaces.RDF + "type")
    named_individual = namespaces.OWL + "NamedIndividual"
    out = set()
    for q in store.quads_for_pattern(None, rdf_type, None, ox.DefaultGraph()):
        o = q.object
        if isinstance(o, ox.NamedNode) and (o.value == named_individual or not o.value.startswith(_BUILTIN_NS)):
            out.add(q.subject)
    return out


def _disjoint_sets(world) -> list[set]:
    import owlready2

    out = []
    for d in world.disjoint_classes():
        members = {e for e in d.entities if isinstance(e, owlready2.ThingClass)}
        if len(members) > 1:
            out.append(members)
    return out


def _clash(classes: set, disjoint_sets: list[set]):
    """A pair of disjoint classes among ``classes``, or None."""
    for members in disjoint_sets:
        hit = sorted((c for c in classes if c in members), key=lambda c: c.iri)
        if len(hit) > 1:
            return hit[0], hit[1]
    return None


def _told_ancestors(cls) -> set:
    return set(cls.ancestors(include_self=True))


def _name(entity) -> str:
    return short_iri(entity.iri)


def owl_findings(store: ox.Store, reasoner: str = "pellet") -> list[Finding]:
    """owl_inconsistent and unsatisfiable_class findings for the graph in ``store``."""
    import owlready2

    findings: list[Finding] = []
    with tempfile.TemporaryDirectory(prefix="rnetkg-check-") as tmp:
        world, _ = reasoning.load_world(_dump(store, Path(tmp) / "graph.nt"))
        disjoint = _disjoint_sets(world)
        try:
            reasoning.run_reasoner(world, reasoner)
        except owlready2.OwlReadyInconsistentOntologyError as e:
            findings += _inconsistency_findings(store, world, disjoint, reasoner, str(e), Path(tmp))
        except owlready2.OwlReadyError as e:
            findings.append(Finding("reasoner_error", ERROR, namespaces.ONTOLOGY_IRI,
                                    f"The reasoner ({reasoner}) failed: {_first_line(str(e))}"))
        else:
            for cls in world.inconsistent_classes():
                if cls is not owlready2.Nothing:
                    findings.append(_unsat_finding(cls, disjoint, reasoner))
        world.close()
    return findings


def _first_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[0] if lines else "(no message)"


def _unsat_finding(cls, disjoint: list[set], reasoner: str) -> Finding:
    clash = _clash(_told_ancestors(cls), disjoint)
    why = (f"it is a subclass of both {_name(clash[0])} and {_name(clash[1])}, which are disjoint"
           if clash else "the reasoner finds it equivalent to owl:Nothing")
    return Finding("unsatisfiable_class", ERROR, cls.iri,
                   f"{_name(cls)} is unsatisfiable ({reasoner}): {why}; no individual can belong to it.")


def _inconsistency_findings(store, world, disjoint, reasoner, error_text, tmp: Path) -> list[Finding]:
    """The graph is inconsistent: find the unsatisfiable classes on the TBox alone (the ABox removed),
    then the individuals that cause the inconsistency (in an unsatisfiable class, or told to be in two
    disjoint classes)."""
    import owlready2

    findings = []
    unsat_iris: set[str] = set()
    tbox_world, _ = reasoning.load_world(_dump(store, tmp / "tbox.nt", _individual_subjects(store)))
    try:
        reasoning.run_reasoner(tbox_world, reasoner)
        for cls in tbox_world.inconsistent_classes():
            if cls is owlready2.Nothing:
                continue
            unsat_iris.add(cls.iri)
            told = world[cls.iri]
            findings.append(_unsat_finding(told if told is not None else cls, disjoint, reasoner))
    except owlready2.OwlReadyError:
        pass  # the TBox alone is inconsistent too: no class-level diagnosis
    tbox_world.close()

    culprits = 0
    for ind in world.individuals():
        types = [c for c in ind.is_a if isinstance(c, owlready2.ThingClass)]
        closure = set().union(*(_told_ancestors(c) for c in types)) if types else set()
        in_unsat = sorted((c for c in closure if c.iri in unsat_iris), key=lambda c: c.iri)
        clash = _clash(closure, disjoint)
        if not in_unsat and not clash:
            continue
        culprits += 1
        if in_unsat:
            why = f"an instance of {_name(in_unsat[0])}, which is unsatisfiable"
            c2 = _clash(_told_ancestors(in_unsat[0]), disjoint)
            if c2:
                why += f" (a subclass of both {_name(c2[0])} and {_name(c2[1])}, which are disjoint)"
        else:
            why = f"an instance of both {_name(clash[0])} and {_name(clash[1])}, which are disjoint"
        findings.append(Finding("owl_inconsistent", ERROR, ind.iri,
                                f"The ontology and graph are inconsistent ({reasoner}): {_name(ind)} is {why}."))
    if not culprits:
        findings.append(Finding("owl_inconsistent", ERROR, namespaces.ONTOLOGY_IRI,
                                f"The ontology and graph are inconsistent ({reasoner}); no individual was found "
                                f"in two disjoint classes. Reasoner: {_first_line(error_text)}"))
    return findings


# ---------------------------------------------------------------- QC queries

def qc_queries() -> list[queries.Query]:
    return [q for q in queries.catalogue().values() if q.is_qc and q.path.stem.endswith("-violation")]


def qc_findings(store: ox.Store) -> list[Finding]:
    """One finding per row of every queries/qc/*-violation.rq (kind and severity from its header)."""
    findings = []
    for q in qc_queries():
        kind = q.header.get("kind") or q.path.stem[: -len("-violation")].replace("-", "_")
        severity = q.header.get("severity", ERROR)
        severity = severity if severity in (ERROR, WARNING) else ERROR
        try:
            rows = queries.run_store(store, q.text)
        except (SyntaxError, ValueError, OSError) as e:
            findings.append(Finding("qc_query_error", ERROR, str(q.path), f"{q.name} does not run: {e}"))
            continue
        for r in rows:
            findings.append(Finding(kind, severity, str(r.get("subject") or q.name), str(r.get("message") or "")))
    return findings


# ---------------------------------------------------------------- criteria analyses: the grid

NUMERIC_FIELDS = {"size_mm": (0.0, False, None, "mm"), "ki67_percent": (0.0, True, 100.0, "%"),
                  "mitoses_per_2mm2": (0.0, True, None, "per 2 mm²")}
# The cut points of the derivations in rnetkg.profile (AJCC T1a/T1b/T2 by size, WHO grade by Ki-67 and
# mitoses): cells must not straddle them, or a cell's one sample profile would stand for profiles of
# another derived T category or grade.
DERIVATION_BOUNDS = {"size_mm": (10.0, 20.0), "ki67_percent": (3.0, 20.0), "mitoses_per_2mm2": (2.0, 20.0)}
ENUM_FIELDS = {"grade": GRADES, "t_stage": ("T1", "T2", "T3", "T4"), "invasion_depth": DEPTHS, "lymph_nodes": NODES}
BOOLEAN_FIELDS = ("lymphovascular_invasion", "atypical_surface")
FIELD_ORDER = ("size_mm", "margin", "t_stage", "invasion_depth", "grade", "ki67_percent", "mitoses_per_2mm2",
               "lymph_nodes", "lymphovascular_invasion", "atypical_surface", "distant_metastasis")
MARGINS_AFTER_RESECTION = ("negative", "indeterminate", "positive")


@dataclass(frozen=True, order=True)
class Cell:
    """One cell of a numeric field: a bound (lo == hi) or the open interval between two bounds."""

    lo: float | None
    lo_inclusive: bool
    hi: float | None
    hi_inclusive: bool
    point: float


def numeric_cells(field: str, bounds: Iterable[float]) -> list[Cell]:
    """The cells that the bounds cut a numeric field's domain into, each with a sample value."""
    lo, lo_inc, hi, _ = NUMERIC_FIELDS[field]
    bs = sorted({b for b in bounds if b >= lo and (hi is None or b <= hi)})
    if not bs:
        return [Cell(lo, lo_inc, hi, True, (lo + (hi if hi is not None else 20.0)) / 2 or 1.0)]
    cells = []
    if bs[0] > lo:
        cells.append(Cell(lo, lo_inc, bs[0], False, (lo + bs[0]) / 2))
    for a, b in zip(bs, bs[1:]):
        cells.append(Cell(a, True, a, True, a))
        cells.append(Cell(a, False, b, False, (a + b) / 2))
    last = bs[-1]
    if last > lo or lo_inc:
        cells.append(Cell(last, True, last, True, last))
    if hi is None:
        cells.append(Cell(last, False, None, False, last + 1.0))
    elif last < hi:
        cells.append(Cell(last, False, hi, True, (last + hi) / 2))
    return cells


def _is_direct(c: reasoning.Criterion) -> bool:
    return len(c.atoms) == 1 and c.atoms[0].iri == c.iri


def _size_ok(s: reasoning.Statement, size: float) -> bool:
    """Does the statement address this size (its direct size criteria hold; none: every size)?"""
    return all(c.atoms[0].status(size) == 1 for c in s.criteria if _is_direct(c) and c.atoms[0].field == "size_mm")


@dataclass
class Grid:
    """The profiles of one guideline at one decision point, with the cells they stand for."""

    guideline: str
    decision_point: str
    statements: list[reasoning.Statement]
    points: list[dict[str, Any]]  # field -> cell (numeric) or value
    values: list[dict[str, Any]]  # the values the criteria see, per point
    status: list[dict[str, int]]  # statement iri -> 1 / 0 / -1, per point


def build_grid(guideline: str, decision_point: str, statements: list[reasoning.Statement]) -> Grid:
    fields = set().union(*(s.fields for s in statements)) if statements else set()
    axes: dict[str, list] = {}
    for f in NUMERIC_FIELDS:
        if f not in fields and f != "size_mm":
            continue
        bounds = [b for s in statements for c in s.criteria for a in c.atoms if a.field == f
                  for b in (a.min, a.max) if b is not None]
        derived_by = {"size_mm": {"t_stage", "invasion_depth"}}.get(f, {"grade"})
        if fields & derived_by:
            bounds += DERIVATION_BOUNDS[f]
        cells = numeric_cells(f, bounds)
        if f == "size_mm":
            # the scope: from the smallest to the largest size its recommendations address (a hole in
            # between, such as one value left out at a boundary, is a gap inside the scope)
            inside = [i for i, c in enumerate(cells) if any(_size_ok(s, c.point) for s in statements)]
            cells = cells[inside[0]:inside[-1] + 1] if inside else []
        axes[f] = cells
    for f, vals in ENUM_FIELDS.items():
        if f in fields:
            axes[f] = list(vals)
    for f in BOOLEAN_FIELDS:
        if f in fields:
            axes[f] = [False, True]
    if decision_point == "after_local_resection":
        axes["margin"] = list(MARGINS_AFTER_RESECTION) if "margin" in fields else ["negative"]
    elif decision_point == "metastatic_disease" and "margin" in fields:
        axes["margin"] = ["not_resected", *MARGINS_AFTER_RESECTION]
    else:
        axes["margin"] = ["not_resected"]
    axes["distant_metastasis"] = [decision_point == "metastatic_disease"]

    names = list(axes)
    points, values, status = [], [], []
    for combo in itertools.product(*(axes[n] for n in names)):
        point = dict(zip(names, combo))
        data = {n: (v.point if isinstance(v, Cell) else v) for n, v in point.items()}
        try:
            p = parse_profile(data)
        except ProfileError:
            continue  # a combination no profile can have (a T1 tumour > 20 mm, G1 with Ki-67 25 %)
        if p.decision_point != decision_point:
            continue
        v = reasoning.profile_values(p)
        points.append(point)
        values.append(v)
        status.append({s.iri: s.status(v, decision_point) for s in statements})
    return Grid(guideline, decision_point, statements, points, values, status)


# ---------------------------------------------------------------- regions: features and merging

@dataclass
class Context:
    """What the messages need from the graph beyond the criteria."""

    details: dict[str, dict[str, Any]]  # statement iri -> rnetkg.compare details (modalities, source)
    guideline_iri: dict[str, str]
    definition_of: dict[str, str]  # risk-factor criterion -> definition iri
    definition_label: dict[str, str]
    criterion_text: dict[str, str]  # criterion -> text as written
    derived: dict[str, tuple[str, str]]  # derived statement -> (referral, branch)
    precedence: dict[frozenset, list[tuple[str, str, str, str]]]  # pair -> [(rule, prevailing, overridden, justification)]


def _objects(store, subject, predicate: str) -> list:
    s = subject if subject is None or not isinstance(subject, str) else ox.NamedNode(subject)
    return [q for q in store.quads_for_pattern(s, ox.NamedNode(predicate), None, ox.DefaultGraph())]


def load_context(store: ox.Store) -> Context:
    from .compare import load_details
    from .engine import StoreEngine

    R = namespaces.RNET
    details = load_details(StoreEngine(store)).by_rec
    guideline_iri = {q.object.value: q.subject.value for q in _objects(store, None, R + "guidelineKey")}
    definition_of = {q.subject.value: q.object.value for q in _objects(store, None, R + "riskFactorDefinition")}
    label = {}
    for d in set(definition_of.values()):
        labels = [q.object.value for q in _objects(store, d, namespaces.RDFS + "label")]
        label[d] = min(labels) if labels else short_iri(d)
    texts = {}
    for q in _objects(store, None, R + "asWritten"):
        texts.setdefault(q.subject.value, q.object.value)
    derived = {}
    branch = {q.subject.value: q.object.value for q in _objects(store, None, R + "viaBranch")}
    for q in _objects(store, None, R + "resolvesReferral"):
        if q.subject.value in branch:
            derived[q.subject.value] = (q.object.value, branch[q.subject.value])
    precedence: dict[frozenset, list] = defaultdict(list)
    rule_type = ox.NamedNode(R + "PrecedenceRule")
    for q in store.quads_for_pattern(None, ox.NamedNode(namespaces.RDF + "type"), rule_type, ox.DefaultGraph()):
        rule = q.subject
        win = [x.object.value for x in store.quads_for_pattern(rule, ox.NamedNode(R + "prevailing"), None)]
        lose = [x.object.value for x in store.quads_for_pattern(rule, ox.NamedNode(R + "overridden"), None)]
        why = [x.object.value.strip() for x in store.quads_for_pattern(rule, ox.NamedNode(R + "justification"), None)]
        for w in win:
            for lo in lose:
                precedence[frozenset((w, lo))].append((rule.value, w, lo, " ".join(j for j in why if j)))
    return Context(details, guideline_iri, definition_of, label, texts, derived, dict(precedence))


def _features(grid: Grid, ctx: Context) -> list[str]:
    """What the messages describe regions by: the fields that criteria test directly, and one
    present/absent feature per risk-factor definition (its components are not described one by one)."""
    direct, definitions = set(), set()
    for s in grid.statements:
        for c in s.criteria:
            if c.negated:
                continue  # a precedence rule: its fields are the prevailing recommendation's own criteria
            if _is_direct(c):
                direct.add(c.atoms[0].field)
            else:
                definitions.add(ctx.definition_of.get(c.iri, c.iri))
    direct.discard("distant_metastasis")
    if grid.decision_point != "after_local_resection":
        direct.discard("margin")
    out = [f for f in FIELD_ORDER if f in direct or f == "size_mm"]
    return out + sorted(f"rf:{d}" for d in definitions)


def _feature_value(grid: Grid, i: int, feature: str, rf_atoms: dict[str, tuple[reasoning.Atom, ...]]):
    if feature.startswith("rf:"):
        atoms = rf_atoms[feature[3:]]
        return "present" if max(a.status(grid.values[i].get(a.field)) for a in atoms) == 1 else "absent"
    return grid.points[i][feature]


def _rf_atoms(grid: Grid, ctx: Context) -> dict[str, tuple[reasoning.Atom, ...]]:
    out = {}
    for s in grid.statements:
        for c in s.criteria:
            if not _is_direct(c) and not c.negated:
                out[ctx.definition_of.get(c.iri, c.iri)] = c.atoms
    return out


def merge_regions(vectors: Iterable[tuple], n: int) -> list[tuple[frozenset, ...]]:
    """Merge feature vectors into boxes: two boxes that differ in one feature only become one. The
    result covers exactly the given vectors."""
    regions = {tuple(frozenset([v]) for v in vec) for vec in vectors}
    changed = True
    while changed:
        changed = False
        for i in range(n):
            groups: dict[tuple, set] = defaultdict(set)
            for r in regions:
                groups[r[:i] + r[i + 1:]] |= r[i]
            merged = {k[:i] + (frozenset(v),) + k[i:] for k, v in groups.items()}
            if merged != regions:
                regions, changed = merged, True
    return sorted(regions, key=lambda r: tuple(sorted(map(repr, x)) for x in r))


def _fmt_number(x: float) -> str:
    return f"{x:g}"


def _cells_text(field: str, cells: Iterable[Cell], domain: list[Cell]) -> str:
    """Adjacent cells joined into intervals, as text ("< 10 mm", "10-20 mm", "> 20 mm")."""
    unit = NUMERIC_FIELDS[field][3]
    chosen = set(cells)
    runs, run = [], []
    for c in sorted(domain, key=lambda c: c.point):
        if c in chosen:
            run.append(c)
        elif run:
            runs.append(run)
            run = []
    if run:
        runs.append(run)
    parts = []
    dom_lo = min(domain, key=lambda c: c.point)
    dom_hi = max(domain, key=lambda c: c.point)
    for r in runs:
        first, last = r[0], r[-1]
        lo, lo_inc, hi, hi_inc = first.lo, first.lo_inclusive, last.hi, last.hi_inclusive
        open_below = first is dom_lo and lo == NUMERIC_FIELDS[field][0]
        open_above = last is dom_hi and (hi is None or hi == NUMERIC_FIELDS[field][2])
        if open_below and open_above:
            return ""  # the whole axis
        if lo == hi:
            parts.append(f"{_fmt_number(lo)} {unit}")
        elif open_below and not open_above:
            parts.append(f"{'≤' if hi_inc else '<'} {_fmt_number(hi)} {unit}")
        elif open_above and not open_below:
            parts.append(f"{'≥' if lo_inc else '>'} {_fmt_number(lo)} {unit}")
        elif lo_inc and hi_inc:
            parts.append(f"{_fmt_number(lo)}-{_fmt_number(hi)} {unit}")
        else:
            parts.append(f"{'≥' if lo_inc else '>'} {_fmt_number(lo)} and {'≤' if hi_inc else '<'} "
                         f"{_fmt_number(hi)} {unit}")
    return " or ".join(parts)


def region_text(features: list[str], region: tuple[frozenset, ...], domains: dict[str, list], ctx: Context) -> str:
    parts = []
    for f, vals in zip(features, region):
        if f == "size_mm":
            # the sizes are always named: the region lies within the sizes the guideline addresses
            text = _cells_text(f, vals, domains[f])
            if text:
                parts.append(f"size {text}")
            continue
        if set(vals) == set(domains[f]):
            continue
        if f.startswith("rf:"):
            (v,) = vals
            parts.append(f"risk factors {v} ({ctx.definition_label.get(f[3:], short_iri(f[3:]))})")
        elif f in NUMERIC_FIELDS:
            parts.append(f"{f} " + (_cells_text(f, vals, domains[f]) or "any value"))
        else:
            shown = [str(v).lower() if isinstance(v, bool) else str(v) for v in vals]
            order = {**{v: i for i, v in enumerate(FIELD_VALUES.get(f, ()))}}
            parts.append(f"{f} " + "/".join(sorted(shown, key=lambda x: (order.get(x, 99), x))))
    return ", ".join(parts) if parts else "every case it addresses"


FIELD_VALUES = {**ENUM_FIELDS, "margin": ("not_resected", *MARGINS_AFTER_RESECTION)}


def _regions(grid: Grid, ctx: Context, indices: list[int]) -> tuple[list[str], list[tuple], dict[str, list], dict]:
    features = _features(grid, ctx)
    rf = _rf_atoms(grid, ctx)
    vec = [tuple(_feature_value(grid, i, f, rf) for f in features) for i in range(len(grid.points))]
    domains = {f: sorted({v[k] for v in vec}, key=lambda x: (x.point if isinstance(x, Cell) else 0, repr(x)))
               for k, f in enumerate(features)}
    chosen = {vec[i] for i in indices}
    regions = merge_regions(chosen, len(features))
    members = defaultdict(list)
    for i in indices:
        for r in regions:
            if all(vec[i][k] in r[k] for k in range(len(features))):
                members[r].append(i)
                break
    return features, regions, domains, members


# ---------------------------------------------------------------- coverage gaps and conflicts

def _rid(iri: str) -> str:
    from .compare import rec_id

    return rec_id(iri)


def _quote(ctx: Context, iri: str) -> str:
    return (ctx.details.get(iri, {}).get("source", {}) or {}).get("quote", "")


def _failing(s: reasoning.Statement, values: dict) -> list[reasoning.Criterion]:
    return [c for c in s.criteria if c.status(values) < 0]


def _criterion_text(ctx: Context, c: reasoning.Criterion) -> str:
    return ctx.criterion_text.get(c.iri) or c.atoms[0].as_written or short_iri(c.iri)


def coverage_gaps(grid: Grid, ctx: Context) -> list[Finding]:
    uncovered = [i for i, st in enumerate(grid.status) if not any(v == 1 for v in st.values())]
    if not uncovered or not grid.guideline:
        return []
    features, regions, domains, members = _regions(grid, ctx, uncovered)
    findings = []
    for r in regions:
        where = region_text(features, r, domains, ctx)
        # the recommendations nearest to the region: fewest criteria failing at one of its cells
        near: dict[str, list[reasoning.Criterion]] = {}
        for i in members[r]:
            for s in grid.statements:
                fails = _failing(s, grid.values[i])
                if fails and (s.iri not in near or len(fails) < len(near[s.iri])):
                    near[s.iri] = fails
        best = min((len(v) for v in near.values()), default=0)
        nearest = sorted((iri for iri, v in near.items() if len(v) == best),
                         key=lambda iri: (iri in ctx.derived, iri))[:3]
        notes, quotes = [], []
        for iri in nearest:
            fails = ", ".join(f"'{_criterion_text(ctx, c)}'" for c in near[iri])
            notes.append(f"{_rid(iri)} (fails {fails})")
            q = _quote(ctx, iri)
            if q and q not in quotes:
                quotes.append(q)
        scope = _cells_text("size_mm", domains["size_mm"], domains["size_mm"]) or "any size"
        message = (f"{grid.guideline} at {grid.decision_point}: {where}: none of its recommendations applies, "
                   f"although together they address sizes {scope}.")
        if notes:
            message += f" Nearest: {'; '.join(notes)}."
        if quotes:
            message += " Source: " + " / ".join(f'"{q}"' for q in quotes)
        findings.append(Finding(KIND_COVERAGE_GAP, WARNING, ctx.guideline_iri.get(grid.guideline, grid.guideline),
                                message))
    return findings


@dataclass
class _Conflict:
    a: str
    b: str
    grid: Grid
    where: str
    explained: bool
    note: str = ""


def conflicts(grid: Grid, ctx: Context) -> list[_Conflict]:
    out = []
    mgmt = [s for s in grid.statements if ctx.details.get(s.iri, {}).get("modalities")]
    for s1, s2 in itertools.combinations(sorted(mgmt, key=lambda s: s.iri), 2):
        m1, m2 = set(ctx.details[s1.iri]["modalities"]), set(ctx.details[s2.iri]["modalities"])
        if m1 & m2:
            continue
        both = [i for i, st in enumerate(grid.status) if st[s1.iri] == 1 and st[s2.iri] == 1]
        if not both:
            continue
        features, regions, domains, _ = _regions(grid, ctx, both)
        where = "; ".join(region_text(features, r, domains, ctx) for r in regions)
        rules = ctx.precedence.get(frozenset((s1.iri, s2.iri)), [])
        explained = any(j for *_, j in rules)
        note = ""
        if rules and not explained:
            note = f" A precedence rule ({short_iri(rules[0][0])}) is recorded but has no justification."
        out.append(_Conflict(s1.iri, s2.iri, grid, where, explained, note))
    return out


def conflict_findings(found: list[_Conflict], ctx: Context) -> list[Finding]:
    """Unexplained conflicts as errors. A conflict between two recommendations derived from one
    referral is settled by a precedence between their branches, and is folded into the branches'
    finding when the branches conflict too."""
    by_pair = {frozenset((c.a, c.b)): c for c in found}
    folded: dict[frozenset, list[_Conflict]] = defaultdict(list)
    open_ = []
    for c in found:
        if c.explained:
            continue
        da, db = ctx.derived.get(c.a), ctx.derived.get(c.b)
        if da and db and da[0] == db[0]:
            branch_pair = frozenset((da[1], db[1]))
            rules = ctx.precedence.get(branch_pair, [])
            if any(j for *_, j in rules):
                continue
            if branch_pair in by_pair and not by_pair[branch_pair].explained:
                folded[branch_pair].append(c)
                continue
        open_.append(c)
    findings = []
    for c in open_:
        g = c.grid
        mods = lambda iri: ", ".join(ctx.details[iri]["modalities"])
        message = (f"{g.guideline} at {g.decision_point}: {_rid(c.a)} ({mods(c.a)}) and {_rid(c.b)} ({mods(c.b)}) "
                   f"both apply to {c.where}, and their modalities are disjoint; the graph records no precedence "
                   f"rule with a justification between them.{c.note}")
        extra = folded.get(frozenset((c.a, c.b)), [])
        if extra:
            names = "; ".join(f"{_rid(x.a)} and {_rid(x.b)}" for x in sorted(extra, key=lambda x: (x.a, x.b)))
            message += f" The same holds for the recommendations derived from referrals to them: {names}."
        quotes = [q for q in dict.fromkeys((_quote(ctx, c.a), _quote(ctx, c.b))) if q]
        if quotes:
            message += " Source: " + " / ".join(f'"{q}"' for q in quotes)
        findings.append(Finding(KIND_CONFLICT, ERROR, c.a, message))
    return findings


def grids(store: ox.Store, statements: dict[str, reasoning.Statement] | None = None) -> list[Grid]:
    """One grid per guideline and decision point, over its management recommendations."""
    from .engine import StoreEngine

    statements = statements if statements is not None else reasoning.load_statements(StoreEngine(store))
    groups: dict[tuple[str, str], list[reasoning.Statement]] = defaultdict(list)
    for s in statements.values():
        if s.guideline and s.kind == "management":
            groups[(s.guideline, s.decision_point)].append(s)
    return [build_grid(g, dp, sts) for (g, dp), sts in sorted(groups.items())]


def criteria_findings(store: ox.Store) -> list[Finding]:
    """coverage_gap and intra_guideline_conflict findings."""
    ctx = load_context(store)
    findings: list[Finding] = []
    found: list[_Conflict] = []
    for grid in grids(store):
        findings += coverage_gaps(grid, ctx)
        found += conflicts(grid, ctx)
    return findings + conflict_findings(found, ctx)
