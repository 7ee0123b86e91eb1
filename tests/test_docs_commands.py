"""Issue 23 item 5: the documentation stays true.

- Every shell block of README.md and docs/*.md is valid shell (`bash -n`): a catalogue row that gave
  `--param rec=<https://...>` unquoted was a syntax error.
- Every `rnetkg compare|query|queries|describe` command written in them (in a block, or as inline
  code) runs as written, in a temporary copy of the examples, with `rnetkg` and `.venv/bin/rnetkg`
  the package under test: exit code 0. Commands with placeholders (ID, FILE, URL, ...), a server
  or an endpoint are left out (tests/test_server.py and test_clinic_server.py start servers).
- docs/clinic.md's `python - <<'PY'` runs with the virtual environment's python, not one that has to
  be activated first, and writes a CDS Hooks request the service answers.
- docs/map.md's colours are the map code's (rnetkg.map.plot).
- `--param rec=` takes the short ids `rnetkg describe` takes; `rnetkg query` tables show prefixed names.
- README.md's sessions of `rnetkg compare examples/...` show today's output, graph hash included
  (`make docs` writes them again: RNETKG_UPDATE_DOCS=1).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"```(sh|console|bash)\n(.*?)```", re.S)
INLINE = re.compile(r"`((?:\.venv/bin/)?rnetkg [^`]+)`")
RUNNABLE = ("compare", "query", "queries", "describe")


def shell_blocks() -> list[tuple[str, str]]:
    out = []
    for doc in DOCS:
        for kind, body in BLOCK.findall(doc.read_text(encoding="utf-8")):
            if kind == "console":  # a session: the commands are the "$ " lines
                body = "\n".join(line[2:] for line in body.splitlines() if line.startswith("$ "))
            out.append((doc.name, body))
    return out


def _runnable(command: str) -> bool:
    try:
        words = shlex.split(command, comments=True)
    except ValueError:
        return False
    if len(words) < 2 or words[0] not in ("rnetkg", ".venv/bin/rnetkg") or words[1] not in RUNNABLE:
        return False
    if any(w in ("...", "--endpoint") or "[" in w or re.fullmatch(r"[A-Z][A-Z_.]*(\.json|\.csv)?", w)
           or "|" in w for w in words):
        return False
    if words[1] == "query" and len(words) == 2 or words[1] == "compare" and not any(
            w.endswith((".json", ".csv")) for w in words):
        return False  # the subcommand or an option of it, named in prose
    files = [w for w in words if w.endswith((".json", ".csv")) and not w.startswith("-")]
    return all((ROOT / w).exists() or w in ("answers.csv",) for w in files)


def commands() -> list[str]:
    found: dict[str, None] = {}
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for _, body in BLOCK.findall(text):
            for line in body.splitlines():
                line = line[2:] if line.startswith("$ ") else line
                if _runnable(line.strip()):
                    found[line.strip()] = None
        for command in INLINE.findall(text):
            command = " ".join(command.split())  # inline code may wrap
            if _runnable(command):
                found[command] = None
    return list(found)


@pytest.mark.parametrize("name,block", shell_blocks(), ids=lambda x: x if isinstance(x, str) and len(x) < 30 else "")
def test_issue23_every_shell_block_is_valid_shell(name, block):
    r = subprocess.run(["bash", "-n"], input=block, text=True, capture_output=True)
    assert r.returncode == 0, f"{name}: {r.stderr.strip()}"


def test_issue23_the_commands_found_include_the_catalogue():
    found = commands()
    assert "rnetkg query recommendation-source --param rec=nccn-2025/rec-t1" in found
    assert "rnetkg query caveats --param rec=nccn-2025/rec-le2cm" in found
    assert any(c.startswith(".venv/bin/rnetkg compare examples/") for c in found)
    assert len(found) >= 20


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A folder like a checkout: examples/ and queries/, and .venv/bin/{rnetkg,python} running the
    package under test."""
    d = tmp_path_factory.mktemp("docs")
    shutil.copytree(ROOT / "examples", d / "examples")
    shutil.copytree(ROOT / "queries", d / "queries")
    bin_ = d / ".venv" / "bin"
    bin_.mkdir(parents=True)
    env_line = f"PYTHONPATH={shlex.quote(str(ROOT / 'src'))}${{PYTHONPATH:+:$PYTHONPATH}}"
    (bin_ / "rnetkg").write_text(f"#!/bin/sh\n{env_line} exec {shlex.quote(sys.executable)} -m rnetkg \"$@\"\n")
    (bin_ / "python").write_text(f"#!/bin/sh\n{env_line} exec {shlex.quote(sys.executable)} \"$@\"\n")
    for f in bin_.iterdir():
        f.chmod(0o755)
    return d


def _env(workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = f"{workdir / '.venv' / 'bin'}:/usr/bin:/bin"  # `rnetkg` as a user with the venv on PATH
    return env


@pytest.mark.slow
@pytest.mark.parametrize("command", commands())
def test_issue23_every_documented_command_runs_as_written(command, workdir):
    r = subprocess.run(["bash", "-c", command], cwd=workdir, env=_env(workdir), text=True,
                       capture_output=True, timeout=300)
    assert r.returncode == 0, f"{command}: exit {r.returncode}: {r.stderr.strip()[-300:]}"
    redirected = re.search(r"(--out|>)\s*(\S+)", command)
    if redirected:  # the output went to a file: it is there and not empty
        assert (workdir / redirected.group(2)).stat().st_size > 0, command
    else:
        assert r.stdout.strip(), command


def test_issue23_clinic_md_python_heredoc_without_an_active_venv(workdir):
    text = (ROOT / "docs" / "clinic.md").read_text(encoding="utf-8")
    block = next(body for _, body in BLOCK.findall(text) if "<<'PY'" in body)
    script = block[:block.index("\nPY\n") + 4]
    assert script.startswith(".venv/bin/python - <<'PY' > request.json")
    env = _env(workdir)
    env["PATH"] = "/usr/bin:/bin"  # no virtual environment active: `python` alone would lack rnetkg
    r = subprocess.run(["bash", "-c", script], cwd=workdir, env=env, text=True, capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr
    request = json.loads((workdir / "request.json").read_text())
    assert request["hook"] == "patient-view" and set(request["prefetch"]) >= {"observations", "procedures"}


def test_issue23_clinic_md_card_example_is_what_the_service_answers(workdir):
    """The request docs/clinic.md makes, sent to the service (rnetkg.serve.cds.respond, what the
    server runs for POST /cds-services/rnet-guideline-comparison): the cards it shows."""
    from rnetkg.serve import cds
    from rnetkg.serve.page import Clinic

    text = (ROOT / "docs" / "clinic.md").read_text(encoding="utf-8")
    block = text[text.index("<!-- cds-example: begin -->"):text.index("<!-- cds-example: end -->")]
    written = json.loads(block[block.index("```json") + 7:block.rindex("```")])
    request = workdir / "request.json"
    if not request.exists():
        test_issue23_clinic_md_python_heredoc_without_an_active_venv(workdir)
    answer = cds.respond(Clinic.load(), request.read_bytes(), "http://127.0.0.1:7878/")
    assert written == [{"indicator": c["indicator"], "summary": c["summary"]} for c in answer["cards"]]


@pytest.mark.slow
def test_issue23_map_md_colours_are_the_map_codes():
    from rnetkg.map.data import map_data
    from rnetkg.map.plot import set_colours, set_label, set_short

    text = (ROOT / "docs" / "map.md").read_text(encoding="utf-8")
    table = text[text.index("<!-- map-colours: begin -->"):text.index("<!-- map-colours: end -->")]
    written = [tuple(c.strip() for c in line.strip("|").split("|")) for line in table.splitlines()[3:] if line]
    data = map_data()
    drawn = [(c, set_short(s, data.modality_keys), set_label(s, data.modality_keys))
             for s, c in set_colours(data).items()]
    assert written == drawn


def test_issue23_param_rec_takes_the_short_ids_of_describe(capsys):
    from rnetkg.cli import main

    assert main(["query", "recommendation-source", "--param", "rec=nccn-2025/rec-t1", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["rec"] for r in rows] == ["https://w3id.org/rnetkg/kg/nccn-2025/rec-t1"]
    assert main(["query", "recommendation-source", "--param", "rec=nccn 2025"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("--param rec 'nccn 2025': must be an IRI, <https://...>, rnet:Name or a short id like "
                        "nccn-2025/rec-t1 (a statement)") and len(err) <= 300 and "\n" not in err


def test_issue23_query_tables_show_prefixed_names(capsys):
    from rnetkg.cli import main

    assert main(["query", "caveats", "--param", "rec=nccn-2025/rec-le2cm"]) == 0
    out = capsys.readouterr().out
    assert "https://w3id.org/" not in out
    first = out.splitlines()[2]
    assert first.startswith("nccn-2025/rec-le2cm  NCCN-2025  nccn-2025/rec-le2cm  vagueness")
    assert max(len(line) for line in out.splitlines()) < 200


SESSION = re.compile(r"```console\n\$ (\.venv/bin/rnetkg compare examples/[\w.-]+\.json)\n(.*?)```", re.S)


def test_issue23_the_readme_compare_sessions_are_todays_output(workdir):
    """Each README session of one `rnetkg compare` on an example is what the command prints now."""
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    sessions = SESSION.findall(text)
    assert len(sessions) >= 3
    stale, new = [], text
    for command, shown in sessions:
        r = subprocess.run(["bash", "-c", command], cwd=workdir, env=_env(workdir), text=True,
                           capture_output=True, timeout=300)
        assert r.returncode == 0, r.stderr
        if r.stdout != shown:
            stale.append(command)
            new = new.replace(f"```console\n$ {command}\n{shown}```", f"```console\n$ {command}\n{r.stdout}```", 1)
    if stale and os.environ.get("RNETKG_UPDATE_DOCS") == "1":
        readme.write_text(new, encoding="utf-8")
        stale = []
    assert stale == [], "README shows another output than today's (make docs writes it again): " + "; ".join(stale)
