"""Reading a JSON Lines cohort block by block: with pyarrow's JSON reader where it reads a block
exactly as Python's json module does, with the json module otherwise."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.json as pajson

from .. import profile
from ..fields import FIELDS
from .raw import BOM, RawCohort, byte_blocks, check_utf8


_JSON_WS = " \t\r"
_CONTAINERS = (list, dict)
# profile.json_value's reading of numbers and constants (integers of any length, NaN and Infinity
# refused), in the C scanner for whole blocks; a line that fails goes through json_value itself
_DECODER = json.JSONDecoder(parse_int=profile._parse_int, parse_constant=profile._refuse_constant)


def parse_line(text: str) -> tuple[Any, str | None]:
    """One line of a JSON Lines cohort as profile.json_value reads a profile: (value, None), or
    (None, the message of a rejected row)."""
    try:
        return profile.json_value(text), None
    except json.JSONDecodeError as e:
        return None, f"row: not valid JSON (column {e.colno}: {e.msg})"
    except ValueError as e:   # NaN, Infinity, nesting deeper than profile.MAX_JSON_DEPTH
        return None, f"row: {e}"


def _json_all(texts: list[str]) -> list[Any] | None:
    """The JSON value of every text, when each is one JSON value and nothing else, nested no deeper
    than json_value allows; else None."""
    scan = _DECODER.scan_once
    try:
        parsed = [scan(t, 0) for t in texts]
    except (StopIteration, ValueError, RecursionError):
        return None
    if list(map(len, texts)) != [end for _, end in parsed]:
        return None
    values = [value for value, _ in parsed]
    for v in values:   # a record whose fields hold arrays or objects: its depth is checked
        if type(v) is not dict or any(type(x) in _CONTAINERS for x in v.values()):
            if profile._depth(v) > profile.MAX_JSON_DEPTH:
                return None
    return values


def _json_lines(pieces: list[str], before: int) -> tuple[list[Any], list[int], list[tuple[int, str]]]:
    """The JSON value of each non-blank line of a block whose first line is before + 1 (a line with
    blanks around its value, a blank line or a line that is not JSON: line by line)."""
    values = _json_all(pieces)   # the common case: every line a bare JSON value
    if values is not None:
        return values, list(range(before + 1, before + 1 + len(pieces))), []
    pieces = [p.strip(_JSON_WS) for p in pieces]
    if all(pieces):
        lines = list(range(before + 1, before + 1 + len(pieces)))
        texts = pieces
    else:
        lines = [before + 1 + i for i, p in enumerate(pieces) if p]
        texts = [p for p in pieces if p]
    values = _json_all(texts)
    if values is not None:
        return values, lines, []
    records, kept, errors = [], [], []
    for line, text in zip(lines, texts):
        value, problem = parse_line(text)
        if problem is not None:
            errors.append((line, problem))
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


def iter_jsonl(path: Path, block_bytes: int, arrow: bool = True) -> Iterator[RawCohort]:
    """The records of a JSON Lines cohort, block by block: with pyarrow's JSON reader where it reads a
    block exactly as Python's json module does (``arrow``), with the json module otherwise."""
    line_no = 0
    with open(path, "rb") as f:
        start = 3 if f.read(3) == BOM else 0
        f.seek(start)
        offset, first_line = start, 1
        for block in byte_blocks(f, block_bytes, quotes=False):
            check_utf8(path, block, offset, first_line)
            offset += len(block)
            first_line += block.count(b"\n")
            raw = _arrow_json_block(path, block, line_no + 1) if arrow else None
            if raw is not None:
                line_no += len(raw.lines)
            else:
                pieces = block.decode("utf-8").split("\n")
                if block.endswith(b"\n"):
                    pieces.pop()   # the empty piece after the block's last LF: the next block's first line
                records, lines, pre_errors = _json_lines(pieces, line_no)
                line_no += len(pieces)
                raw = RawCohort(path=path, fmt="jsonl", lines=np.asarray(lines, dtype=np.int64), records=records,
                                pre_errors=pre_errors)
            raw.end_offset = offset
            yield raw


