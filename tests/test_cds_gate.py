"""Issue 26 item 3: the CDS service answers only for a patient with a rectal NET Condition in the
`conditions` prefetch, reads only the Observations about it, and returns no cards otherwise."""

from __future__ import annotations

import json

import pytest

from rnetkg.fhir import codes as C
from rnetkg.serve import cds

from casefixtures import answering_words

PROFILE = {"size_mm": 15, "grade": "G1", "margin": "not_resected"}


@pytest.fixture(scope="module")
def clinic():
    from rnetkg.serve.page import Clinic

    return Clinic.load()


def call(clinic, req):
    return cds.respond(clinic, json.dumps(req).encode(), "http://127.0.0.1:7878/")["cards"]


def conditions(req):
    return req["prefetch"]["conditions"]["entry"][0]["resource"]


def test_issue26_discovery_asks_for_the_conditions_prefetch(clinic):
    prefetch = cds.discovery(clinic.model.guideline_keys, clinic.context)["services"][0]["prefetch"]
    assert prefetch["conditions"] == "Condition?patient={{context.patientId}}"


def test_issue26_a_rectal_net_patient_gets_cards(clinic):
    cards = call(clinic, cds.request_for_profile(PROFILE, "p1"))
    assert cards[0]["summary"].startswith(f"rNET (G1): {answering_words(PROFILE)}; ")


def test_issue26_no_conditions_prefetch_is_412(clinic):
    req = cds.request_for_profile(PROFILE, "p1")
    del req["prefetch"]["conditions"]
    with pytest.raises(cds.CdsError) as e:
        call(clinic, req)
    assert e.value.status == 412 and "'conditions'" in str(e.value)


def test_issue26_a_breast_cancer_chart_with_a_tumour_size_gets_no_cards(clinic):
    req = cds.request_for_profile(PROFILE, "p1")
    cond = conditions(req)
    cond["code"] = {"coding": [{"system": C.ICD10CM, "code": "C50.911"}]}
    cond["extension"] = []
    assert call(clinic, req) == []
    req["prefetch"]["conditions"] = None
    assert call(clinic, req) == []


@pytest.mark.parametrize("verification,clinical,answers", [
    ("confirmed", "active", True), (None, None, True), ("refuted", "active", False),
    ("provisional", "active", False), ("confirmed", "resolved", False)])
def test_issue26_the_condition_counts_when_confirmed_or_unstated_and_active_or_unstated(clinic, verification,
                                                                                       clinical, answers):
    req = cds.request_for_profile(PROFILE, "p1")
    cond = conditions(req)
    for key, code, system in (("verificationStatus", verification, C.CONDITION_VERIFICATION),
                              ("clinicalStatus", clinical, C.CONDITION_CLINICAL)):
        if code is None:
            cond.pop(key)
        else:
            cond[key] = {"coding": [{"system": system, "code": code}]}
    assert bool(call(clinic, req)) is answers


def test_issue26_icd_o_3_morphology_with_topography_c20_counts(clinic):
    req = cds.request_for_profile(PROFILE, "p1")
    cond = conditions(req)
    cond["code"] = {"coding": [{"system": C.ICDO3, "code": "8249/3"}]}
    cond["extension"] = []
    assert call(clinic, req)
    cond["bodySite"] = [{"coding": [{"system": C.ICDO3, "code": "C18.7"}]}]   # sigmoid colon: not rectal
    assert call(clinic, req) == []


def test_issue26_only_observations_about_the_rectal_net_are_read(clinic):
    req = cds.request_for_profile({**PROFILE, "lymphovascular_invasion": True}, "p1")
    other = {"resourceType": "Condition", "id": "breast", "subject": {"reference": "Patient/p1"},
             "code": {"coding": [{"system": C.ICD10CM, "code": "C50.911"}]}}
    req["prefetch"]["conditions"]["entry"].append({"fullUrl": "Condition/breast", "resource": other})
    for e in req["prefetch"]["observations"]["entry"]:
        res = e["resource"]
        if res["code"]["coding"][0]["code"] == C.LVI_CODES[0][1]:
            res["focus"] = [{"reference": "Condition/breast"}]   # the breast tumour's LVI: not read
    cards = call(clinic, req)
    assert "lymphovascular_invasion=true" not in cards[0]["links"][0]["url"]
    # an Observation without focus is read (the size has none here)
    size = next(e["resource"] for e in req["prefetch"]["observations"]["entry"]
                if e["resource"]["code"]["coding"][0]["code"] == C.TUMOUR_SIZE[1])
    size.pop("focus")
    assert "size_mm=15" in call(clinic, req)[0]["links"][0]["url"]
