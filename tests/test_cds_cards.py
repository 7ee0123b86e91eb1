"""The cards of the CDS Hooks service from an answer dict, without a server: the reading-dependent
guidelines are named when the answer has them (a hand-made answer: the explanation fields of
DESIGN.md), summaries stay under 140 characters, Markdown in the detail is escaped."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from rnetkg.answer import answer
from rnetkg.criteria.load import model_for
from rnetkg.engine import StoreEngine
from rnetkg.profile import parse_profile
from rnetkg.report import context_for
from rnetkg.serve import cds

ROOT = Path(__file__).resolve().parents[1]
URL = "http://127.0.0.1:7878/?size_mm=15&margin=not_resected"


@pytest.fixture(scope="module")
def base():
    engine = StoreEngine()
    profile = parse_profile(json.loads((ROOT / "examples" / "profile-15mm-g1.json").read_text()))
    return answer(profile, model_for(engine)), context_for(engine)


def test_reading_dependent_guidelines_are_named(base):
    a, ctx = copy.deepcopy(base[0]), base[1]
    for g in a["guidelines"]:
        g["reading_dependent"] = g["guideline"] in ("NCCN-2025", "CNETS")
        g["readings"] = [{"reading": f"{g['guideline']}/r1", "label": "as written", "default": True,
                          "status": "covered", "modalities": ["endoscopic_resection"]},
                         {"reading": f"{g['guideline']}/r2", "label": "the union of the lists", "default": False,
                          "status": "covered", "modalities": ["radical_surgery"]}] if g["reading_dependent"] else []
    cards = cds.cards_for(a, URL, ctx)
    (card,) = [c for c in cards if c["summary"].startswith("The answer depends on how the source is read")]
    assert card["summary"] == "The answer depends on how the source is read: NCCN-2025, CNETS"
    assert card["indicator"] == "info" and card["source"]["url"] == URL
    assert "- **NCCN-2025**: as written (default): endoscopic resection; the union of the lists: radical surgery" \
        in card["detail"]


def test_todays_answers_have_no_readings_card(base):
    cards = cds.cards_for(*base[:1], URL, base[1])
    assert [c["indicator"] for c in cards] == ["info", "warning"]  # the example has conflicts
    assert not any("read" in c["summary"] for c in cards)


def test_summaries_are_cut_below_140_characters(base):
    a, ctx = copy.deepcopy(base[0]), base[1]
    keys = [f"GUIDELINE-WITH-A-VERY-LONG-KEY-{i}" for i in range(12)]
    a["disagreements"] = [{"guidelines": [keys[i], keys[i + 1]], "kind": "conflict"} for i in range(11)]
    a["guidelines"] += [{"guideline": k, "status": "covered", "modalities": ["surveillance"], "mdt": False,
                         "recommendations": [], "reading_dependent": True, "readings": []} for k in keys]
    for c in cds.cards_for(a, URL, ctx):
        assert len(c["summary"]) < 140
    cut = cds.fit("word " * 100)
    assert cut.endswith("word…") and len(cut) <= 139 and cds.fit("short  text") == "short text"


def test_markdown_in_the_detail_is_escaped():
    assert cds.md("a *b* [c](d) <e> `f`") == r"a \*b\* \[c\]\(d\) \<e\> \`f\`"


def _without_uuids(found):
    return [(kind, {k: v for k, v in card.items() if k != "uuid"}) for kind, card in found]


def test_cards_from_the_card_view_equal_those_from_the_whole_answer():
    """The service reads the small card view (serve.page.Clinic.card_view) kept per profile, and the
    whole answer kept pickled: each gives the cards the whole answer gives, for profiles with level
    pairs, conflicts, reading-dependent guidelines, and after an excision."""
    from rnetkg.serve.page import Clinic

    clinic = Clinic.load()
    profiles = [parse_profile(json.loads(f.read_text())) for f in sorted((ROOT / "examples").glob("profile-*.json"))]
    assert len(profiles) >= 3
    seen_kinds = set()
    for p in profiles:
        whole = answer(p, clinic.model)
        expected = _without_uuids(cds.kinds_and_cards(whole, URL, clinic.context))
        for _ in range(2):   # computed, then read back from the caches
            assert _without_uuids(cds.kinds_and_cards(clinic.card_view(p), URL, clinic.context)) == expected
            again = clinic.answer(p)
            assert again == whole
        assert clinic.answer(p) is not clinic.answer(p), "a kept answer is a copy of its own each time"
        seen_kinds |= {k for k, _ in expected}
    assert {"answer", "conflict"} <= seen_kinds


def test_after_an_excision_the_card_says_what_each_guideline_said_before_it():
    """A 15 mm G1 tumour after EMR: eight guidelines, one answering after the excision; the card says,
    for each, what it recommended at initial management and whether the EMR lies within it (as the
    command line and the page do), not only 'silent'."""
    from rnetkg.serve.page import Clinic

    clinic = Clinic.load()
    p = parse_profile(json.loads((ROOT / "examples" / "profile-15mm-after-emr.json").read_text()))
    (kind, card), *_ = cds.kinds_and_cards(clinic.card_view(p), URL, clinic.context)
    lines = {line.split("**")[1]: line for line in card["detail"].splitlines() if line.startswith("- **")}
    assert kind == "answer" and len(lines) == 8
    assert lines["JNETS-2019"].endswith("before the excision: covered, radical surgery; the excision done lies outside it")
    assert lines["PNNT-2022"].endswith("before the excision: covered, endoscopic resection; the excision done lies within it")
    assert "(covered): surveillance; before the excision" in lines["NCCN-2025"]
    # initial management: no such words
    first = parse_profile(json.loads((ROOT / "examples" / "profile-15mm-g1.json").read_text()))
    (_, card), *_ = cds.kinds_and_cards(clinic.card_view(first), URL, clinic.context)
    assert "before the excision" not in card["detail"]


def test_a_chart_opened_again_reads_its_prefetch_once(monkeypatch):
    """Two hook calls with the same patient and prefetch (a new hookInstance each): the FHIR resources are
    read once (Clinic.fhir_read) and the cards are the same; another size is read again and answered for
    itself; a prefetch about another patient is refused each time (400), never kept."""
    import uuid

    from rnetkg import fhir
    from rnetkg.serve.page import Clinic

    clinic = Clinic.load()
    calls = []
    real = fhir.read_bundle
    monkeypatch.setattr(fhir, "read_bundle", lambda b: calls.append(1) or real(b))

    def body(size, patient="p1", hook=None):
        req = cds.request_for_profile({"size_mm": size, "margin": "not_resected", "grade": "G1"}, patient)
        req["hookInstance"] = hook or str(uuid.uuid4())
        return json.dumps(req).encode()

    first = _without_uuids(cds.respond_cards(clinic, body(15), URL))
    again = _without_uuids(cds.respond_cards(clinic, body(15), URL))
    assert first == again and len(calls) == 1
    other = _without_uuids(cds.respond_cards(clinic, body(25), URL))
    assert len(calls) == 2 and other != first
    assert dict(first)["answer"]["summary"] != dict(other)["answer"]["summary"]
    assert "size_mm=25" in dict(other)["answer"]["links"][0]["url"] and "size_mm=15" in dict(first)["answer"]["links"][0]["url"]
    req = json.loads(body(15))
    req["context"]["patientId"] = "someone-else"
    for _ in range(2):
        with pytest.raises(cds.CdsError) as e:
            cds.respond_cards(clinic, json.dumps(req).encode(), URL)
        assert e.value.status == 400 and "not the context's patient Patient/someone-else" in str(e.value)
