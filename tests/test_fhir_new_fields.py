"""Issue 22 (FHIR side) and issue 26 item 4: resection_procedure, liver_metastasis and metastases_resectable
in FHIR, LVI as LOINC 33761-8, the rectal NET Condition and the derived grade and T category of
`rnetkg fhir export`."""

from __future__ import annotations

import json

from rnetkg import fhir
from rnetkg.fhir import codes as C

BASE = {"id": "p", "size_mm": 25, "margin": "not_resected", "distant_metastasis": True}


def resources(bundle, kind):
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def secondary(site, verification="confirmed", clinical="active"):
    return {"resourceType": "Condition", "id": "met", "subject": {"reference": "Patient/p"},
            "clinicalStatus": {"coding": [{"system": C.CONDITION_CLINICAL, "code": clinical}]},
            "verificationStatus": {"coding": [{"system": C.CONDITION_VERIFICATION, "code": verification}]},
            "code": {"coding": [{"system": C.SNOMED, "code": "128462008"}]},
            "bodySite": [{"coding": [{"system": C.SNOMED, "code": site}]}]}


def size_obs():
    return {"resourceType": "Observation", "id": "s", "status": "final", "subject": {"reference": "Patient/p"},
            "code": {"coding": [{"system": C.LOINC, "code": "33728-7"}]},
            "valueQuantity": {"value": 25, "unit": "mm", "system": C.UCUM, "code": "mm"}}


def bundle_of(*res):
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in res]}


def test_issue22_new_fields_round_trip_through_fhir_export():
    for prof in ({**BASE, "liver_metastasis": True, "metastases_resectable": False},
                 {**BASE, "liver_metastasis": False, "metastases_resectable": True},
                 {"id": "q", "size_mm": 8, "margin": "negative", "resection_procedure": "esd"}):
        assert fhir.read_bundle(fhir.bundle_from_profile(prof)).profile == prof


def test_issue22_liver_metastasis_is_an_mcode_secondary_condition_with_a_liver_body_site():
    b = fhir.bundle_from_profile({**BASE, "liver_metastasis": True})
    (liver,) = [c for c in resources(b, "Condition") if c["meta"]["profile"] == [C.MCODE_SECONDARY]]
    assert liver["bodySite"][0]["coding"][0]["code"] == "10200004"
    assert liver["verificationStatus"]["coding"][0]["code"] == "confirmed"


def test_issue22_a_liver_metastasis_counts_only_when_confirmed_and_active():
    got = fhir.read_bundle(bundle_of(size_obs(), secondary("10200004")))
    assert got.profile["distant_metastasis"] is True and got.profile["liver_metastasis"] is True
    got = fhir.read_bundle(bundle_of(size_obs(), secondary("10200004", verification="provisional")))
    assert "liver_metastasis" not in got.profile and "distant_metastasis" not in got.profile
    assert "Condition met: a metastasis not both confirmed and active is not counted" in got.assumptions
    got = fhir.read_bundle(bundle_of(size_obs(), secondary("10200004", clinical="resolved")))
    assert "liver_metastasis" not in got.profile


def test_issue22_a_nodal_metastasis_never_sets_distant_metastasis():
    got = fhir.read_bundle(bundle_of(size_obs(), secondary("59441001")))
    assert "distant_metastasis" not in got.profile
    assert "Condition met: a nodal metastasis never sets distant_metastasis: ignored" in got.assumptions


def test_issue22_resectability_is_a_project_coded_observation():
    b = fhir.bundle_from_profile({**BASE, "metastases_resectable": True})
    (obs,) = [o for o in resources(b, "Observation") if o["code"]["coding"][0]["code"] == "metastases-resectable"]
    assert obs["code"]["coding"][0]["system"] == C.RNET and obs["valueBoolean"] is True


def test_issue22_resectable_without_distant_metastasis_is_refused_naming_the_observation():
    res = {"resourceType": "Observation", "id": "r", "status": "final", "subject": {"reference": "Patient/p"},
           "code": {"coding": [{"system": C.RNET, "code": "metastases-resectable"}]}, "valueBoolean": True}
    try:
        fhir.read_bundle(bundle_of(size_obs(), res))
    except fhir.FhirError as e:
        assert str(e).startswith("Observation r: metastases_resectable: is allowed only with distant_metastasis: true")
    else:
        raise AssertionError("accepted")


def test_issue22_resection_procedure_from_the_procedure_code_and_unknown_kind_is_unspecified():
    margin = {"resourceType": "Observation", "id": "m", "status": "final", "subject": {"reference": "Patient/p"},
              "code": {"coding": [{"system": C.RNET, "code": "margin"}]}, "valueCodeableConcept": {"text": "negative"}}
    proc = {"resourceType": "Procedure", "id": "x", "status": "completed", "subject": {"reference": "Patient/p"},
            "code": {"coding": [{"system": C.SNOMED, "code": "79764004"}, {"system": C.RNET_EXCISION, "code": "emr"}]}}
    assert fhir.read_bundle(bundle_of(size_obs(), margin, proc)).profile["resection_procedure"] == "emr"
    proc["code"]["coding"][1]["code"] = "laser"
    got = fhir.read_bundle(bundle_of(size_obs(), margin, proc))
    assert "resection_procedure" not in got.profile
    assert any(a.startswith("Procedure x: local excision code 'laser' is not one rnetkg knows") for a in got.assumptions)


def test_issue26_lvi_as_loinc_33761_8():
    res = {"resourceType": "Observation", "id": "l", "status": "final", "subject": {"reference": "Patient/p"},
           "code": {"coding": [{"system": C.LOINC, "code": "33761-8"}]}, "valueBoolean": True}
    assert fhir.read_bundle(bundle_of(size_obs(), res)).profile["lymphovascular_invasion"] is True


def test_issue26_export_writes_the_rectal_net_condition_and_the_derived_grade_and_t():
    b = fhir.bundle_from_profile({"id": "d", "size_mm": 12, "ki67_percent": 5, "invasion_depth": "submucosa",
                                  "margin": "not_resected"})
    primary = [c for c in resources(b, "Condition") if c["meta"]["profile"] == [C.MCODE_PRIMARY]]
    assert primary[0]["code"]["coding"][0]["code"] == "C7A.026"
    derived = [o for o in resources(b, "Observation") if o.get("method", {}).get("coding", [{}])[0].get("code")
               == "derived"]
    assert {o["valueCodeableConcept"]["text"] for o in derived} == {"G2", "T1b"}
    assert all(o["derivedFrom"] for o in derived)
    # read back: the derived ones are derived again, not read as stated
    assert fhir.read_bundle(b).profile == {"id": "d", "size_mm": 12, "ki67_percent": 5, "invasion_depth": "submucosa",
                                           "margin": "not_resected"}


def test_issue22_bulk_condition_ndjson_is_read(tmp_path):
    (tmp_path / "Observation.ndjson").write_text(json.dumps(size_obs()) + "\n")
    (tmp_path / "Condition.ndjson").write_text(json.dumps(secondary("10200004")) + "\n")
    (entry,) = fhir.read_bulk(tmp_path)
    assert entry.result.profile["liver_metastasis"] is True


def test_issue26_the_exported_bundle_with_its_conditions_validates_under_the_r4_models():
    from fhirclient.models.bundle import Bundle

    prof = {**BASE, "liver_metastasis": False, "metastases_resectable": True, "ki67_percent": 4,
            "invasion_depth": "submucosa"}
    parsed = Bundle(fhir.bundle_from_profile(prof))   # strict: raises on any invalid element
    kinds = sorted(e.resource.resource_type for e in parsed.entry)
    assert kinds.count("Condition") == 2 and kinds.count("Patient") == 1


def test_issue26_every_code_rnetkg_reads_or_writes_is_in_docs_fhir_md():
    from pathlib import Path

    doc = (Path(__file__).parent.parent / "docs" / "fhir.md").read_text()
    systems = {C.LOINC, C.SNOMED, C.ICD10CM, C.ICDO3, C.RNET, C.RNET_EXCISION}
    found = set()

    def walk(value):
        if isinstance(value, tuple) and len(value) >= 2 and value[0] in systems and isinstance(value[1], str):
            found.add(value[1])
        elif isinstance(value, (tuple, list, set, frozenset)):
            for v in value:
                walk(v)
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(k)
                walk(v)

    for name in dir(C):
        if name.isupper():
            walk(getattr(C, name))
    assert len(found) > 40
    missing = sorted(code for code in found if code not in doc)
    assert missing == []
