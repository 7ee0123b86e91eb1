"""The package finds ontology/, shapes/, kg/ and queries/ from a checkout and from a wheel."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from rnetkg import paths

ROOT = Path(__file__).resolve().parents[1]


def test_checkout_paths():
    assert paths.checkout_root() == ROOT
    assert paths.ontology_file() == ROOT / "ontology" / "rnet.ttl"
    assert len(paths.kg_files()) >= 12 and all(f.is_relative_to(ROOT / "kg") for f in paths.kg_files())


@pytest.mark.slow
def test_non_editable_wheel_finds_its_data(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(wheels), str(ROOT)], check=True, cwd=tmp_path)
    (wheel,) = wheels.glob("rnetkg-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for expected in ("rnetkg/data/ontology/rnet.ttl", "rnetkg/data/kg/guidelines/enets-2023.ttl",
                     "rnetkg/data/queries/guideline-status.rq", "rnetkg/data/shapes/recommendation.ttl"):
        assert expected in names
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                    str(wheel)], check=True)
    profile = tmp_path / "p.json"
    profile.write_text('{"size_mm": 15, "margin": "not_resected", "invasion_depth": "submucosa", "ki67_percent": 1}')
    code = ("import rnetkg, rnetkg.paths as p, rnetkg.cli as c, sys; "
            "print(rnetkg.__file__); print(p.artifact_dir('kg')); print(p.checkout_root()); "
            f"sys.exit(c.main(['compare', {str(profile)!r}, '--format', 'csv']))")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(target)
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith(str(target)) and lines[1] == str(target / "rnetkg" / "data" / "kg")
    assert lines[2] == "None"
    assert lines[-1].startswith("p,covered,endoscopic_resection;radical_surgery,")
