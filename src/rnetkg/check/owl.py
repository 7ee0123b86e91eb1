"""OWL 2 reasoning over ontology + kg (Pellet or HermiT through owlready2): ``owl_inconsistent`` and
``unsatisfiable_class`` findings, with the individuals or class pairs that cause them."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pyoxigraph as ox

from .. import namespaces
from .. import reasoner as reasoning
from ..namespaces import short_iri
from .findings import ERROR, Finding


_IMPORTS = ox.NamedNode(namespaces.OWL + "imports")


def _dump(store: ox.Store, path: Path, skip_subjects: set | None = None) -> Path:
    """The graph as N-Triples for owlready2, without ``owl:imports`` (which owlready2 would fetch over
    the network: the reasoner sees the loaded graph only)."""
    skip = skip_subjects or set()
    part = ox.Store()
    part.extend(q for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph())
                if q.subject not in skip and q.predicate != _IMPORTS)
    part.dump(output=str(path), format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
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
