"""Issue 15 items 2 and 3: the clinician page at `/` and the CDS Hooks 2.0 service of `rnetkg serve`,
tested with a real HTTP client (httpx) against a running server on 127.0.0.1.

The page and the cards answer from the criteria model; on every case fixture their statuses and
modalities equal the SPARQL path's (rnetkg.compare.compare). CDS Hooks responses are validated
against JSON Schemas written from the CDS Hooks 2.0 specification (tests/fixtures/cds-hooks/).
"""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

import httpx
import jsonschema
import pytest

from htmlpage import assert_self_contained, parse
from rnetkg import serve
from rnetkg.compare import compare
from rnetkg.engine import StoreEngine
from rnetkg.fields import FIELDS
from rnetkg.profile import parse_profile
from rnetkg.serve import cds
from conftest import free_port

pytestmark = pytest.mark.server

HERE = Path(__file__).resolve().parent
CASES = sorted((HERE / "fixtures" / "cases").glob("*.json"))
SCHEMAS = HERE / "fixtures" / "cds-hooks"
SERVICE = "/cds-services/rnet-guideline-comparison"

if serve.find_oxigraph() is None:
    pytest.skip("the oxigraph server binary is not installed (pip install oxigraph)", allow_module_level=True)


def validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMAS / name).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


DISCOVERY, RESPONSE = validator("discovery.schema.json"), validator("response.schema.json")


@pytest.fixture(scope="module")
def server(request):
    handle = serve.start_server(f"127.0.0.1:{free_port()}")
    request.addfinalizer(handle.stop)
    return handle


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, trust_env=False, timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def engine():
    return StoreEngine()


def server_model():
    from rnetkg.criteria.load import model_for

    return model_for(StoreEngine())


def case(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def form_items(profile: dict) -> list[tuple[str, str]]:
    return [(k, ("true" if v else "false") if isinstance(v, bool) else str(v)) for k, v in profile.items()]


def page_answers(text: str) -> dict[str, tuple[str, list[str]]]:
    return {s.attrs["data-guideline"]: (s.attrs["data-status"], s.attrs["data-modalities"].split())
            for s in parse(text).find_all("section", data_guideline=True)}


def sparql_answers(profile: dict, engine) -> tuple[dict, list]:
    a = compare(parse_profile(profile), engine)
    return ({g["guideline"]: (g["status"], g["modalities"]) for g in a["guidelines"]},
            sorted(tuple(d["guidelines"]) for d in a["disagreements"] if d["kind"] == "conflict"))


def one_line(text: str) -> str:
    assert text.endswith("\n") and text.count("\n") == 1 and len(text) <= 301, text
    return text


# ---------------------------------------------------------------- the page

def test_the_empty_form_has_every_field_of_the_field_table(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert_self_contained(r.text)
    doc = parse(r.text)
    form = doc.find("form", id="case-form")
    assert form.attrs["method"] == "get"  # issue 23: every answer has a link
    for f in FIELDS.values():
        box = form.find("div", data_field=f.name)
        label = box.find("label").text
        if f.unit:
            assert f"({f.unit})" in label, label
        control = box.find("select" if f.kind in ("enum", "boolean") else "input", name=f.name)
        if f.kind == "enum":
            values = [o.attrs["value"] for o in control.find_all("option")]
            assert values == [""] + list(f.values)  # issue 23: a required choice has no preset
            assert not any("selected" in o.attrs for o in control.find_all("option"))
        elif f.kind == "boolean":
            assert [(o.attrs["value"], o.text) for o in control.find_all("option")] == \
                [("", "unknown"), ("true", "yes"), ("false", "no")]
    assert doc.find("a", href="/sparql")
    assert not doc.find_all("article")  # no answer yet


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_page_answers_equal_the_sparql_answers(path, client, engine):
    data = case(path)
    r = client.get("/", params=form_items(data["profile"]))
    assert r.status_code == 200
    want, _ = sparql_answers(data["profile"], engine)
    assert page_answers(r.text) == want
    assert {k: (v["status"], v["modalities"]) for k, v in data["expect"].items()} == \
        {k: want[k] for k in data["expect"]}


def test_post_gives_the_same_page_as_get(client):
    profile = case(HERE / "fixtures" / "cases" / "initial-15mm-lvi.json")["profile"]
    got = client.get("/", params=form_items(profile))
    posted = client.post("/", data=dict(form_items(profile)))
    assert posted.status_code == 200 and page_answers(posted.text) == page_answers(got.text)
    assert 'data-rec="' in posted.text and "<blockquote" in posted.text


@pytest.mark.parametrize("params, field, message", [
    ({"size_mm": "abc", "margin": "not_resected"}, "size_mm", "size_mm: must be a number (> 0), got 'abc'"),
    ({"size_mm": "-4", "margin": "not_resected"}, "size_mm", "size_mm: must be > 0, got -4"),
    ({"size_mm": "nan", "margin": "not_resected"}, "size_mm", "size_mm: must be a number"),
    ({"size_mm": "12", "margin": "not_resected", "ki67_percent": "150"}, "ki67_percent", "ki67_percent: must be 0-100"),
    ({"size_mm": "12", "margin": "clear"}, "margin", "margin: must be one of not_resected, negative"),
    ({"size_mm": "12", "margin": "not_resected", "lymphovascular_invasion": "maybe"}, "lymphovascular_invasion",
     "lymphovascular_invasion: must be true or false"),
    ({"size_mm": "12", "margin": "not_resected", "grade": "G1", "ki67_percent": "5"}, "grade",
     "grade: stated G1 contradicts Ki-67 index 5"),
    ({"margin": "not_resected"}, "size_mm", "size_mm: is required"),
])
def test_bad_input_reshows_the_form_with_the_fields_error(client, params, field, message):
    r = client.get("/", params=params)
    assert r.status_code == 400
    doc = parse(r.text)
    box = doc.find("div", data_field=field)
    assert "invalid" in box.attrs["class"] and message in box.find("span", **{"class": "error"}).text
    control = box.find(None, name=field)
    assert control.attrs.get("aria-invalid") == "true" and f"e-{field}" in control.attrs["aria-describedby"]
    assert message in doc.find("div", id="errors").text
    for k, v in params.items():  # what was typed is shown again
        ctl = doc.find(None, name=k)
        shown = ctl.attrs.get("value") if ctl.tag == "input" else \
            next((o.attrs["value"] for o in ctl.find_all("option") if "selected" in o.attrs), None)
        assert shown == v or (ctl.tag == "select" and v not in [o.attrs["value"] for o in ctl.find_all("option")])
    assert not doc.find_all("article")


def test_unknown_field_and_repeated_field(client):
    r = client.get("/?size_mm=5&margin=negative&colour=red")
    assert r.status_code == 400 and "colour: unknown field; allowed fields: id, size_mm" in r.text
    r = client.get("/?size_mm=5&size_mm=6&margin=negative")
    assert r.status_code == 400 and "size_mm: given more than once" in r.text


def test_user_text_on_the_page_is_escaped(client):
    r = client.get("/", params={"id": "<script>alert(1)</script>", "size_mm": "5<b>", "margin": "negative"})
    assert r.status_code == 400 and "<script>alert" not in r.text and "5<b>" not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text and "&#39;5&lt;b&gt;&#39;" in r.text
    r = client.get("/", params={"id": "<i>x</i>", "size_mm": "5", "margin": "negative"})
    assert r.status_code == 200 and "<i>x</i>" not in r.text and "&lt;i&gt;x&lt;/i&gt;" in r.text


def test_the_form_post_must_be_form_encoded(client):
    r = client.post("/", content=b'{"size_mm": 5}', headers={"Content-Type": "application/json"})
    assert r.status_code == 415 and one_line(r.text)


# ---------------------------------------------------------------- CDS Hooks

def test_discovery(client):
    r = client.get("/cds-services")
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "*"
    doc = r.json()
    DISCOVERY.validate(doc)
    (service,) = doc["services"]
    assert (service["id"], service["hook"]) == ("rnet-guideline-comparison", "patient-view")
    assert service["prefetch"] == {"observations": "Observation?patient={{context.patientId}}",
                                   "procedures": "Procedure?patient={{context.patientId}}&code=http://snomed.info/sct|79764004",
                                   "conditions": "Condition?patient={{context.patientId}}"}
    keys = server_model().guideline_keys
    assert f"({', '.join(keys)})" in service["description"] and "2 review articles" in service["description"]


def test_the_schemas_reject_what_the_spec_forbids():
    card = {"summary": "x", "indicator": "info", "source": {"label": "rnetkg"}}
    RESPONSE.validate({"cards": [card]})
    for bad in ({"cards": [{**card, "summary": "x" * 141}]}, {"cards": [{**card, "indicator": "danger"}]},
                {"cards": [{k: v for k, v in card.items() if k != "source"}]}, {"cards": [{**card, "source": {}}]},
                {"cards": [{**card, "links": [{"label": "a", "url": "http://x/"}]}]},
                {"cards": [{**card, "suggestions": [{"label": "a"}]}]}, {}):
        assert not RESPONSE.is_valid(bad), bad
    assert not DISCOVERY.is_valid({"services": [{"hook": "patient-view", "id": "x"}]})


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_cards_for_every_case_fixture(path, client, engine):
    data = case(path)
    req = cds.request_for_profile({k: v for k, v in data["profile"].items() if k != "id"}, "pat-1")
    r = client.post(SERVICE, json=req)
    assert r.status_code == 200, r.text
    doc = r.json()
    RESPONSE.validate(doc)
    want, conflicts = sparql_answers(data["profile"], engine)
    info, *rest = doc["cards"]
    assert info["indicator"] == "info" and len(info["summary"]) < 140
    answering = sum(s in ("covered", "ambiguous") for s, _ in want.values())
    # issue 26: the summary is the answer's summary line (its split), shortened
    assert f"{answering} of {len(want)} guidelines answer" in info["summary"]
    for key, (status, _) in want.items():
        assert f"**{key}** ({status})" in info["detail"]
    warnings = [c for c in rest if c["indicator"] == "warning"]
    assert len(warnings) == (1 if conflicts else 0)
    if conflicts:
        for a, b in conflicts:
            assert f"**{a}**" in warnings[0]["detail"] and f"**{b}**" in warnings[0]["detail"]
        assert f"{conflicts[0][0]} vs {conflicts[0][1]}" in warnings[0]["summary"]
    # the source url is the page that explains the answer: the same statuses, no patient id in it
    url = info["source"]["url"]
    assert url.startswith(client.base_url.scheme + "://") and "pat-1" not in url
    page = client.get(url)
    assert page.status_code == 200 and page_answers(page.text) == want
    assert info["links"][0]["url"] == url and info["links"][0]["type"] == "absolute"


def test_412_without_the_prefetch_it_needs(client):
    req = cds.request_for_profile({"size_mm": 15, "margin": "not_resected"}, "p2")
    for missing in ("observations", "procedures"):
        bad = json.loads(json.dumps(req))
        del bad["prefetch"][missing]
        r = client.post(SERVICE, json=bad)
        assert r.status_code == 412 and f"the prefetch '{missing}'" in one_line(r.text)
    r = client.post(SERVICE, json={k: v for k, v in req.items() if k != "prefetch"})
    assert r.status_code == 412 and "Observation?patient=p2" in r.text


def _with(req: dict, path: str, value) -> dict:
    out = json.loads(json.dumps(req))
    *parents, last = path.split(".")
    node = out
    for p in parents:
        node = node[p]
    if value is KeyError:
        del node[last]
    else:
        node[last] = value
    return out


REQ = cds.request_for_profile({"size_mm": 15, "margin": "not_resected"}, "p3")


@pytest.mark.parametrize("body, message", [
    (b"{not json", "the request body is not JSON"),
    (b"[]", "the request body must be a JSON object"),
    (json.dumps(_with(REQ, "hook", "order-sign")).encode(), "hook must be 'patient-view'"),
    (json.dumps(_with(REQ, "hook", KeyError)).encode(), "hook is required"),
    (json.dumps(_with(REQ, "hookInstance", "abc")).encode(), "hookInstance must be a UUID"),
    (json.dumps(_with(REQ, "context", KeyError)).encode(), "context is required"),
    (json.dumps(_with(REQ, "context.patientId", KeyError)).encode(), "context.patientId is required"),
    (json.dumps(_with(REQ, "context.userId", 7)).encode(), "context.userId must be a non-empty string"),
    (json.dumps(_with(REQ, "prefetch", [])).encode(), "prefetch must be a JSON object"),
    (json.dumps(_with(REQ, "prefetch.observations", {"resourceType": "Patient"})).encode(),
     "prefetch.observations must be a FHIR Bundle"),
    (json.dumps(_with(REQ, "context.patientId", "someone-else")).encode(),
     "prefetch.observations.entry[0] is about Patient/p3, not the context's patient Patient/someone-else"),
])
def test_request_validation_is_a_clear_400(client, body, message):
    r = client.post(SERVICE, content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and message in one_line(r.text)


def test_other_refusals(client):
    assert client.post("/cds-services/nope", json=REQ).status_code == 404
    r = client.post(SERVICE, content=json.dumps(REQ), headers={"Content-Type": "text/plain"})
    assert r.status_code == 415 and one_line(r.text)
    r = client.options(SERVICE, headers={"Origin": "https://ehr.example", "Access-Control-Request-Method": "POST"})
    assert r.status_code == 204 and "POST" in r.headers["access-control-allow-methods"]


def test_a_patient_without_a_tumour_size_gets_no_cards(client):
    req = _with(REQ, "prefetch.observations", {"resourceType": "Bundle", "type": "searchset", "entry": []})
    r = client.post(SERVICE, json=req)
    assert r.status_code == 200 and r.json() == {"cards": []}
    r = client.post(SERVICE, json=_with(REQ, "prefetch.observations", None))
    assert r.status_code == 200 and r.json() == {"cards": []}


def test_data_that_cannot_make_a_profile_gets_an_info_card_saying_why(client):
    req = cds.request_for_profile({"size_mm": 15, "margin": "not_resected", "ki67_percent": 5}, "p4")
    grade = next(e["resource"] for e in cds.request_for_profile(
        {"size_mm": 15, "margin": "not_resected", "grade": "G1"}, "p4")["prefetch"]["observations"]["entry"]
        if e["resource"]["code"]["coding"][0]["code"] == "33732-9")
    req["prefetch"]["observations"]["entry"].append({"fullUrl": "Observation/g", "resource": grade})
    r = client.post(SERVICE, json=req)
    assert r.status_code == 200
    doc = r.json()
    RESPONSE.validate(doc)
    (card,) = doc["cards"]
    assert card["indicator"] == "info" and card["summary"].startswith("rNET guideline comparison not possible: ")
    assert "contradicts Ki-67 index 5" in card["detail"]


def test_a_margin_procedure_and_the_decision_point(client, engine):
    profile = {"size_mm": 5, "margin": "positive", "ki67_percent": 1, "invasion_depth": "submucosa"}
    req = cds.request_for_profile(profile, "p5")
    assert req["prefetch"]["procedures"] is not None
    doc = client.post(SERVICE, json=req).json()
    assert "Decision point: after local resection." in doc["cards"][0]["detail"]
    url = urllib.parse.urlsplit(doc["cards"][0]["source"]["url"])
    assert dict(urllib.parse.parse_qsl(url.query))["margin"] == "positive"
