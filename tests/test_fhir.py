"""FHIR R4 in and out (issue 15, Build item 1): Bundle and bulk NDJSON -> profiles, profile -> Bundle."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rnetkg import fhir
from rnetkg.compare import compare_profiles
from rnetkg.fhir import codes as C
from rnetkg.profile import parse_profile

ROOT = Path(__file__).resolve().parents[1]
CASES = sorted((ROOT / "tests" / "fixtures" / "cases").glob("*.json"))
L, S, U, A = C.LOINC, C.SNOMED, C.UCUM, C.AJCC


# -- builders -------------------------------------------------------------------------------------

def obs(oid, system, code, patient="p1", **value):
    return {"resourceType": "Observation", "id": oid, "status": "final",
            "code": {"coding": [{"system": system, "code": code}]},
            "subject": {"reference": f"Patient/{patient}"}, **value}


def size(oid="size", value=15, unit="mm", system=U, patient="p1"):
    q = {"value": value, "unit": unit, "code": unit}
    if system:
        q["system"] = system
    return obs(oid, L, "21889-1", patient, component=[
        {"code": {"coding": [{"system": L, "code": "33728-7"}]}, "valueQuantity": q}])


def concept(system=None, code=None, text=None):
    out = {}
    if code:
        out["coding"] = [{"system": system, "code": code}]
    if text:
        out["text"] = text
    return out


def bundle(*resources):
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}


def read(*resources):
    return fhir.read_bundle(bundle(*resources))


def error(*resources) -> str:
    with pytest.raises(fhir.FhirError) as exc:
        read(*resources)
    msg = str(exc.value)
    assert "\n" not in msg and len(msg) <= 300
    return msg


# -- one Bundle -----------------------------------------------------------------------------------

def test_example_bundle_reads_as_the_example_profile():
    got = fhir.read_bundle(json.loads((ROOT / "examples" / "bundle-15mm-g1.json").read_text()))
    want = json.loads((ROOT / "examples" / "profile-15mm-g1.json").read_text())
    assert got.profile == want  # 1.5 cm read as 15 mm; every field of the example profile
    assert got.patient == "Patient/example-15mm-g1"
    assert got.assumptions == ("no margin Observation and no local excision Procedure: margin not_resected",)


@pytest.mark.parametrize("value,unit,mm", [(1.5, "cm", 15), (0.99, "cm", 9.9), (2.01, "cm", 20.1), (7, "mm", 7)])
def test_size_in_cm_is_converted_to_mm_exactly(value, unit, mm):
    assert read(size(value=value, unit=unit)).profile["size_mm"] == mm


def test_size_as_a_plain_33728_7_observation_is_read_too():
    o = obs("longest", L, "33728-7", valueQuantity={"value": 1.2, "unit": "cm", "system": U, "code": "cm"})
    assert read(o).profile["size_mm"] == 12


def test_pathologic_wins_over_clinical_and_the_choice_is_stated():
    got = read(size(value=25),
               obs("ct", L, "21905-5", valueCodeableConcept=concept(A, "cT3")),
               obs("pt", L, "21899-0", valueCodeableConcept=concept(A, "pT2")),
               obs("cn", L, "21906-3", valueCodeableConcept=concept(A, "cN1")),
               obs("pn", L, "21900-6", valueCodeableConcept=concept(A, "pN0")),
               obs("cm", L, "21907-1", valueCodeableConcept=concept(A, "cM1")),
               obs("om", L, "21913-9", valueCodeableConcept=concept(A, "M0")))
    assert got.profile["t_stage"] == "T2"
    assert got.profile["lymph_nodes"] == "N0"
    assert got.profile["distant_metastasis"] is True  # clinical cM1 wins over "other" M0
    assert "t_stage: pathologic pT2 (Observation pt) preferred over clinical cT3 (Observation ct)" in got.assumptions
    assert any(a.startswith("lymph_nodes: pathologic pN0") for a in got.assumptions)
    assert any(a.startswith("distant_metastasis: clinical cM1") for a in got.assumptions)


def test_values_given_as_text_only():
    got = read(size(),
               obs("t", L, "21899-0", valueCodeableConcept=concept(text="pT1b")),
               obs("n", L, "21906-3", valueString="N0"),
               obs("g", L, "33732-9", valueCodeableConcept=concept(text="G2")),
               obs("ki", L, "29593-1", valueQuantity={"value": 5, "unit": "%", "system": U, "code": "%"}),
               obs("lvi", S, "371512006", valueCodeableConcept=concept(text="present")),
               obs("d", C.RNET, "invasion-depth", valueCodeableConcept=concept(text="Submucosa")),
               obs("m", C.RNET, "margin", valueCodeableConcept=concept(text="indeterminate")),
               obs("a", C.RNET, "atypical-surface", valueBoolean=False))
    assert got.profile == {"id": "p1", "size_mm": 15, "grade": "G2", "ki67_percent": 5,
                           "invasion_depth": "submucosa", "t_stage": "T1b", "lymphovascular_invasion": True,
                           "lymph_nodes": "N0", "margin": "indeterminate", "atypical_surface": False}


def test_coded_values():
    got = read(size(value=0.8, unit="cm"),
               obs("g", L, "33732-9", valueCodeableConcept=concept(S, "1228848004")),
               obs("lvi", L, "59544-7", valueCodeableConcept=concept(S, "2667000")),
               obs("m", C.RNET, "margin", valueCodeableConcept=concept(S, "370109009")),
               obs("mit", C.RNET, "mitotic-count", valueQuantity={"value": 0.5, "unit": "/mm2", "system": U,
                                                                   "code": "/mm2"}),
               {"resourceType": "Procedure", "id": "emr", "status": "completed",
                "code": concept(*C.LOCAL_EXCISION[:2]), "subject": {"reference": "Patient/p1"}})
    assert got.profile == {"id": "p1", "size_mm": 8, "grade": "G1", "mitoses_per_2mm2": 1,
                           "lymphovascular_invasion": False, "margin": "positive"}
    assert "Observation mit: mitotic count /mm2 doubled to per 2 mm2" in got.assumptions


def test_stated_t_category_that_contradicts_the_size_names_its_observation():
    msg = error(size(value=15), obs("t", L, "21905-5", valueCodeableConcept=concept(A, "cT1a")))
    assert msg.startswith("Observation t: t_stage: stated T1a contradicts size 15 mm")


def test_missing_margin_and_no_procedure_is_not_resected_with_an_assumption():
    got = read(size())
    assert got.profile == {"id": "p1", "size_mm": 15, "margin": "not_resected"}
    assert got.assumptions == ("no margin Observation and no local excision Procedure: margin not_resected",)


def test_procedure_without_margin_is_an_error_naming_the_procedure():
    proc = {"resourceType": "Procedure", "id": "tem-1", "status": "completed",
            "code": concept(*C.LOCAL_EXCISION[:2]), "subject": {"reference": "Patient/p1"}}
    assert error(size(), proc) == ("Procedure tem-1: a local excision Procedure (the lesion was resected) needs a margin "
                                   f"Observation ({C.RNET}#margin): none found")
    # a Procedure that was not done does not count
    assert read(size(), dict(proc, status="not-done")).profile["margin"] == "not_resected"


@pytest.mark.parametrize("unit,system,message", [
    ("[in_i]", U, "Observation size: tumour size unit '[in_i]' is not mm or cm (UCUM)"),
    ("mm", "http://example.org/units", "is not UCUM"),
])
def test_bad_size_unit_is_an_error(unit, system, message):
    assert message in error(size(unit=unit, system=system))


def test_bad_ki67_unit_is_an_error():
    msg = error(size(), obs("ki", L, "29593-1", valueQuantity={"value": 2, "unit": "mg", "system": U, "code": "mg"}))
    assert msg == "Observation ki: Ki-67 index unit 'mg' is not % (UCUM)"


def test_conflicting_duplicates_are_an_error_naming_both():
    msg = error(size(), obs("pt1", L, "21899-0", valueCodeableConcept=concept(A, "pT1b")),
                obs("pt2", L, "21899-0", valueCodeableConcept=concept(A, "pT2")))
    assert msg == "Observation pt2: t_stage T2 conflicts with T1b from Observation pt1"
    msg = error(size(value=15), size("size2", value=1.6, unit="cm"))
    assert msg == "Observation size2: size_mm 16 conflicts with 15 from Observation size"


def test_agreeing_duplicates_are_fine():
    got = read(size(value=15), size("size2", value=1.5, unit="cm"),
               obs("ki1", L, "29593-1", valueQuantity={"value": 2, "unit": "%"}),
               obs("ki2", L, "29593-1", valueQuantity={"value": 2.0, "unit": "%"}))
    assert got.profile["size_mm"] == 15 and got.profile["ki67_percent"] == 2


@pytest.mark.parametrize("resources,message", [
    ((), "bundle: no tumour size"),
    ((size(), obs("t", L, "21905-5", valueCodeableConcept=concept(A, "pT2"))),
     "Observation t: value 'pT2' is not a clinical T category"),
    ((size(), obs("g", L, "33732-9", valueCodeableConcept=concept(S, "1155708003"))),
     "Observation g: a low/intermediate/high grade is not a WHO 2019 NET grade"),
    ((size(), obs("t", L, "21905-5", valueCodeableConcept=concept(A, "cT0"))),
     "Observation t: T category 'cT0' is not one rnetkg reads"),
    ((size(), obs("ki", L, "29593-1", valueQuantity={"value": "abc", "unit": "%"})),
     "Observation ki: not a valid FHIR R4 Observation: valueQuantity.value: Wrong type str"),
    ((size(), obs("ki", L, "29593-1", valueQuantity={"value": 120, "unit": "%"})),
     "Observation ki: ki67_percent: must be 0-100, got 120"),
    ((size(), obs("d", C.RNET, "invasion-depth", valueCodeableConcept=concept(text="deep"))),
     "Observation d: depth of invasion must be one of mucosa, submucosa"),
    ((size(), size("other", patient="p2")),
     "Observation other: refers to Patient/p2 but the input also holds Patient/p1"),
    ((size(), obs("m", C.RNET, "margin", valueCodeableConcept=concept(text="R0"))),
     "Observation m: margin must be negative, positive or indeterminate"),
])
def test_bad_bundles_give_one_line_naming_the_observation(resources, message):
    assert error(*resources).startswith(message)


def test_not_a_bundle_is_an_error():
    with pytest.raises(fhir.FhirError, match="expected a FHIR R4 Bundle"):
        fhir.read_bundle({"resourceType": "Observation"})
    assert fhir.is_fhir({"resourceType": "Bundle"}) and not fhir.is_fhir({"size_mm": 15, "margin": "negative"})


def test_tx_and_data_absent_leave_the_field_unknown_with_an_assumption():
    got = read(size(), obs("t", L, "21905-5", valueCodeableConcept=concept(A, "cTX")),
               obs("ki", L, "29593-1", dataAbsentReason=concept(text="not performed")))
    assert "t_stage" not in got.profile and "ki67_percent" not in got.profile
    assert "Observation t: TX (cannot be assessed); the field stays unknown" in got.assumptions
    assert "Observation ki: no value (not performed); the field stays unknown" in got.assumptions


def test_profile_id_comes_from_the_patient():
    patient = {"resourceType": "Patient", "id": "p1", "identifier": [{"system": C.PROFILE_ID_SYSTEM,
                                                                      "value": "case 7/a"}]}
    assert read(patient, size()).profile["id"] == "case 7/a"
    assert read(size()).profile["id"] == "p1"


# -- round trip on every case fixture --------------------------------------------------------------

EXTRA = [
    {"id": "extra-grade-t-surface", "size_mm": 12, "grade": "G2", "ki67_percent": 4, "t_stage": "T1b",
     "atypical_surface": True, "margin": "positive", "distant_metastasis": True},
    {"id": "extra-t1-only", "size_mm": 8.5, "t_stage": "T1", "lymph_nodes": "N1", "margin": "not_resected"},
]


def _profiles():
    return [json.loads(p.read_text())["profile"] for p in CASES] + EXTRA


def _check_with_library(b):
    """Every resource we write is valid for the FHIR R4 models (strict)."""
    from fhirclient.models import bundle as fbundle

    assert fbundle.Bundle(copy.deepcopy(b)).as_json()["type"] == "collection"


@pytest.mark.parametrize("profile", _profiles(), ids=lambda p: p["id"])
def test_round_trip_gives_the_same_profile(profile):
    b = fhir.bundle_from_profile(profile)
    _check_with_library(b)
    back = fhir.read_bundle(json.loads(json.dumps(b)))
    assert parse_profile(back.profile) == parse_profile(profile)
    assert {k: v for k, v in back.profile.items()} == {k: v for k, v in profile.items()}


def test_round_trip_gives_the_same_answers(store_engine):
    profiles = _profiles()
    before = compare_profiles([parse_profile(p) for p in profiles], store_engine)
    after = compare_profiles([parse_profile(fhir.profile_from_bundle(fhir.bundle_from_profile(p)))
                              for p in profiles], store_engine)
    assert len(before) == len(CASES) + len(EXTRA)
    for a, b in zip(before, after):
        assert a["profile"] == b["profile"]
        assert [(g["guideline"], g["status"], g["modalities"]) for g in a["guidelines"]] == \
               [(g["guideline"], g["status"], g["modalities"]) for g in b["guidelines"]]
        assert a["disagreements"] == b["disagreements"]


# -- bulk export ------------------------------------------------------------------------------------

def test_example_bulk_export_one_bad_patient_the_others_go_on():
    out = fhir.read_bulk(ROOT / "examples" / "bulk")
    assert [e.patient for e in out] == ["Patient/p1", "Patient/p2", "Patient/p3", "Patient/p4"]
    ok = {e.patient: e.result.profile for e in out if isinstance(e.result, fhir.FhirProfile)}
    assert ok["Patient/p1"] == dict(json.loads((ROOT / "examples" / "profile-15mm-g1.json").read_text()),
                                    id="bulk-15mm-g1")
    assert ok["Patient/p2"] == {"id": "bulk-5mm-resected-negative", "size_mm": 5, "ki67_percent": 1,
                                "margin": "negative"}
    assert ok["Patient/p4"]["t_stage"] == "T2" and ok["Patient/p4"]["margin"] == "positive"
    bad = out[2]
    assert isinstance(bad.result, fhir.FhirError) and bad.line == 11
    assert str(bad.result) == ("Observation.ndjson:11 Observation p3-size: tumour size unit '[in_i]' "
                               "is not mm or cm (UCUM)")


def test_malformed_lines_are_error_entries_with_their_line_number(tmp_path):
    src = ROOT / "examples" / "bulk"
    for f in src.glob("*.ndjson"):
        (tmp_path / f.name).write_text(f.read_text())
    with (tmp_path / "Observation.ndjson").open("a") as fh:
        fh.write('{"resourceType": "Observation", "id": "broken"\n')
        fh.write(json.dumps(obs("orphan", L, "29593-1", valueQuantity={"value": 1, "unit": "%"}) | {"subject": {}})
                 + "\n")
    out = fhir.read_bulk(tmp_path)
    assert [e.patient for e in out] == ["Patient/p1", "Patient/p2", "Patient/p3", "Patient/p4", None, None]
    assert [e.line for e in out[4:]] == [19, 20]
    assert str(out[4].result).startswith("Observation.ndjson:19: not valid JSON")
    assert str(out[5].result) == "Observation.ndjson:20: Observation has no subject reference to a Patient"
    assert sum(isinstance(e.result, fhir.FhirProfile) for e in out) == 3


def test_bulk_folder_errors(tmp_path):
    with pytest.raises(fhir.FhirError, match="has no .ndjson file"):
        fhir.read_bulk(tmp_path)
    with pytest.raises(fhir.FhirError, match="is not a folder"):
        fhir.read_bulk(tmp_path / "missing")


def write_bulk(folder: Path, profiles) -> None:
    files = {k: (folder / f"{k}.ndjson").open("w") for k in ("Patient", "Observation", "Procedure", "Condition")}
    for prof in profiles:
        b = fhir.bundle_from_profile(prof)
        pid = b["entry"][0]["resource"]["id"]
        for e in b["entry"]:
            r = e["resource"]
            if "subject" in r:
                r["subject"] = {"reference": f"Patient/{pid}"}
            files[r["resourceType"]].write(json.dumps(r) + "\n")
    for fh in files.values():
        fh.close()


def test_bulk_round_trip_of_every_case_fixture(tmp_path):
    profiles = _profiles()
    write_bulk(tmp_path, profiles)
    out = fhir.read_bulk(tmp_path)
    got = {e.result.profile["id"]: e.result.profile for e in out}
    assert got == {p["id"]: p for p in profiles}
    assert [e.patient for e in out] == sorted(e.patient for e in out)


@pytest.mark.slow
def test_bulk_10k_patients_in_bounded_time(tmp_path):
    base = _profiles()
    profiles = [dict(base[i % len(base)], id=f"gen-{i:05d}") for i in range(10_000)]
    write_bulk(tmp_path, profiles)
    start = time.perf_counter()
    out = fhir.read_bulk(tmp_path)
    seconds = time.perf_counter() - start
    assert len(out) == 10_000 and all(isinstance(e.result, fhir.FhirProfile) for e in out)
    assert seconds < 60, f"read_bulk took {seconds:.1f} s for 10k patients"


# -- cold start ---------------------------------------------------------------------------------------

def test_fhir_library_is_imported_only_when_fhir_is_read():
    code = ("import sys, json, rnetkg.fhir as f; assert 'fhirclient' not in sys.modules; "
            "f.bundle_from_profile({'size_mm': 5, 'margin': 'negative'}); assert 'fhirclient' not in sys.modules; "
            "f.read_bundle(json.load(open('examples/bundle-15mm-g1.json'))); assert 'fhirclient' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
