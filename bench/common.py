"""What the benchmark's parts share: the table's cells, and `rnetkg` run as a new process."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def fmt_s(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds:.3f} s" if seconds < 10 else f"{seconds:.1f} s"


def rate(n: int, seconds: float | None) -> str:
    if not seconds:
        return "-"
    return f"{n / seconds:,.0f}"


def print_table(rows: list[tuple[str, str, str, str, str]], seed: int | None = None) -> None:
    """The rows as a Markdown table; with the run's seed, under the header line (print_header)."""
    if seed is not None:
        print_header(seed)
        print()
    print("| what | profiles | time | profiles/s | note |")
    print("|---|---:|---:|---:|---|")
    for what, n, t, r, note in rows:
        print(f"| {what} | {n} | {t} | {r} | {note} |")


@contextmanager
def scratch() -> Iterator[Path]:
    """A temporary folder for the run's files, removed afterwards whatever happens."""
    tmp = Path(tempfile.mkdtemp(prefix="rnetkg-bench-"))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def print_header(seed: int) -> None:
    print(f"rnetkg benchmark: Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, seed {seed}")


def cli_command() -> list[str]:
    """`rnetkg` of this environment (the console script beside the interpreter), else `python -m rnetkg`."""
    script = Path(sys.executable).parent / "rnetkg"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "rnetkg"]


def child_env() -> dict[str, str]:
    """This environment, with the folder of the rnetkg measured here first on PYTHONPATH: a child
    process runs the same source (a checkout's src/, or the installed package)."""
    import rnetkg

    env = dict(os.environ)
    src = str(Path(rnetkg.__file__).resolve().parents[1])
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def time_command(args: list[str], repeats: int) -> tuple[float, int, list[float]]:
    times, code = [], 0
    for _ in range(repeats):
        t = time.perf_counter()
        proc = subprocess.run(cli_command() + args, env=child_env(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
        code = proc.returncode
    return statistics.median(times), code, times


def cold_ratio(args: list[str], repeats: int = 5) -> tuple[float, float, float]:
    """(median seconds of a cold `rnetkg ARGS`, median seconds of a bare `python -c pass`, their ratio):
    both measured in this one run, interleaved, with the same interpreter and environment, after one
    unmeasured run of each (rnetkg's cache folder, the modules' bytecode and the OS file cache filled,
    as on any machine after the first use: PYTHONDONTWRITEBYTECODE is left out of the children's
    environment, or every run would compile every module again)."""
    env = child_env()
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    bare = [sys.executable, "-c", "pass"]
    for cmd in (bare, cli_command() + args):
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cold, empty = [], []
    for _ in range(repeats):
        for cmd, times in ((bare, empty), (cli_command() + args, cold)):
            t = time.perf_counter()
            subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            times.append(time.perf_counter() - t)
    c, e = statistics.median(cold), statistics.median(empty)
    return c, e, c / e
