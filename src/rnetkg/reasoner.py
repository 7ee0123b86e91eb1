"""Applicability as OWL: every statement's criteria become a defined class, and an OWL reasoner
(Pellet or HermiT through owlready2) classifies case profiles into them.

The criteria come from ``queries/criteria.rq`` (the same rows the SPARQL and cohort paths read).
For each statement at decision point DP the class is

    CaseProfile ⊓ (atDecisionPoint value DP) ⊓ C1 ⊓ ... ⊓ Cn

where a criterion Ci is one atom, or for a risk-factor criterion the union of the components of the
guideline's definition ("present") or the intersection of their complements ("absent"). Atoms are
datatype restrictions on ``xsd:decimal`` (size, Ki-67, mitoses: min/max inclusive or exclusive
facets), enumerations (a union of ``owl:hasValue`` restrictions: grade, T category, depth, nodes,
margin) or boolean values.

The open world and the three-valued SPARQL agree because every profile property is functional and
the enumeration values are pairwise different (``owl:AllDifferent`` in the ontology): a known value
outside a range or set entails the complement of the atom, so "absent" is entailed exactly when
every component is known to be false; an unknown field entails neither the atom nor its complement.
A profile individual therefore belongs to a statement's class exactly when SPARQL says "applies".
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Sequence

from . import namespaces, queries
from .profile import Profile

APPLIES_SUFFIX = "--applies"
REASONERS = ("pellet", "hermit")

# profile field -> (ontology property, kind of value)
FIELD_PROPERTY: dict[str, tuple[str, str]] = {
    "size_mm": ("sizeMm", "decimal"),
    "ki67_percent": ("ki67Percent", "decimal"),
    "mitoses_per_2mm2": ("mitosesPer2mm2", "decimal"),
    "grade": ("grade", "grade"),
    "t_stage": ("tStage", "t_stage"),
    "invasion_depth": ("invasionDepth", "depth"),
    "lymph_nodes": ("nodalStatus", "nodes"),
    "margin": ("marginStatus", "margin"),
    "lymphovascular_invasion": ("lymphovascularInvasion", "boolean"),
    "distant_metastasis": ("distantMetastasis", "boolean"),
    "atypical_surface": ("atypicalSurface", "boolean"),
}


class ReasonerUnavailable(RuntimeError):
    """The reasoner cannot run (no Java runtime on PATH)."""


# ---------------------------------------------------------------- the criteria as data

@dataclass(frozen=True)
class Atom:
    """One atomic condition on one profile field."""

    iri: str
    kind: str  # range | set | boolean
    field: str
    min: float | None = None
    min_inclusive: bool | None = None
    max: float | None = None
    max_inclusive: bool | None = None
    required: bool | None = None
    allowed: frozenset[str] = frozenset()
    as_written: str = ""

    def status(self, value: Any) -> int:
        """1 true, -1 false, 0 unknown (the value is None), exactly as the SPARQL queries evaluate it."""
        if value is None:
            return 0
        if self.kind == "range":
            ok_min = self.min is None or value > self.min or (bool(self.min_inclusive) and value == self.min)
            ok_max = self.max is None or value < self.max or (bool(self.max_inclusive) and value == self.max)
            return 1 if ok_min and ok_max else -1
        if self.kind == "boolean":
            return 1 if value == self.required else -1
        return 1 if value in self.allowed else -1


@dataclass(frozen=True)
class Criterion:
    """A criterion of a statement: one atom (sign +1), a risk-factor condition whose atoms are the
    components of the definition (sign +1 present: any holds; -1 absent: none holds), or a precedence
    rule whose atoms are the prevailing recommendation's criteria, negated (not all of them hold)."""

    iri: str
    sign: int
    atoms: tuple[Atom, ...]
    negated: bool = False

    def status(self, values: dict[str, Any]) -> int:
        flip = -1 if self.negated else 1
        return self.sign * max(flip * a.status(values.get(a.field)) for a in self.atoms)

    @property
    def fields(self) -> set[str]:
        return {a.field for a in self.atoms}


@dataclass(frozen=True)
class Statement:
    """A recommendation or editorial statement with its decision point and criteria."""

    iri: str
    guideline: str  # "" for editorial statements
    kind: str
    decision_point: str
    criteria: tuple[Criterion, ...] = field(default_factory=tuple)

    def status(self, values: dict[str, Any], decision_point: str) -> int | None:
        """1 applies, 0 possible, -1 does not apply; None at another decision point."""
        if decision_point != self.decision_point or not self.criteria:
            return None
        return min(c.status(values) for c in self.criteria)

    @property
    def fields(self) -> set[str]:
        return set().union(*(c.fields for c in self.criteria)) if self.criteria else set()


def load_statements(engine) -> dict[str, Statement]:
    """Every statement with criteria, read from queries/criteria.rq on ``engine``."""
    rows = engine.select(queries.get("criteria").text)
    atoms: dict[str, dict[str, Any]] = {}
    crit_atoms: dict[tuple[str, str], dict[str, None]] = defaultdict(dict)
    crit_sign: dict[tuple[str, str], int] = {}
    crit_negated: dict[tuple[str, str], bool] = {}
    rec_info: dict[str, tuple[str, str, str]] = {}
    rec_crits: dict[str, dict[str, None]] = defaultdict(dict)
    for r in rows:
        a = atoms.setdefault(r["atom"], {"iri": r["atom"], "kind": r["atomType"], "field": r["field"],
                                         "min": r["min"], "min_inclusive": r["minInclusive"],
                                         "max": r["max"], "max_inclusive": r["maxInclusive"],
                                         "required": r["required"], "allowed": set(),
                                         "as_written": r["asWritten"] or ""})
        if r["allowed"] is not None:
            a["allowed"].add(r["allowed"])
        key = (r["rec"], r["crit"])
        crit_atoms[key][r["atom"]] = None
        crit_sign[key] = int(r["sign"])
        crit_negated[key] = bool(r.get("negated"))
        rec_info[r["rec"]] = (r["guideline"] or "", r["kind"], r["decisionPoint"])
        rec_crits[r["rec"]][r["crit"]] = None
    atom_objs = {iri: Atom(**{**a, "allowed": frozenset(a["allowed"])}) for iri, a in atoms.items()}
    out = {}
    for rec, (guideline, kind, dp) in sorted(rec_info.items()):
        crits = tuple(Criterion(c, crit_sign[(rec, c)], tuple(atom_objs[a] for a in sorted(crit_atoms[(rec, c)])),
                                crit_negated[(rec, c)])
                      for c in sorted(rec_crits[rec]))
        out[rec] = Statement(rec, guideline, kind, dp, crits)
    return out


def profile_values(p: Profile) -> dict[str, Any]:
    """The values the criteria test, by field name (as the SPARQL profile rows bind them)."""
    return {
        "size_mm": p.size_mm,
        "grade": p.derived_grade,
        "ki67_percent": p.ki67_percent,
        "mitoses_per_2mm2": p.mitoses_per_2mm2,
        "invasion_depth": p.invasion_depth,
        "t_stage": p.t_category,
        "lymphovascular_invasion": p.lymphovascular_invasion,
        "lymph_nodes": p.lymph_nodes,
        "distant_metastasis": p.distant_metastasis,
        "margin": p.margin,
        "atypical_surface": p.atypical_surface,
    }


# ---------------------------------------------------------------- OWL generation

def _value_iri(field_name: str, key: str) -> str:
    kind = FIELD_PROPERTY[field_name][1]
    if kind == "depth":
        return queries.DEPTH_IRI[key]
    if kind == "margin":
        return queries.MARGIN_IRI[key]
    return namespaces.RNET + key


def _decimal(value: float) -> str:
    return format(Decimal(repr(float(value))), "f")


def class_iri(statement_iri: str) -> str:
    """The IRI of the generated class of profiles to which a statement applies."""
    return statement_iri + APPLIES_SUFFIX


class _Builder:
    """Builds the OWL axioms as an rdflib graph (blank-node class expressions)."""

    def __init__(self):
        import rdflib
        from rdflib.namespace import OWL, RDF, RDFS, XSD

        self.rdflib, self.OWL, self.RDF, self.RDFS, self.XSD = rdflib, OWL, RDF, RDFS, XSD
        self.g = rdflib.Graph()

    def iri(self, value: str):
        return self.rdflib.URIRef(value)

    def _list(self, items):
        from rdflib.collection import Collection

        head = self.rdflib.BNode()
        Collection(self.g, head, list(items))
        return head

    def _class(self, predicate, items):
        node = self.rdflib.BNode()
        self.g.add((node, self.RDF.type, self.OWL.Class))
        self.g.add((node, predicate, self._list(items)))
        return node

    def intersection(self, items):
        items = list(items)
        return items[0] if len(items) == 1 else self._class(self.OWL.intersectionOf, items)

    def union(self, items):
        items = list(items)
        return items[0] if len(items) == 1 else self._class(self.OWL.unionOf, items)

    def complement(self, item):
        node = self.rdflib.BNode()
        self.g.add((node, self.RDF.type, self.OWL.Class))
        self.g.add((node, self.OWL.complementOf, item))
        return node

    def restriction(self, prop: str, kind, filler):
        node = self.rdflib.BNode()
        self.g.add((node, self.RDF.type, self.OWL.Restriction))
        self.g.add((node, self.OWL.onProperty, self.iri(prop)))
        self.g.add((node, kind, filler))
        return node

    def decimal(self, value: float):
        return self.rdflib.Literal(_decimal(value), datatype=self.XSD.decimal)

    def atom(self, a: Atom):
        prop, kind = FIELD_PROPERTY[a.field]
        prop = namespaces.RNET + prop
        if a.kind == "range":
            facets = []
            if a.min is not None:
                facets.append((self.XSD.minInclusive if a.min_inclusive else self.XSD.minExclusive, a.min))
            if a.max is not None:
                facets.append((self.XSD.maxInclusive if a.max_inclusive else self.XSD.maxExclusive, a.max))
            datatype = self.rdflib.BNode()
            self.g.add((datatype, self.RDF.type, self.RDFS.Datatype))
            self.g.add((datatype, self.OWL.onDatatype, self.XSD.decimal))
            restrictions = []
            for facet, value in facets:
                f = self.rdflib.BNode()
                self.g.add((f, facet, self.decimal(value)))
                restrictions.append(f)
            self.g.add((datatype, self.OWL.withRestrictions, self._list(restrictions)))
            return self.restriction(prop, self.OWL.someValuesFrom, datatype)
        if a.kind == "boolean":
            return self.restriction(prop, self.OWL.hasValue, self.rdflib.Literal(bool(a.required)))
        # a union of hasValue restrictions (the same class as "some {v1, v2}"; Pellet is faster on it)
        return self.union(self.restriction(prop, self.OWL.hasValue, self.iri(_value_iri(a.field, k)))
                          for k in sorted(a.allowed))

    def criterion(self, c: Criterion):
        if c.negated:  # precedence: not every criterion of the prevailing recommendation holds
            if c.sign > 0:
                return self.union(self.complement(self.atom(a)) for a in c.atoms)
            return self.intersection(self.atom(a) for a in c.atoms)
        if c.sign > 0:
            return self.union(self.atom(a) for a in c.atoms)
        return self.intersection(self.complement(self.atom(a)) for a in c.atoms)

    def statement(self, s: Statement) -> None:
        dp = self.restriction(namespaces.RNET + "atDecisionPoint", self.OWL.hasValue,
                              self.iri(queries.DP_IRI[s.decision_point]))
        parts = [self.iri(namespaces.RNET + "CaseProfile"), dp, *(self.criterion(c) for c in s.criteria)]
        cls = self.iri(class_iri(s.iri))
        self.g.add((cls, self.RDF.type, self.OWL.Class))
        self.g.add((cls, self.OWL.equivalentClass, self.intersection(parts)))

    def profile(self, iri: str, p: Profile) -> None:
        ind = self.iri(iri)
        self.g.add((ind, self.RDF.type, self.OWL.NamedIndividual))
        self.g.add((ind, self.RDF.type, self.iri(namespaces.RNET + "CaseProfile")))
        self.g.add((ind, self.iri(namespaces.RNET + "atDecisionPoint"), self.iri(queries.DP_IRI[p.decision_point])))
        for name, value in profile_values(p).items():
            if value is None:
                continue
            prop, kind = FIELD_PROPERTY[name]
            prop = self.iri(namespaces.RNET + prop)
            if kind == "decimal":
                obj = self.decimal(value)
            elif kind == "boolean":
                obj = self.rdflib.Literal(bool(value))
            else:
                obj = self.iri(_value_iri(name, value))
            self.g.add((ind, prop, obj))


def build_graph(statements: Iterable[Statement], profiles: Sequence[Profile]):
    """The rdflib graph to classify: the ontology (TBox), one defined class per statement, and one
    individual per profile (IRI ``queries.case_iri(i)``)."""
    from . import paths

    b = _Builder()
    b.g.parse(paths.ontology_file(), format="turtle")
    for s in statements:
        b.statement(s)
    for i, p in enumerate(profiles):
        b.profile(queries.case_iri(i), p)
    return b.g


# ---------------------------------------------------------------- running the reasoner

def require_java() -> None:
    if shutil.which("java") is None:
        raise ReasonerUnavailable("the OWL reasoner needs a Java runtime, and `java` is not on PATH "
                                  "(install Java 11 or later)")


def run_reasoner(world, reasoner: str = "pellet") -> None:
    """Run Pellet or HermiT on an owlready2 world (inferences go back into the world)."""
    import owlready2

    if reasoner == "pellet":
        owlready2.sync_reasoner_pellet(world, infer_property_values=False,
                                       infer_data_property_values=False, debug=0)
    elif reasoner == "hermit":
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    else:
        raise ValueError(f"reasoner must be one of {', '.join(REASONERS)}, got {reasoner!r}")


def load_world(nt_file: Path):
    """A fresh owlready2 world with one N-Triples file loaded (owlready2 does not read Turtle)."""
    import owlready2

    world = owlready2.World()
    onto = world.get_ontology(nt_file.resolve().as_uri()).load(format="ntriples")
    return world, onto


def _all_classes(ind) -> set[str]:
    """Every named class an individual belongs to after reasoning (is_a holds only the most
    specific ones: collect their ancestors, equivalent classes included)."""
    import owlready2

    out: set[str] = set()
    for c in ind.is_a:
        if isinstance(c, owlready2.ThingClass):
            for anc in c.ancestors(include_self=True):
                out.add(anc.iri)
                for eq in anc.equivalent_to:
                    if isinstance(eq, owlready2.ThingClass):
                        out.add(eq.iri)
    return out


@dataclass
class Classification:
    """Which statements apply to each profile according to the reasoner."""

    applies: list[set[str]]
    reasoner: str
    seconds: float  # time of the reasoner calls only
    calls: int


def classify(profiles: Sequence[Profile], statements: dict[str, Statement] | None = None,
             reasoner: str = "pellet", batch_size: int = 150) -> Classification:
    """Classify profiles with the OWL reasoner; for each profile, the IRIs of the statements whose
    class it is entailed to belong to. Profiles go to the reasoner ``batch_size`` at a time."""
    require_java()
    if statements is None:
        from .engine import StoreEngine

        statements = load_statements(StoreEngine())
    by_class = {class_iri(s): s for s in statements}
    applies: list[set[str]] = []
    seconds, calls = 0.0, 0
    if not profiles:
        return Classification([], reasoner, 0.0, 0)
    with tempfile.TemporaryDirectory(prefix="rnetkg-reasoner-") as tmp:
        for start in range(0, len(profiles), max(1, batch_size)):
            chunk = list(profiles[start:start + batch_size])
            g = build_graph(statements.values(), chunk)
            nt = Path(tmp) / f"classify-{start}.nt"
            g.serialize(destination=str(nt), format="nt", encoding="utf-8")
            world, _ = load_world(nt)
            t0 = time.perf_counter()
            run_reasoner(world, reasoner)
            seconds += time.perf_counter() - t0
            calls += 1
            for i in range(len(chunk)):
                ind = world[queries.case_iri(i)]
                classes = _all_classes(ind) if ind is not None else set()
                applies.append({by_class[c] for c in classes if c in by_class})
            world.close()
            os.remove(nt)
    return Classification(applies, reasoner, seconds, calls)


# ---------------------------------------------------------------- side by side with SPARQL

def side_by_side(profile: Profile, answer: dict[str, Any], reasoner: str = "pellet") -> str:
    """Per guideline, the recommendations that apply according to SPARQL (the answer of
    rnetkg.compare) and according to the OWL reasoner, and whether they agree."""
    from .compare import GUIDELINE_KEYS, rec_id
    from .engine import StoreEngine

    statements = load_statements(StoreEngine())
    result = classify([profile], statements, reasoner=reasoner)
    by_reasoner: dict[str, set[str]] = defaultdict(set)
    for iri in result.applies[0]:
        by_reasoner[statements[iri].guideline or "(editorial)"].add(rec_id(iri))
    by_sparql: dict[str, set[str]] = defaultdict(set)
    for g in answer.get("guidelines", []):
        by_sparql[g["guideline"]] = {r["id"] for r in g["recommendations"] if r.get("status") == "applies"}
    by_sparql["(editorial)"] = {e["id"] for e in answer.get("editorial_statements", [])
                                if e.get("status") == "applies"}
    keys = [*GUIDELINE_KEYS, "(editorial)"]
    rows = []
    disagree = 0
    for key in keys:
        s, r = sorted(by_sparql.get(key, set())), sorted(by_reasoner.get(key, set()))
        same = s == r
        disagree += not same
        rows.append((key, ", ".join(s) or "-", ", ".join(r) or "-", "yes" if same else "NO"))
    head = ("guideline", "SPARQL applies", f"reasoner ({reasoner}) applies", "agree")
    widths = [max(len(x[i]) for x in [head, *rows]) for i in range(4)]
    lines = [f"profile {answer.get('profile', profile.id)}: decision point {profile.decision_point}",
             "  ".join(h.ljust(w) for h, w in zip(head, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    verdict = "the reasoner and SPARQL agree" if not disagree else f"they disagree on {disagree} row(s)"
    lines.append(f"{verdict} (reasoner call {result.seconds:.1f} s)")
    return "\n".join(lines)
