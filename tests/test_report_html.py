"""Issue 12 item 4: `rnetkg compare PROFILE --format html`, one self-contained page per profile.

The page shows the profile, every guideline's answer (status, modalities in the graph's words), each
recommendation with its source document, locator and verbatim quote, the disagreements, the two
review articles the content comes from (named from the graph) and the graph's version; the
explanation fields of DESIGN.md when the answer has them (a hand-made answer here), and today's
answers without them. Everything is escaped.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from htmlpage import assert_self_contained, parse
from rnetkg import __version__
from rnetkg.cli import main
from rnetkg.compare import compare
from rnetkg.criteria.load import model_for
from rnetkg.engine import StoreEngine
from rnetkg.profile import parse_profile
from rnetkg.report import context_for
from rnetkg.report.html import render_report

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "profile-15mm-g1.json"
CASES = sorted((ROOT / "tests" / "fixtures" / "cases").glob("*.json"))


@pytest.fixture(scope="module")
def engine():
    return StoreEngine()


@pytest.fixture(scope="module")
def ctx(engine):
    return context_for(engine)


def html_of(capsys, *argv) -> str:
    code = main(["compare", *argv, "--format", "html"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def test_the_page_of_the_example_profile(capsys, engine):
    text = html_of(capsys, str(EXAMPLE))
    answer = compare(parse_profile(json.loads(EXAMPLE.read_text())), engine)
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert_self_contained(text)
    doc = parse(text)
    model = model_for(engine)
    sections = doc.find_all("section", data_guideline=True)
    assert [s.attrs["data-guideline"] for s in sections] == list(model.guideline_keys)
    for g in answer["guidelines"]:
        s = doc.find("section", data_guideline=g["guideline"])
        assert s.attrs["data-status"] == g["status"]
        assert s.attrs["data-modalities"].split() == g["modalities"]
        for m in g["modalities"]:
            assert model.modality_labels[m] in s.text  # in words, from queries/modalities.rq
        row = doc.find("tr", data_glance=g["guideline"])
        assert row.text.startswith(f"{g['guideline']} {g['status']}")
        # issue 23: the one line also says why (the criteria as written), in its own cell
        recommends = row.find_all("td")[1].text
        assert recommends.startswith(", ".join(model.modality_labels[m] for m in g["modalities"]) or "—")
        for r in g["recommendations"]:
            rec = s.find("div", data_rec=r["id"])
            assert " ".join(r["source"]["quote"].split()) in rec.find("blockquote").text
            assert r["source"]["locator"] in rec.text and r["source"]["document"] in rec.text
    assert "endoscopic resection" in doc.find("section", data_guideline="ENETS-2023").text
    # the profile, with units
    assert doc.find("tr", data_field="size_mm").text == "Greatest diameter (mm) 15"
    assert "unknown" in doc.find("tr", data_field="grade").text
    # disagreements with both sides in words
    pair = doc.find("tr", data_pair="CSCO-2022|JNETS-2019")
    assert pair.attrs["data-kind"] == "conflict" and "transanal excision" in pair.text and "radical surgery" in pair.text
    assert len(doc.find_all("tr", data_pair=True)) == len(answer["disagreements"])


def test_the_page_names_the_two_review_articles_and_the_version(capsys):
    doc = parse(html_of(capsys, str(EXAMPLE)))
    prov = doc.find("section", **{"class": "provenance"})
    assert "two review articles" in prov.text and "not from the guideline documents themselves" in prov.text
    items = [li.text for li in prov.find_all("li", **{"class": "source-document"})]
    assert len(items) == 2
    assert any("Hu D, Yu J, Wang MX, Zhang HL. Redefining therapeutic thresholds" in t and "10.3748/wjg.v31.i44.114263" in t
               for t in items)
    assert any("World J Gastrointest Oncol" in t and "10.4251/wjgo.v18.i1.114818" in t for t in items)
    assert f"Graph version 0.1.0 (rnetkg {__version__})" in prov.text


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_every_case_fixture_renders_its_expected_answer(case, engine, ctx):
    data = json.loads(case.read_text())
    profile = parse_profile(data["profile"])
    doc = parse(render_report(compare(profile, engine), profile, ctx))
    for key, want in data["expect"].items():
        s = doc.find("section", data_guideline=key)
        assert (s.attrs["data-status"], s.attrs["data-modalities"].split()) == (want["status"], want["modalities"])
    pairs = {(d.attrs["data-pair"], d.attrs["data-kind"]) for d in doc.find_all("tr", data_pair=True)}
    assert {(f"{a}|{b}", "conflict") for a, b in data.get("conflicts", [])} <= pairs


def _explained(answer: dict) -> dict:
    """Today's answer with every explanation field of DESIGN.md filled in by hand."""
    a = copy.deepcopy(answer)
    nccn = next(g for g in a["guidelines"] if g["guideline"] == "NCCN-2025")
    nccn["reading_dependent"] = True
    nccn["readings"] = [
        {"reading": "nccn-2025/reading-a", "label": "Reading A: node-positive branch as written", "default": True,
         "status": "covered", "modalities": ["endoscopic_resection", "transanal_excision"]},
        {"reading": "nccn-2025/reading-b", "label": "Reading B: <T2-T4> covers the size branches", "default": False,
         "status": "covered", "modalities": ["radical_surgery"]}]
    rec = nccn["recommendations"][0]
    rec["criteria"] = [{"as_written": "Size ≤ 2 cm", "field": "size_mm", "value": 15.0, "result": "met"},
                       {"as_written": "No lymph-node metastasis", "field": "lymph_nodes", "value": None,
                        "result": "unknown"}]
    rec["risk_factors"] = {"definition": "PNNT: Ki-67 above 2 %, LVI",
                           "present": [{"as_written": "lymphovascular invasion", "field": "lymphovascular_invasion",
                                        "value": True, "result": "met"}],
                           "absent": [{"as_written": "Ki-67 > 2 %", "field": "ki67_percent", "value": 1.5,
                                       "result": "failed"}],
                           "unknown": []}
    rec["caveats"] = ["The source does not say whether 'local excision' includes ESD."]
    silent = next(g for g in a["guidelines"] if g["status"] == "silent")
    silent["silence"] = {"reason": "no recommendation at the decision point initial management",
                         "closest": [{"id": "asco-2023/rec-x", "failed": [
                             {"as_written": "Distant metastasis", "field": "distant_metastasis", "value": False,
                              "result": "failed"}]}]}
    d = a["disagreements"][0]
    d["relation"] = "narrower"
    d["separating_criteria"] = [{"guideline": d["guidelines"][1], "as_written": "Size > 2 cm"}]
    a["missing_inputs"] = [{"field": "invasion_depth", "affects": ["NCCN-2025", "PNNT-2022"]}]
    return a


def test_explanation_fields_are_shown_when_present(engine, ctx):
    profile = parse_profile(json.loads(EXAMPLE.read_text()))
    answer = _explained(compare(profile, engine))
    text = render_report(answer, profile, ctx)
    doc = parse(text)
    nccn = doc.find("section", data_guideline="NCCN-2025")
    assert "depends on how the source is read" in nccn.text
    assert nccn.find("tr", data_reading="nccn-2025/reading-a").text == \
        "Reading A: node-positive branch as written (default) covered endoscopic resection, transanal excision"
    assert nccn.find("tr", data_reading="nccn-2025/reading-b").text == \
        "Reading B: <T2-T4> covers the size branches covered radical surgery"
    assert "&lt;T2-T4&gt;" in text  # escaped
    rec = nccn.find("div", data_rec=answer["guidelines"][1]["recommendations"][0]["id"])
    rows = [tr.text for tr in rec.find("table", **{"class": "criteria"}).find_all("tr")]
    assert rows[1:] == ["Size ≤ 2 cm Greatest diameter 15 met", "No lymph-node metastasis Regional lymph nodes unknown unknown"]
    assert rec.find("li", **{"class": "rf-present"}).text == "present: lymphovascular invasion (yes)"
    assert rec.find("li", **{"class": "rf-absent"}).text == "absent: Ki-67 > 2 % (1.5)"
    assert rec.find("li", **{"class": "rf-unknown"}).text == "unknown: none"
    assert "PNNT: Ki-67 above 2 %, LVI" in rec.text
    assert rec.find("ul", **{"class": "caveats"}).text == "The source does not say whether 'local excision' includes ESD."
    silent = doc.find("section", data_guideline=next(g["guideline"] for g in answer["guidelines"] if g.get("silence")))
    assert "Why silent: no recommendation at the decision point initial management" in silent.text
    assert "Distant metastasis Distant metastasis no failed" in silent.find("div", data_rec="asco-2023/rec-x").text
    first = answer["disagreements"][0]
    row = doc.find("tr", data_pair="|".join(first["guidelines"]))
    assert "narrower" in row.text and f"{first['guidelines'][1]}: Size > 2 cm" in row.text
    assert doc.find("li", data_field="invasion_depth").text == \
        "Deepest layer invaded is not given; it would settle the answer of NCCN-2025 and PNNT-2022."  # issue 23: sentences


def test_the_explanations_of_a_real_answer_are_shown_with_their_content(engine, ctx):
    """Issue 12: the explanations the answer now carries reach the page, none of them empty."""
    profile = parse_profile(json.loads(EXAMPLE.read_text()))
    text = render_report(compare(profile, engine), profile, ctx)
    assert "<strong>Why silent:</strong> no recommendation for initial management in the sources" in text
    assert 'class="criteria"' in text and 'class="caveats"' in text and "Relation" in text
    assert "narrower" in text and "patients without risk factors" in text
    assert "<strong>Why silent:</strong> </p>" not in text and "<li></li>" not in text


def test_user_text_is_escaped(engine, ctx):
    profile = parse_profile({"id": "<script>alert('x')</script>&", "size_mm": 5, "margin": "not_resected"})
    text = render_report(compare(profile, engine), profile, ctx)
    assert "<script>" not in text and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;" in text
    assert_self_contained(text)


def test_bad_profile_with_html_format_is_one_line_exit_2(capsys, tmp_path):
    p = tmp_path / "bad.json"
    p.write_text(json.dumps({"size_mm": -3, "margin": "not_resected"}))
    code = main(["compare", str(p), "--format", "html"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.count("\n") == 1 and "size_mm: must be > 0" in err


def test_other_formats_do_not_import_the_template_engine():
    code = ("import sys; from rnetkg.cli import main; import io, contextlib\n"
            f"with contextlib.redirect_stdout(io.StringIO()): rc = main(['compare', {str(EXAMPLE)!r}, '--format', 'json'])\n"
            "assert rc == 0; print('jinja2' in sys.modules, 'rnetkg.report.html' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_source_documents_query(engine):
    from rnetkg import queries

    rows = engine.select(queries.get("source-documents").text)
    assert {(r["doi"], r["year"], r["graphVersion"]) for r in rows} == {
        ("10.3748/wjg.v31.i44.114263", 2025, "0.1.0"), ("10.4251/wjgo.v18.i1.114818", 2026, "0.1.0")}
