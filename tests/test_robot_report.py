"""ROBOT's report queries (tests/robot/, `robot report`'s default profile) on the domain ontology alone
(ontology/rnet.ttl), on it with its application module (every file of ontology/) and on the whole graph
as loaded: no row of an ERROR-level query (a label shared by two terms, a term without
a label, two labels or definitions on one term, an ontology without title, description or licence ...).
The WARN and INFO rows are notes, not failures (every term's definition is a skos:definition, where
ROBOT looks for IAO's)."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from rnetkg import graph, paths

ROBOT = Path(__file__).resolve().parent / "robot"
PROFILE = dict(reversed(line.split("\t")) for line in (ROBOT / "report_profile.txt").read_text().splitlines() if line)
ERROR_QUERIES = sorted(name for name, level in PROFILE.items() if level == "ERROR")


def _rows(store: ox.Store, name: str) -> list[str]:
    text = (ROBOT / "report_queries" / f"{name}.rq").read_text(encoding="utf-8")
    return sorted(" ".join(t.value if t is not None else "" for t in row) for row in store.query(text))


@pytest.fixture(scope="module")
def ontology() -> ox.Store:
    """The domain ontology alone."""
    store = ox.Store()
    store.load(path=str(paths.ontology_file()), format=ox.RdfFormat.TURTLE)
    return store


@pytest.fixture(scope="module")
def with_module() -> ox.Store:
    """The domain ontology and its application module."""
    store = ox.Store()
    for f in paths.ontology_files():
        store.load(path=str(f), format=ox.RdfFormat.TURTLE)
    return store


def test_every_query_of_the_profile_is_here():
    assert sorted(p.stem for p in (ROBOT / "report_queries").glob("*.rq")) == sorted(PROFILE)
    assert len(PROFILE) == 32 and len(ERROR_QUERIES) == 17


@pytest.mark.parametrize("name", ERROR_QUERIES)
def test_no_error_on_the_ontology(ontology, name):
    assert _rows(ontology, name) == []


@pytest.mark.parametrize("name", ERROR_QUERIES)
def test_no_error_on_the_ontology_with_its_application_module(with_module, name):
    assert _rows(with_module, name) == []


@pytest.mark.parametrize("name", ERROR_QUERIES)
def test_no_error_on_the_whole_graph(name):
    assert _rows(graph.shared_store(), name) == []


def test_the_queries_find_what_they_look_for(ontology):
    """On a copy of the ontology with a label given to a second term, a term whose label is removed and a
    term given a second label, the three ERROR queries find exactly those terms (the queries run here as
    they do in ROBOT)."""
    rnet = "https://w3id.org/rnetkg/ontology#"
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    broken = ox.Store()
    broken.load(path=str(paths.ontology_file()), format=ox.RdfFormat.TURTLE)
    grade_label = next(broken.quads_for_pattern(ox.NamedNode(rnet + "Grade"), label, None)).object
    broken.add(ox.Quad(ox.NamedNode(rnet + "TCategory"), label, grade_label))
    for q in list(broken.quads_for_pattern(ox.NamedNode(rnet + "Study"), label, None)):
        broken.remove(q)
    broken.add(ox.Quad(ox.NamedNode(rnet + "Procedure"), label, ox.Literal("another label", language="en")))
    assert {r.split()[0] for r in _rows(broken, "duplicate_label")} == {rnet + "Grade", rnet + "TCategory"}
    assert [r.split()[0] for r in _rows(broken, "missing_label")] == [rnet + "Study"]
    assert {r.split()[0] for r in _rows(broken, "multiple_labels")} == {rnet + "TCategory", rnet + "Procedure"}
