"""Regression tests of issue 25 (hardening, second round), the items about FHIR input, bulk-export
folders and the CDS Hooks answers (9, 10, 11, 14, 15, 16, 17, 18, 21, 22, 23, 24, 25). Each test
asserts the actual profile, note, message or HTTP status, and that nothing is written where nothing
should be. At the end, Hypothesis properties (bounded and derandomised, as tests/test_properties.py):
any FHIR Bundle, any bytes, any bulk-export folder and any CDS Hooks request is answered, or refused
in one line (exit 2, HTTP 4xx), never with a traceback or an HTTP 500."""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from rnetkg import fhir
from rnetkg.fhir import codes as C
from rnetkg.serve import cds
from test_hardening import one_line_error, run
from test_properties import JSON_VALUES, NUMBERS, PROPERTY, TEXT, _clean_line, _main, assert_answer_or_one_line

from casefixtures import answering_words

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = ROOT / "examples" / "bundle-15mm-g1.json"
BULK = ROOT / "examples" / "bulk"
PROFILE = json.loads((ROOT / "examples" / "profile-15mm-g1.json").read_text())
L, S, U, A = C.LOINC, C.SNOMED, C.UCUM, C.AJCC


# -- builders -------------------------------------------------------------------------------------

def obs(oid, system, code, patient="p1", status="final", **value):
    return {"resourceType": "Observation", "id": oid, "status": status,
            "code": {"coding": [{"system": system, "code": code}]},
            "subject": {"reference": f"Patient/{patient}"}, **value}


def size(oid="size", value=15, unit="mm", patient="p1", status="final"):
    return obs(oid, L, "21889-1", patient, status, component=[
        {"code": {"coding": [{"system": L, "code": "33728-7"}]},
         "valueQuantity": {"value": value, "unit": unit, "system": U, "code": unit}}])


def procedure(pid, system, code, patient="p1", status="completed"):
    return {"resourceType": "Procedure", "id": pid, "status": status,
            "code": {"coding": [{"system": system, "code": code}]}, "subject": {"reference": f"Patient/{patient}"}}


def bundle(*resources):
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}


def read(*resources):
    return fhir.read_bundle(bundle(*resources))


def error(*resources) -> str:
    with pytest.raises(fhir.FhirError) as exc:
        read(*resources)
    return str(exc.value)


def write_json(tmp_path, name, data) -> Path:
    p = tmp_path / name
    p.write_text(json.dumps(data))
    return p


def ndjson(folder: Path, name: str, resources) -> None:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text("".join(json.dumps(r) + "\n" for r in resources))


# -- the CDS service, called as the app calls it ---------------------------------------------------

@pytest.fixture(scope="module")
def clinic():
    from rnetkg.serve.page import Clinic

    return Clinic.load()


def call(clinic, req) -> tuple[int, object]:
    """(HTTP status, cards or message) for one request body, as serve/app.py answers it."""
    body = req if isinstance(req, bytes) else json.dumps(req).encode()
    try:
        return 200, cds.respond(clinic, body, "http://127.0.0.1:7878/")["cards"]
    except cds.CdsError as e:
        return e.status, str(e)


def request(profile=None, patient="p1"):
    return cds.request_for_profile(profile or PROFILE, patient)


def observations(req):
    return [e["resource"] for e in req["prefetch"]["observations"]["entry"]]


# -- item 9: a size coded 33728-7 alone ------------------------------------------------------------

def test_issue25_cds_reads_a_size_coded_33728_7_only(clinic):
    req = request()
    for res in observations(req):
        if res["code"]["coding"][0]["code"] == "21889-1":
            comp = res.pop("component")[0]
            res["code"], res["valueQuantity"] = comp["code"], comp["valueQuantity"]
    status, cards = call(clinic, req)
    assert status == 200
    # issue 26: the info card's summary is the answer's summary line, shortened
    assert cards[0]["summary"].startswith(f"rNET (G1, T1b): {answering_words(PROFILE)}; ")


# -- item 10: only a local excision of the rectum counts as a resection ----------------------------

@pytest.mark.parametrize("code", ["80146002", "73761001"])   # appendectomy; colonoscopy
def test_issue25_a_procedure_that_is_not_a_local_excision_is_ignored(code):
    got = read(size(), procedure("other", S, code))
    assert got.profile["margin"] == "not_resected"
    assert ("Procedure other: not a local excision of the rectum (SNOMED CT 79764004): ignored"
            in got.assumptions)


def test_issue25_a_local_excision_without_margin_is_still_an_error():
    assert error(size(), procedure("tem", S, "79764004")).startswith(
        "Procedure tem: a local excision Procedure (the lesion was resected) needs a margin Observation")


def test_issue25_cds_answers_despite_an_appendectomy_from_1995(clinic):
    req = request()
    appx = dict(procedure("appx", S, "80146002"), performedDateTime="1995-03-01")
    req["prefetch"]["procedures"] = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": appx}]}
    status, cards = call(clinic, req)
    assert status == 200
    assert cards[0]["summary"].startswith(f"rNET (G1, T1b): {answering_words(PROFILE)}; ")
    assert "Procedure appx: not a local excision of the rectum" in cards[0]["detail"]


def test_issue25_discovery_prefetch_asks_only_for_local_excisions(clinic):
    prefetch = cds.discovery(clinic.model.guideline_keys, clinic.context)["services"][0]["prefetch"]
    assert prefetch["procedures"] == "Procedure?patient={{context.patientId}}&code=http://snomed.info/sct|79764004"


# -- item 11: only final, amended and corrected Observations are read ------------------------------

@pytest.mark.parametrize("status,why", [("preliminary", "is not final"), ("registered", "is not final"),
                                        ("unknown", "is not final"), ("bogus", "is not an R4 Observation status")])
def test_issue25_observation_not_final_is_skipped_with_a_note(status, why):
    ki = obs("ki", L, "29593-1", status=status, valueQuantity={"value": 50, "unit": "%", "system": U, "code": "%"})
    got = read(size(), ki)
    assert "ki67_percent" not in got.profile
    assert (f"Observation ki: status {status!r} {why} (only final, amended and corrected are read): skipped"
            in got.assumptions)


@pytest.mark.parametrize("status", ["amended", "corrected"])
def test_issue25_amended_and_corrected_observations_are_read(status):
    ki = obs("ki", L, "29593-1", status=status, valueQuantity={"value": 5, "unit": "%", "system": U, "code": "%"})
    assert read(size(), ki).profile["ki67_percent"] == 5


def test_issue25_a_preliminary_size_alone_is_no_size():
    assert error(size(status="preliminary")).startswith("patient Patient/p1: no tumour size")


def test_issue25_cds_a_preliminary_size_alone_gives_no_cards(clinic):
    req = request()
    for res in observations(req):
        res["status"] = "preliminary"
    assert call(clinic, req) == (200, [])


# -- item 14: the bulk path carries the notes ------------------------------------------------------

def test_issue25_bulk_cohort_prints_the_fhir_notes(capsys, tmp_path):
    out = tmp_path / "out.csv"
    code, stdout, err = run(capsys, "compare", "--cohort", BULK, "--out", out, "--quiet")
    assert code == 0
    assert "2 notes on reading the FHIR export (standard error)" in stdout
    notes = [line for line in err.splitlines() if line.startswith("rnetkg: note:")]
    assert notes == [
        "rnetkg: note: line 1: Patient/p1: no margin Observation and no local excision Procedure: margin not_resected",
        "rnetkg: note: line 13: Patient/p4: t_stage: pathologic pT2 (Observation.ndjson:15 Observation p4-pt) "
        "preferred over clinical cT3 (Observation.ndjson:14 Observation p4-ct)"]


def test_issue25_bulk_ki67_without_unit_note_reaches_stderr(capsys, tmp_path):
    folder = tmp_path / "export"
    ndjson(folder, "Observation.ndjson", [size(), obs("ki", L, "29593-1", valueQuantity={"value": 5})])
    code, _, err = run(capsys, "compare", "--cohort", folder, "--out", tmp_path / "o.csv", "--quiet")
    assert code == 0
    assert "rnetkg: note: line 1: Patient/p1: Observation.ndjson:2 Observation ki: Ki-67 index without a unit read as %" \
        in err.splitlines()


# -- item 15: pM0, coding against text, a Ki-67 fraction, the 0.8 mm warning on cards ---------------

def test_issue25_pm0_does_not_override_cm1():
    pm0 = obs("pm", L, "21901-4", valueCodeableConcept={"coding": [{"system": A, "code": "pM0"}]})
    cm1 = obs("cm", L, "21907-1", valueCodeableConcept={"coding": [{"system": A, "code": "cM1"}]})
    assert error(size(), pm0, cm1) == "Observation cm: distant_metastasis true conflicts with false from Observation pm"
    # alone, pM0 is read as cM0, and said so
    got = read(size(), pm0)
    assert got.profile["distant_metastasis"] is False
    assert "Observation pm: pM0 is not an AJCC category (M0 is clinical): read as cM0" in got.assumptions


def test_issue25_coding_and_text_that_disagree_are_an_error():
    t = obs("t", L, "21899-0", valueCodeableConcept={"coding": [{"system": A, "code": "pT1b"}], "text": "pT3"})
    assert error(size(), t) == ("Observation t: its T category is given as 'pT1b' and as 'pT3' (coding and text "
                                "disagree): give one")
    same = obs("t", L, "21899-0", valueCodeableConcept={"coding": [{"system": A, "code": "pT1b"}], "text": "pT1b"})
    assert read(size(), same).profile["t_stage"] == "T1b"


@pytest.mark.parametrize("field,system,code,concept,shown", [
    ("grade", L, "33732-9", {"coding": [{"system": S, "code": "54102005"}], "text": "G3"}, "'54102005' and as 'G3'"),
    ("margin", C.RNET, "margin", {"coding": [{"system": S, "code": "55182004"}], "text": "positive"},
     "'55182004' and as 'positive'"),
])
def test_issue25_coded_value_and_text_that_disagree_are_an_error(field, system, code, concept, shown):
    assert error(size(), obs("v", system, code, valueCodeableConcept=concept)) == (
        f"Observation v: its value is given as {shown} (they disagree): give one")
    agree = obs("v", system, code, valueCodeableConcept={**concept, "text": concept["text"].replace("G3", "G1")
                                                         .replace("positive", "negative")})
    assert read(size(), agree).profile[field] == {"grade": "G1", "margin": "negative"}[field]


def test_issue25_unitless_ki67_below_one_says_it_may_be_a_fraction():
    got = read(size(), obs("ki", L, "29593-1", valueQuantity={"value": 0.25}))
    assert got.profile["ki67_percent"] == 0.25
    assert ("Observation ki: Ki-67 index 0.25 without a unit read as 0.25 %; if it is a fraction of 1 (25 %), "
            "send it with the unit %") in got.assumptions


def test_issue25_cds_cards_carry_the_plausibility_warning(clinic):
    status, cards = call(clinic, request({"id": "x", "size_mm": 0.8, "margin": "not_resected"}))
    assert status == 200
    assert ("Check: size\\_mm 0.8 mm: a tumour under 1 mm looks like a size in centimetres \\(1.2 cm is 12 mm\\); "
            "answered for 0.8 mm as given.") in cards[0]["detail"]


# -- item 16: numbers beyond a double -------------------------------------------------------------

@pytest.mark.parametrize("old,new,field", [
    ('"value": 1.5, "unit": "%"', '"value": 1e400, "unit": "%"', "Ki-67 index"),
    ('"value": 1.5, "unit": "cm"', '"value": 1' + "0" * 400 + ', "unit": "cm"', "tumour size"),
])
def test_issue25_number_beyond_a_double_in_a_bundle_is_one_line(capsys, tmp_path, old, new, field):
    text = json.dumps(json.loads(BUNDLE.read_text()))
    assert old in text
    path = tmp_path / "b.json"
    path.write_text(text.replace(old, new, 1))
    code, out, err = run(capsys, "compare", path)
    one_line_error(code, out, err, f"Observation g1-", f"{field} value is ", "within the range of a double is needed")


def test_issue25_number_beyond_a_double_in_a_cds_request_is_400(clinic):
    body = json.dumps(request()).replace('"value": 1.5', '"value": 1e400', 1).encode()
    status, msg = call(clinic, body)
    assert status == 400
    assert msg.startswith("prefetch.observations.entry[") and "is a number beyond the range of a double" in msg
    huge = json.dumps(request()).replace('"value": 15', '"value": 1' + "0" * 400, 1).encode()
    assert call(clinic, huge)[0] == 400


# -- item 17: a byte that is not UTF-8 in NDJSON ---------------------------------------------------

def test_issue25_non_utf8_byte_in_ndjson_is_one_line_naming_file_and_line(capsys, tmp_path):
    folder = tmp_path / "export"
    shutil.copytree(BULK, folder)
    with open(folder / "Observation.ndjson", "ab") as f:
        f.write(b'{"resourceType": "Observation", "id": "caf\xe9"}\n')
    out = tmp_path / "out.csv"
    code, stdout, err = run(capsys, "compare", "--cohort", folder, "--out", out, "--quiet")
    assert code == 0
    assert "line 19: Observation.ndjson:19: not UTF-8 text (byte 43 of the line)" in err.splitlines()
    assert len(out.read_text().splitlines()) == 4   # the header and the three good patients


# -- item 18: devices, pipes, links to devices, bounded standard input -----------------------------

@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_issue25_compare_refuses_a_device(capsys, device):
    code, out, err = run(capsys, "compare", device)
    one_line_error(code, out, err, f"profile file '{device}' is not a regular file")


def test_issue25_compare_refuses_a_fifo_without_hanging(capsys, tmp_path):
    fifo = tmp_path / "p.json"
    os.mkfifo(fifo)
    code, out, err = run(capsys, "compare", fifo)
    one_line_error(code, out, err, "is not a regular file (a device or a pipe)")


def test_issue25_compare_reads_standard_input_with_a_bound(capsys, monkeypatch):
    from rnetkg.cli import common

    monkeypatch.setattr(common, "MAX_INPUT_BYTES", 1000)
    code, out, err = run(capsys, "compare", "-", stdin=b" " * 2000, monkeypatch=monkeypatch)
    one_line_error(code, out, err, "compare: profile file on standard input is larger than 1,000 bytes")


@pytest.mark.parametrize("make", ["link_to_zero", "fifo"])
def test_issue25_bulk_folder_refuses_a_device_or_a_fifo(capsys, tmp_path, make):
    folder = tmp_path / "export"
    folder.mkdir()
    target = folder / "Observation.ndjson"
    if make == "fifo":
        os.mkfifo(target)
    else:
        target.symlink_to("/dev/zero")
    out = tmp_path / "out.csv"
    code, stdout, err = run(capsys, "compare", "--cohort", folder, "--out", out, "--quiet")
    one_line_error(code, stdout, err, "Observation.ndjson: is not a regular file")
    assert not out.exists()


# -- item 21: an entered-in-error Observation of another patient -----------------------------------

def test_issue25_entered_in_error_of_another_patient_is_skipped():
    wrong = obs("w", L, "29593-1", patient="p2", status="entered-in-error",
                valueQuantity={"value": 50, "unit": "%", "system": U, "code": "%"})
    got = read(size(), wrong)
    assert got.patient == "Patient/p1" and "ki67_percent" not in got.profile
    # a final one of another patient still is one patient too many
    assert "one patient per bundle" in error(size(), dict(wrong, status="final"))


# -- item 22: bulk errors cite the patient's lines --------------------------------------------------

def test_issue25_bulk_patient_error_cites_its_lines_not_its_rank(capsys, tmp_path):
    folder = tmp_path / "export"
    good = [size("a", patient="a"), size("b", patient="b"), size("c", patient="c")]
    ki = obs("zki", L, "29593-1", patient="z", valueQuantity={"value": 5, "unit": "%", "system": U, "code": "%"})
    ndjson(folder, "Observation.ndjson", [ki, *good, obs("zlvi", L, "59544-7", patient="z", valueBoolean=True)])
    entries = fhir.read_bulk(folder)
    z = next(e for e in entries if e.patient == "Patient/z")
    assert str(z.result) == ("Patient/z (Observation.ndjson lines 1, 5): no tumour size: an Observation LOINC "
                             "21889-1 with component 33728-7 (mm or cm) is required")
    code, _, err = run(capsys, "compare", "--cohort", folder, "--out", tmp_path / "o.csv", "--quiet")
    assert code == 0
    assert err.splitlines()[0].startswith("line 1: Patient/z (Observation.ndjson lines 1, 5): no tumour size")


# -- item 23: a prefetch that mixes two patients ----------------------------------------------------

def test_issue25_cds_prefetch_mixing_two_patients_is_400(clinic):
    req = request()
    observations(req)[1]["subject"]["reference"] = "Patient/someone-else"
    status, msg = call(clinic, req)
    assert status == 400
    assert msg == ("prefetch.observations.entry[1] is about Patient/someone-else, not the context's patient "
                   "Patient/p1: a CDS Hooks prefetch holds one patient's resources")


def test_issue25_cds_prefetch_entered_in_error_of_another_patient_is_skipped(clinic):
    req = request()
    stray = copy.deepcopy(observations(req)[1])
    stray.update(id="stray", status="entered-in-error", subject={"reference": "Patient/someone-else"})
    req["prefetch"]["observations"]["entry"].append({"resource": stray})
    status, cards = call(clinic, req)
    assert status == 200 and cards[0]["summary"].startswith("rNET (G1, T1b)")


# -- item 24: no object reprs in messages -----------------------------------------------------------

@pytest.mark.parametrize("change,message", [
    ({"valueCodeableConcept": {"coding": [{"system": A, "code": "cT1", "bogus": 1}]}},
     'Observation t: not a valid FHIR R4 Observation: valueCodeableConcept.coding.0: Superfluous entry "bogus" '
     "in Coding"),
    ({"subject": [1]}, "Observation t: not a valid FHIR R4 Observation: subject: must be a JSON object"),
    ({"subject": [{"reference": "Patient/p1"}]}, "Observation t: not a valid FHIR R4 Observation: subject: Wrong "
                                                 'type list for property "subject", expecting FHIRReference'),
    ({"valueQuantity": "15 mm"}, "Observation t: not a valid FHIR R4 Observation: valueQuantity: must be a JSON "
                                 "object, got a string"),
])
def test_issue25_validation_message_names_no_python_object(change, message):
    msg = error(size(), {**obs("t", L, "21905-5"), **change})
    assert msg == message
    assert "object at 0x" not in msg and "<" not in msg


# -- item 25: FHIR XML -----------------------------------------------------------------------------

def test_issue25_fhir_xml_is_named(capsys, tmp_path):
    path = tmp_path / "bundle.xml"
    path.write_text('<?xml version="1.0"?>\n<Bundle xmlns="http://hl7.org/fhir"><type value="collection"/></Bundle>')
    code, out, err = run(capsys, "compare", path)
    line = one_line_error(code, out, err, "FHIR XML is not read; send FHIR JSON")
    assert "not valid JSON" not in line


def test_issue25_fhir_xml_in_ndjson_and_cds(clinic, tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "Observation.ndjson").write_text('<Observation xmlns="http://hl7.org/fhir"/>\n')
    (entry,) = fhir.read_bulk(folder)
    assert str(entry.result) == ("Observation.ndjson:1: FHIR XML is not read; send FHIR JSON (NDJSON: one "
                                 "resource per line)")
    status, msg = call(clinic, b'<Bundle xmlns="http://hl7.org/fhir"/>')
    assert (status, msg) == (400, "the request body is XML: FHIR XML is not read; send JSON (a CDS Hooks request)")


# -- properties: any Bundle, any bytes, any bulk folder, any CDS request -----------------------------

EXAMPLES = {"bundle_json": 150, "bundle_bytes": 100, "bulk": 50, "cds_json": 150, "cds_bytes": 60}
OBSERVATION_CODES = [(L, "21889-1"), (L, "33728-7"), (L, "21905-5"), (L, "21899-0"), (L, "21911-3"), (L, "21906-3"),
                     (L, "21900-6"), (L, "21907-1"), (L, "21901-4"), (L, "33732-9"), (L, "29593-1"), (L, "59544-7"),
                     (C.RNET, "mitotic-count"), (C.RNET, "invasion-depth"), (C.RNET, "margin"),
                     (C.RNET, "atypical-surface"), (L, "8302-2")]
STATUSES = st.sampled_from(C.OBSERVATION_STATUSES) | st.sampled_from(["final"] * 4) | TEXT
UNITS = st.sampled_from(["mm", "cm", "%", "/2mm2", "/mm2", "[in_i]"]) | TEXT
WORDS = st.sampled_from(["pT1b", "cT1a", "T2", "pT3", "TX", "pM0", "cM1", "M1a", "cN0", "pN1", "NX", "T0", "Tis",
                         "G1", "Grade 3", "low", "negative", "positive", "indeterminate", "submucosa", "present",
                         "absent"]) | TEXT
QUANTITIES = st.fixed_dictionaries({"value": NUMBERS}, optional={
    "unit": UNITS, "code": UNITS, "system": st.sampled_from([U, U, "http://example.org"]) | TEXT,
    "comparator": st.sampled_from(["<", ">="])})
VALUES = st.one_of(
    st.builds(lambda q: {"valueQuantity": q}, QUANTITIES),
    st.builds(lambda c, t: {"valueCodeableConcept": {"coding": [{"system": A, "code": c}], "text": t}}, WORDS, WORDS),
    st.builds(lambda t: {"valueString": t}, WORDS),
    st.builds(lambda b: {"valueBoolean": b}, st.booleans()),
    st.builds(lambda q: {"component": [{"code": {"coding": [{"system": L, "code": "33728-7"}]}, "valueQuantity": q}]},
              QUANTITIES),
    st.builds(lambda k, v: {k: v}, st.sampled_from(["valueQuantity", "valueCodeableConcept", "valueInteger",
                                                     "component", "subject", "code", "status", "id"]), JSON_VALUES),
)
PATIENTS = st.sampled_from(["p1", "p1", "p1", "p2"])


@st.composite
def resources(draw) -> dict:
    """An Observation of a code rnetkg reads (any status, any value, now and then any JSON in an element),
    a Procedure, or now and then any JSON value."""
    n = draw(st.integers(0, 19))
    if n == 0:
        return draw(JSON_VALUES)
    patient = draw(PATIENTS)
    if n == 1:
        code = draw(st.sampled_from(["79764004", "80146002"]))
        return {**procedure(f"pr{draw(st.integers(0, 3))}", S, code, patient),
                "status": draw(st.sampled_from(["completed", "not-done", "entered-in-error"]))}
    system, code = draw(st.sampled_from(OBSERVATION_CODES))
    return {**obs(f"o{draw(st.integers(0, 9))}", system, code, patient, draw(STATUSES)), **draw(VALUES)}


@st.composite
def bundles(draw):
    found = draw(st.lists(resources(), max_size=5))
    if draw(st.integers(0, 2)):
        found.insert(0, size(value=draw(st.sampled_from([0.8, 5, 15, 25]))))
    doc = bundle(*found)
    if draw(st.integers(0, 14)) == 0:
        doc["entry"] = draw(JSON_VALUES)
    return doc


BUNDLES = bundles()
BUNDLE_BYTES = (st.binary(max_size=200)
                | st.builds(lambda head, rest: head + rest, st.sampled_from([b"<", b"\xef\xbb\xbf<", b'{"resourceType"']),
                            st.binary(max_size=80))
                | st.builds(lambda d, cut: json.dumps(d).encode()[:cut], BUNDLES, st.integers(0, 400))
                | st.builds(lambda d: json.dumps(d).replace("15", "1e400", 1).encode(), BUNDLES))


@settings(PROPERTY, max_examples=EXAMPLES["bundle_json"])
@given(doc=BUNDLES)
def test_issue25_any_bundle_is_answered_or_refused_in_one_line(doc):
    code, out, err = _main(["compare", "-", "--format", "csv"], stdin=json.dumps(doc).encode())
    assert_answer_or_one_line(code, out, err)
    assert "object at 0x" not in err and "<class" not in err, err   # item 24


@settings(PROPERTY, max_examples=EXAMPLES["bundle_bytes"])
@given(data=BUNDLE_BYTES)
def test_issue25_any_bundle_bytes_are_answered_or_refused_in_one_line(data):
    assert_answer_or_one_line(*_main(["compare", "-", "--format", "csv"], stdin=data))


@st.composite
def bulk_lines(draw) -> bytes:
    lines = []
    for res in draw(st.lists(resources(), max_size=6)):
        lines.append(json.dumps(res).encode())
        if draw(st.integers(0, 9)) == 0:
            lines[-1] = draw(st.binary(max_size=40) | st.sampled_from([b"<Observation/>", b"\xff", b"{", b""]))
    if draw(st.booleans()):
        lines.insert(0, json.dumps(size(patient=draw(PATIENTS))).encode())
    return b"\n".join(lines)


@pytest.fixture(scope="module")
def bulk_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("bulk")


@settings(PROPERTY, max_examples=EXAMPLES["bulk"])
@given(observations=bulk_lines(), procedures=st.none() | bulk_lines())
def test_issue25_any_bulk_folder_exits_0_or_2_in_clean_lines(bulk_dir, observations, procedures):
    folder = bulk_dir / "export"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    (folder / "Observation.ndjson").write_bytes(observations)
    if procedures is not None:
        (folder / "Procedure.ndjson").write_bytes(procedures)
    out = bulk_dir / "out.csv"
    out.unlink(missing_ok=True)
    code, stdout, err = _main(["compare", "--cohort", str(folder), "--out", str(out), "--quiet"])
    event(f"exit {code}")
    assert code in (0, 2), f"exit {code}: {err[:500]}"
    lines = err.splitlines()
    assert all(_clean_line(x) for x in lines), err[:500]
    rows = [x for x in lines if x.startswith("line ")]
    notes = [x for x in lines if x.startswith("rnetkg: note: line ")]
    rest = lines[len(rows) + len(notes):]
    assert lines[:len(rows)] == rows and lines[len(rows):len(rows) + len(notes)] == notes, err[:500]
    if code == 0:
        assert rest == [] and stdout.strip() and out.exists()
    else:
        assert len(rest) == 1 and rest[0].startswith("rnetkg: "), err[:500]


# -- CDS: HTTP 4xx with one message, never a 500 ------------------------------------------------------

INDICATORS = {"info", "warning", "critical"}


def assert_cds_contract(status, answer) -> None:
    event(f"HTTP {status}")
    assert status in (200, 400, 412), (status, answer)
    if status == 200:
        for card in answer:
            assert len(card["summary"]) < 140 and card["indicator"] in INDICATORS, card
    else:
        assert isinstance(answer, str) and "\n" not in answer and _clean_line(answer), answer


@st.composite
def cds_requests(draw):
    req = request()
    if draw(st.booleans()):
        req["prefetch"]["observations"]["entry"] = [{"resource": r} for r in draw(st.lists(resources(), max_size=6))]
    if draw(st.integers(0, 3)) == 0:
        req["prefetch"]["procedures"] = {"resourceType": "Bundle",
                                         "entry": [{"resource": r} for r in draw(st.lists(resources(), max_size=3))]}
    if draw(st.integers(0, 5)) == 0:
        where = draw(st.sampled_from([("hook",), ("hookInstance",), ("context",), ("context", "patientId"),
                                      ("prefetch",), ("prefetch", "observations"), ("prefetch", "procedures")]))
        target = req
        for key in where[:-1]:
            target = target[key]
        if draw(st.booleans()):
            target[where[-1]] = draw(JSON_VALUES)
        else:
            target.pop(where[-1], None)
    return req


@settings(PROPERTY, max_examples=EXAMPLES["cds_json"])
@given(req=cds_requests() | JSON_VALUES)
def test_issue25_any_cds_request_is_answered_or_4xx_never_500(clinic, req):
    try:
        body = json.dumps(req).encode("utf-8")
    except UnicodeEncodeError:
        body = json.dumps(req, ensure_ascii=False).encode("utf-8", "surrogatepass")
    assert_cds_contract(*call(clinic, body))


@settings(PROPERTY, max_examples=EXAMPLES["cds_bytes"])
@given(data=st.binary(max_size=200)
       | st.builds(lambda r, cut: json.dumps(r).encode()[:cut], cds_requests(), st.integers(0, 600))
       | st.builds(lambda r: re.sub(r'"value": [0-9.]+', '"value": 1e400', json.dumps(r), count=1).encode(),
                   cds_requests()))
def test_issue25_any_cds_bytes_are_answered_or_4xx_never_500(clinic, data):
    assert_cds_contract(*call(clinic, data))
