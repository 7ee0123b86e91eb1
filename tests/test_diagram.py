"""Issue 7: the disagreement map's data equals `compare`'s answers; the image is produced."""

from __future__ import annotations

import csv

import pytest

from rnetkg import compare, diagram
from rnetkg.cli import main
from rnetkg.cohort_format import CSV_COLUMNS, answer_to_row
from rnetkg.profile import parse_profile


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    d = tmp_path_factory.mktemp("map")
    out, data = d / "map.png", d / "map.csv"
    diagram.draw(out, data)
    with data.open(encoding="utf-8") as f:
        return out, list(csv.DictReader(f))


def test_sweep_covers_sizes_and_every_boundary_with_neighbours(drawn):
    _, rows = drawn
    bounds = [b.size for b in diagram.boundaries()]
    assert bounds == [10.0, 20.0]
    for name, _ in diagram.RISK_PROFILES:
        sizes = {float(r["size_mm"]) for r in rows if r["risk_profile"] == name}
        assert {0.5, 5.0, 39.5, 40.0, 9.9, 10.0, 10.1, 19.9, 20.0, 20.1} <= sizes
    assert len(rows) == len(diagram.RISK_PROFILES) * len(diagram.sweep_sizes(diagram.boundaries()))


def test_data_equals_compare_at_sampled_points_and_boundaries(drawn):
    _, rows = drawn
    picked = [r for r in rows if float(r["size_mm"]) in (0.5, 7.5, 9.9, 10.0, 10.1, 15.0, 19.9, 20.0, 20.1, 33.0)]
    profiles = []
    for r in picked:
        changes = dict(diagram.RISK_PROFILES)[r["risk_profile"]]
        profiles.append(parse_profile({"id": r["id"], "size_mm": float(r["size_mm"]), **diagram.BASE, **changes}))
    answers = compare.compare_profiles(profiles)
    assert len(picked) == 10 * len(diagram.RISK_PROFILES)
    for r, a in zip(picked, answers):
        assert [r[c] for c in CSV_COLUMNS] == answer_to_row(a), r["id"]


def test_map_shows_the_expected_disagreements(drawn):
    _, rows = drawn
    at = {(r["risk_profile"], r["size_mm"]): r for r in rows}
    g1_15 = at[("G1, no risk factors", "15")]
    assert g1_15["JNETS-2019.modalities"] == "radical_surgery" and g1_15["PNNT-2022.modalities"] == "endoscopic_resection"
    assert "JNETS-2019|PNNT-2022" in g1_15["conflicts"].split(";")
    assert at[("G1, no risk factors", "10")]["ENETS-2023.status"] == "ambiguous"
    assert at[("G1, Ki-67 2.5 %", "15")]["PNNT-2022.modalities"] == "radical_surgery;transanal_excision"
    assert at[("G1, no risk factors", "25")]["PNNT-2022.status"] == "silent"


def test_image_file_is_produced(drawn):
    out, _ = drawn
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000


def test_cli_map_svg(tmp_path, capsys):
    out, data = tmp_path / "m.svg", tmp_path / "m.csv"
    assert main(["map", "--out", str(out), "--data", str(data)]) == 0
    assert "<svg" in out.read_text(encoding="utf-8")[:1000]
    assert data.read_text(encoding="utf-8").startswith("risk_profile,size_mm,id,ENETS-2023.status")


def test_cli_map_rejects_other_formats(tmp_path, capsys):
    assert main(["map", "--out", str(tmp_path / "m.jpg")]) == 2
    assert "must end in .png or .svg" in capsys.readouterr().err


def test_committed_map_is_up_to_date(drawn):
    """docs/disagreement-map.{png,csv} are generated (the README shows the image): regenerating must
    give the same data table exactly and the same picture up to rendering noise. If this fails, run
    `rnetkg map --out docs/disagreement-map.png --data docs/disagreement-map.csv` and commit."""
    from pathlib import Path

    import matplotlib.image as mpimg
    import numpy as np

    docs = Path(__file__).resolve().parents[1] / "docs"
    out, rows = drawn
    with (docs / "disagreement-map.csv").open(encoding="utf-8") as f:
        assert list(csv.DictReader(f)) == rows
    new, old = mpimg.imread(out), mpimg.imread(docs / "disagreement-map.png")
    assert new.shape == old.shape
    assert float(np.abs(new - old).mean()) < 0.01
