"""Issue 21: the closed vocabularies are declared once (rnetkg.vocab) and are the lists the queries
compute and the ontology declares."""

from __future__ import annotations

import re

from rdflib import Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS

from rnetkg import paths, queries, vocab
from rnetkg.engine import StoreEngine
from rnetkg.namespaces import RNET


def _literals(text: str, pattern: str) -> set[str]:
    """The string literals of the lines of a query that match ``pattern``."""
    return {s for line in text.splitlines() if re.search(pattern, line) for s in re.findall(r'"([a-z_]+)"', line)}


def test_issue21_statement_statuses_are_those_of_applicable_recommendations():
    text = queries.get("applicable-recommendations").text
    assert _literals(text, r"AS \?status\)|IF\(\?recStatus = ") == set(vocab.STATEMENT_STATUS.values())
    assert vocab.STATEMENT_STATUS_CODE["possible"] == vocab.POSSIBLE == 0


def test_issue21_guideline_statuses_are_those_of_guideline_status():
    text = queries.get("guideline-status").text
    status_lines = text[text.index("BIND(IF(?best = 1"):text.index("AS ?status)") + 12]
    assert set(re.findall(r'"([a-z_]+)"', status_lines)) == set(vocab.STATUSES)
    # the statuses of a guideline with an applicable recommendation (?best = 1) are the answering ones
    applying = status_lines[:status_lines.index('IF(?anyAim')]
    assert set(re.findall(r'"([a-z_]+)"', applying)) == set(vocab.ANSWERING)


def test_issue21_pair_kinds_are_those_of_disagreements():
    text = queries.get("disagreements").text
    kind_bind = text[text.index('BIND(IF(?inScopeCount'):text.index("AS ?kind)")]
    assert set(re.findall(r'"([a-z_]+)"', kind_bind)) == set(vocab.PAIR_KINDS)
    assert set(re.findall(r'\?status = "([a-z_]+)"', text)) == set(vocab.ANSWERING)


def test_issue21_statement_kinds_are_the_classes_the_queries_list():
    g = Graph().parse(paths.ontology_file())
    for kind, iri in vocab.STATEMENT_KINDS.items():
        assert (URIRef(iri), RDF.type, OWL.Class) in g, kind
    for name in ("criteria", "recommendation-details"):
        text = queries.get(name).text
        block = re.search(r"VALUES \(\?(?:recType|type) \?(?:kind|kindName)\) \{(.*?)\}", text, re.S).group(1)
        pairs = set(re.findall(r'\(rnet:(\w+) "([a-z_]+)"\)', block))
        assert {(RNET + c, k) for c, k in pairs} == {(iri, k) for k, iri in vocab.STATEMENT_KINDS.items()}, name


def test_issue21_decision_points_are_the_ontology_individuals():
    g = Graph()
    for f in paths.ontology_files():   # the keys are the application module's
        g.parse(f)
    one_of = next(e for e in g.subjects(RDFS.subClassOf, URIRef(RNET + "DecisionPoint")) if (e, OWL.oneOf, None) in g)
    members = list(Collection(g, next(g.objects(one_of, OWL.oneOf))))
    assert [str(m) for m in members] == [vocab.DECISION_POINT_IRI[d] for d in vocab.DECISION_POINTS]
    keys = {str(m): str(next(g.objects(m, URIRef(RNET + "key")))) for m in members}
    assert keys == {iri: key for key, iri in vocab.DECISION_POINT_IRI.items()}


def test_issue21_modalities_are_the_graph_modalities():
    rows = StoreEngine().select(queries.get("modalities").text)
    assert {r["modality"] for r in rows} == set(vocab.MODALITIES)
