"""Cohort files as they come: read block by block, the same records, lines and messages whatever the
block size; quoted newlines, Excel's CSV, a byte order mark, fields of 200,000 characters, lone
surrogates in JSON ids, JSON that Python cannot build."""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path

import pytest

from rnetkg import cli, cohort
from rnetkg.answer import answer_to_row
from rnetkg.cohort import read as cohort_read
from rnetkg.cohort import run as cohort_run
from rnetkg.compare import compare_profiles
from rnetkg.profile import json_value, parse_profile


def run(inp: Path, out: Path, engine: str = "fast"):
    err = io.StringIO()
    summary = cohort.run_cohort(inp, out, engine_name=engine,
                                on_rejected=lambda errors: err.write("".join(f"line {n}: {m}\n" for n, m in errors)))
    return summary, err.getvalue()


def read_out(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def answers(*profiles: dict) -> list[list[str]]:
    return [answer_to_row(a) for a in compare_profiles([parse_profile(p) for p in profiles])]


def reference_records(path: Path, delimiter: str = ",") -> list[tuple[int, list[str]]]:
    """(line, cells) of every non-blank record after the header: Python's csv module on the whole file."""
    text = path.read_bytes().decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader)
    out, start = [], reader.line_num + 1
    for rec in reader:
        line, start = start, reader.line_num + 1
        rec = (rec + [""] * len(header))[:len(header)]
        if any(rec):
            out.append((line, rec))
    return out


def records(raw: cohort.RawCohort) -> list[tuple[int, list[str]]]:
    cols = {name: raw.cells[name].cast("string").to_pylist() for name in raw.columns}
    return [(int(raw.lines[i]), [cols[name][i] for name in raw.columns]) for i in range(raw.n)]


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of a few hundred bytes, so that a small file is read as many blocks; and the profiles
    evaluated in batches of a few dozen, so that classes met in an earlier batch are matched again."""
    def use(size: int) -> None:
        monkeypatch.setattr(cohort_read, "BLOCK_BYTES", size)
        monkeypatch.setattr(cohort_run, "EVALUATION_ROWS", 40)
    return use


# ---------------------------------------------------------------- quoted newlines, any block size

def _quoted_newline_file(path: Path, n: int = 400, seed: int = 5) -> Path:
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        kind = rnd.random()
        rid = f"case-{i}"
        if kind < 0.15:
            rid = f"case-{i}\nsecond line, with \"quotes\""
        elif kind < 0.2:
            rid = f"case-{i}\r\nwindows line"
        elif kind < 0.25:
            rid = ""
        size = rnd.choice(["5", "9.9", "15", "25", "-1", "abc"])
        rows.append([rid, size, rnd.choice(["not_resected", "negative", "positive", "clear"]),
                     rnd.choice(["", "true", "false"])])
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "size_mm", "margin", "distant_metastasis"])
        for i, r in enumerate(rows):
            w.writerow(r)
            if i % 50 == 7:
                f.write("\n")   # a blank line
    return path


@pytest.mark.parametrize("block", [64, 300, 4096, 1 << 21])
def test_quoted_newlines_read_as_the_csv_module_reads_them(tmp_path, small_blocks, block):
    path = _quoted_newline_file(tmp_path / "nl.csv")
    small_blocks(block)
    raw = cohort.read_cohort(path)
    assert records(raw) == reference_records(path)
    assert raw.pre_errors == []


def test_quoted_newlines_fast_equals_sparql_with_lines_and_messages(tmp_path, small_blocks):
    path = _quoted_newline_file(tmp_path / "nl.csv")
    small_blocks(256)
    fast, err_fast = run(path, tmp_path / "fast.csv")
    sparql, err_sparql = run(path, tmp_path / "sparql.csv", "sparql")
    assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "sparql.csv").read_bytes()
    assert err_fast == err_sparql and fast["errors"] == sparql["errors"]
    ref = reference_records(path)
    bad = [(line, cells) for line, cells in ref if cells[1] in ("-1", "abc") or cells[2] == "clear"]
    assert [line for line, _ in fast["errors"]] == [line for line, _ in bad]
    for (line, message), (_, cells) in zip(fast["errors"], bad):
        expected = ("size_mm: must be > 0, got -1" if cells[1] == "-1" else
                    "size_mm: must be a number (> 0), got 'abc'" if cells[1] == "abc" else
                    "margin: must be one of not_resected, negative, indeterminate, positive, got 'clear'")
        assert message == expected, line
    good = [(line, cells) for line, cells in ref if (line, cells) not in bad]
    rows = read_out(tmp_path / "fast.csv")[1:]
    assert [r[0] for r in rows] == [cells[0] or str(line) for line, cells in good]


def test_a_quote_inside_an_unquoted_cell_hands_the_rest_to_the_csv_module(tmp_path, small_blocks):
    path = tmp_path / "odd.csv"
    lines = ["id,size_mm,margin"] + [f"r{i},15,negative" for i in range(40)]
    lines[20] = 'a"b,15,negative'          # a quote in an unquoted cell: literal for the csv module
    lines[25] = '"c"d,15,negative'         # text after a closing quote: 'cd'
    lines[30] = '"e\nf",12,not_resected'   # a quoted newline after them
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for block in (50, 1 << 21):
        small_blocks(block)
        assert records(cohort.read_cohort(path)) == reference_records(path)
    summary, err = run(path, tmp_path / "out.csv")
    assert err == "" and summary["written"] == 40
    ids = [r[0] for r in read_out(tmp_path / "out.csv")[1:]]
    assert ids[19] == 'a"b' and ids[24] == "cd" and ids[29] == "e\nf" and ids[30] == "r30"


def test_cells_beyond_the_header_and_lone_cr_in_any_block(tmp_path, small_blocks):
    path = tmp_path / "mixed.csv"
    body = ["id,size_mm,margin"]
    for i in range(60):
        body.append(f"r{i},15,negative" + (",extra" if i % 17 == 3 else ",," if i % 13 == 4 else ""))
    text = "\r\n".join(body) + "\r\n"
    text = text.replace("r40,15,negative\r\n", "r40,15,negative\r")   # a lone CR ends a record too
    path.write_bytes(text.encode())
    for block in (70, 1 << 21):
        small_blocks(block)
        summary, err = run(path, tmp_path / "out.csv")
        assert err.splitlines() == [f"line {i + 2}: row: 4 cells, but the header has 3 columns (extra: 'extra')"
                                    for i in range(60) if i % 17 == 3]
        assert summary["written"] == 60 - 4
        ids = [r[0] for r in read_out(tmp_path / "out.csv")[1:]]
        assert ids == [f"r{i}" for i in range(60) if i % 17 != 3]


@pytest.mark.parametrize("block", [64, 1 << 21])
def test_an_unterminated_quote_is_one_line_exit_2(tmp_path, capsys, small_blocks, block):
    """A quote that opens a cell and is never closed would make the rest of the file one cell (the csv
    module's reading): every row after it lost. It is refused, naming its line."""
    small_blocks(block)
    path = tmp_path / "open.csv"
    path.write_text('id,size_mm,margin\na,15,negative\n"b,15,negative\nc,12,negative\n', encoding="utf-8")
    out = tmp_path / "out.csv"
    assert cli.main(["compare", "--cohort", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 1
    assert "line 3: a quoted cell opens here and is never closed" in err
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["open.csv"]
    # deep in a large file, CRLF line ends
    big = tmp_path / "big.csv"
    cohort.generate(6000, 2, big)
    lines = big.read_text(encoding="utf-8").splitlines()
    lines[5000] = '"' + lines[5000]
    big.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    assert cli.main(["compare", "--cohort", str(big), "--out", str(out)]) == 2
    assert "line 5001: a quoted cell opens here and is never closed" in capsys.readouterr().err
    # a quote inside an unquoted cell is no quoted cell: the csv module's reading, the row rejected
    stray = tmp_path / "stray.csv"
    stray.write_text('id,size_mm,margin\na,15,negative\nb,5" wide,negative\nc,12,negative\n', encoding="utf-8")
    assert cli.main(["compare", "--cohort", str(stray), "--out", str(out)]) == 0
    assert "line 3: size_mm: must be a number" in capsys.readouterr().err
    assert [r[0] for r in read_out(out)[1:]] == ["a", "c"]


# ---------------------------------------------------------------- Excel, byte order mark

def test_excel_csv_semicolons_true_false_decimal_comma_bom_crlf(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (
        "id;size_mm;margin;lymphovascular_invasion;ki67_percent;distant_metastasis\r\n"
        "a;15;not_resected;TRUE;1,5;FALSE\r\n"
        "b;12,5;negative;FALSE;;\r\n"
        "c;8;negative;yes;2;\r\n"
        "\"d;e\";25;positive;true;3,0;false\r\n").encode())
    expected_rows = answers(
        {"id": "a", "size_mm": 15, "margin": "not_resected", "lymphovascular_invasion": True, "ki67_percent": 1.5,
         "distant_metastasis": False},
        {"id": "b", "size_mm": 12.5, "margin": "negative", "lymphovascular_invasion": False},
        {"id": "d;e", "size_mm": 25, "margin": "positive", "lymphovascular_invasion": True, "ki67_percent": 3.0,
         "distant_metastasis": False})
    for engine in ("fast", "sparql"):
        summary, err = run(path, tmp_path / f"{engine}.csv", engine)
        assert err == "line 4: lymphovascular_invasion: must be true or false, got 'yes'\n"
        assert read_out(tmp_path / f"{engine}.csv")[1:] == expected_rows
    assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "sparql.csv").read_bytes()


def test_booleans_in_any_case_in_a_comma_file(tmp_path):
    """DESIGN.md: CSV booleans are true/false, case-insensitive (Excel writes TRUE and FALSE)."""
    path = tmp_path / "upper.csv"
    path.write_text("id,size_mm,margin,atypical_surface\na,15,not_resected,TRUE\nb,15,not_resected,False\n"
                    "c,15,not_resected,yes\n", encoding="utf-8")
    for engine in ("fast", "sparql"):
        summary, err = run(path, tmp_path / f"{engine}.csv", engine)
        assert err == "line 4: atypical_surface: must be true or false, got 'yes'\n"
        assert read_out(tmp_path / f"{engine}.csv")[1:] == answers(
            {"id": "a", "size_mm": 15, "margin": "not_resected", "atypical_surface": True},
            {"id": "b", "size_mm": 15, "margin": "not_resected", "atypical_surface": False})


def test_a_tab_separated_file_is_refused_with_the_hint(tmp_path, capsys):
    path = tmp_path / "tabs.csv"
    path.write_text("id\tsize_mm\tmargin\na\t15\tnegative\n", encoding="utf-8")
    assert cli.main(["compare", "--cohort", str(path), "--out", str(tmp_path / "out.csv")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "separated by tabs" in err and "semicolon" in err


def test_a_semicolon_header_with_an_unknown_column_names_it(tmp_path, capsys):
    path = tmp_path / "semi.csv"
    path.write_text("id;size_mm;margin;colour\na;15;negative;blue\n", encoding="utf-8")
    assert cli.main(["compare", "--cohort", str(path), "--out", str(tmp_path / "out.csv")]) == 2
    assert "unknown column 'colour'" in capsys.readouterr().err


def test_bom_csv_and_jsonl(tmp_path):
    csv_path = tmp_path / "bom.csv"
    csv_path.write_bytes(b"\xef\xbb\xbfid,size_mm,margin\nx,15,not_resected\n")
    jsonl_path = tmp_path / "bom.jsonl"
    jsonl_path.write_bytes(b'\xef\xbb\xbf{"id": "x", "size_mm": 15, "margin": "not_resected"}\n')
    expected = answers({"id": "x", "size_mm": 15, "margin": "not_resected"})
    for path in (csv_path, jsonl_path):
        summary, err = run(path, tmp_path / "out.csv")
        assert err == "" and read_out(tmp_path / "out.csv")[1:] == expected


def test_not_utf8_names_the_byte_in_a_later_block(tmp_path, small_blocks, capsys):
    path = tmp_path / "late.csv"
    path.write_bytes(b"id,size_mm,margin\n" + b"a,15,negative\n" * 50 + b"caf\xe9,15,negative\n")
    small_blocks(64)
    out = tmp_path / "out.csv"
    assert cli.main(["compare", "--cohort", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"is not UTF-8 text (line 52, byte {18 + 14 * 50 + 3})" in err
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["late.csv"]


# ---------------------------------------------------------------- long fields

@pytest.mark.parametrize("exact", [False, True])
def test_a_field_of_200000_characters(tmp_path, exact):
    big = "x" * 200_000
    path = tmp_path / "big.csv"
    rows = [[big, "15", "not_resected"], [big + "\n" + big, "12", "negative"], ["c", "15", "negative"]]
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "size_mm", "margin"])
        w.writerows(rows)
        if exact:   # a row wider than the header: the csv module reads this block
            f.write("d,15,negative,extra\n")
        f.write(big + ",-1,negative\n")
    for engine in ("fast", "sparql"):
        summary, err = run(path, tmp_path / f"{engine}.csv", engine)
        last = 7 if exact else 6   # the second record spans lines 3 and 4
        assert err.splitlines()[-1] == f"line {last}: size_mm: must be > 0, got -1"
        csv.field_size_limit(1 << 30)
        assert [r[0] for r in read_out(tmp_path / f"{engine}.csv")[1:]] == [big, big + "\n" + big, "c"]
    assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "sparql.csv").read_bytes()


# ---------------------------------------------------------------- JSON Lines

def test_a_lone_surrogate_id_rejects_its_row_only(tmp_path):
    path = tmp_path / "surrogate.jsonl"
    path.write_text('{"id": "a", "size_mm": 15, "margin": "negative"}\n'
                    '{"id": "\\ud800x", "size_mm": 15, "margin": "negative"}\n'
                    '{"id": "pair \\ud83d\\ude00", "size_mm": 15, "margin": "negative"}\n'
                    '{"id": "\\udfff", "size_mm": -1, "margin": "negative"}\n', encoding="utf-8")
    for engine in ("fast", "sparql"):
        summary, err = run(path, tmp_path / f"{engine}.csv", engine)
        assert err.splitlines() == [
            "line 2: id: must be Unicode text; it holds a lone surrogate \\ud800 at character 1",
            "line 4: id: must be Unicode text; it holds a lone surrogate \\udfff at character 1"]
        assert [r[0] for r in read_out(tmp_path / f"{engine}.csv")[1:]] == ["a", "pair \U0001F600"]
    assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "sparql.csv").read_bytes()


@pytest.mark.parametrize("block", [1, 1 << 21])
def test_json_python_cannot_build_is_a_rejected_row(tmp_path, small_blocks, block):
    small_blocks(block)
    path = tmp_path / "deep.jsonl"
    path.write_text('{"id": "a", "size_mm": 15, "margin": "negative"}\n'
                    + "[" * 100_000 + "]" * 100_000 + "\n"
                    + '{"id": "b", "size_mm": ' + "9" * 5000 + ', "margin": "negative"}\n'
                    + '{"id": "c", "size_mm": 15, "margin": "negative"}\n', encoding="utf-8")
    summary, err = run(path, tmp_path / "out.csv")
    lines = err.splitlines()   # as profile.json_value reads a profile
    assert lines[0] == "line 2: row: JSON nested too deeply (at most 64 levels)"
    assert lines[1] == "line 3: size_mm: must be > 0, got a number beyond the range of a double"
    assert [r[0] for r in read_out(tmp_path / "out.csv")[1:]] == ["a", "c"]


def test_jsonl_lines_across_blocks(tmp_path, small_blocks):
    rnd = random.Random(3)
    lines = []
    for i in range(300):
        r = rnd.random()
        if r < 0.05:
            lines.append("")
        elif r < 0.1:
            lines.append("{broken")
        else:
            lines.append(json.dumps({"id": f"j{i}", "size_mm": rnd.choice([5, 15, -2]), "margin": "negative"}))
    path = tmp_path / "many.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    outs = []
    for block in (40, 1000, 1 << 21):
        small_blocks(block)
        summary, err = run(path, tmp_path / f"out-{block}.csv")
        outs.append(((tmp_path / f"out-{block}.csv").read_bytes(), err))
        expected_bad = [i + 1 for i, text in enumerate(lines) if text == "{broken" or '"size_mm": -2' in text]
        assert [e[0] for e in summary["errors"]] == expected_bad
    assert outs[0] == outs[1] == outs[2]


def test_generated_cohort_in_many_blocks_fast_equals_sparql(tmp_path, small_blocks):
    """Many blocks and batches: the classes of profiles of later batches are matched to earlier ones."""
    path = tmp_path / "gen.csv"
    cohort.generate(800, 21, path)
    run(path, tmp_path / "one-block.csv")
    small_blocks(4096)
    summary, err = run(path, tmp_path / "fast.csv")
    assert err == "" and summary["written"] == 800
    run(path, tmp_path / "sparql.csv", "sparql")
    one = (tmp_path / "one-block.csv").read_bytes()
    assert (tmp_path / "fast.csv").read_bytes() == one == (tmp_path / "sparql.csv").read_bytes()


# ---------------------------------------------------------------- JSON Lines read by pyarrow

# values of each field's JSON type (in range or not), and values of another type
JSON_FUZZ = {
    "id": (["a", "", "x,y", 'q"q', "\u00e9\n", "7"], [7, True]),
    "size_mm": ([5, 9.9, 10, 15.0, 20, 20.1, -3, 0, float("nan"), float("inf"), 10 ** 400, 1e-400,
                 12345678901234567891, -0.0], ["5", True]),
    "grade": (["G1", "G2", "G3", "G4", ""], [1]),
    "ki67_percent": ([0, 2.9, 3, 20, 20.1, 100, 101], ["x", False]),
    "mitoses_per_2mm2": ([0, 1.9, 2, 20, 21], [[2]]),
    "invasion_depth": (["mucosa", "submucosa", "muscularis_propria", "muscle"], [{"a": 1}]),
    "t_stage": (["T1", "T1a", "T1b", "T2", "T0", ""], [2]),
    "lymphovascular_invasion": ([True, False], ["true", 1, 1.0]),
    "lymph_nodes": (["N0", "N1"], [0]),
    "distant_metastasis": ([True, False], [0]),
    "margin": (["not_resected", "negative", "indeterminate", "positive", "clear", ""], [None]),
    "atypical_surface": ([True, False], ["", [True]]),
}


def _json_fuzz_file(path: Path, n: int, seed: int) -> Path:
    rnd = random.Random(seed)
    lines = []
    for i in range(n):
        d = {}
        for k, (typed, other) in JSON_FUZZ.items():
            r = rnd.random()
            if r < 0.03:
                d[k] = rnd.choice(other)
            elif r < 0.06:
                d[k] = None
            elif r < 0.75 or k in ("size_mm", "margin"):
                d[k] = rnd.choice(typed)
        if rnd.random() < 0.02:
            d["colour"] = "blue"
        text = json.dumps(d)
        r = rnd.random()
        if r < 0.03:
            text = text.replace('"id"', '"id": "dup", "id"', 1) if '"id"' in text else text
        elif r < 0.05:
            text = text + "\r"
        elif r < 0.06:
            text = "  " + text
        elif r < 0.07:
            text = ""
        elif r < 0.08:
            text = text + text
        elif r < 0.09:
            text = text.replace('"margin": "', '"margin": "\\ud800', 1)
        lines.append(text)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("block", [1, 512, 1 << 21])
def test_jsonl_blocks_read_by_pyarrow_validate_as_parse_profile(tmp_path, small_blocks, block):
    path = _json_fuzz_file(tmp_path / "fuzz.jsonl", 700, 8)
    small_blocks(block)
    texts = path.read_text(encoding="utf-8").split("\n")
    arrow_blocks = 0
    for raw in cohort_read.iter_cohort(path):
        arrow_blocks += raw.source is not None
        v = cohort.validate(raw)
        messages = dict(v.errors)
        ids = v.ids
        for i in range(raw.n):
            line = int(raw.lines[i])
            try:
                p = parse_profile(json_value(texts[line - 1]), default_id=str(line))
            except Exception:
                assert not v.ok[i] and line in messages
                continue
            if p.id.encode("utf-8", "surrogatepass") != p.id.encode("utf-8", "replace"):
                assert not v.ok[i]
                continue
            assert v.ok[i], (line, texts[line - 1])
            assert ids[i] == p.id
    if block == 1:
        assert arrow_blocks > 250   # many lines are read by pyarrow on their own


@pytest.mark.parametrize("block", [1, 700, 1 << 21])
def test_jsonl_fast_path_equals_sparql_path(tmp_path, small_blocks, block):
    path = _json_fuzz_file(tmp_path / "fuzz.jsonl", 600, 9)
    small_blocks(block)
    fast, err_fast = run(path, tmp_path / "fast.csv")
    sparql, err_sparql = run(path, tmp_path / "sparql.csv", "sparql")
    assert err_fast == err_sparql
    assert (fast["read"], fast["written"]) == (sparql["read"], sparql["written"])
    assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "sparql.csv").read_bytes()


# ---------------------------------------------------------------- any text: the csv module's reading

def _reference_with_errors(path: Path, delimiter: str = ","):
    """(records, errors) as the csv module reads the file: what every block size must give."""
    text = path.read_bytes().decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader)
    width = len(header)
    out, errors, start = [], [], reader.line_num + 1
    for rec in reader:
        line, start = start, reader.line_num + 1
        if len(rec) > width and any(rec[width:]):
            extra = [c for c in rec[width:] if c != ""]
            errors.append((line, f"row: {len(rec)} cells, but the header has {width} columns "
                                 f"(extra: {', '.join(repr(c) for c in extra[:3])})"))
            continue
        rec = (rec + [""] * width)[:width]
        if any(rec):
            out.append((line, rec))
    return out, errors


@pytest.mark.parametrize("seed", range(40))
def test_random_csv_text_reads_as_the_csv_module_reads_it(tmp_path, small_blocks, seed):
    rnd = random.Random(seed)
    pieces = ["a", "15", "x y", ",", '"', '""', "\n", "\r\n", "\r", "é", "", "not_resected"]
    header = "id,size_mm,margin\n" if rnd.random() < 0.8 else '"id","size_mm","margin"\r\n'
    rows = []
    for _ in range(rnd.randint(0, 40)):
        cells = []
        for _ in range(rnd.choice([1, 2, 3, 3, 3, 3, 4])):
            if rnd.random() < 0.3:   # a quoted cell, RFC 4180
                cells.append('"' + "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 3))).replace('"', '""')
                             + '"')
            elif rnd.random() < 0.05:   # anything, quotes and line ends included
                cells.append("".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 3))))
            else:
                cells.append(rnd.choice(["a", "15", "", "not_resected", "x y", "é"]))
        rows.append(",".join(cells) + rnd.choice(["\n", "\n", "\n", "\r\n", "\n\n"]))
    path = tmp_path / "random.csv"
    path.write_bytes((header + "".join(rows)).encode("utf-8"))
    try:
        expected = _reference_with_errors(path)
    except csv.Error:   # the csv module cannot read it either (an open quote at the end)
        return
    for block in (1, 7, 64, 1 << 21):
        small_blocks(block)
        raw = cohort.read_cohort(path)
        assert (records(raw), sorted(raw.pre_errors)) == expected, block


def test_classes_matched_across_batches_whatever_the_buckets(tmp_path, small_blocks, monkeypatch):
    """The buckets only narrow the candidates: with every class in one bucket, or each in its own,
    the answers are the same (profile_classes decides which known class a profile belongs to)."""
    path = tmp_path / "gen.csv"
    cohort.generate(600, 5, path)
    run(path, tmp_path / "reference.csv")   # one batch
    small_blocks(2048)
    for name, buckets in (("one", lambda self, cols: [0] * len(cols)),
                          ("own", lambda self, cols: list(range(id(cols), id(cols) + len(cols))))):
        monkeypatch.setattr(cohort_run._Answers, "_buckets", buckets)
        summary, err = run(path, tmp_path / f"{name}.csv")
        assert err == "" and summary["written"] == 600
        assert (tmp_path / f"{name}.csv").read_bytes() == (tmp_path / "reference.csv").read_bytes(), name
