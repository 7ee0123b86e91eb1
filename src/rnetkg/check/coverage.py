"""Coverage gaps, intra-guideline conflicts and consensus contradictions, from the criteria model's
grids (criteria/grid.py).

A cell where none of a guideline's management recommendations applies is a coverage gap (a property
of the source: warning); two of its management recommendations that both apply in some cell and
recommend disjoint modality sets are a conflict (an error unless a ``rnet:PrecedenceRule`` with a
justification settles it). A guideline's answer under its default readings that shares no modality
with a consensus seed 001 states across guidelines (an editorial rnet:CrossGuidelineConsensus; a summary
of what "most" guidelines recommend is not one), where that consensus applies, is a consensus
contradiction (a property of the sources: warning). Cells are merged
into readable regions for the messages.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass

import pyoxigraph as ox

from .. import namespaces
from ..criteria.grid import FIELD_VALUES, NUMERIC_FIELDS, Cell, Grid, build_grid, cells_text, merge_regions
from ..criteria.load import load_model
from ..criteria.model import DEFAULT_CONTEXT, Atom, Criterion, Model, Statement, rec_id
from ..fields import FIELD_ORDER
from ..namespaces import short_iri
from .findings import ERROR, WARNING, Finding

KIND_COVERAGE_GAP = "coverage_gap"
KIND_CONFLICT = "intra_guideline_conflict"
KIND_CONSENSUS = "consensus_contradiction"


@dataclass
class Context:
    """What the messages need from the graph beyond the criteria."""

    model: Model  # the criteria model of the graph checked (statements with modalities and source)
    guideline_iri: dict[str, str]
    definition_of: dict[str, str]  # risk-factor criterion -> definition iri
    definition_label: dict[str, str]
    criterion_text: dict[str, str]  # criterion -> text as written
    derived: dict[str, tuple[str, str]]  # derived statement -> (referral, branch)
    precedence: dict[frozenset, list[tuple[str, str, str, str]]]  # pair -> [(rule, prevailing, overridden, justification)]
    cross_guideline: frozenset = frozenset()  # the consensus summaries stated across guidelines


def _objects(store, subject, predicate: str) -> list:
    s = subject if subject is None or not isinstance(subject, str) else ox.NamedNode(subject)
    return [q for q in store.quads_for_pattern(s, ox.NamedNode(predicate), None, ox.DefaultGraph())]


def load_context(store: ox.Store, model: Model) -> Context:
    R = namespaces.RNET
    guideline_iri = {q.object.value: q.subject.value for q in _objects(store, None, R + "guidelineKey")}
    definition_of = {q.subject.value: q.object.value for q in _objects(store, None, R + "hasRiskFactorDefinition")}
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
    cross = frozenset(q.subject.value for q in store.quads_for_pattern(
        None, ox.NamedNode(namespaces.RDF + "type"), ox.NamedNode(R + "CrossGuidelineConsensus"), ox.DefaultGraph()))
    return Context(model, guideline_iri, definition_of, label, texts, derived, dict(precedence), cross)


def _features(grid: Grid, ctx: Context) -> list[str]:
    """What the messages describe regions by: the fields that criteria test directly, and one
    present/absent feature per risk-factor definition (its components are not described one by one)."""
    direct, definitions = set(), set()
    for s in grid.statements:
        for c in s.criteria:
            if c.negated:
                continue  # a precedence rule: its fields are the prevailing recommendation's own criteria
            if c.direct:
                direct.add(c.atoms[0].field)
            else:
                definitions.add(ctx.definition_of.get(c.iri, c.iri))
    direct.discard("distant_metastasis")
    if grid.decision_point != "after_local_resection":
        direct.discard("margin")
    out = [f for f in FIELD_ORDER if f in direct or f == "size_mm"]
    return out + sorted(f"rf:{d}" for d in definitions)


def _feature_value(grid: Grid, i: int, feature: str, rf_atoms: dict[str, tuple[Atom, ...]]):
    if feature.startswith("rf:"):
        atoms = rf_atoms[feature[3:]]
        return "present" if max(a.status(grid.values[i].get(a.field)) for a in atoms) == 1 else "absent"
    return grid.points[i][feature]


def _rf_atoms(grid: Grid, ctx: Context) -> dict[str, tuple[Atom, ...]]:
    out = {}
    for s in grid.statements:
        for c in s.criteria:
            if not c.direct and not c.negated:
                out[ctx.definition_of.get(c.iri, c.iri)] = c.atoms
    return out



def region_text(features: list[str], region: tuple[frozenset, ...], domains: dict[str, list], ctx: Context) -> str:
    parts = []
    for f, vals in zip(features, region):
        if f == "size_mm":
            # the sizes are always named: the region lies within the sizes the guideline addresses
            text = cells_text(f, vals, domains[f])
            if text:
                parts.append(f"size {text}")
            continue
        if set(vals) == set(domains[f]):
            continue
        if f.startswith("rf:"):
            (v,) = vals
            parts.append(f"risk factors {v} ({ctx.definition_label.get(f[3:], short_iri(f[3:]))})")
        elif f in NUMERIC_FIELDS:
            parts.append(f"{f} " + (cells_text(f, vals, domains[f]) or "any value"))
        else:
            shown = [str(v).lower() if isinstance(v, bool) else str(v) for v in vals]
            order = {**{v: i for i, v in enumerate(FIELD_VALUES.get(f, ()))}}
            parts.append(f"{f} " + "/".join(sorted(shown, key=lambda x: (order.get(x, 99), x))))
    return ", ".join(parts) if parts else "every case it addresses"




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
    return rec_id(iri)


def _quote(ctx: Context, iri: str) -> str:
    s = ctx.model.statements.get(iri)
    return s.source.quote if s is not None and s.source is not None else ""


def _failing(s: Statement, values: dict) -> list[Criterion]:
    return [c for c in s.criteria if c.status(values) < 0]


def _criterion_text(ctx: Context, c: Criterion) -> str:
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
        near: dict[str, list[Criterion]] = {}
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
        scope = cells_text("size_mm", domains["size_mm"], domains["size_mm"]) or "any size"
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
    mgmt = [s for s in grid.statements if s.modalities]
    for s1, s2 in itertools.combinations(sorted(mgmt, key=lambda s: s.iri), 2):
        m1, m2 = set(s1.modalities), set(s2.modalities)
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
        mods = lambda iri: ", ".join(ctx.model.statements[iri].modalities)
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


# ---------------------------------------------------------------- consensus contradictions

def consensus_findings(model, ctx) -> list[Finding]:
    statements = model.with_criteria()
    out = []
    # only a consensus the source states across guidelines: "Most international guidelines ..." is not one
    for consensus in (s for s in statements if s.kind == "consensus_summary" and s.modalities
                      and s.iri in ctx.cross_guideline):
        wanted = set(consensus.modalities)
        for key in model.guideline_keys:
            for dp in sorted(consensus.decision_points):
                own = [s for s in statements if s.guideline == key and s.counts_for_status and dp in s.decision_points]
                if not own:
                    continue
                grid = build_grid(key, dp, [*own, consensus])
                hits, answers = [], set()
                for i, status in enumerate(grid.status):
                    if status.get(consensus.iri) != 1:
                        continue
                    mods = set().union(*(s.modalities for s in own if status.get(s.iri) == 1))
                    if mods and not mods & wanted:
                        hits.append(i)
                        answers.add(", ".join(sorted(mods)))
                if not hits:
                    continue
                features, regions, domains, _ = _regions(grid, ctx, hits)
                where = "; ".join(region_text(features, r, domains, ctx) for r in regions)
                out.append(Finding(
                    KIND_CONSENSUS, WARNING, ctx.guideline_iri.get(key, key),
                    f"{key} at {dp}: for {where} its answer under the default readings ({' / '.join(sorted(answers))}) "
                    f"shares nothing with {', '.join(consensus.modalities)}, for which seed 001 states a consensus "
                    f"across guidelines ({consensus.id}): \"{_quote(ctx, consensus.iri)}\". The guideline's own text "
                    "is recorded as written; its readings (rnetkg query readings) say where it is unclear."))
    return out


def grids(model: Model, context: str = DEFAULT_CONTEXT) -> list[Grid]:
    """One grid per guideline and decision point, over its management recommendations that hold in a
    reading context."""
    groups: dict[tuple[str, str], list[Statement]] = defaultdict(list)
    for s in model.with_criteria(context):
        if s.guideline and s.kind == "management":
            for dp in s.decision_points:
                groups[(s.guideline, dp)].append(s)
    return [build_grid(g, dp, sts) for (g, dp), sts in sorted(groups.items())]


def criteria_findings(store: ox.Store) -> list[Finding]:
    """coverage_gap (under the default readings), intra_guideline_conflict (in every reading context)
    and consensus_contradiction findings."""
    from ..engine import StoreEngine

    model = load_model(StoreEngine(store))
    ctx = load_context(store, model)
    findings: list[Finding] = []
    found: dict[tuple[str, str], _Conflict] = {}
    for context in model.contexts:
        for grid in grids(model, context):
            if context == DEFAULT_CONTEXT:
                findings += coverage_gaps(grid, ctx)
            for c in conflicts(grid, ctx):
                found.setdefault((c.a, c.b), c)
    return findings + conflict_findings(list(found.values()), ctx) + consensus_findings(model, ctx)
