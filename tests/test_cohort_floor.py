"""Issue 16: the cohort path close to the cost of reading the file. What its speed rests on is tested
here for its answers: numbers read without pandas give pandas' values; Arrow arrays built from their
buffers; the next block made in another thread, errors and early stops included; another reading
context evaluates only what differs from the default readings; a cohort run imports no pandas; the
SPARQL path (issue 14) on one profile per class, in parallel batches, equals the queries on every
profile. And the command's edges: an input's problems named as the input's, an empty cohort, a full
standard output, the progress of the SPARQL path."""

from __future__ import annotations

import csv
import random
import subprocess
import sys
import threading
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from rnetkg import cohort
from rnetkg.arrow import from_numpy, string_scalar, strings, to_numpy
from rnetkg.cohort.ahead import ahead
from rnetkg.cohort.raw import parse_numbers
from rnetkg.cohort.validate import columns, validate
from rnetkg.criteria.load import model_for
from rnetkg.criteria.vectorised import evaluate, evaluate_readings, factorize
from rnetkg.engine import StoreEngine


# ---------------------------------------------------------------- numbers without pandas

def _random_cells(rnd: random.Random, n: int) -> list[str]:
    cells = []
    for _ in range(n):
        r = rnd.random()
        if r < 0.1:   # anything
            cells.append("".join(rnd.choice("0123456789..-+eE ,x_") for _ in range(rnd.randint(0, 12))))
        elif r < 0.15:
            cells.append(rnd.choice(["", "0", "-0", "-0.0", "+0", ".0", "-.0", "inf", "-inf", "nan", "NaN", "1e400",
                                     "1_000", "\u0661\u0662", " 12", "12 ", "-", ".", "+.5", "5.", "1e5", "0x10"]))
        else:   # a plain decimal, short or long, with or without a sign
            digits = "".join(rnd.choice("0123456789") for _ in range(rnd.randint(1, 19)))
            k = rnd.randint(0, len(digits))
            cell = digits[:k] + "." + digits[k:] if rnd.random() < 0.8 else digits
            cells.append(rnd.choice(["", "", "-", "+"]) + cell)
    return cells


@pytest.mark.parametrize("seed", [1, 2])
def test_numbers_are_read_as_pandas_reads_them(seed):
    cells = _random_cells(random.Random(seed), 40_000)
    got = parse_numbers(cells)
    want = pd.to_numeric(pd.Series(cells, dtype=str), errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    same = ((got == want) & (np.signbit(got) == np.signbit(want))) | (np.isnan(got) & np.isnan(want))
    assert same.all(), [(cells[i], got[i], want[i]) for i in np.flatnonzero(~same)[:5]]
    # each cell alone too: pandas reads a column of integers as integers, where "-0" is 0
    for cell in ("-0", "-0.0", "0", "1e400", "+.21193812E40", "+5.89E31"):
        alone = pd.to_numeric(pd.Series([cell], dtype=str), errors="coerce").to_numpy(dtype=np.float64)[0]
        assert np.array_equal(parse_numbers([cell]), [alone], equal_nan=True) and \
            np.signbit(parse_numbers([cell])[0]) == np.signbit(alone), cell


def test_decimal_commas_still_read():
    assert parse_numbers(["1,5", "-0,25", "2", "1,5e3"], decimal_comma=True).tolist()[:3] == [1.5, -0.25, 2.0]


# ---------------------------------------------------------------- Arrow arrays by their buffers

def test_arrow_arrays_from_and_to_numpy():
    for values in (np.arange(7, dtype=np.int64), np.array([1.5, np.nan, -0.0]), np.array([], dtype=np.int32),
                   np.array([True, False, True, True, False, False, True, False, True])):
        arr = from_numpy(values)
        nan = values.dtype.kind == "f"
        assert arr.type == pa.array(values).type and arr.null_count == 0
        assert np.array_equal(np.array(arr.to_pylist(), dtype=values.dtype), values, equal_nan=nan)
        assert np.array_equal(to_numpy(arr), values, equal_nan=nan)
        if len(values) > 3:   # an offset into the buffer (a slice), booleans' bits included
            assert np.array_equal(to_numpy(arr.slice(3)), values[3:], equal_nan=nan)
    with pytest.raises(ValueError, match="nulls"):
        to_numpy(pa.array([1, None]))
    text = ["", "é", "a,b", "line\nend", "\U0001f600"]
    assert strings(text).to_pylist() == text and strings(text).type == pa.string()
    assert strings(text, large=True).to_pylist() == text and strings(text, large=True).type == pa.large_string()
    assert strings([]).to_pylist() == [] and string_scalar("x").as_py() == "x"
    keys = np.array([5, 3, 5, 9, 3, 3, 1], dtype=np.int64)
    assert factorize(keys).tolist() == [0, 1, 0, 2, 1, 1, 3]   # codes in order of first appearance


CHILD = """
import sys
from pathlib import Path
from rnetkg import cohort
summary = cohort.run_cohort(Path(sys.argv[1]), Path(sys.argv[2]))
print(summary["written"], "pandas" in sys.modules)
"""


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "quoted-newlines"])
def test_a_cohort_run_imports_no_pandas(tmp_path, fmt):
    """pandas costs a cold command about 0.15 s and 40 MiB: the CSV and JSON Lines paths do without it."""
    from bench.cohorts import write_jsonl, write_quoted_newlines

    path = tmp_path / "gen.csv"
    cohort.generate(300, 3, path)
    if fmt == "jsonl":
        write_jsonl(path, tmp_path / "gen.jsonl")
        path = tmp_path / "gen.jsonl"
    elif fmt == "quoted-newlines":
        write_quoted_newlines(path, tmp_path / "nl.csv", every=7)
        path = tmp_path / "nl.csv"
    done = subprocess.run([sys.executable, "-c", CHILD, str(path), str(tmp_path / "out.csv")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["300", "False"]


# ---------------------------------------------------------------- one step ahead, in another thread

@pytest.mark.parametrize("depth", [1, 4])
def test_ahead_keeps_order_and_makes_the_next_items_meanwhile(depth):
    made = []

    def items():
        for i in range(12):
            made.append(i)
            yield i

    seen = []
    for item in ahead(items(), depth):
        time.sleep(0.01)   # the caller works: the thread goes on meanwhile, up to depth items ahead
        seen.append((item, len(made)))
    assert [s[0] for s in seen] == list(range(12))
    # while item i is worked on: up to depth items wait, one more is made (and waits to be put)
    assert all(n <= i + depth + 2 for i, n in seen), seen
    assert any(n >= i + 1 + depth for i, n in seen[:-depth - 1]), seen   # it did go ahead


def test_ahead_raises_the_error_in_order_and_stops():
    def items():
        yield 1
        yield 2
        raise ValueError("block 3 is bad")

    got = []
    with pytest.raises(ValueError, match="block 3 is bad"):
        for item in ahead(items()):
            got.append(item)
    assert got == [1, 2]


def test_ahead_closed_early_closes_its_source_and_leaves_no_thread():
    closed = threading.Event()

    def items():
        try:
            for i in range(100):
                yield i
        finally:
            closed.set()

    gen = ahead(items())
    assert next(gen) == 0
    gen.close()
    assert closed.is_set()
    assert not [t for t in threading.enumerate() if t.name == "rnetkg-ahead" and t.is_alive()]


def _generated(tmp_path, n: int, seed: int):
    """A generated cohort of n profiles: its file, its raw blocks read whole, and its validated criteria
    columns."""
    path = tmp_path / "gen.csv"
    cohort.generate(n, seed, path)
    raw = cohort.read_cohort(path)
    v = validate(raw)
    return path, raw, columns(v, np.flatnonzero(v.ok))


# ---------------------------------------------------------------- reading contexts: only what differs

def test_other_contexts_evaluate_only_what_differs_with_the_same_answer(tmp_path):
    """evaluate_readings skips, in another reading context, the guidelines and statements that are
    the same as under the default readings: its answer equals evaluating every context in full."""
    _, _, cols = _generated(tmp_path, 3000, 11)
    model = model_for(StoreEngine())
    status, mods, dependent = evaluate_readings(model, cols)
    s0, m0 = evaluate(model, cols)
    full = np.zeros(status.shape, dtype=bool)
    for context in model.contexts[1:]:
        s2, m2 = evaluate(model, cols, context)
        full |= (s2 != s0) | (m2 != m0)
    assert np.array_equal(status, s0) and np.array_equal(mods, m0)
    assert np.array_equal(dependent, full)
    # and the generated profiles do reach reading-dependent answers for several guidelines
    dependent_keys = {k for j, k in enumerate(model.guideline_keys) if full[:, j].any()}
    assert {"NCCN-2025", "CNETS", "ASCO-2023", "NICE-2024"} <= dependent_keys


# ---------------------------------------------------------------- the SPARQL path: one profile per class

def test_a_class_is_the_profiles_that_every_condition_at_their_decision_point_answers_alike(tmp_path):
    """profile_classes puts two profiles in one class exactly when they have the same decision point and
    every atomic condition read there (any statement, any reading context) gives them the same status:
    counted here from each condition's own test (atom_status), and every profile's answer, under every
    reading, is its class's."""
    from rnetkg.criteria.vectorised import atom_status, profile_classes
    from rnetkg.fields import DECISION_POINTS

    _, _, cols = _generated(tmp_path, 4000, 5)
    model = model_for(StoreEngine())
    classes, reps = profile_classes(model, cols)
    # the classes: the distinct (decision point, status of each condition read there)
    want = set()
    for d, dp in enumerate(DECISION_POINTS):
        here = cols.take(np.flatnonzero(cols.decision_point == d))
        atoms = [a for field_atoms in model.atoms_at(dp).values() for a in field_atoms]
        vectors = np.stack([atom_status(a, here) for a in atoms], axis=1) if atoms else np.zeros((len(here), 0))
        want |= {(d, row.tobytes()) for row in vectors}
    assert len(reps) == len(want)
    assert len(set(zip(classes.tolist(), cols.decision_point.tolist()))) == len(reps)
    # sound: each profile's answer, in every reading context, is its representative's
    status, mods, dependent = evaluate_readings(model, cols)
    rs, rm, rd = evaluate_readings(model, cols.take(reps))
    assert np.array_equal(status, rs[classes]) and np.array_equal(mods, rm[classes])
    assert np.array_equal(dependent, rd[classes])
    # at metastatic disease only the metastases (and ENETS's size of >= 20 mm) are read: grade, Ki-67, the
    # margin and the rest do not split a class
    meta = np.flatnonzero(cols.decision_point == DECISION_POINTS.index("metastatic_disease"))
    read = {"distant_metastasis", "liver_metastasis", "metastases_resectable", "size_mm"}
    assert set(model.atoms_at("metastatic_disease")) == read
    by_read = {tuple(str(cols.values[f][i]) for f in sorted(read)) for i in meta}
    assert len(set(classes[meta].tolist())) <= len(by_read) < len(meta)


def test_columns_rows_are_the_rows_profile_row_writes(tmp_path):
    """The VALUES rows built from a cohort's criteria columns are, text for text, the rows that
    queries.profile_rows writes for the same profiles parsed one by one."""
    from rnetkg import queries
    from rnetkg.compare import columns_rows

    _, raw, cols = _generated(tmp_path, 800, 21)
    profiles, _, errors = cohort.parse_rows(raw)
    assert not errors and len(profiles) == len(cols) == 800
    assert columns_rows(cols.values, cols.decision_point) == [queries.profile_rows(i, p) for i, p in enumerate(profiles)]


def test_sparql_path_one_profile_per_class_equals_the_queries_on_every_profile(tmp_path):
    """`--cohort-engine sparql` sends to the queries one profile of each class of profiles
    (profile_classes) whose statements' statuses (statement_keys) were not queried before; its rows
    equal those of the queries run on every distinct profile (compare.cohort_rows)."""
    from rnetkg.compare import cohort_rows
    from rnetkg.criteria.vectorised import profile_classes, statement_keys

    path, raw, cols = _generated(tmp_path, 1200, 8)
    out = tmp_path / "out.csv"
    summary = cohort.run_cohort(path, out, engine_name="sparql")
    assert summary["written"] == 1200 and summary["rejected"] == 0
    with open(out, encoding="utf-8", newline="") as f:
        got = list(csv.reader(f))[1:]
    profiles, _, _ = cohort.parse_rows(raw)
    assert got == cohort_rows(profiles)
    # the classes are shared: fewer queries' profiles than profiles, and the queries run once per
    # distinct set of statement statuses (the rows guideline-status.rq takes) among the classes
    model = model_for(StoreEngine())
    _, reps = profile_classes(model, cols)
    assert summary["classes"] == len(reps) < 1200
    assert summary["queried"] == len(set(statement_keys(model, cols.take(reps)))) < len(reps)


def test_sparql_path_in_parallel_batches_keeps_order_and_stops_on_an_error(tmp_path, monkeypatch):
    """On the embedded store the batches of the SPARQL path run a query per core at a time, as many
    batches for each core, of equal size: the rows come back in the profiles' order (the file equals
    the fast path's), and an error in one batch is raised as itself, with no OUT and no temporary file
    left."""
    import rnetkg.cohort.run as cohort_run
    import rnetkg.compare as compare_module

    path = tmp_path / "gen.csv"
    cohort.generate(400, 4, path)
    cohort.run_cohort(path, tmp_path / "fast.csv")
    real, sizes = compare_module.class_rows, []

    def counted(values, decision_points, engine):
        sizes.append(len(decision_points))
        return real(values, decision_points, engine)

    monkeypatch.setattr(compare_module, "class_rows", counted)
    monkeypatch.setattr(cohort_run.os, "cpu_count", lambda: 2)
    summary = cohort.run_cohort(path, tmp_path / "sparql.csv", engine_name="sparql", batch_size=37)
    assert (tmp_path / "sparql.csv").read_bytes() == (tmp_path / "fast.csv").read_bytes()
    # the classes in batches of at most 37, as many for each of the two workers, of equal size
    assert sum(sizes) == summary["queried"] > 37 * 2
    assert max(sizes) <= 37 and max(sizes) - min(sizes) <= 1 and len(sizes) % 2 == 0

    calls = []

    def failing(values, decision_points, engine):
        calls.append(len(decision_points))
        if len(calls) == 3:
            raise RuntimeError("the third query failed")
        return real(values, decision_points, engine)

    monkeypatch.setattr(compare_module, "class_rows", failing)
    with pytest.raises(RuntimeError, match="the third query failed"):
        cohort.run_cohort(path, tmp_path / "broken.csv", engine_name="sparql", batch_size=37)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fast.csv", "gen.csv", "sparql.csv"]


def test_the_benchmark_times_the_sparql_path_in_process_and_as_a_new_process(tmp_path):
    """bench.cohorts.sparql_rows: a row per size in process and one as a new process (`rnetkg compare --cohort`),
    each OUT compared with the fast path's: the same bytes say yes, a fast path's file that differs NO."""
    from bench.cohorts import sparql_rows

    path, _, _ = _generated(tmp_path, 60, 9)
    cohort.run_cohort(path, tmp_path / "fast-60.csv")
    rows, same = sparql_rows({60: path}, [60], [60], tmp_path, lambda message: None)
    assert same
    assert [r[0] for r in rows] == ["cohort, SPARQL path (pyoxigraph), in process", "fast == SPARQL (byte-identical OUT)",
                                    "cold `rnetkg compare --cohort FILE --cohort-engine sparql` (median of 3)"]
    assert rows[1][2] == "yes" and "OUT the same as in process: yes" in rows[2][4] and "exit 0" in rows[2][4]
    assert all(r[1] == "60" for r in rows)
    fast = tmp_path / "fast-60.csv"
    fast.write_bytes(fast.read_bytes().replace(b"covered", b"silent", 1))
    rows, same = sparql_rows({60: path}, [60], [60], tmp_path, lambda message: None)
    assert not same and rows[1][2] == "NO"


def test_rejected_rows_with_the_same_cells_share_one_message_each_the_same_as_alone(tmp_path):
    """A CSV block's rejected rows whose cells but the id are the same text get the message found once
    for the first of them: every message equals the one row_problem gives the row alone."""
    from rnetkg.cohort.validate import row_problem

    rnd = random.Random(3)
    lines = ["id,size_mm,ki67_percent,grade,t_stage,margin"]
    for i in range(600):
        size = rnd.choice(["-1", "0", "abc", "12", "25", ""])
        lines.append(",".join([rnd.choice([f"case-{i}", "", f"id {i}"]), size,
                               rnd.choice(["", "1.5", "30", "-2"]), rnd.choice(["", "G1", "G3", "G9"]),
                               rnd.choice(["", "T1a", "T2", "T5"]), rnd.choice(["negative", "clear", "not_resected"])]))
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    raw = cohort.read_cohort(path)
    v = validate(raw)
    alone = sorted((int(raw.lines[i]), row_problem(raw, int(i), int(raw.lines[i]))) for i in np.flatnonzero(~v.ok))
    assert len(alone) > 300 and len({m for _, m in alone}) > 10
    assert v.errors == alone


# ---------------------------------------------------------------- the input's problems are the input's

def test_an_unreadable_cohort_is_named_not_out(tmp_path, monkeypatch, capsys):
    """A cohort file that cannot be read (permissions) is reported as the input's problem, even though
    it is read in another thread while OUT is being written; nothing is written."""
    from rnetkg import cli
    from rnetkg.cohort import read_csv

    path = tmp_path / "locked.csv"
    cohort.generate(50, 1, path)

    def refuse(file, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(file))

    monkeypatch.setattr(read_csv, "open", refuse, raising=False)
    out = tmp_path / "out.csv"
    for engine in ("fast", "sparql"):
        assert cli.main(["compare", "--cohort", str(path), "--out", str(out), "--cohort-engine", engine]) == 2
        err = capsys.readouterr().err
        assert err.strip() == f"rnetkg: compare: cohort {path}: cannot read: permission denied", err
        assert sorted(p.name for p in tmp_path.iterdir()) == ["locked.csv"]


def test_a_pipe_is_not_a_missing_file(tmp_path, capsys):
    import os

    from rnetkg import cli

    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    assert cli.main(["compare", "--cohort", str(fifo), "--out", str(tmp_path / "out.csv")]) == 2
    assert "is not a regular file (a pipe or a device)" in capsys.readouterr().err


@pytest.mark.parametrize("engine", ["fast", "sparql"])
def test_progress_moves_forward_with_the_work(tmp_path, monkeypatch, engine):
    """The progress callback's fraction never goes back and moves during the work: on the SPARQL path
    with each batch of classes evaluated (most of its time), not only as the file is read."""
    from rnetkg.cohort import read as cohort_read
    from rnetkg.cohort import run as cohort_run

    monkeypatch.setattr(cohort_read, "BLOCK_BYTES", 20_000)
    monkeypatch.setattr(cohort_run, "EVALUATION_ROWS", 600)
    path = tmp_path / "gen.csv"
    cohort.generate(3000, 6, path)
    calls = []
    cohort.run_cohort(path, tmp_path / "out.csv", engine_name=engine, batch_size=10,
                      progress=lambda fraction, label: calls.append((fraction, label)))
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    working = [(f, label) for f, label in calls if 0.05 < f < 1.0]
    assert len({f for f, _ in working}) >= (5 if engine == "fast" else 20)
    if engine == "sparql":
        assert all(label.startswith("SPARQL ") and label.endswith(" classes") for _, label in working)


def test_generate_writes_csv_only_to_a_csv_name(tmp_path, capsys):
    from rnetkg import cli

    assert cli.main(["cohort", "generate", "--n", "10", "--out", str(tmp_path / "g.jsonl")]) == 2
    assert "the cohort is written as CSV; give a name ending in .csv" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
    assert cli.main(["cohort", "generate", "--n", "10", "--out", str(tmp_path / "g.CSV")]) == 0


def test_a_full_standard_output_is_one_line_exit_2(tmp_path):
    """`rnetkg compare ... > /dev/full` (Linux): one line on stderr, exit 2, no traceback."""
    path = tmp_path / "gen.csv"
    cohort.generate(20, 1, path)
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "rnetkg", "compare", "--cohort", str(path), "--out",
                               str(tmp_path / "out.csv")], stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip() == "rnetkg: cannot write the output: no space left on device"


@pytest.mark.parametrize("name, text, message", [
    # no profile after the header: OUT holds the header only, never an earlier run's answers
    ("header.csv", "id,size_mm,margin\n\n", "holds no profile"), ("empty.jsonl", "", "holds no profile"),
    ("blank.jsonl", "\n  \n\n", "holds no profile"),
    # not a cohort at all (a CSV without a header line, or with an unknown column): OUT not written
    ("empty.csv", "", "has no header line"), ("blank.csv", "\n\n", "has no header line"),
    ("odd.csv", "id,size_mm,colour\na,5,red\n", "unknown column 'colour'")])
def test_a_cohort_without_any_profile_is_one_line_exit_2(tmp_path, capsys, name, text, message):
    """One line and exit 2 either way; OUT as README and --help say: the header only for a cohort
    without any profile, left as it was for an input that is not a cohort at all."""
    from rnetkg import cli

    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out.csv"
    out.write_text("answers of an earlier run\n")
    assert cli.main(["compare", "--cohort", str(path), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
    if message == "holds no profile":
        assert f"{path} holds no profile" in err and "header only" in err
        assert out.read_text().startswith("id,") and out.read_text().count("\n") == 1
    else:
        assert out.read_text() == "answers of an earlier run\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, "out.csv"])


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_a_byte_that_is_not_utf8_is_named_with_its_line(tmp_path, monkeypatch, capsys, suffix):
    from rnetkg import cli
    from rnetkg.cohort import read as cohort_read

    monkeypatch.setattr(cohort_read, "BLOCK_BYTES", 64)
    if suffix == ".csv":
        head, row, bad = b"id,size_mm,margin\n", b"a,15,negative\n", b"caf\xe9,15,negative\n"
    else:
        head, row, bad = b"", b'{"size_mm": 15, "margin": "negative"}\n', b'{"id": "caf\xe9", "size_mm": 15}\n'
    data = head + row * 40 + bad
    path = tmp_path / f"late{suffix}"
    path.write_bytes(data)
    assert cli.main(["compare", "--cohort", str(path), "--out", str(tmp_path / "out.csv")]) == 2
    line = 40 + (2 if head else 1)
    byte = data.index(b"\xe9")
    assert f"is not UTF-8 text (line {line}, byte {byte})" in capsys.readouterr().err
