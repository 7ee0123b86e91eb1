"""Issue 27, item 1: standard codes as data. mappings/rnetkg.sssom.tsv is the one place for the codes
of the ontology's terms; the FHIR code table and the ontology's own mapping triples are tested equal
to it."""

from __future__ import annotations

import re

import pytest
import rdflib
import rdflib.collection
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from rnetkg import mappings, paths
from rnetkg.fhir import codes

# the FHIR code systems of the SSSOM prefixes that codes.py uses
FHIR_SYSTEM = {"LOINC": codes.LOINC, "SCTID": codes.SNOMED}
SKOS_MATCH = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch)


@pytest.fixture(scope="module")
def mset():
    return mappings.read()


@pytest.fixture(scope="module")
def tbox():
    """The domain ontology with its application module (the measures' keys are in the module)."""
    g = rdflib.Graph()
    for f in paths.ontology_files():
        g.parse(f)
    return g


def test_issue27_sssom_metadata_block(mset):
    assert mset.metadata["mapping_set_id"] == "https://w3id.org/rnetkg/mappings/rnetkg.sssom.tsv"
    assert mset.metadata["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert {"rnet", "skos", "semapv", "LOINC", "SCTID", "ICD10CM", "ICDO3M", "MONDO", "OBI", "STATO"} <= set(mset.curie_map)
    assert mset.curie_map["OBI"] == "http://purl.obolibrary.org/obo/OBI_"
    assert mset.curie_map["STATO"] == "http://purl.obolibrary.org/obo/STATO_"
    assert mset.curie_map["rnet"] == "https://w3id.org/rnetkg/ontology#"


def test_issue27_every_mapping_is_curated_and_cites_its_source(mset):
    for row in mset.rows:
        assert row["mapping_justification"] == "semapv:ManualMappingCuration", row
        assert re.match(r"^https?://\S+$", row["see_also"]), row
        assert row["subject_id"].startswith("rnet:"), row


def test_issue27_subjects_are_ontology_terms_with_their_labels(mset, tbox):
    for row in mset.rows:
        term = rdflib.URIRef(mset.expand(row["subject_id"]))
        labels = {str(o) for o in tbox.objects(term, RDFS.label)}
        assert labels, f"{row['subject_id']} is not a term of ontology/rnet.ttl"
        assert row["subject_label"] in labels, (row["subject_id"], row["subject_label"], labels)


def test_issue27_required_concepts_are_mapped(mset):
    subjects = {row["subject_id"] for row in mset.rows}
    assert {"rnet:G1", "rnet:G2", "rnet:G3", "rnet:field_ki67_percent", "rnet:field_lymphovascular_invasion",
            "rnet:margin_negative", "rnet:margin_positive", "rnet:margin_indeterminate", "rnet:field_size_mm",
            "rnet:field_t_stage", "rnet:field_lymph_nodes", "rnet:field_distant_metastasis",
            "rnet:RectalNeuroendocrineTumour"} <= subjects
    disease = {row["object_id"] for row in mset.rows if row["subject_id"] == "rnet:RectalNeuroendocrineTumour"}
    assert {"ICDO3M:8240/3", "ICDO3M:8249/3", "ICD10CM:C7A.026"} <= disease
    procedures = {row["subject_id"] for row in mset.rows if row["object_id"].startswith("SCTID:")}
    assert {"rnet:EndoscopicMucosalResection", "rnet:EndoscopicSubmucosalDissection",
            "rnet:TransanalEndoscopicMicrosurgery", "rnet:AnteriorResection", "rnet:AbdominoperinealResection",
            "rnet:LocalExcision"} <= procedures


def test_issue27_sssom_reader_rejects_an_unknown_predicate(tmp_path):
    text = mappings.default_file().read_text(encoding="utf-8").replace("skos:exactMatch", "owl:sameAs", 1)
    bad = tmp_path / "bad.sssom.tsv"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=r"predicate_id 'owl:sameAs'; allowed: skos:broadMatch"):
        mappings.read(bad)


def test_issue27_sssom_reader_rejects_an_undeclared_prefix(tmp_path):
    text = mappings.default_file().read_text(encoding="utf-8").replace("LOINC:33728-7", "LNC:33728-7", 1)
    bad = tmp_path / "bad.sssom.tsv"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=r"'LNC:33728-7': prefix 'LNC' is not in the curie_map"):
        mappings.read(bad)


def _fhir_table() -> set[tuple[str, str, str]]:
    """(ontology term, FHIR system, code) for every standard code the FHIR table holds."""
    field_term = {name: f"rnet:field_{name}" for name in set(codes.FIELD_OF_CODE.values())}
    out = {(field_term[field], system, code) for (system, code), field in codes.FIELD_OF_CODE.items()
           if system in FHIR_SYSTEM.values()}
    kind_term = {"T": "rnet:field_t_stage", "N": "rnet:field_lymph_nodes", "M": "rnet:field_distant_metastasis"}
    out |= {(kind_term[kind], system, code) for (system, code), (kind, _) in codes.TNM_CODES.items()}
    out |= {("rnet:field_size_mm",) + codes.TUMOUR_SIZE, ("rnet:field_size_mm",) + codes.TUMOUR_SIZE_LONGEST}
    out |= {(f"rnet:{grade}", system, code) for (system, code), grade in codes.GRADE_VALUES.items()}
    out |= {(f"rnet:margin_{value}", system, code) for (system, code), value in codes.MARGIN_VALUES.items()}
    # the project's own local-excision code system is not a standard one: only SNOMED CT's code is mapped
    out |= {("rnet:LocalExcision", system, code) for system, code in codes.LOCAL_EXCISION_CODES
            if system in FHIR_SYSTEM.values()}
    return out


def test_issue27_fhir_code_table_equals_the_sssom_file(mset):
    table = _fhir_table()
    concepts = {term for term, _, _ in table}
    sssom = set()
    for row in mset.rows:
        prefix, _, local = row["object_id"].partition(":")
        if row["subject_id"] in concepts and prefix in FHIR_SYSTEM:
            sssom.add((row["subject_id"], FHIR_SYSTEM[prefix], local))
    assert table == sssom


def test_issue27_written_codes_are_exact_matches(mset):
    exact = {(row["subject_id"], row["object_id"]) for row in mset.rows if row["predicate_id"] == "skos:exactMatch"}
    for grade, (_, code, _) in codes.GRADE_WRITE.items():
        assert (f"rnet:{grade}", f"SCTID:{code}") in exact
    for value, (_, code, _) in codes.MARGIN_WRITE.items():
        assert (f"rnet:margin_{value}", f"SCTID:{code}") in exact


def _designs(tbox) -> dict[str, rdflib.URIRef]:
    """Every study design of the ontology that is in use (not deprecated), by its CURIE."""
    rnet = "https://w3id.org/rnetkg/ontology#"
    return {"rnet:" + str(d)[len(rnet):]: d for d in tbox.subjects(RDF.type, rdflib.URIRef(rnet + "StudyDesign"))
            if (d, OWL.deprecated, rdflib.Literal(True)) not in tbox}


DESIGN_VOCABULARIES = ("OBI:", "STATO:", "NCIT:")


def test_study_designs_have_a_checked_standard_code(mset, tbox):
    """Each design in use has at least one row whose object is a term of a study-design vocabulary (OBI,
    STATO or NCIt), and the ontology states the same mapping on the design."""
    designs = _designs(tbox)
    assert len(designs) >= 6
    coded = {row["subject_id"] for row in mset.rows if row["object_id"].startswith(DESIGN_VOCABULARIES)}
    uncoded = sorted(set(designs) - coded)
    assert uncoded == [], uncoded
    for row in mset.rows:
        if row["subject_id"] in designs:
            triple = (designs[row["subject_id"]], rdflib.URIRef(mset.expand(row["predicate_id"])),
                      rdflib.URIRef(mset.expand(row["object_id"])))
            assert triple in tbox, triple


def test_every_study_design_in_use_has_a_code(mset, tbox):
    """rnet:GuidelineStatement, no study design, is deprecated (a guideline's figure is reported in the
    guideline document): every design left in use is coded."""
    assert "rnet:GuidelineStatement" not in _designs(tbox)
    coded = {row["subject_id"] for row in mset.rows if row["object_id"].startswith(DESIGN_VOCABULARIES)}
    assert set(_designs(tbox)) - coded == set()


def test_the_design_check_finds_an_uncoded_design(mset, tbox):
    """The check above can fail: a design added without a row is reported."""
    extra = rdflib.Graph()
    extra += tbox
    rnet = "https://w3id.org/rnetkg/ontology#"
    extra.add((rdflib.URIRef(rnet + "CaseSeries"), RDF.type, rdflib.URIRef(rnet + "StudyDesign")))
    coded = {row["subject_id"] for row in mset.rows if row["object_id"].startswith(DESIGN_VOCABULARIES)}
    assert "rnet:CaseSeries" in set(_designs(extra)) - coded


def _ontology_mappings(tbox) -> set[tuple[str, str, str]]:
    return {(str(s), str(p), str(o)) for p in SKOS_MATCH for s, o in tbox.subject_objects(p)}


def _sssom_mappings(mset) -> set[tuple[str, str, str]]:
    return {(mset.expand(r["subject_id"]), mset.expand(r["predicate_id"]), mset.expand(r["object_id"]))
            for r in mset.rows}


def test_issue27_ontology_mapping_triples_with_a_checked_source_are_in_the_sssom_file(mset, tbox):
    ncit = "http://purl.obolibrary.org/obo/NCIT_"
    checked = {t for t in _ontology_mappings(tbox) if not t[2].startswith(ncit)}
    assert checked - _sssom_mappings(mset) == set()
    # 3 procedure and disease codes, 6 study designs, 9 measures, 5 properties of the figures
    assert len(checked) == 23


@pytest.mark.xfail(strict=True, reason="issue 27: the NCIt codes C135213, C5698 and C5547 in ontology/rnet.ttl "
                   "could not be confirmed against a citable source, so the SSSOM file leaves them out")
def test_issue27_every_ontology_mapping_triple_is_in_the_sssom_file(mset, tbox):
    assert _ontology_mappings(tbox) - _sssom_mappings(mset) == set()


# the words the two seeds write for their figures' measures (the closed list before it was coded)
MEASURE_WORDS = {
    "1-year disease-free survival", "1-year overall survival", "3-year disease-free survival", "3-year overall survival",
    "5-year relapse-free survival", "5-year survival", "AUC", "HR", "OR", "R0 rate", "bleeding", "complete resection",
    "en-bloc resection", "indication", "mean long-axis diameter", "median procedure time",
    "outcomes of endoscopic treatment", "perforation", "positive rate of basal and lateral tumour margin",
    "postoperative complications", "safety", "sensitivity", "specificity", "visualization of the submucosal plane"}
# the measures whose term STATO's release file holds (or the OBI term it imports)
MEASURES_CODED = {"OR": "STATO:0000182", "AUC": "STATO:0000209", "sensitivity": "STATO:0000233",
                  "specificity": "STATO:0000134", "1-year overall survival": "OBI:0000789",
                  "3-year overall survival": "OBI:0000789", "5-year survival": "OBI:0000789",
                  "R0 rate": "STATO:0000184", "mean long-axis diameter": "STATO:0000573"}


def _measures(tbox) -> dict[str, str]:
    """The measure individuals of the ontology: their rnet:key (the words an answer shows) by CURIE."""
    rnet = "https://w3id.org/rnetkg/ontology#"
    return {"rnet:" + str(m)[len(rnet):]: str(tbox.value(m, rdflib.URIRef(rnet + "key")))
            for m in tbox.subjects(RDF.type, rdflib.URIRef(rnet + "Measure"))}


def test_measures_are_a_closed_list_keyed_by_the_seeds_words(tbox):
    measures = _measures(tbox)
    assert sorted(measures.values()) == sorted(MEASURE_WORDS)
    enumerated = {str(m) for e in tbox.subjects(RDFS.subClassOf, rdflib.URIRef("https://w3id.org/rnetkg/ontology#Measure"))
                  for lst in tbox.objects(e, OWL.oneOf) for m in rdflib.collection.Collection(tbox, lst)}
    assert {mset_curie.replace("rnet:", "https://w3id.org/rnetkg/ontology#") for mset_curie in measures} == enumerated


def test_measures_coded_to_stato_where_its_file_has_the_term(mset, tbox):
    key = _measures(tbox)
    coded = {key[row["subject_id"]]: row["object_id"] for row in mset.rows if row["subject_id"] in key}
    assert coded == MEASURES_CODED
    odds = next(r for r in mset.rows if r["subject_id"] == "rnet:measure_odds_ratio")
    assert (odds["predicate_id"], odds["object_label"]) == ("skos:exactMatch", "odds ratio")
    assert "ISA-tools/stato" in odds["see_also"]


@pytest.mark.xfail(strict=True, reason="STATO's release file (ISA-tools/stato releases/latest_release/stato.owl) has no "
                   "hazard ratio, median, proportion or disease-free survival; those measures carry no code")
def test_every_statistical_measure_is_coded(mset, tbox):
    key = _measures(tbox)
    coded = {key[row["subject_id"]] for row in mset.rows if row["subject_id"] in key}
    assert {"HR", "median procedure time", "1-year disease-free survival"} <= coded
