"""`rnetkg describe ID` (issue 14): everything the graph says about a recommendation, a study and a term
of the ontology, from queries/describe.rq with the node bound as an RDF term; unknown IDs are one line."""

from __future__ import annotations

import json
import re

import pytest
import rdflib

from rnetkg import describe as d
from rnetkg.cli import main
from rnetkg.engine import StoreEngine
from rnetkg.namespaces import KG, RDF, RDFS, RNET, SKOS

REC = KG + "nccn-2025/rec-t1"


@pytest.fixture(scope="module")
def engine():
    return StoreEngine()


@pytest.fixture(scope="module")
def source_graph():
    """The Turtle files as written, read independently of the engine (rdflib, no expansion)."""
    from rnetkg import graph

    g = rdflib.Graph()
    for f in graph.source_files():
        g.parse(f, format="turtle")
    return g


def by_property(desc: d.Description, local: str, ns: str = RNET) -> list[d.Statement]:
    return [s for s in desc.statements if s.property == ns + local]


def part_values(statement: d.Statement, local: str, ns: str = RNET) -> list:
    return [p.value for p in statement.parts if p.property == ns + local]


# ---------------------------------------------------------------- a recommendation

def test_a_recommendation_with_its_criteria_actions_source_and_references(engine):
    desc = d.describe("nccn-2025/rec-t1", engine)
    assert (desc.id, desc.iri) == ("nccn-2025/rec-t1", REC)
    assert desc.label == "NCCN 2025: T1, resection (endoscopic or transanal)"
    assert [t["iri"] for t in desc.types] == [RNET + "ManagementRecommendation"]
    assert [s.value for s in by_property(desc, "hasDecisionPoint")] == [RNET + "InitialManagement"]
    assert [s.value_label for s in by_property(desc, "issuedBy")] == ["NCCN guidelines, 2025"]
    assert sorted(s.value for s in by_property(desc, "recommendsAction")) == [
        RNET + "EndoscopicResection", RNET + "TransanalExcision"]
    # the T1 criterion, and the heading 'All other tumor sizes' under the reading that it excludes < 1 cm
    heading, criterion = sorted(by_property(desc, "hasCriterion"), key=lambda c: part_values(c, "asWritten"))
    assert part_values(heading, "asWritten") == ["All other tumor sizes"]
    assert part_values(heading, "holdsUnderReading") == [KG + "nccn-2025/reading-heading-excludes-lt1cm"]
    assert part_values(criterion, "asWritten") == ["T1 stage"]
    assert part_values(criterion, "onField") == [RNET + "field_t_stage"]
    assert part_values(criterion, "allowedValue") == [RNET + "T1"]
    (source,) = by_property(desc, "source")
    assert part_values(source, "quote") == [
        "All other tumor sizes T1 stage: Resection (endoscopic or transanal) Lesions less than 1 cm with no "
        "follow up Lesions follow up every 6-12 months"]
    assert part_values(source, "inDocument") == [KG + "source/wjgo-2026-114818"]
    assert part_values(source, "locator")[0].startswith("Table 1, National Cancer Comprehensive Cancer Network, 2025")
    # two follow-up plans by size: none below 1 cm, every 6-12 months from 1 cm (read so, and said so)
    plans = {p.value: p for p in by_property(desc, "followUp")}
    assert sorted(plans) == [KG + "nccn-2025/rec-t1-follow-up", KG + "nccn-2025/rec-t1-follow-up-lt1cm"]
    assert part_values(plans[KG + "nccn-2025/rec-t1-follow-up-lt1cm"], "noFollowUp") == [True]
    assert "it is read as the follow-up of lesions of 1 cm or more" in part_values(
        plans[KG + "nccn-2025/rec-t1-follow-up"], "vaguenessNote")[0]
    # the derived recommendations that take their actions from this branch point to it
    assert sorted(r.subject for r in desc.referenced_by if r.property == RNET + "viaBranch") == [
        KG + "nccn-2025/rec-lt1cm-indeterminate-g2--via--rec-t1", KG + "nccn-2025/rec-lt1cm-positive-margin--via--rec-t1"]
    assert desc.instances is None


@pytest.mark.parametrize("node_id", ["nccn-2025/rec-t1", "kg:nccn-2025/rec-t1", f"<{REC}>", REC, f"  {REC} "])
def test_every_spelling_of_an_id_names_the_same_node(node_id, engine):
    assert d.describe(node_id, engine).iri == REC


def test_the_notes_of_a_recommendation_are_all_shown(engine, source_graph):
    iri = KG + "nccn-2025/rec-lt1cm-positive-margin"
    desc = d.describe("nccn-2025/rec-lt1cm-positive-margin", engine)
    for local in ("vaguenessNote", "encodingNote", "assumption"):
        expected = sorted(str(o) for o in source_graph.objects(rdflib.URIRef(iri), rdflib.URIRef(RNET + local)))
        assert expected, local
        assert sorted(s.value for s in by_property(desc, local)) == expected
    assert [s.value for s in by_property(desc, "refersToPathway")] == [KG + "nccn-2025/pathway-all-other-sizes"]


def test_every_triple_about_the_node_is_a_statement(engine, source_graph):
    """Nothing left out: the node's own triples in the Turtle equal the statements shown."""
    iri = rdflib.URIRef(KG + "pnnt-2022/rec-1-2cm-rf")
    desc = d.describe("pnnt-2022/rec-1-2cm-rf", engine)
    written = sorted((str(p), str(o)) for p, o in source_graph.predicate_objects(iri))
    shown = sorted((s.property, "true" if s.value is True else "false" if s.value is False else str(s.value))
                   for s in desc.statements)
    assert shown == written
    (risk,) = [s for s in by_property(desc, "hasCriterion")
               if RNET + "RiskFactorCondition" in part_values(s, "type", RDF)]
    assert part_values(risk, "hasRiskFactorDefinition") == [KG + "pnnt-2022/risk-factors"]
    assert part_values(risk, "requiresRiskFactors") == [True]


# ---------------------------------------------------------------- a study

def test_a_study_with_its_source_and_the_figures_reported_in_it(engine, source_graph):
    iri = KG + "study/hyun-2015"
    desc = d.describe("study/hyun-2015", engine)
    assert desc.label == "Hyun et al. 2015 (seed 000, Table 2, ref. [80])"
    assert [t["iri"] for t in desc.types] == [RNET + "Study"]
    assert [s.value for s in by_property(desc, "firstAuthor")] == ["Hyun"]
    assert [s.value for s in by_property(desc, "cohortSize")] == [247]
    assert [s.value_label for s in by_property(desc, "hasStudyDesign")] == ["retrospective study"]
    quotes = sorted(q for s in by_property(desc, "source") for q in part_values(s, "quote"))
    assert quotes == sorted(str(q) for e in source_graph.objects(rdflib.URIRef(iri), rdflib.URIRef(RNET + "source"))
                            for q in source_graph.objects(e, rdflib.URIRef(RNET + "quote")))
    figures = sorted(str(f) for f in source_graph.subjects(rdflib.URIRef(RNET + "reportedIn"), rdflib.URIRef(iri)))
    assert len(figures) >= 5
    assert sorted(r.subject for r in desc.referenced_by if r.property == RNET + "reportedIn") == figures


# ---------------------------------------------------------------- a term of the ontology

def test_an_action_class_with_its_definition_modality_subclasses_and_recommendations(engine, source_graph):
    desc = d.describe("rnet:EndoscopicResection", engine)
    assert desc.id == "rnet:EndoscopicResection" and desc.label == "endoscopic resection"
    term = rdflib.URIRef(RNET + "EndoscopicResection")
    assert desc.definition == str(source_graph.value(term, rdflib.URIRef(SKOS + "definition")))
    assert [t["iri"] for t in desc.types] == ["http://www.w3.org/2002/07/owl#Class"]
    assert [s.value for s in by_property(desc, "modality")] == [RNET + "modality_endoscopic_resection"]
    assert [s.value for s in by_property(desc, "subClassOf", RDFS)] == [RNET + "LocalExcision"]
    subclasses = {r.subject for r in desc.referenced_by if r.property == RDFS + "subClassOf"}
    assert subclasses == {str(s) for s in source_graph.subjects(rdflib.RDFS.subClassOf, term)}
    recommending = {r.subject for r in desc.referenced_by if r.property == RNET + "recommendsAction"}
    assert REC in recommending and KG + "pnnt-2022/rec-lt1cm-no-rf" in recommending
    # a bare term name is looked up in the ontology when no instance has that id
    assert d.describe("EndoscopicResection", engine).iri == RNET + "EndoscopicResection"


def test_a_closed_class_shows_its_members_and_instance_count(engine):
    desc = d.describe("rnet:DecisionPoint", engine)
    assert desc.instances == 3
    members = by_property(desc, "oneOf", "http://www.w3.org/2002/07/owl#")
    assert sorted(m.value for m in members) == sorted(
        RNET + n for n in ("InitialManagement", "AfterLocalResection", "MetastaticDisease"))
    # the enumeration itself is not listed again among what refers to the class
    assert not [r for r in desc.referenced_by if r.property.endswith("#subClassOf")]


# ---------------------------------------------------------------- the command

def test_cli_table(capsys):
    assert main(["describe", "nccn-2025/rec-t1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("nccn-2025/rec-t1  NCCN 2025: T1, resection (endoscopic or transanal)\n")
    assert "  has criterion" in out and "as written" in out and "T1 stage" in out
    assert re.search(r"\n  recommends action +endoscopic resection  \[rnet:EndoscopicResection\]\n", out)
    assert "quote" in out and "Resection (endoscopic or transanal)" in out
    assert "referenced by" in out and "kg:nccn-2025/rec-lt1cm-positive-margin--via--rec-t1" in out


def test_cli_json(capsys):
    assert main(["describe", "study/hyun-2015", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["id"] == "study/hyun-2015" and data["iri"] == KG + "study/hyun-2015"
    assert data["types"] == [{"iri": RNET + "Study", "label": "study"}]
    sources = [s for s in data["statements"] if s["property"] == RNET + "source"]
    assert {p["property_label"] for s in sources for p in s["parts"]} >= {"locator", "quote", "in document"}
    assert any(r["property_label"] == "reported in" for r in data["referenced_by"])


@pytest.mark.parametrize("node_id,expected", [
    ("nccn-2025/rec-t9", "did you mean nccn-2025/rec-t1"),
    ("rnet:EndoscopicResectio", "rnet:EndoscopicResection"),
    ("zz-nothing-like-it/xyz", "rnetkg query labelled-nodes"),
    ("foo:bar", "unknown prefix 'foo'"),
    ("nccn-2025/rec-t1> } UNION { ?s ?p ?o", "is not a valid IRI or ID"),
    ("", "give an ID"),
])
def test_cli_unknown_or_invalid_id_is_one_line_exit_2(node_id, expected, capsys):
    assert main(["describe", node_id]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and len(captured.err) <= 300
    assert expected in captured.err
    if node_id.strip():
        assert node_id[:40] in captured.err
    assert "Traceback" not in captured.err
