"""Issue 27, item 3: shapes for every class the instance data instantiates, in SHACL Core (the few
SHACL-SPARQL constraints named), severities that tell defects from notes, the shapes graph importing
the ontology; mutations of the shipped graph give exactly the violation they break."""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import OWL, RDF, RDFS, SH

from rnetkg import paths
from rnetkg.check.shacl import SHAPES, validate
from rnetkg.namespaces import APP_MODULE_IRI, ONTOLOGY_IRI

ROOT = Path(__file__).resolve().parents[1]
META = {OWL.Class, OWL.AnnotationProperty, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.NamedIndividual,
        OWL.Ontology, OWL.FunctionalProperty, OWL.TransitiveProperty, OWL.AllDisjointClasses, RDFS.Datatype}


@pytest.fixture(scope="module")
def shapes():
    g = rdflib.Graph()
    for f in paths.shape_files():
        g.parse(f)
    return g


def test_issue27_no_sparql_based_targets(shapes):
    assert list(shapes.subjects(RDF.type, SH.SPARQLTarget)) == []
    assert list(shapes.subject_objects(SH.target)) == []


def test_issue27_sparql_constraints_are_the_named_few(shapes):
    """What SHACL Core cannot say stays SHACL-SPARQL, each named here."""
    assert {str(c).removeprefix(str(SHAPES)) for c in shapes.objects(None, SH.sparql)} == {
        "DocumentHasFullText",                 # a quote's document has its seed text
        "QuoteFoundInFullText",                # a quote is found in its source's full text
        "NumericRangeNonEmpty",                # min <= max, weighing the inclusive flags
        "RiskFactorKi67WithinPercent",         # bounds of the components of a definition
        "OneRiskFactorDefinitionPerReading",   # across the definitions of one guideline
        "RecommendsManagementActionClass",     # the action's class hierarchy
        "ActionOrAim",
        "PrecedenceSameGuidelineAndPoint",     # across the two recommendations of a rule
        "PrecedencePlainCriteria",
        "PercentageMatchesCount",              # arithmetic
        "GuidelineKeyUnique",                  # a literal unique across nodes
    }


NEW_FILES = ("reading", "ambiguous-passage", "guideline-document", "issuing-body", "follow-up-plan",
             "source-document", "entity", "pathway", "statement", "reported-values", "organization", "dataset")


@pytest.mark.parametrize("name", NEW_FILES)
def test_issue27_new_shape_files_are_shacl_core(name):
    g = rdflib.Graph().parse(ROOT / "shapes" / f"{name}.ttl")
    sparql = set(g.objects(None, SH.sparql))
    assert sparql == ({SHAPES["GuidelineKeyUnique"]} if name == "guideline-document" else set())


def test_issue27_every_class_of_the_instance_data_has_a_shape(shapes):
    onto = rdflib.Graph()
    for f in paths.ontology_files():
        onto.parse(f)
    kg = rdflib.Graph()
    for f in paths.kg_files():
        kg.parse(f)
    whole = onto + kg
    targeted = set(shapes.objects(None, SH.targetClass))

    def with_superclasses(c):
        seen, todo = {c}, [c]
        while todo:
            for sup in whole.objects(todo.pop(), RDFS.subClassOf):
                if sup not in seen:
                    seen.add(sup)
                    todo.append(sup)
        return seen

    classes = {c for c in kg.objects(None, RDF.type) if c not in META}
    assert {c for c in classes if not with_superclasses(c) & targeted} == set()
    R = rdflib.Namespace("https://w3id.org/rnetkg/ontology#")
    for c in (R.Reading, R.Statement, R.GuidelineDocument, R.IssuingBody, R.FollowUpPlan, R.AmbiguousPassage,
              R.SourceDocument, rdflib.URIRef("http://www.w3.org/ns/prov#Entity"), R.Pathway):
        assert c in targeted, c


def test_issue27_the_shapes_graph_imports_the_ontology(shapes):
    """The ontology and its application module, whose terms the shapes constrain too."""
    header = rdflib.URIRef("https://w3id.org/rnetkg/shapes")
    assert (header, RDF.type, OWL.Ontology) in shapes
    assert set(shapes.objects(header, OWL.imports)) == {rdflib.URIRef(ONTOLOGY_IRI), rdflib.URIRef(APP_MODULE_IRI)}


def test_issue27_notes_are_warnings_or_infos_and_all_else_violations(shapes):
    notes = {str(s).removeprefix(str(SHAPES)): str(o).removeprefix(str(SH))
             for s, o in shapes.subject_objects(SH.severity)}
    assert notes == {
        "AmbiguousPassageShape-readings": "Warning",
        "GuidelineDocumentShape-bibliographicReference": "Warning",
        "GuidelineDocumentShape-citedBy": "Warning",
        "GuidelineDocumentShape-yearOrNote": "Info",
        "IssuingBodyShape-issues": "Info",
        "ReportedFigureShape-percentageMatchesCount": "Warning",
    }


# ---------------------------------------------------------------- the shipped graph, and mutations of it

def test_issue27_shipped_graph_has_no_violation():
    findings = validate()
    assert [f for f in findings if f.severity == "error"] == []
    assert {f.kind for f in findings} <= {"statistic_mismatch"}


MUTATIONS = """
@prefix rnet: <https://w3id.org/rnetkg/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix asco-2023: <https://w3id.org/rnetkg/kg/asco-2023/> .
@prefix m: <https://w3id.org/rnetkg/kg/mutation/> .
@prefix fabio: <http://purl.org/spar/fabio/> .
@prefix cito: <http://purl.org/spar/cito/> .

# a second default reading of ASCO's passage
m:second-default a rnet:Reading ;
    rdfs:label "a second default" ;
    rnet:readingOf asco-2023:passage-joint-attribution ;
    rnet:isDefaultReading true ;
    rnet:rationale "none" ;
    rnet:restsOn asco-2023:rec-metastatic-source .

# a second guideline with ENETS's key (a clinical guideline that seed 001 cites)
<https://w3id.org/rnetkg/kg/source/wjg-2025-114263> cito:cites m:guideline-copy .
m:guideline-copy a rnet:GuidelineDocument , fabio:ClinicalGuideline ;
    rdfs:label "a copy" ;
    rnet:guidelineKey "ENETS-2023" ;
    rnet:hasIssuingBody <https://w3id.org/rnetkg/kg/body/enets> ;
    rnet:listPosition 99 ;
    rnet:publicationYear 2023 ;
    rnet:bibliographicReference "copy" .

# a study's country as a name where its ISO 3166-1 code belongs
<https://w3id.org/rnetkg/kg/study/hyun-2015> rnet:countryCode "Korea" .

# a guideline document that is no FaBiO clinical guideline and that no source cites
m:guideline-uncited a rnet:GuidelineDocument ;
    rdfs:label "uncited" ;
    rnet:guidelineKey "UNCITED-2020" ;
    rnet:hasIssuingBody <https://w3id.org/rnetkg/kg/body/enets> ;
    rnet:publicationYear 2020 ;
    rnet:bibliographicReference "uncited" .

# a follow-up plan whose minimum interval exceeds its maximum
m:follow-up a rnet:FollowUpPlan ;
    rdfs:label "backwards" ;
    rnet:followUpText "every 12-6 months" ;
    rnet:followUpIntervalMinMonths 12.0 ;
    rnet:followUpIntervalMaxMonths 6.0 .
"""


def test_issue27_mutations_of_the_shipped_graph_give_exactly_their_violations(tmp_path):
    before = {(f.kind, f.severity, f.subject, f.message) for f in validate()}
    extra = tmp_path / "mutations.ttl"
    extra.write_text(MUTATIONS, encoding="utf-8")
    after = {(f.kind, f.severity, f.subject, f.message) for f in validate(extra_data=[extra])}
    kg = "https://w3id.org/rnetkg/kg/"
    assert after - before == {
        ("shacl", "error", kg + "asco-2023/passage-joint-attribution",
         "An ambiguous passage has exactly one default reading (a reading of it with rnet:isDefaultReading true)."),
        ("shacl", "error", kg + "mutation/guideline-copy",
         f"The guideline key 'ENETS-2023' is also the key of {kg}guideline/enets-2023: keys are unique."),
        ("shacl", "error", kg + "guideline/enets-2023",
         f"The guideline key 'ENETS-2023' is also the key of {kg}mutation/guideline-copy: keys are unique."),
        ("shacl", "error", kg + "study/hyun-2015",
         "A study that names its country (rnet:country) gives its ISO 3166-1 alpha-2 code too (rnet:countryCode, two "
         "capital letters: 'KR', 'JP'). Value: \"Korea\"."),
        ("shacl", "error", kg + "mutation/guideline-uncited", "A guideline document is also a fabio:ClinicalGuideline."),
        ("shacl", "warning", kg + "mutation/guideline-uncited",
         "No source document of the graph cites this guideline document (cito:cites): the graph does not say where it "
         "is summarised."),
        ("shacl", "error", kg + "mutation/follow-up",
         "The shortest follow-up interval (rnet:followUpIntervalMinMonths) is longer than the longest "
         "(rnet:followUpIntervalMaxMonths). Value: \"12.0\"^^xsd:decimal."),
    }
    assert before - after == set()
