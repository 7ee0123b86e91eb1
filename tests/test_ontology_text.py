"""Issue 27, item 2 (textual part): definitions that define, no article typo, one prefix per namespace."""

from __future__ import annotations

import re
from pathlib import Path

import rdflib
from rdflib.namespace import RDF, RDFS, SKOS

from rnetkg import paths
from rnetkg.namespaces import PREFIXES, RNET, SHAPES

ROOT = Path(__file__).resolve().parents[1]
TURTLE = sorted(p for folder in ("ontology", "kg", "shapes") for p in (ROOT / folder).rglob("*.ttl"))
QUERIES = sorted((ROOT / "queries").rglob("*.rq"))
PREFIX = re.compile(r"^@prefix\s+([A-Za-z][\w-]*)?:\s*<([^>]*)>", re.M)
SPARQL_PREFIX = re.compile(r"^\s*PREFIX\s+([A-Za-z][\w-]*)?:\s*<([^>]*)>", re.M | re.I)
DECLARE = re.compile(r'sh:prefix\s+"([^"]*)"\s*;\s*sh:namespace\s+"([^"]*)"')
R = rdflib.Namespace(RNET)


def _tbox():
    """The domain ontology and its application module."""
    g = rdflib.Graph()
    for f in paths.ontology_files():
        g.parse(f)
    return g


def test_issue27_study_design_definitions_are_not_circular():
    g = _tbox()
    designs = set(g.subjects(RDF.type, R.StudyDesign))
    assert {R.Retrospective, R.Prospective, R.RandomisedControlledTrial, R.MetaAnalysis, R.SystematicReview,
            R.Epidemiological, R.GuidelineStatement} <= designs
    for d in designs:
        label = str(g.value(d, RDFS.label)).lower()
        definition = str(g.value(d, SKOS.definition))
        restated = definition.lower().rstrip(".").removeprefix("a ").removeprefix("an ")
        assert restated != label, f"{d}: definition {definition!r} only restates its label"
        assert len(definition.split()) >= 8, f"{d}: definition {definition!r} is too short to define"


def test_issue27_no_indefinite_article_before_a_vowel_in_definitions():
    g = _tbox()
    bad = [(s, str(o)) for s, o in g.subject_objects(SKOS.definition)
           if re.match(r"^A [aeiou]", str(o), re.I) and not re.match(r"^A (uni|one|eu|us[eu])", str(o), re.I)]
    assert bad == []


def test_issue27_definitions_define_the_domain_not_the_software():
    """A definition says what a term means; how rnetkg reads or writes it (JSON, SPARQL, the query files,
    the command line, DESIGN.md) is a skos:editorialNote beside it."""
    g = _tbox()
    software = re.compile(r"JSON|SPARQL|\.rq\b|queries/|DESIGN\.md|command.line|query text|rnetkg", re.I)
    assert [(str(s), str(o)) for s, o in g.subject_objects(SKOS.definition) if software.search(str(o))] == []
    notes = {str(s): str(o) for s, o in g.subject_objects(SKOS.editorialNote)}
    assert notes[RNET + "modality_surveillance"] == "One of the closed list of modalities of the answers (DESIGN.md)."
    assert "queries/materialise-criteria.rq" in notes[RNET + "FlatCondition"]
    assert (SKOS.editorialNote, RDF.type, rdflib.OWL.AnnotationProperty) in g


def prefix_bindings() -> dict[str, set[tuple[str, str]]]:
    """file -> its (prefix, namespace) pairs: Turtle's @prefix, SPARQL's PREFIX (queries/, and the SHACL-SPARQL
    sh:declare of shapes/), over ontology/, kg/, shapes/ and queries/."""
    out: dict[str, set[tuple[str, str]]] = {}
    for path in TURTLE:
        text = path.read_text(encoding="utf-8")
        out[str(path.relative_to(ROOT))] = set(PREFIX.findall(text)) | set(DECLARE.findall(text))
    for path in QUERIES:
        out[str(path.relative_to(ROOT))] = set(SPARQL_PREFIX.findall(path.read_text(encoding="utf-8")))
    return out


def test_issue27_one_prefix_per_namespace_in_every_turtle_and_query_file():
    """No prefix is bound to two namespaces and no namespace to two prefixes, in any file of ontology/,
    kg/, shapes/ and queries/ or across them; the project's own table (namespaces.PREFIXES, which the SPARQL
    UI and the query tables use) agrees with the files."""
    bindings = prefix_bindings()
    assert len(bindings) > 60 and all(bindings[f] for f in bindings if f.startswith("queries/"))
    namespace_of: dict[str, set[str]] = {}
    prefix_of: dict[str, set[str]] = {}
    for pairs in bindings.values():
        for prefix, ns in pairs:
            namespace_of.setdefault(prefix, set()).add(ns)
            prefix_of.setdefault(ns, set()).add(prefix)
    assert {p: ns for p, ns in namespace_of.items() if len(ns) > 1} == {}
    assert {ns: p for ns, p in prefix_of.items() if len(p) > 1} == {}
    assert {p: ns for p, ns in PREFIXES.items() if namespace_of.get(p, {ns}) != {ns}} == {}
    assert {p: ns for p, ns in PREFIXES.items() if prefix_of.get(ns, {p}) != {p}} == {}
    assert namespace_of["rnet"] == {RNET} and namespace_of["rnetsh"] == {SHAPES}


def test_issue27_the_prefix_check_sees_a_query_that_rebinds_a_prefix(tmp_path):
    text = "PREFIX rnet: <https://example.org/other#>\nprefix ex: <https://example.org/>\nSELECT * {}"
    assert set(SPARQL_PREFIX.findall(text)) == {("rnet", "https://example.org/other#"), ("ex", "https://example.org/")}
    assert set(DECLARE.findall('x:p sh:prefix "rnet" ; sh:namespace "https://example.org/o#"^^xsd:anyURI .')) == {
        ("rnet", "https://example.org/o#")}


def test_issue27_one_prefix_per_namespace_the_folders_name():
    """Every file of kg/ binds each folder of the instance data with the folder's own name as its prefix
    (nccn-2025: for kg/nccn-2025/, source: for kg/source/), as the release's Turtle does and as the short
    ids of `rnetkg describe` read (nccn-2025/rec-t1): one prefix per namespace, and no prefix bound to
    two namespaces."""
    from rnetkg.release import graph_prefixes

    bound: dict[str, set[str]] = {}
    for f in sorted((ROOT / "kg").rglob("*.ttl")):
        for p, ns in re.findall(r"^@prefix ([\w-]*): <([^>]+)> \.$", f.read_text(encoding="utf-8"), re.M):
            bound.setdefault(ns, set()).add(p)
    kg_folders = {ns: ps for ns, ps in bound.items() if ns.startswith("https://w3id.org/rnetkg/kg/")}
    assert len(kg_folders) >= 15
    wrong = {ns: ps for ns, ps in kg_folders.items() if ps != {ns.rstrip("/").rsplit("/", 1)[1]}}
    assert wrong == {}
    assert {ns: ps for ns, ps in bound.items() if len(ps) > 1} == {}
    by_prefix: dict[str, set[str]] = {}
    for ns, ps in bound.items():
        for p in ps:
            by_prefix.setdefault(p, set()).add(ns)
    assert {p: nss for p, nss in by_prefix.items() if len(nss) > 1} == {}
    released = graph_prefixes(ns + "x" for ns in kg_folders)
    assert all(released[next(iter(ps))] == ns for ns, ps in kg_folders.items())


def test_issue27_source_is_a_kind_of_prov_derivation():
    """rnet:source is an object sub-property of prov:wasDerivedFrom, which the ontology declares as PROV-O
    does (an object property, not an annotation property)."""
    g = _tbox()
    prov = rdflib.Namespace("http://www.w3.org/ns/prov#")
    assert (R.source, RDFS.subPropertyOf, prov.wasDerivedFrom) in g
    for p in (prov.wasDerivedFrom, prov.wasAttributedTo):
        assert set(g.objects(p, RDF.type)) == {rdflib.OWL.ObjectProperty}


def test_issue27_no_two_iris_differ_only_in_case():
    """A class and a property once shared a name but for its first letter (rnet:Grade, rnet:grade): the
    property is now rnet:hasGrade, and the old IRI stays, deprecated, with its replacement."""
    g = _tbox()
    live = {str(s) for s in g.subjects() if isinstance(s, rdflib.URIRef) and str(s).startswith(RNET)
            and (s, rdflib.OWL.deprecated, rdflib.Literal(True)) not in g}
    by_case: dict[str, set[str]] = {}
    for iri in live:
        by_case.setdefault(iri.lower(), set()).add(iri)
    assert [sorted(v) for v in by_case.values() if len(v) > 1] == []
    assert g.value(R.grade, rdflib.namespace.DCTERMS.isReplacedBy) == R.hasGrade
    assert (R.hasGrade, RDF.type, rdflib.OWL.ObjectProperty) in g and (R.Grade, RDF.type, rdflib.OWL.Class) in g
