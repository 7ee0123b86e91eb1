"""Issue 14: the recipes of docs/serving.md run as written (bash, from the checkout's root) and answer
as the embedded store does. Each recipe is the ```sh block after its `<!-- recipe: NAME -->` line;
the test only sets DB (a temporary folder), the ports and PATH (the running virtual environment)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import engines
from engines import need

from casefixtures import answering_words

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "serving.md"
PROFILE = "examples/profile-15mm-g1.json"


def recipe(name: str) -> str:
    m = re.search(rf"<!-- recipe: {name} -->\n```sh\n(.*?)\n```", DOC.read_text(encoding="utf-8"), re.S)
    assert m, f"docs/serving.md has no recipe {name}"
    return m.group(1)


def run(script: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **env, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=ROOT, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def embedded_compare():
    done = run(f"rnetkg compare {PROFILE}", {})
    assert done.returncode == 0, done.stderr
    # the summary view: the split, each guideline with why, and the way to every explanation
    assert f"{answering_words(ROOT / PROFILE)}; local excision" in done.stdout
    assert "Every explanation, source and quote: rnetkg compare examples/profile-15mm-g1.json --detail" in done.stdout
    return done.stdout


def test_every_recipe_is_found():
    assert set(re.findall(r"<!-- recipe: (\w+) -->", DOC.read_text(encoding="utf-8"))) == {"oxigraph", "virtuoso", "jena"}


def test_oxigraph_recipe(tmp_path, embedded_compare):
    env = {"DB": str(tmp_path), "PORT": str(engines.free_port())}
    try:
        done = run(recipe("oxigraph"), env)
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.endswith(embedded_compare)
    finally:
        pid_file = tmp_path / "server.pid"
        if pid_file.exists():
            run('kill "$(cat "$DB/server.pid")"', env)


def test_virtuoso_recipe(tmp_path, embedded_compare):
    need(engines.have_virtuoso(), "Virtuoso (Debian virtuoso-opensource-7-bin)")
    env = {"DB": str(tmp_path), "PORT": str(engines.free_port()), "SQLPORT": str(engines.free_port())}
    try:
        done = run(recipe("virtuoso"), env)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        assert done.stdout.endswith(embedded_compare)
    finally:
        stop = run('isql-vt "127.0.0.1:$SQLPORT" dba dba exec="shutdown;"', env)
        lock = tmp_path / "virtuoso.lck"
        if stop.returncode != 0 and lock.exists():  # the server never came up far enough to listen
            pid = re.search(r"VIRT_PID=(\d+)", lock.read_text())
            if pid:
                os.kill(int(pid.group(1)), 15)


def test_jena_recipe(tmp_path):
    need(engines.have_jena(), "Apache Jena (Debian libapache-jena-java)")
    from rnetkg import engine, queries

    (summary,) = engine.StoreEngine().select(queries.get("graph-summary").text)
    done = run(recipe("jena"), {"DB": str(tmp_path)})
    assert done.returncode == 0, done.stderr[-2000:]
    numbers = [int(n) for n in re.findall(r"\|\s*(\d+)\s*(?=\|)", done.stdout)]
    assert numbers == [summary[k] for k in ("triples", "recommendations", "derived", "editorial", "studies",
                                            "figures", "quotes")]
