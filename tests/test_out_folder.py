"""Issue 21: the refusal of an OUT in a folder that is not writable runs whoever runs the suite.

tests/test_hardening.py checks it on a real read-only folder only when the suite does not run as root
(root writes anywhere, and CI runs as root). Here the folder is made read-only as well, and the
operating system's answer for it is given as an unprivileged user would get it, so the same
refusal is exercised under root too.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rnetkg import cli, outputs


@pytest.fixture
def read_only(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    real_access = os.access

    def access(path, mode, *args, **kwargs):
        if mode & os.W_OK and Path(path).resolve() == folder.resolve():
            return False  # what os.access answers an unprivileged owner of a 0o500 folder
        return real_access(path, mode, *args, **kwargs)

    monkeypatch.setattr(outputs.os, "access", access)
    yield folder
    folder.chmod(0o700)


def _one_line(code, out, err):
    assert (code, out) == (2, "")
    assert err.endswith("\n") and err.count("\n") == 1 and len(err) <= 301, err
    assert "Traceback" not in err
    return err


def test_issue21_cohort_out_in_a_read_only_folder(capsys, tmp_path, read_only):
    cohort = tmp_path / "good.csv"
    cohort.write_text("id,size_mm,margin\na,5,negative\n", encoding="utf-8")
    code = cli.main(["compare", "--cohort", str(cohort), "--out", str(read_only / "a.csv")])
    out, err = capsys.readouterr()
    assert f"--out {read_only / 'a.csv'}: folder {str(read_only)!r} is not writable" in _one_line(code, out, err)
    assert list(read_only.iterdir()) == []


def test_issue21_map_out_in_a_read_only_folder(capsys, read_only):
    code = cli.main(["map", "--out", str(read_only / "m.png")])
    out, err = capsys.readouterr()
    assert f"--out {read_only / 'm.png'}: folder {str(read_only)!r} is not writable" in _one_line(code, out, err)
    assert list(read_only.iterdir()) == []
