"""The FHIR input and output on the command line: `rnetkg compare BUNDLE.json`, `--cohort DIR` for a
bulk export, and `rnetkg fhir export` (issue 15)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from rnetkg.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def test_compare_a_bundle_gives_the_answer_of_its_profile(tmp_path, capsys):
    assert main(["fhir", "export", str(EXAMPLES / "profile-15mm-g1.json"), "--out", str(tmp_path / "b.json")]) == 0
    bundle = json.loads((tmp_path / "b.json").read_text())
    assert bundle["resourceType"] == "Bundle" and bundle["entry"]
    capsys.readouterr()
    assert main(["compare", str(tmp_path / "b.json"), "--format", "json"]) == 0
    from_bundle = json.loads(capsys.readouterr().out)
    assert main(["compare", str(EXAMPLES / "profile-15mm-g1.json"), "--format", "json"]) == 0
    from_profile = json.loads(capsys.readouterr().out)
    strip = lambda a: [(g["guideline"], g["status"], g["modalities"]) for g in a["guidelines"]]
    assert strip(from_bundle) == strip(from_profile)
    assert from_bundle["disagreements"] == from_profile["disagreements"]


def test_a_bad_bundle_is_one_line_exit_2(tmp_path, capsys):
    bundle = json.loads((EXAMPLES / "bundle-15mm-g1.json").read_text())
    for e in bundle["entry"]:
        r = e["resource"]
        if r["resourceType"] == "Observation" and "valueQuantity" in r:
            r["valueQuantity"].update(unit="in", code="[in_i]")
        for comp in r.get("component", []):
            if "valueQuantity" in comp:
                comp["valueQuantity"].update(unit="in", code="[in_i]")
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bundle))
    assert main(["compare", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "[in_i]" in err and len(err) <= 301


def test_bulk_export_as_a_cohort(tmp_path, capsys):
    out = tmp_path / "bulk.csv"
    assert main(["compare", "--cohort", str(EXAMPLES / "bulk"), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "4 profiles read, 3 written" in captured.out and "1 rejected" in captured.out
    assert "Observation.ndjson:11" in captured.err
    rows = list(csv.DictReader(out.open(newline="")))
    assert [r["id"] for r in rows] == ["bulk-15mm-g1", "bulk-5mm-resected-negative", "bulk-25mm-pathologic-t2"]
    assert rows[0]["JNETS-2019.status"] == "covered" and rows[0]["JNETS-2019.modalities"] == "radical_surgery"


def test_fhir_export_refuses_a_bundle_and_a_bad_profile(tmp_path, capsys):
    assert main(["fhir", "export", str(EXAMPLES / "bundle-15mm-g1.json")]) == 2
    assert "already FHIR" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text('{"size_mm": -1, "margin": "not_resected"}')
    assert main(["fhir", "export", str(bad)]) == 2
    assert "size_mm: must be > 0" in capsys.readouterr().err


def test_out_inside_the_bulk_export_folder_is_refused_on_the_first_run(tmp_path, capsys):
    import shutil

    folder = tmp_path / "bulk"
    shutil.copytree(EXAMPLES / "bulk", folder)
    before = sorted(p.name for p in folder.iterdir())
    assert main(["compare", "--cohort", str(folder), "--out", str(folder / "answers.csv")]) == 2
    assert "is a file of the input folder" in capsys.readouterr().err
    assert sorted(p.name for p in folder.iterdir()) == before
