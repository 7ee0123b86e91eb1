"""Reading a CSV cohort block by block.

Each block is parsed by pyarrow's CSV reader when its quoting is RFC 4180 (a quote opens a cell and
closes it), its line ends are LF or CRLF and every row has the header's width; the line of each
record then follows from the positions of its newlines. Any other block (cells beyond the header, a
lone CR) is read by Python's csv module, which defines the result; a quote inside an unquoted cell
switches the rest of the file to the csv module, since the records can then no longer be cut from
the bytes. Both give the same cells. An Excel file (';' between cells, TRUE/FALSE, a decimal comma)
is read as such; a UTF-8 byte order mark is skipped.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..arrow import from_numpy, string_scalar, strings, to_numpy
from ..errors import CohortError
from ..fields import FIELD_NAMES, FIELDS
from .raw import BOM, NumberCache, RawCohort, byte_blocks, check_utf8, parse_numbers

_FIELD_LIMIT = (1 << 31) - 1
_TEXT_BLOCK = 1 << 21   # what the csv module is fed at a time


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
    check_utf8(path, head, start, 1)
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


def _unclosed_quote(block: bytes, delim: int) -> int | None:
    """The offset of a quote that opens a cell and is never closed, the file ending inside the cell:
    the last block of a file (the blocks before it end after an even number of quotes) with an odd
    number of quotes, every quote before the last one RFC 4180 and the last one at the start of a
    cell. None for any other block (a stray quote inside an unquoted cell is the csv module's to read)."""
    arr = np.frombuffer(block, dtype=np.uint8)
    q = np.flatnonzero(arr == 34)
    if len(q) % 2 == 0:
        return None
    last = int(q[-1])
    if last and arr[last - 1] not in (delim, 10, 13):
        return None
    return last if _regular_quotes(arr, q[:-1], delim) else None


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
            # the block's UTF-8 is checked before (check_utf8), where the byte can be named
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
        cells = {name: strings(col) for name, col in zip(header, columns)}
    raw = RawCohort(path=path, fmt="csv", lines=lines, columns=tuple(header), cells=cells,
                    pre_errors=pre_errors, decimal_comma=delimiter == ";", ids_plain=ids_plain)
    if len(lines):
        # a blank row: every cell empty (the required size_mm first: it rules out nearly every row)
        order = sorted(header, key=lambda name: name != "size_mm")
        blank = None
        for name in order:
            if name == "id":
                empty = to_numpy(pc.equal(cells[name], string_scalar("")))
            else:
                codes, values = raw.codes(name)
                where = [i for i, v in enumerate(values) if v == ""]
                empty = codes == where[0] if where else np.zeros(len(codes), dtype=bool)
            blank = empty if blank is None else blank & empty
            if not blank.any():
                break
        if blank.any():
            keep = ~blank
            where = from_numpy(np.flatnonzero(keep))
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
        for block in byte_blocks(f, _TEXT_BLOCK, quotes=False):
            check_utf8(path, block, at)
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


def iter_csv(path: Path, block_bytes: int) -> Iterator[RawCohort]:
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
    for block in byte_blocks(f, block_bytes):
        check_utf8(path, block, offset, line)
        has_quotes = b'"' in block
        if has_quotes and block.count(b'"') % 2:   # every block but a file's last ends after an even count
            unclosed = _unclosed_quote(block, delim)
            if unclosed is not None:
                head = block[:unclosed]   # the lines before it: LF, CRLF or a lone CR ends one
                where = line + head.count(b"\n") + head.count(b"\r") - head.count(b"\r\n")
                raise CohortError(f"compare: cohort {path}: line {where}: a quoted cell opens here and is never "
                                  "closed (the file ends inside it); close the quote or remove it")
        lone_cr = b"\r" in block and block.count(b"\r") != block.count(b"\r\n")
        n_lf = block.count(b"\n")
        raw = None
        if lone_cr and has_quotes:
            arr = np.frombuffer(block, dtype=np.uint8)
            if not _regular_quotes(arr, np.flatnonzero(arr == 34), delim):
                f.seek(offset)   # as below: the csv module reads the rest
                yield from _exact_rest(path, f, offset, layout, line, max(1, block_bytes // 64))
                return
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


