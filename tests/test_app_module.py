"""Issue 27 (one concept, one IRI): a domain ontology that says nothing about the software
(ontology/rnet.ttl) and an application module beside it for the plumbing (ontology/rnet-app.ttl), which
every loader loads too; one naming rule per kind of individual."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from rnetkg import graph, paths
from rnetkg.namespaces import APP_MODULE_IRI, KG, ONTOLOGY_IRI, RNET

ROOT = Path(__file__).resolve().parents[1]
R = rdflib.Namespace(RNET)

# what exists only for the software: the keys of the JSON answers and the command line, the order of the
# answers, the set bits of the SPARQL queries, the flattened criteria of queries/materialise-criteria.rq
MODULE_TERMS = {
    "key", "fieldName", "guidelineKey", "listPosition", "modalityBit", "profileId", "assumption",
    "FlatCondition", "inReadingContext", "conditionOf", "evaluatedAtDecisionPoint", "ofCriterion", "ofPart",
    "criterionSign", "atomSign", "ofAtom", "testsField", "admitsValue", "DefaultReadings", "contextReading"}
# what a text about the software says: its formats, languages, files, commands and finding kinds
SOFTWARE = re.compile(r"JSON|SPARQL|\.rq\b|Python|\bCLI\b|command.line|rnetkg|queries/|DESIGN\.md|\bCSV\b|\bengine\b"
                      r"|\b[a-z0-9]+(?:_[a-z0-9]+)+\b")


def _graph(*files: Path) -> rdflib.Graph:
    g = rdflib.Graph()
    for f in files:
        g.parse(f, format="turtle")
    return g


@pytest.fixture(scope="module")
def domain() -> rdflib.Graph:
    return _graph(paths.ontology_file())


@pytest.fixture(scope="module")
def module() -> rdflib.Graph:
    return _graph(paths.app_module_file())


def _declared(g: rdflib.Graph) -> set[str]:
    return {str(s)[len(RNET):] for s in g.subjects(RDF.type, None) if str(s).startswith(RNET)}


# ---------------------------------------------------------------- the domain ontology names no software term

def test_issue27_the_domain_ontology_mentions_no_software_term(domain, module):
    """None of the application module's terms appears in ontology/rnet.ttl, in a triple or in its text
    (a comment included), nor skos:editorialNote; no literal of it (definitions, labels, comments) names
    JSON, SPARQL, a query file, Python, the command line, rnetkg or a snake_case key or finding kind."""
    assert _declared(module) == MODULE_TERMS
    assert _declared(domain) & MODULE_TERMS == set()
    text = paths.ontology_file().read_text(encoding="utf-8")
    assert [t for t in sorted(MODULE_TERMS) if re.search(rf"\brnet:{t}\b|#{t}\b", text)] == []
    assert "editorialNote" not in text
    terms = {R[t] for t in MODULE_TERMS} | {SKOS.editorialNote}
    assert [t for t in domain if set(t) & terms] == []
    literals = [(str(s), str(o)) for s, o in domain.subject_objects() if isinstance(o, rdflib.Literal)
                and SOFTWARE.search(str(o))]
    assert literals == []


def test_issue27_the_software_words_are_found_where_they_are(module):
    """The check above can fail: the module's own notes name the software."""
    notes = [str(o) for o in module.objects(None, SKOS.editorialNote)]
    assert len(notes) >= 20 and sum(bool(SOFTWARE.search(n)) for n in notes) >= 15
    for words in ("the JSON answers", "queries/materialise-criteria.rq", "rnetkg check", "the SPARQL queries",
                  "unit_mismatch", "the engine makes"):
        assert SOFTWARE.search(words), words


def test_issue27_each_term_is_declared_once_and_the_module_adds_only_plumbing(domain, module):
    """One concept, one IRI, declared in one file. What the module says about the domain's terms is its
    own plumbing only: keys, field names, set bits, editorial notes, and that a flat condition is none of
    the domain's kinds of thing."""
    assert _declared(domain) & _declared(module) == set()
    plumbing = {R.key, R.fieldName, R.modalityBit, SKOS.editorialNote}
    about_domain = {(s, p) for s, p, _ in module
                    if isinstance(s, rdflib.URIRef) and str(s).startswith(RNET)
                    and str(s)[len(RNET):] not in MODULE_TERMS}
    assert {p for _, p in about_domain} == plumbing
    assert {s for s, _ in about_domain} <= {s for s in domain.subjects() if isinstance(s, rdflib.URIRef)}
    disjoint = set(module.objects(R.FlatCondition, OWL.disjointWith))
    assert R.Statement in disjoint and R.Condition in disjoint and len(disjoint) == 32
    # every value of a closed list has its key in the module, none in the domain ontology
    keyed = {s for s in domain.subjects(RDF.type, OWL.NamedIndividual) if (s, R.key, None) in module}
    assert len(keyed) == 76 and [s for s in keyed if (s, R.key, None) in domain] == []
    # the 24 measures among them (rnet:Measure: the words the seeds write)
    assert len({s for s in keyed if (s, RDF.type, R.Measure) in domain}) == 24


# ---------------------------------------------------------------- every loader loads both

def test_issue27_every_loader_loads_every_ontology_file():
    files = paths.ontology_files()
    others = set(paths.artifact_dir("ontology").glob("*.ttl")) - {paths.ontology_file()}
    assert files == [paths.ontology_file(), *sorted(others)]
    assert files == [paths.ontology_file(), paths.app_module_file()]
    assert graph.shipped_files()[: len(files)] == files and graph.source_files()[: len(files)] == files
    store = graph.shared_store()
    for iri in (ONTOLOGY_IRI, APP_MODULE_IRI):
        header = ox.NamedNode(iri), ox.NamedNode(str(RDF.type)), ox.NamedNode(str(OWL.Ontology))
        assert list(store.quads_for_pattern(*header))
    # the domain ontology alone is read only where it is meant alone: its reference page and its version
    callers = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "src" / "rnetkg").rglob("*.py")
                     if "ontology_file()" in p.read_text(encoding="utf-8"))
    assert callers == ["src/rnetkg/paths.py", "src/rnetkg/release.py"]


def test_issue27_the_served_layout_names_both_ontology_files(monkeypatch):
    """`rnetkg serve` prints the graph layout: both ontology files, then the kg/ files (counted apart)."""
    from types import SimpleNamespace

    from rnetkg import endpoint, serve

    class Summary:
        def __init__(self, url, timeout):
            pass

        def select(self, text):
            return [{"derived": 5, "triples": 17000}]

    monkeypatch.setattr(endpoint, "EndpointEngine", Summary)
    line = serve.describe_layout(SimpleNamespace(query_url="http://127.0.0.1:1/query"))
    n_kg = len(paths.shipped_kg_files())
    assert line.startswith(f"default graph only (no named graphs): ontology/rnet.ttl + ontology/rnet-app.ttl + "
                           f"{n_kg} kg/ Turtle files + 5 derived")


def test_issue27_a_changed_module_changes_the_graph_hash(tmp_path, monkeypatch):
    """The graph hash names every cache file (the store, the criteria model ...): an edited module is a new
    graph, never answered from what was kept for the old one."""
    before = graph.graph_hash()
    edited = tmp_path / "rnet-app.ttl"
    edited.write_text(paths.app_module_file().read_text(encoding="utf-8").replace(
        'rnet:modalityBit 256', 'rnet:modalityBit 512'), encoding="utf-8")
    monkeypatch.setattr(paths, "ontology_files", lambda: [paths.ontology_file(), edited])
    assert graph.graph_hash() != before


# ---------------------------------------------------------------- one naming rule per kind of individual

# The IRIs of the individuals are published and used by the queries, the JSON, the FHIR export and the
# cohort files, so they keep their styles; the rule that holds is one style per kind of individual:
# a value of a closed list that answers name by its key is named from that key (the code itself for the
# staging and grading codes; the list's prefix and the key for the others; the decision points in
# UpperCamelCase), every other individual in UpperCamelCase, and the instance data of kg/ in kebab-case
# under the folder of its source. The measures, whose keys are the seeds' own words, are named
# measure_ and a snake_case name of the measure.
FROM_KEY = {
    "Grade": "{key}", "TCategory": "{key}", "NodalStatus": "{key}",
    "ManagementModality": "modality_{key}", "ManagementStrategy": "strategy_{key}",
    "TreatmentTarget": "target_{key}", "InvasionDepth": "depth_{key}", "MarginStatus": "margin_{key}",
    "ResectionProcedure": "resection_{key}", "ProfileField": "field_{key}",
    "DecisionPoint": "{Key}",
}
UPPER_CAMEL = re.compile(r"[A-Z][A-Za-z0-9]*")


def _style(cls: str, key: str | None) -> str | None:
    """The local name an individual of ``cls`` with ``key`` must have, or None (UpperCamelCase, no key)."""
    if cls not in FROM_KEY:
        return None
    return FROM_KEY[cls].format(key=key, Key="".join(w.capitalize() for w in (key or "").split("_")))


def test_issue27_one_naming_rule_per_kind_of_individual():
    tbox = _graph(*paths.ontology_files())
    seen: dict[str, int] = {}
    for ind in sorted(tbox.subjects(RDF.type, OWL.NamedIndividual)):
        assert str(ind).startswith(RNET), ind
        local = str(ind)[len(RNET):]
        (cls,) = {str(c).rsplit("#", 1)[-1] for c in tbox.objects(ind, RDF.type) if c != OWL.NamedIndividual}
        key = tbox.value(ind, R.key) or tbox.value(ind, R.fieldName)
        expected = _style(cls, str(key) if key is not None else None)
        if cls == "Measure":   # keyed by the words the seeds write ('OR', '1-year overall survival')
            assert key is not None and re.fullmatch(r"measure_[a-z0-9]+(?:_[a-z0-9]+)*", local), local
        elif expected is None:
            assert key is None and UPPER_CAMEL.fullmatch(local), f"{local} ({cls}): UpperCamelCase, no key"
        else:
            assert key is not None and local == expected, f"{local} ({cls}): {expected} from its key {key}"
        seen[cls] = seen.get(cls, 0) + 1
    assert set(FROM_KEY) <= set(seen) and sum(seen.values()) > 120


def test_issue27_the_naming_rule_finds_a_misnamed_individual():
    assert _style("ManagementModality", "radical_surgery") == "modality_radical_surgery"
    assert _style("DecisionPoint", "after_local_resection") == "AfterLocalResection"
    assert _style("Grade", "G2") == "G2" and _style("RiskFactor", None) is None
    assert not UPPER_CAMEL.fullmatch("depth_mucosa") and UPPER_CAMEL.fullmatch("Ki67Index")


def test_issue27_instance_iris_are_kebab_case_under_their_source_folder():
    kg = _graph(*paths.shipped_kg_files())
    names = {str(s)[len(KG):] for s in kg.subjects() if isinstance(s, rdflib.URIRef) and str(s).startswith(KG)}
    assert len(names) > 800
    kebab = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*(?:/[a-z0-9]+(?:[-.][a-z0-9]+)*)*")
    assert sorted(n for n in names if not kebab.fullmatch(n)) == []
    # the ontology's own terms are never minted in kg/: only the two strategies' grouping sources are said there
    outside = {str(s) for s in kg.subjects() if isinstance(s, rdflib.URIRef) and str(s).startswith(RNET)}
    assert outside == {RNET + "strategy_local_excision", RNET + "strategy_radical_surgery"}


def test_issue27_each_module_term_says_where_it_is_defined(domain, module):
    """A term of the module has an IRI in the rnet: namespace, which dereferences to the domain ontology:
    each says it is defined by the module (rdfs:isDefinedBy), and the domain ontology's header points to
    the module (rdfs:seeAlso). No domain term claims the module."""
    app = rdflib.URIRef("https://w3id.org/rnetkg/ontology/app")
    assert {str(s)[len(RNET):] for s in module.subjects(RDFS.isDefinedBy, app)} == MODULE_TERMS
    assert (rdflib.URIRef("https://w3id.org/rnetkg/ontology"), RDFS.seeAlso, app) in domain
    assert list(domain.subjects(RDFS.isDefinedBy, app)) == []
