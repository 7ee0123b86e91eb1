"""The disagreement map (`rnetkg map`): its data table is what `compare` answers, at sampled sizes and
at every size bound of the graph, for every risk profile; the picture is written as PNG or SVG."""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from rnetkg import map as diagram
from rnetkg.answer import answer_to_row, csv_columns
from rnetkg.cli import main
from rnetkg.compare import compare_profiles
from rnetkg.criteria.load import model_for
from rnetkg.engine import StoreEngine
from rnetkg.map import data as map_data
from rnetkg.map.plot import _boundary_lines
from rnetkg.profile import parse_profile

MODEL = model_for(StoreEngine())
CSV_COLUMNS = csv_columns(MODEL.guideline_keys)

ROOT = Path(__file__).resolve().parents[1]
SAMPLED = (0.5, 3.0, 7.5, 9.5, 12.5, 15.0, 17.5, 22.5, 30.0, 40.0)


def _read(path):
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        return reader.fieldnames, list(reader)


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    d = tmp_path_factory.mktemp("map")
    out, data = d / "map.png", d / "map.csv"
    diagram.draw(out, data)
    columns, rows = _read(data)
    return out, columns, rows


@pytest.fixture(scope="module")
def bound_sizes():
    sizes = set()
    for b in diagram.size_bounds(MODEL):
        sizes |= {round(b.value - map_data.NEAR, 4), b.value, round(b.value + map_data.NEAR, 4)}
    return sizes


def test_the_sweep_covers_the_step_sizes_and_every_bound_with_its_neighbours(drawn, bound_sizes):
    _, columns, rows = drawn
    assert columns == diagram.data_columns(MODEL.guideline_keys) == ["risk_profile", "size_mm"] + CSV_COLUMNS
    assert {10.0, 20.0} <= {b.value for b in diagram.size_bounds(MODEL)}
    steps = {0.5 * i for i in range(1, 81)}
    for rp in diagram.RISK_PROFILES:
        sizes = [float(r["size_mm"]) for r in rows if r["risk_profile"] == rp.key]
        assert sizes == sorted(set(sizes)), rp.key
        assert set(sizes) == steps | bound_sizes, rp.key
    assert len(rows) == len(diagram.RISK_PROFILES) * len(steps | bound_sizes)


def test_the_data_table_equals_compare_at_sampled_sizes_and_every_bound(drawn, bound_sizes):
    _, _, rows = drawn
    wanted = set(SAMPLED) | bound_sizes
    picked = [r for r in rows if float(r["size_mm"]) in wanted]
    assert len(picked) == len(wanted) * len(diagram.RISK_PROFILES)
    by_key = {rp.key: rp for rp in diagram.RISK_PROFILES}
    profiles = [parse_profile(by_key[r["risk_profile"]].fields(float(r["size_mm"]))) for r in picked]
    assert {p.decision_point for p in profiles} == {"initial_management", "after_local_resection",
                                                    "metastatic_disease"}
    for r, answer in zip(picked, compare_profiles(profiles)):
        # statuses, modality sets, conflicting and partial pairs of every guideline
        assert [r[c] for c in CSV_COLUMNS] == answer_to_row(answer), r["id"]


def test_the_map_shows_where_the_guidelines_part_ways(drawn):
    _, _, rows = drawn
    at = {(r["risk_profile"], r["size_mm"]): r for r in rows}
    low_risk_15 = at[("g1-no-risk-factors", "15")]
    assert "JNETS-2019|PNNT-2022" in low_risk_15["conflicts"].split(";")
    # ENETS writes "≤ 10 mm", "10-20 mm" and "≥ 20 mm": both end points belong to two rows
    for size in ("10", "20"):
        assert at[("g1-no-risk-factors", size)]["ENETS-2023.status"] == "ambiguous"
    assert at[("g1-no-risk-factors", "9.9")]["ENETS-2023.status"] == "covered"
    # PNNT's "Size 1-2 cm with risk factors": Ki-67 2.5 % is G1 but above PNNT's 2 %
    assert at[("g1-ki67-2.5", "15")]["PNNT-2022.modalities"] != at[("g1-no-risk-factors", "15")]["PNNT-2022.modalities"]


def test_boundary_labels_carry_the_sources_text_as_written():
    lines = dict(_boundary_lines(diagram.size_bounds(MODEL), MODEL.guideline_keys))
    assert any("“≤ 10 mm”" in line and line.startswith("ENETS-2023") for line in lines[10.0])
    assert any("“Size > 2 cm”" in line and line.startswith("NCCN-2025") for line in lines[20.0])


def test_the_png_is_written(drawn):
    out, _, _ = drawn
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 100_000


def test_cli_map_writes_svg_and_data(tmp_path, drawn):
    out, data = tmp_path / "x.svg", tmp_path / "x.csv"
    assert main(["map", "--out", str(out), "--data", str(data)]) == 0
    assert ET.parse(out).getroot().tag == "{http://www.w3.org/2000/svg}svg"
    assert out.stat().st_size > 100_000
    assert _read(data)[1] == drawn[2]


def test_map_outputs_are_checked_before_anything_is_written(tmp_path, capsys):
    """Issue 13: no folder is created, --out and --data are never the same file, a folder is no output."""
    assert main(["map", "--out", str(tmp_path / "no" / "such" / "map.png")]) == 2
    assert "does not exist" in capsys.readouterr().err
    same = tmp_path / "same.png"
    assert main(["map", "--out", str(same), "--data", str(same)]) == 2
    assert "same file" in capsys.readouterr().err
    assert main(["map", "--out", str(tmp_path) + "/"]) == 2
    assert list(tmp_path.iterdir()) == []


def test_cli_map_rejects_other_formats(tmp_path, capsys):
    assert main(["map", "--out", str(tmp_path / "x.jpg")]) == 2
    assert "must end in .png or .svg" in capsys.readouterr().err
    assert not (tmp_path / "x.jpg").exists()


def test_the_committed_map_is_up_to_date(drawn):
    """docs/disagreement-map.{png,csv} are generated (the README shows the image): regenerating must give
    the same data table exactly and the same picture up to rendering noise. If this fails, run
    `rnetkg map --out docs/disagreement-map.png --data docs/disagreement-map.csv` and commit."""
    from pathlib import Path

    import matplotlib.image as mpimg
    import numpy as np

    docs = Path(__file__).resolve().parents[1] / "docs"
    out, columns, rows = drawn
    assert _read(docs / "disagreement-map.csv") == (columns, rows)
    new, old = mpimg.imread(out), mpimg.imread(docs / "disagreement-map.png")
    assert new.shape == old.shape
    assert float(np.abs(new - old).mean()) < 0.01


def test_the_map_marks_reading_dependent_answers_and_names_the_conflicting_pairs(drawn):
    """Issue 12: reading-dependent cells, the pairs in conflict by name, panels for after local
    resection and metastatic disease."""
    _, _, rows = drawn
    at = {(r["risk_profile"], r["size_mm"]): r for r in rows}
    assert "NCCN-2025" in at[("node-positive", "15")]["reading_dependent"].split(";")
    assert "CNETS" in at[("g1-ki67-2.5", "15")]["reading_dependent"].split(";")
    assert {"resected-negative", "resected-indeterminate-g2", "resected-positive", "metastatic"} <= {
        r["risk_profile"] for r in rows}
    # metastatic disease with the liver's involvement unknown: ASCO answers, NICE's liver criterion is open
    # (possible), NCCN states an aim only; no pair, as an aim and a possible answer are in none
    meta = at[("metastatic", "15")]
    assert [(meta[f"{k}.status"], meta[f"{k}.modalities"]) for k in ("ASCO-2023", "NICE-2024", "NCCN-2025")] == [
        ("covered", "systemic_therapy"), ("possible", "liver_directed_therapy"), ("aim_only", "")]
    assert (meta["conflicts"], meta["partial"], meta["complementary"]) == ("", "", "")


def test_cli_map_places_one_patient(tmp_path):
    """`rnetkg map --profile P`: the patient's own panel first, at every size, their size included."""
    profile = tmp_path / "p.json"
    profile.write_text('{"id": "pt", "size_mm": 12.3, "invasion_depth": "submucosa", "lymph_nodes": "N1", '
                       '"margin": "not_resected"}')
    out, data = tmp_path / "m.png", tmp_path / "m.csv"
    assert main(["map", "--out", str(out), "--data", str(data), "--profile", str(profile)]) == 0
    _, rows = _read(data)
    mine = [r for r in rows if r["risk_profile"] == "patient"]
    assert rows[0]["risk_profile"] == "patient" and "12.3" in {r["size_mm"] for r in mine}
    at = {r["size_mm"]: r for r in mine}
    assert at["12.3"]["NCCN-2025.modalities"] == "chemoradiation;radical_surgery"
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_html_report_places_the_patient_on_the_map(tmp_path, capsys):
    """Issue 12: `compare --format html` shows the patient on the disagreement map, inlined (no network)."""
    import base64
    import re

    assert main(["compare", str(ROOT / "examples" / "profile-12mm-t1-node-positive.json"), "--format", "html"]) == 0
    page = capsys.readouterr().out
    assert "This patient on the disagreement map" in page and "the patient's size marked (12 mm)" in page
    png = base64.b64decode(re.search(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page).group(1))
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    assert "<script" not in page and 'src="http' not in page
