"""The criteria model as OWL: every statement's criteria become a defined class, and an OWL reasoner
(Pellet or HermiT through owlready2) classifies case profiles into them.

For each statement at decision point DP the class is

    CaseProfile ⊓ (atDecisionPoint value DP) ⊓ C1 ⊓ ... ⊓ Cn

where a criterion Ci is one atom, or for a risk-factor criterion the union of the components of the
guideline's definition ("present") or the intersection of their complements ("absent"). Atoms are
datatype restrictions on ``xsd:decimal`` (size, Ki-67, mitoses: min/max inclusive or exclusive
facets), enumerations (a union of ``owl:hasValue`` restrictions: grade, T category, depth, nodes,
margin) or boolean values; the properties and value IRIs come from rnetkg.fields.

The open world and the three-valued SPARQL agree because every profile property is functional and
the enumeration values are pairwise different (``owl:AllDifferent`` in the ontology): a known value
outside a range or set entails the complement of the atom, so "absent" is entailed exactly when
every component is known to be false; an unknown field entails neither the atom nor its complement.
A profile individual therefore belongs to a statement's class exactly when SPARQL says "applies".
"""

from __future__ import annotations

import os
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Sequence

from ..fields import DECISION_POINT_IRI, FIELDS
from ..namespaces import RNET
from ..profile import Profile
from ..queries import case_iri
from ..reasoner import all_classes, load_world, require_java, run_reasoner, without_imports
from .model import Atom, Criterion, Statement
from .load import model_for

APPLIES_SUFFIX = "--applies"


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
        prop = RNET + FIELDS[a.field].owl_property
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
        return self.union(self.restriction(prop, self.OWL.hasValue, self.iri(FIELDS[a.field].iri(k)))
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
        dp = self.union(self.restriction(RNET + "atDecisionPoint", self.OWL.hasValue,
                                         self.iri(DECISION_POINT_IRI[d])) for d in sorted(s.decision_points))
        parts = [self.iri(RNET + "CaseProfile"), dp, *(self.criterion(c) for c in s.criteria)]
        cls = self.iri(class_iri(s.iri))
        self.g.add((cls, self.RDF.type, self.OWL.Class))
        self.g.add((cls, self.OWL.equivalentClass, self.intersection(parts)))

    def profile(self, iri: str, p: Profile) -> None:
        ind = self.iri(iri)
        self.g.add((ind, self.RDF.type, self.OWL.NamedIndividual))
        self.g.add((ind, self.RDF.type, self.iri(RNET + "CaseProfile")))
        self.g.add((ind, self.iri(RNET + "atDecisionPoint"), self.iri(DECISION_POINT_IRI[p.decision_point])))
        for name, value in p.criteria_values().items():
            if value is None:
                continue
            f = FIELDS[name]
            prop = self.iri(RNET + f.owl_property)
            if f.kind == "number":
                obj = self.decimal(value)
            elif f.kind == "boolean":
                obj = self.rdflib.Literal(bool(value))
            else:
                obj = self.iri(f.iri(value))
            self.g.add((ind, prop, obj))


def build_graph(statements: Iterable[Statement], profiles: Sequence[Profile]):
    """The rdflib graph to classify: the ontology (TBox), one defined class per statement, and one
    individual per profile (IRI ``queries.case_iri(i)``)."""
    from .. import paths

    b = _Builder()
    for f in paths.ontology_files():
        b.g.parse(f, format="turtle")
    without_imports(b.g)
    for s in statements:
        b.statement(s)
    for i, p in enumerate(profiles):
        b.profile(case_iri(i), p)
    return b.g


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
        from ..engine import StoreEngine

        statements = {s.iri: s for s in model_for(StoreEngine()).with_criteria()}
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
                ind = world[case_iri(i)]
                classes = all_classes(ind) if ind is not None else set()
                applies.append({by_class[c] for c in classes if c in by_class})
            world.close()
            os.remove(nt)
    return Classification(applies, reasoner, seconds, calls)


# ---------------------------------------------------------------- side by side with SPARQL

def side_by_side(profile: Profile, answer: dict[str, Any], reasoner: str = "pellet"
                 ) -> tuple[list[tuple[str, list[str], list[str]]], float]:
    """Per guideline (and "(editorial)"), the recommendations that apply according to SPARQL (the
    answer of rnetkg.compare) and according to the OWL reasoner; and the reasoner call's seconds."""
    from ..engine import StoreEngine

    model = model_for(StoreEngine())
    statements = {s.iri: s for s in model.with_criteria()}
    result = classify([profile], statements, reasoner=reasoner)
    by_reasoner: dict[str, set[str]] = defaultdict(set)
    for iri in result.applies[0]:
        by_reasoner[statements[iri].guideline or "(editorial)"].add(statements[iri].id)
    by_sparql: dict[str, set[str]] = defaultdict(set)
    for g in answer.get("guidelines", []):
        by_sparql[g["guideline"]] = {r["id"] for r in g["recommendations"] if r.get("status") == "applies"}
    by_sparql["(editorial)"] = {e["id"] for e in answer.get("editorial_statements", [])
                                if e.get("status") == "applies"}
    keys = [*model.guideline_keys, "(editorial)"]
    return [(k, sorted(by_sparql.get(k, set())), sorted(by_reasoner.get(k, set()))) for k in keys], result.seconds
