"""Reading a cohort file: FILE.csv (a header of profile field names; an empty cell is an absent field)
or FILE.jsonl (one JSON profile per line), into the records that validation takes.

The file is read in blocks of about BLOCK_BYTES, each cut after a record, so that memory does not
grow with the file (``iter_cohort``); ``read_cohort`` joins the blocks for the callers that want the
whole file at once (the SPARQL path).

CSV: each block is parsed by pyarrow's CSV reader when its quoting is RFC 4180 (a quote opens a
cell and closes it), its line ends are LF or CRLF and every row has the header's width; the line
of each record then follows from the positions of its newlines. Any other block (cells beyond the
header, a lone CR) is read by Python's csv module, which defines the result; a quote inside an
unquoted cell switches the rest of the file to the csv module, since the records can then no longer
be cut from the bytes. Both give the same cells. An Excel file (';' between cells, TRUE/FALSE,
a decimal comma) is read as such; a UTF-8 byte order mark is skipped.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.json as pajson

from ..errors import CohortError
from ..fields import FIELD_NAMES, FIELDS

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
BLOCK_BYTES = 2 << 20      # what one block of the file holds, about 33,000 generated CSV rows
BOM = b"\xef\xbb\xbf"
# the spellings of a CSV boolean: rnetkg's own and Excel's
CSV_BOOLEANS = {"true": True, "false": False, "TRUE": True, "FALSE": False}
_FIELD_LIMIT = (1 << 31) - 1


@dataclass
class RawCohort:
    """The records of a cohort file (or of one block of it), before validation.

    CSV: ``cells`` holds each column's cells as a pyarrow string array (the id included);
    ``codes(name)`` gives them as indices into their distinct values, ``numbers`` the number columns
    parsed (NaN where a cell is empty or not a number). JSONL: ``records`` holds the parsed JSON
    values. ``lines`` is the line number of each record; ``pre_errors`` are records rejected before
    any profile rule (a JSON syntax error, cells beyond the header), already left out of the records.
    """

    path: Path
    fmt: str
    lines: np.ndarray
    columns: tuple[str, ...] = ()
    cells: dict[str, pa.Array] = field(default_factory=dict)
    numbers: dict[str, np.ndarray] = field(default_factory=dict)
    records: list[Any] | None = None
    pre_errors: list[tuple[int, str]] = field(default_factory=list)
    decimal_comma: bool = False
    end_offset: int = 0   # byte offset of the file after this block (0: not known)
    ids_plain: bool = False   # no id holds , " CR or LF (nothing to quote in OUT)
    # JSON Lines read by pyarrow: the block and where each record's line starts and ends (the JSON value
    # of a row is parsed again, by Python, only for a row that is rejected)
    source: tuple[bytes, np.ndarray, np.ndarray] | None = None
    _codes: dict[str, tuple[np.ndarray, list[str]]] = field(default_factory=dict, repr=False)

    @property
    def n(self) -> int:
        return len(self.lines)

    def codes(self, name: str) -> tuple[np.ndarray, list[str]]:
        """Column ``name`` as (index of each row's cell into the distinct cells, the distinct cells)."""
        got = self._codes.get(name)
        if got is None:
            col = self.cells[name]
            enc = col if pa.types.is_dictionary(col.type) else pc.dictionary_encode(col)
            got = (enc.indices.to_numpy(zero_copy_only=False), enc.dictionary.to_pylist())
            self._codes[name] = got
        return got

    def source_line(self, i: int) -> str:
        """The text of record i of a JSON Lines block that pyarrow read."""
        block, starts, ends = self.source
        return block[starts[i]:ends[i]].decode("utf-8")

    def row_dict(self, i: int) -> Any:
        """Row i as the JSON-like value that profile.parse_profile validates."""
        if self.fmt == "jsonl":
            return self.records[i] if self.records is not None else json.loads(self.source_line(i))
        d: dict[str, Any] = {}
        for name in self.columns:
            cell = self.cells[name][i].as_py()
            if cell == "":
                continue
            kind = FIELDS[name].kind
            if kind == "number":
                v = self.numbers[name][i]
                d[name] = cell if np.isnan(v) else float(v)
            elif kind == "boolean":
                d[name] = CSV_BOOLEANS.get(cell, cell)
            else:
                d[name] = cell
        return d


# ---------------------------------------------------------------- numbers

_DECIMAL_COMMA = re.compile(r"\s*[+-]?(\d+,\d*|,\d+)([eE][+-]?\d+)?\s*")


def parse_numbers(cells: list[str] | np.ndarray, decimal_comma: bool = False) -> np.ndarray:
    """Distinct number cells -> float64 (NaN where empty or not a number), with pandas' exact number
    parser; with ``decimal_comma`` (a ';'-separated file) '1,5' is 1.5."""
    values = [c.replace(",", ".") if decimal_comma and "," in c and _DECIMAL_COMMA.fullmatch(c) else c
              for c in cells]
    parsed = pd.to_numeric(pd.Series(values, dtype=str), errors="coerce")
    return parsed.to_numpy(dtype=np.float64, na_value=np.nan)


class NumberCache:
    """parse_numbers over the blocks of one file: a cell met before is not parsed again (up to
    ``limit`` distinct cells, so that memory stays bounded)."""

    def __init__(self, decimal_comma: bool, limit: int = 1 << 17) -> None:
        self.decimal_comma, self.limit, self.known = decimal_comma, limit, {}

    def parse(self, cells: list[str]) -> np.ndarray:
        got = [self.known.get(c) for c in cells]
        new = [i for i, x in enumerate(got) if x is None]
        if new:
            parsed = parse_numbers([cells[i] for i in new], self.decimal_comma)
            for i, x in zip(new, parsed.tolist()):
                got[i] = x
            if len(self.known) < self.limit:
                self.known.update((cells[i], x) for i, x in zip(new, parsed.tolist()))
        return np.array(got, dtype=np.float64)


# ---------------------------------------------------------------- bytes, lines and the header

def _utf8_check(path: Path, data: bytes, offset: int) -> None:
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise CohortError(f"compare: cohort {path} is not UTF-8 text (byte {offset + e.start})") from None


def _cut(buf: bytes, eof: bool, quotes: bool = True) -> int:
    """Where the first whole records of ``buf`` end: after the last LF outside quotes (an even
    number of quotes before it); 0 when there is none yet; len(buf) at the end of the file."""
    pos = buf.rfind(b"\n")
    if eof:
        return len(buf)
    if pos < 0 or not quotes or buf.find(b'"', 0, pos) < 0:
        return pos + 1
    before = buf.count(b'"', 0, pos)
    while pos >= 0:
        if before % 2 == 0:
            return pos + 1
        prev = buf.rfind(b"\n", 0, pos)
        before -= buf.count(b'"', prev + 1, pos)
        pos = prev
    return 0


def _blocks(f: BinaryIO, size: int, quotes: bool = True) -> Iterator[bytes]:
    """The rest of ``f`` in blocks of about ``size`` bytes, each ending after a record (a LF outside
    quotes, with ``quotes``; any LF without)."""
    buf = b""
    while True:
        more = f.read(size)
        eof = not more
        buf = buf + more if buf else more
        if not buf:
            return
        cut = _cut(buf, eof, quotes)
        if cut:
            yield buf[:cut]
            buf = buf[cut:]
        if eof:
            if buf:
                yield buf
            return


def _first_record_end(buf: bytes) -> int:
    """Where the first record of ``buf`` ends: after the first LF outside quotes (0: none yet)."""
    pos, prev, quotes = buf.find(b"\n"), 0, 0
    while pos >= 0:
        quotes += buf.count(b'"', prev, pos)
        if quotes % 2 == 0:
            return pos + 1
        prev, pos = pos, buf.find(b"\n", pos + 1)
    return 0


@dataclass
class CsvLayout:
    """What the top of a CSV file says: the header, the delimiter and where the records start."""

    header: list[str]
    delimiter: str
    body_offset: int   # byte offset of the first record
    body_line: int     # line number of the first record


def _check_header(path: Path, first: list[str], hint: str = "") -> None:
    allowed = ", ".join(FIELD_NAMES)
    seen = set()
    for name in first:
        if name not in FIELDS:
            raise CohortError(f"compare: cohort {path}: unknown column {name!r}; allowed fields: {allowed}{hint}")
        if name in seen:
            raise CohortError(f"compare: cohort {path}: column {name!r} appears twice in the header")
        seen.add(name)
    missing = [n for n, f in FIELDS.items() if f.required and n not in seen]
    if missing:
        raise CohortError(f"compare: cohort {path}: the header lacks the required column"
                          f"{'s' if len(missing) > 1 else ''} {', '.join(missing)}; allowed fields: {allowed}{hint}")


def _header_row(text: str, delimiter: str) -> list[str]:
    return next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), None) or []


def csv_layout(path: Path, head: bytes, start: int) -> CsvLayout:
    """The header of a CSV file whose first record is ``head`` (from byte ``start``, after a BOM).

    The delimiter is ',' or, for a header that only makes sense split at ';' (Excel in many
    locales), ';'."""
    _utf8_check(path, head, start)
    text = head.decode("utf-8")
    first = _header_row(text, ",")
    if not first or all(c == "" for c in first):
        raise CohortError(f"compare: cohort {path} has no header line (expected profile field names: "
                          f"{', '.join(FIELD_NAMES)})")
    delimiter, hint = ",", ""
    if any(c not in FIELDS for c in first):
        semi = _header_row(text, ";")
        if len(semi) > 1 and sum(c in FIELDS for c in semi) > sum(c in FIELDS for c in first):
            delimiter, first = ";", semi
        elif "\t" in text:
            hint = " (the header is separated by tabs: save the file as CSV, comma- or semicolon-separated)"
    _check_header(path, first, hint)
    lines = text.count("\n") + text.count("\r") - text.count("\r\n")
    return CsvLayout(first, delimiter, start + len(head), 1 + max(lines, 1))


# ---------------------------------------------------------------- CSV blocks

def _regular_quotes(arr: np.ndarray, q: np.ndarray, delim: int) -> bool:
    """Every quote opens a cell (at its start), closes it (before a delimiter or a line end) or is
    half of a doubled quote inside it: RFC 4180, where the quotes before a LF tell whether it
    ends a record."""
    if len(q) % 2:
        return False
    n = len(arr)
    opens, closes = q[0::2], q[1::2]
    before = arr[np.maximum(opens - 1, 0)]
    ok_open = (opens == 0) | (before == delim) | (before == 10) | (before == 13)
    # an opening quote right after a closing one: a doubled quote inside the cell
    ok_open[1:] |= opens[1:] == closes[:-1] + 1
    if not ok_open.all():
        return False
    after = arr[np.minimum(closes + 1, n - 1)]
    ok_close = (closes == n - 1) | (after == delim) | (after == 10) | (after == 13)
    ok_close[:-1] |= closes[:-1] + 1 == opens[1:]
    return bool(ok_close.all())


def _record_lines(block: bytes, first_line: int, has_quotes: bool, delim: int) -> np.ndarray | None:
    """The line of each non-blank record of a block whose line ends are LF or CRLF; None when its
    quoting is not RFC 4180."""
    arr = np.frombuffer(block, dtype=np.uint8)
    lf = np.flatnonzero(arr == 10)
    if not block.endswith(b"\n"):
        lf = np.append(lf, len(block))
    if has_quotes:
        q = np.flatnonzero(arr == 34)
        if not _regular_quotes(arr, q, delim):
            return None
        ends = lf[np.searchsorted(q, lf) % 2 == 0]
    else:
        ends = lf
    starts = np.concatenate(([0], ends[:-1] + 1))
    length = ends - starts
    if len(length):
        length -= arr[np.maximum(ends - 1, 0)] == 13   # a CRLF line end
    first = first_line + np.searchsorted(lf, starts)   # LFs before each record's start
    return first[length > 0].astype(np.int64)


_DICT = pa.dictionary(pa.int32(), pa.string())


def _parse_block(block: bytes, header: list[str], delimiter: str, has_quotes: bool) -> pa.Table | None:
    """pyarrow's reading of a block: the id as text, every other column dictionary-encoded."""
    try:
        return pacsv.read_csv(
            pa.py_buffer(block),
            read_options=pacsv.ReadOptions(column_names=header, block_size=len(block) + 1, use_threads=False),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=has_quotes),
            # the block's UTF-8 is checked before (_utf8_check), where the byte can be named
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() if n == "id" else _DICT for n in header}, null_values=[],
                strings_can_be_null=False, quoted_strings_can_be_null=False, check_utf8=False))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):   # a row of another width, ...
        return None


def _records_exactly(path: Path, reader, header: list[str], start_line: int) -> Iterator[tuple[int, list[str] | str]]:
    """(line, cells) of each record of a csv.reader, or (line, message) for one with cells beyond the
    header; a file that the csv module cannot read at all is a CohortError."""
    width = len(header)
    line = start_line + reader.line_num
    try:
        for rec in reader:
            here = line
            line = start_line + reader.line_num
            if len(rec) > width:
                extra = [c for c in rec[width:] if c != ""]
                if extra:
                    yield here, (f"row: {len(rec)} cells, but the header has {width} columns "
                                 f"(extra: {', '.join(repr(c) for c in extra[:3])})")
                    continue
                rec = rec[:width]
            elif len(rec) < width:
                rec = rec + [""] * (width - len(rec))
            yield here, rec
    except csv.Error as e:
        raise CohortError(f"compare: cohort {path}: line {line}: cannot read the CSV ({e})") from None


def _raw_csv(path: Path, header: list[str], delimiter: str, columns: list[list[str]] | dict[str, pa.Array],
             lines: np.ndarray, pre_errors: list[tuple[int, str]], ids_plain: bool = False,
             numbers: NumberCache | None = None) -> RawCohort:
    """A CSV block from its cells; blank rows (every cell empty) left out, numbers parsed."""
    if isinstance(columns, dict):
        cells = columns
    else:
        cells = {name: pa.array(col, type=pa.string()) for name, col in zip(header, columns)}
    raw = RawCohort(path=path, fmt="csv", lines=lines, columns=tuple(header), cells=cells,
                    pre_errors=pre_errors, decimal_comma=delimiter == ";", ids_plain=ids_plain)
    if len(lines):
        # a blank row: every cell empty (the required size_mm first: it rules out nearly every row)
        order = sorted(header, key=lambda name: name != "size_mm")
        blank = None
        for name in order:
            if name == "id":
                empty = pc.equal(cells[name], "").to_numpy(zero_copy_only=False)
            else:
                codes, values = raw.codes(name)
                where = [i for i, v in enumerate(values) if v == ""]
                empty = codes == where[0] if where else np.zeros(len(codes), dtype=bool)
            blank = empty if blank is None else blank & empty
            if not blank.any():
                break
        if blank.any():
            keep = ~blank
            where = pa.array(np.flatnonzero(keep))
            raw.cells = {k: v.take(where) for k, v in cells.items()}
            raw.lines = lines[keep]
            raw._codes = {k: (c[keep], v) for k, (c, v) in raw._codes.items()}
    for name in header:
        if FIELDS[name].kind == "number":
            codes, values = raw.codes(name)
            table = numbers.parse(values) if numbers is not None else parse_numbers(values, raw.decimal_comma)
            raw.numbers[name] = table[codes] if len(codes) else np.empty(0, dtype=np.float64)
    return raw


def _exact_block(path: Path, text: str, header: list[str], delimiter: str, first_line: int) -> RawCohort:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows, lines, errors = [], [], []
    for line, rec in _records_exactly(path, reader, header, first_line):
        if isinstance(rec, str):
            errors.append((line, rec))
        else:
            rows.append(rec)
            lines.append(line)
    columns = [list(c) for c in zip(*rows)] if rows else [[] for _ in header]
    return _raw_csv(path, header, delimiter, columns, np.asarray(lines, dtype=np.int64), errors)


def _exact_rest(path: Path, f: BinaryIO, offset: int, layout: CsvLayout, first_line: int, rows_per_block: int,
                read_header: bool = False) -> Iterator[RawCohort]:
    """The rest of the file from ``offset`` with the csv module alone (streamed)."""

    def text_lines() -> Iterator[str]:
        at = offset
        for block in _blocks(f, BLOCK_BYTES, quotes=False):
            _utf8_check(path, block, at)
            at += len(block)
            yield from io.StringIO(block.decode("utf-8"), newline="")

    reader = csv.reader(text_lines(), delimiter=layout.delimiter)
    if read_header:
        first = next(reader, None) or []
        _check_header(path, first)
        layout.header = first
        first_line = 1 + reader.line_num
    header = layout.header
    rows, lines, errors = [], [], []
    for line, rec in _records_exactly(path, reader, header, first_line - reader.line_num):
        if isinstance(rec, str):
            errors.append((line, rec))
        else:
            rows.append(rec)
            lines.append(line)
        if len(rows) >= rows_per_block:
            yield _raw_csv(path, header, layout.delimiter, [list(c) for c in zip(*rows)],
                           np.asarray(lines, dtype=np.int64), errors)
            rows, lines, errors = [], [], []
    if rows or errors:
        columns = [list(c) for c in zip(*rows)] if rows else [[] for _ in header]
        yield _raw_csv(path, header, layout.delimiter, columns, np.asarray(lines, dtype=np.int64), errors)


def iter_csv(path: Path, block_bytes: int = BLOCK_BYTES) -> Iterator[RawCohort]:
    """The records of a CSV cohort, block by block (the header is checked before the first)."""
    old_limit = csv.field_size_limit(_FIELD_LIMIT)
    try:
        with open(path, "rb") as f:
            start = 3 if f.read(3) == BOM else 0
            f.seek(start)
            head, end = b"", 0
            while not end:
                more = f.read(1 << 16)
                head += more
                end = _first_record_end(head)
                if not more:
                    end = end or len(head)
                    break
            if b"\r" in head[:end].rstrip(b"\r\n"):   # a lone CR ends the header: the csv module alone
                f.seek(start)
                yield from _exact_rest(path, f, start, CsvLayout([], ",", start, 1), 1, 65536, read_header=True)
                return
            layout = csv_layout(path, head[:end], start)
            f.seek(layout.body_offset)
            yield from _csv_body(path, f, layout, block_bytes)
    finally:
        csv.field_size_limit(old_limit)


def _csv_body(path: Path, f: BinaryIO, layout: CsvLayout, block_bytes: int) -> Iterator[RawCohort]:
    header, delimiter = layout.header, layout.delimiter
    delim = ord(delimiter)
    numbers = NumberCache(delimiter == ";")
    offset, line = layout.body_offset, layout.body_line
    for block in _blocks(f, block_bytes):
        _utf8_check(path, block, offset)
        has_quotes = b'"' in block
        lone_cr = b"\r" in block and block.count(b"\r") != block.count(b"\r\n")
        n_lf = block.count(b"\n")
        raw = None
        if not lone_cr:
            table = _parse_block(block, header, delimiter, has_quotes)
            n_lines = n_lf + (not block.endswith(b"\n"))
            if table is not None and not has_quotes and table.num_rows == n_lines:
                lines = line + np.arange(n_lines, dtype=np.int64)   # one record per line
            else:
                lines = _record_lines(block, line, has_quotes, delim)
                if lines is None:
                    # a quote inside an unquoted cell: the records cannot be cut from the bytes any more
                    f.seek(offset)
                    yield from _exact_rest(path, f, offset, layout, line, max(1, block_bytes // 64))
                    return
            if table is not None and table.num_rows == len(lines):
                cols = {name: table.column(j).combine_chunks() for j, name in enumerate(header)}
                # a cell can hold the delimiter, a quote or a line end only when quoted
                raw = _raw_csv(path, header, delimiter, cols, lines, [], ids_plain=not has_quotes and delim == 44,
                               numbers=numbers)
        if raw is None:
            raw = _exact_block(path, block.decode("utf-8"), header, delimiter, line)
        offset += len(block)
        raw.end_offset = offset
        line += n_lf + (block.count(b"\r") - block.count(b"\r\n") if lone_cr else 0)
        yield raw


# ---------------------------------------------------------------- JSON Lines

_JSON_WS = " \t\r"


def _json_problem(line: str) -> str:
    try:
        json.loads(line)
    except json.JSONDecodeError as e:
        return f"row: not valid JSON (column {e.colno}: {e.msg})"
    except RecursionError:
        return "row: not valid JSON (nested too deeply)"
    except ValueError as e:   # an integer of more digits than Python converts
        return f"row: not valid JSON ({str(e).splitlines()[0]})"
    return "row: not valid JSON"


def _json_all(texts: list[str], scan) -> list[Any] | None:
    """The JSON value of every text, when each is one JSON value and nothing else; else None."""
    try:
        parsed = [scan(t, 0) for t in texts]
    except (StopIteration, ValueError, RecursionError):
        return None
    if list(map(len, texts)) != [end for _, end in parsed]:
        return None
    return [value for value, _ in parsed]


def _json_lines(pieces: list[str], before: int, scan) -> tuple[list[Any], list[int], list[tuple[int, str]]]:
    """The JSON value of each non-blank line of a block whose first line is before + 1 (a line with
    blanks around its value, a blank line or a line that is not JSON: line by line)."""
    values = _json_all(pieces, scan)   # the common case: every line a bare JSON value
    if values is not None:
        return values, list(range(before + 1, before + 1 + len(pieces))), []
    pieces = [p.strip(_JSON_WS) for p in pieces]
    if all(pieces):
        lines = list(range(before + 1, before + 1 + len(pieces)))
        texts = pieces
    else:
        lines = [before + 1 + i for i, p in enumerate(pieces) if p]
        texts = [p for p in pieces if p]
    values = _json_all(texts, scan)
    if values is not None:
        return values, lines, []
    records, kept, errors = [], [], []
    for line, text in zip(lines, texts):
        try:
            value, end = scan(text, 0)
            if end != len(text):
                raise ValueError
        except (StopIteration, ValueError, RecursionError):
            errors.append((line, _json_problem(text)))
            continue
        records.append(value)
        kept.append(line)
    return records, kept, errors


_JSON_TYPES = {"string": pa.string(), "enum": pa.string(), "number": pa.float64(), "boolean": pa.bool_()}
_JSON_OPTIONS = pajson.ParseOptions(
    explicit_schema=pa.schema([(name, _JSON_TYPES[f.kind]) for name, f in FIELDS.items()]),
    unexpected_field_behavior="error", newlines_in_values=False)


def _arrow_json_block(path: Path, block: bytes, first_line: int) -> RawCohort | None:
    """A block of JSON Lines read by pyarrow, when every line is one JSON object (it starts with '{'
    and ends with '}') whose fields are profile fields of their JSON types: a string id, numbers,
    strings, true/false (or null). None otherwise (a blank line, another type, an unknown or a
    repeated field, a lone surrogate ...): Python's json module reads that block."""
    arr = np.frombuffer(block, dtype=np.uint8)
    ends = np.flatnonzero(arr == 10)
    if not block.endswith(b"\n"):
        ends = np.append(ends, len(block))
    if not len(ends):
        return None
    starts = np.concatenate(([0], ends[:-1] + 1))
    last = ends - 1
    last -= arr[np.maximum(last, 0)] == 13   # a CRLF line end
    if (last < starts).any() or (arr[np.minimum(starts, len(arr) - 1)] != 123).any() or (arr[last] != 125).any():
        return None
    try:
        table = pajson.read_json(pa.py_buffer(block),
                                 read_options=pajson.ReadOptions(use_threads=False, block_size=len(block) + 1),
                                 parse_options=_JSON_OPTIONS)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if table.num_rows != len(ends):   # two objects on one line
        return None
    cells = {name: table.column(name).combine_chunks() for name in FIELDS}
    return RawCohort(path=path, fmt="jsonl", lines=first_line + np.arange(len(ends), dtype=np.int64),
                     cells=cells, source=(block, starts, last + 1))


def iter_jsonl(path: Path, block_bytes: int = BLOCK_BYTES, arrow: bool = True) -> Iterator[RawCohort]:
    """The records of a JSON Lines cohort, block by block: with pyarrow's JSON reader where it reads a
    block exactly as Python's json module does (``arrow``), with the json module otherwise."""
    scan = json.JSONDecoder().scan_once   # json.loads without its Python-level wrapper
    line_no = 0
    with open(path, "rb") as f:
        start = 3 if f.read(3) == BOM else 0
        f.seek(start)
        offset = start
        for block in _blocks(f, block_bytes, quotes=False):
            _utf8_check(path, block, offset)
            offset += len(block)
            raw = _arrow_json_block(path, block, line_no + 1) if arrow else None
            if raw is not None:
                line_no += len(raw.lines)
            else:
                pieces = block.decode("utf-8").split("\n")
                if block.endswith(b"\n"):
                    pieces.pop()   # the empty piece after the block's last LF: the next block's first line
                records, lines, pre_errors = _json_lines(pieces, line_no, scan)
                line_no += len(pieces)
                raw = RawCohort(path=path, fmt="jsonl", lines=np.asarray(lines, dtype=np.int64), records=records,
                                pre_errors=pre_errors)
            raw.end_offset = offset
            yield raw


def read_bulk_export(path: Path) -> RawCohort:
    """A FHIR bulk-data export folder (Observation.ndjson, optionally Procedure.ndjson): one record per
    patient (rnetkg.fhir.read_bulk, in a stable order), numbered 1, 2, ...; a patient or a line that
    cannot make a profile is a rejected row."""
    from ..fhir import read_bulk

    records, lines, pre_errors = [], [], []
    for n, entry in enumerate(read_bulk(path), start=1):
        if isinstance(entry.result, Exception):
            pre_errors.append((entry.line or n, str(entry.result)))
        else:
            records.append({"id": entry.patient, **entry.result.profile} if entry.patient and
                           "id" not in entry.result.profile else dict(entry.result.profile))
            lines.append(n)
    return RawCohort(path=path, fmt="jsonl", lines=np.asarray(lines, dtype=np.int64), records=records,
                     pre_errors=pre_errors)


# ---------------------------------------------------------------- a whole cohort

def iter_cohort(path: Path, block_bytes: int | None = None, arrow_json: bool = True) -> Iterator[RawCohort]:
    """The records of a cohort file (or FHIR bulk-export folder), one block at a time; the file's
    own problems (not found, not UTF-8, a bad header) are CohortErrors, raised before the first
    block of records is given (a byte that is not UTF-8 further on: when its block is read)."""
    path = Path(path)
    if path.is_dir():
        yield read_bulk_export(path)
        return
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise CohortError(f"compare: cohort {path}: expected FILE.csv, FILE.jsonl or a FHIR bulk-export folder")
    if not path.is_file():
        raise CohortError(f"compare: cohort file {str(path)!r} not found")
    block_bytes = block_bytes or BLOCK_BYTES
    yield from (iter_csv(path, block_bytes) if fmt == "csv" else iter_jsonl(path, block_bytes, arrow_json))


def concat(path: Path, parts: list[RawCohort]) -> RawCohort:
    """The blocks of one file as one RawCohort."""
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return RawCohort(path=path, fmt=FORMATS.get(path.suffix.lower(), "jsonl"), lines=np.zeros(0, np.int64),
                         records=[])
    first = parts[0]
    lines = np.concatenate([p.lines for p in parts])
    pre_errors = sorted(e for p in parts for e in p.pre_errors)
    if first.fmt == "jsonl":
        return RawCohort(path=path, fmt="jsonl", lines=lines, records=[r for p in parts for r in p.records],
                         pre_errors=pre_errors)
    cells = {name: pa.concat_arrays([p.cells[name].cast(pa.string()) for p in parts]) for name in first.columns}
    numbers = {name: np.concatenate([p.numbers[name] for p in parts]) for name in first.numbers}
    return RawCohort(path=path, fmt="csv", lines=lines, columns=first.columns, cells=cells, numbers=numbers,
                     pre_errors=pre_errors, decimal_comma=first.decimal_comma)


def read_cohort(path: Path) -> RawCohort:
    """The whole cohort at once (the SPARQL path and the tests), JSON Lines read by the json module."""
    path = Path(path)
    return concat(path, list(iter_cohort(path, arrow_json=False)))
