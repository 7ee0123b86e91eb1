"""Issue 10: nothing about a guideline is in Python. A ninth guideline added as one Turtle file
(tests/fixtures/extra-guideline/, loaded beside kg/ with $RNETKG_EXTRA_KG) appears after the eight in
`compare` (table, JSON, CSV), in the cohort columns, in the map data and in `check`."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXTRA = ROOT / "tests" / "fixtures" / "extra-guideline"
# the seeds' guidelines, in the order DESIGN.md gives; guidelines in kg/ beyond them follow them
EIGHT = ["ENETS-2023", "NCCN-2025", "PNNT-2022", "JNETS-2019", "CNETS", "CSCO-2022", "ASCO-2023", "NICE-2024"]


def rnetkg(*args: str, extra: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("RNETKG_EXTRA_KG", None)
    if extra:
        env["RNETKG_EXTRA_KG"] = str(EXTRA)
    return subprocess.run([sys.executable, "-m", "rnetkg", *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=300)


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("extra") / "small.json"
    p.write_text(json.dumps({"id": "small", "size_mm": 5, "margin": "not_resected", "invasion_depth": "submucosa",
                             "ki67_percent": 1, "lymph_nodes": "N0", "lymphovascular_invasion": False}))
    return p


def test_compare_json_lists_the_extra_guideline_last(small):
    out = rnetkg("compare", str(small), "--format", "json")
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    without = json.loads(rnetkg("compare", str(small), "--format", "json", extra=False).stdout)
    shipped = [g["guideline"] for g in without["guidelines"]]
    assert shipped[:len(EIGHT)] == EIGHT
    assert [g["guideline"] for g in answer["guidelines"]] == shipped + ["TEST-EXTRA"]
    extra = answer["guidelines"][-1]
    assert (extra["status"], extra["modalities"]) == ("covered", ["endoscopic_resection"])
    assert [r["id"] for r in extra["recommendations"]] == ["test-extra/rec-le10mm"]
    # and it takes part in the disagreements like any other guideline
    assert any("TEST-EXTRA" in d["guidelines"] for d in answer["disagreements"])


def test_compare_table_and_csv_show_it(small):
    table = rnetkg("compare", str(small)).stdout
    assert any(line.split()[:3] == ["TEST-EXTRA", "covered", "endoscopic"] for line in table.splitlines() if line)
    assert any("endoscopic: ENETS-2023, PNNT-2022, TEST-EXTRA" in line for line in table.splitlines()[:5])  # the summary
    rows = list(csv.reader(rnetkg("compare", str(small), "--format", "csv").stdout.splitlines()))
    assert rows[0][-7:] == ["TEST-EXTRA.status", "TEST-EXTRA.modalities", "conflicts", "partial", "level",
                            "complementary", "reading_dependent"]
    assert rows[1][-7:-5] == ["covered", "endoscopic_resection"]


@pytest.mark.parametrize("engine", ["fast", "sparql"])
def test_cohort_columns(tmp_path, engine):
    inp = tmp_path / "c.csv"
    inp.write_text("id,size_mm,margin\na,5,not_resected\nb,15,not_resected\nc,30,not_resected\n")
    out = tmp_path / "o.csv"
    r = rnetkg("compare", "--cohort", str(inp), "--out", str(out), "--cohort-engine", engine)
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(out.open(newline="")))
    assert list(rows[0])[-7:] == ["TEST-EXTRA.status", "TEST-EXTRA.modalities", "conflicts", "partial", "level",
                                  "complementary", "reading_dependent"]
    assert [(x["TEST-EXTRA.status"], x["TEST-EXTRA.modalities"]) for x in rows] == [
        ("covered", "endoscopic_resection"), ("silent", ""), ("covered", "radical_surgery")]
    assert "TEST-EXTRA" in r.stdout  # the summary counts it too


@pytest.mark.slow
def test_map_data(tmp_path):
    r = rnetkg("map", "--out", str(tmp_path / "m.png"), "--data", str(tmp_path / "m.csv"))
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader((tmp_path / "m.csv").open(newline="")))
    at = {(x["risk_profile"], x["size_mm"]): x for x in rows}
    assert at[("g1-no-risk-factors", "5")]["TEST-EXTRA.status"] == "covered"
    assert at[("g1-no-risk-factors", "15")]["TEST-EXTRA.status"] == "silent"
    # its bounds are bounds of the map: 20 mm and 20.1 mm are both in the sweep anyway; 10 mm too
    assert ("g1-no-risk-factors", "20.1") in at


@pytest.mark.slow
def test_check_sees_it():
    r = rnetkg("check", "--format", "json")
    findings = json.loads(r.stdout)["findings"]
    gaps = [f for f in findings if f["kind"] == "coverage_gap" and f["subject"].endswith("test-extra/guideline")]
    assert gaps and "TEST-EXTRA at initial_management" in gaps[0]["message"]
    assert not [f for f in findings if f["severity"] == "error"], r.stdout
