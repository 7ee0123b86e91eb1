"""The package finds ontology/, shapes/, kg/ and queries/ from a checkout and from a wheel."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from rnetkg import paths

ROOT = Path(__file__).resolve().parents[1]
# what a build of the package reads (setup.py copies the four data folders into the wheel)
BUILD_INPUTS = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "src", "ontology", "shapes", "kg", "queries")
DATA_FOLDERS = ("ontology", "shapes", "kg", "queries")


def checkout_copy(dest: Path) -> Path:
    """The build's inputs copied to dest: a build writes build/ and *.egg-info beside its sources,
    which must not land in the checkout."""
    for name in BUILD_INPUTS:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            dest.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def pip(*args: str) -> subprocess.CompletedProcess:
    """pip of this interpreter, offline, with this environment's setuptools (no build isolation)."""
    return subprocess.run([sys.executable, "-m", "pip", *args, "--no-index", "--no-deps", "--no-build-isolation"],
                          capture_output=True, text=True, timeout=600)


def warning_lines(out: subprocess.CompletedProcess) -> list[str]:
    return [line.strip() for line in (out.stdout + out.stderr).splitlines() if "warning" in line.lower()]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """`pip wheel` of a copy of the checkout: the wheel and pip's output."""
    tmp = tmp_path_factory.mktemp("wheel")
    out = pip("wheel", "-w", str(tmp / "wheels"), str(checkout_copy(tmp / "checkout")))
    assert out.returncode == 0, out.stderr[-2000:]
    (built,) = (tmp / "wheels").glob("rnetkg-*.whl")
    return built, out


def test_checkout_paths():
    assert paths.checkout_root() == ROOT
    assert paths.ontology_file() == ROOT / "ontology" / "rnet.ttl"
    assert paths.ontology_files() == [ROOT / "ontology" / "rnet.ttl", ROOT / "ontology" / "rnet-app.ttl"]
    assert len(paths.kg_files()) >= 12 and all(f.is_relative_to(ROOT / "kg") for f in paths.kg_files())


@pytest.mark.slow
def test_non_editable_wheel_finds_its_data(tmp_path, wheel):
    wheel, _ = wheel
    names = zipfile.ZipFile(wheel).namelist()
    for expected in ("rnetkg/data/ontology/rnet.ttl", "rnetkg/data/ontology/rnet-app.ttl",
                     "rnetkg/data/kg/guidelines/enets-2023.ttl",
                     "rnetkg/data/queries/guideline-status.rq", "rnetkg/data/shapes/recommendation.ttl"):
        assert expected in names
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                    str(wheel)], check=True)
    profile = tmp_path / "p.json"
    profile.write_text('{"size_mm": 15, "margin": "not_resected", "invasion_depth": "submucosa", "ki67_percent": 1}')
    code = ("import rnetkg, rnetkg.paths as p, rnetkg.cli as c, sys; "
            "print(rnetkg.__file__); print(p.artifact_dir('kg')); print(p.checkout_root()); "
            "print(*(f.name for f in p.ontology_files())); "
            f"sys.exit(c.main(['compare', {str(profile)!r}, '--format', 'csv']))")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(target)
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith(str(target)) and lines[1] == str(target / "rnetkg" / "data" / "kg")
    assert lines[2] == "None"
    assert lines[3] == "rnet.ttl rnet-app.ttl"   # the domain ontology and its application module, both loaded
    assert lines[-1].startswith("p,covered,endoscopic_resection;radical_surgery,")


# ---------------------------------------------------------------- issue 21: the installed package is the product

@pytest.mark.slow
def test_issue21_the_wheel_builds_without_a_warning_and_holds_only_the_package(wheel):
    """No setuptools warning (the `license` table, data folders not declared as packages), and the
    wheel holds rnetkg, its templates and the four data folders, file for file: no benchmark, no
    other engines, no tests."""
    built, out = wheel
    assert warning_lines(out) == []
    names = zipfile.ZipFile(built).namelist()
    assert sorted({n.split("/")[0] for n in names}) == ["rnetkg", "rnetkg-0.1.0.dist-info"]
    assert [n for n in names if "bench" in n or "external" in n or "/tests/" in n] == []
    assert {n for n in names if n.startswith("rnetkg/report/templates/")} == {
        f"rnetkg/report/templates/{p.name}" for p in (ROOT / "src/rnetkg/report/templates").iterdir()}
    shipped = {n.removeprefix("rnetkg/data/") for n in names if n.startswith("rnetkg/data/")}
    assert shipped == {p.relative_to(ROOT).as_posix() for folder in DATA_FOLDERS
                       for p in (ROOT / folder).rglob("*") if p.suffix in (".ttl", ".rq", ".md")}
    metadata = zipfile.ZipFile(built).read("rnetkg-0.1.0.dist-info/METADATA").decode()
    assert "\nLicense-Expression: MIT AND CC-BY-4.0\n" in metadata
    # the version has one place, rnetkg.__version__, which pyproject.toml reads
    from rnetkg import __version__

    assert f"\nVersion: {__version__}\n" in metadata and __version__ == "0.1.0"


@pytest.mark.slow
@pytest.mark.parametrize("editable", [False, True], ids=["pip-install", "pip-install-e"])
def test_issue21_pip_install_prints_no_warning(tmp_path, editable):
    """`pip install .` and `pip install -e .` (into a folder of their own) print no warning; the
    editable install is a path entry for src/ (its data read from the checkout)."""
    checkout = checkout_copy(tmp_path / "checkout")
    target = tmp_path / "site"
    out = pip("install", "--target", str(target), *(["-e"] if editable else []), str(checkout))
    assert out.returncode == 0, out.stderr[-2000:]
    assert warning_lines(out) == []
    if editable:
        (pth,) = target.glob("__editable__.rnetkg-*.pth")
        assert pth.read_text(encoding="utf-8").split() == [str(checkout / "src")]
    else:
        assert (target / "rnetkg" / "data" / "ontology" / "rnet.ttl").is_file()
        assert (target / "rnetkg" / "data" / "ontology" / "rnet-app.ttl").is_file()
        assert not (target / "bench").exists() and not (target / "external").exists()
