"""Writing the cohort output: RFC 4180 cells, atomically (a temporary file renamed over OUT).

A row of OUT is its id (with a leading ' when a spreadsheet would read it as a formula, quoted when it
holds , " CR or LF) followed by the rendered tail of its
answer (answer.answer_to_row without the id); rows are built block by block with pyarrow's string
kernels and written as bytes, so that no Python string is made per row."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..arrow import from_numpy, string_scalar, strings
from ..outputs import write_atomic
from .ahead import ahead


FORMULA_STARTS = "=+-@\t\r"
_FORMULA_BYTES = np.array([ord(c) for c in FORMULA_STARTS], dtype=np.uint8)


def formula_safe(value: str) -> str:
    """A cell that a spreadsheet would read as a formula (it begins with = + - @, a tab or a carriage
    return) with a leading ' (DESIGN.md, Cohorts); any other cell as it is."""
    return "'" + value if value[:1] in FORMULA_STARTS and value else value


def csv_field(value: str) -> str:
    """One CSV cell (RFC 4180): formula_safe, then quoted, with doubled quotes, when it holds , " CR or LF."""
    value = formula_safe(value)
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def header_line(columns: Sequence[str]) -> bytes:
    return (",".join(csv_field(c) for c in columns) + "\n").encode("utf-8")


def tail(row: Sequence[str]) -> str:
    """A row of answer.answer_to_row without its id: what follows the id in OUT, with the line end."""
    return "," + ",".join(csv_field(c) for c in row[1:]) + "\n"


_SPECIAL_BYTES = np.array([ord(c) for c in ',"\r\n'], dtype=np.uint8)


def _id_bytes(ids: pa.Array) -> tuple[np.ndarray, np.ndarray] | None:
    """The offsets and the bytes of a large_string array without nulls, as numpy arrays (no copy); None
    when it holds no byte."""
    if not len(ids):
        return None
    offsets = np.frombuffer(ids.buffers()[1], dtype=np.int64)[ids.offset:ids.offset + len(ids) + 1]
    data = ids.buffers()[2]
    if data is None or offsets[-1] == offsets[0]:
        return None
    return offsets, np.frombuffer(data, dtype=np.uint8)


def quote_ids(ids: pa.Array) -> pa.Array:
    """csv_field on every id (a large_string array without nulls): the ids that hold , " CR or LF
    are found in the bytes of the array, and only those are rewritten."""
    found = _id_bytes(ids)
    if found is None:
        return ids
    offsets, data = found
    text = data[offsets[0]:offsets[-1]]
    hit = np.isin(text, _SPECIAL_BYTES)
    if not hit.any():
        return ids
    rows = np.unique(np.searchsorted(offsets, np.flatnonzero(hit) + offsets[0], "right") - 1)
    mask = np.zeros(len(ids), dtype=bool)
    mask[rows] = True
    quoted = strings([csv_field(v) for v in ids.take(from_numpy(rows)).to_pylist()], large=True)
    return pc.replace_with_mask(ids, from_numpy(mask), quoted)


def guard_formula_ids(ids: pa.Array) -> pa.Array:
    """formula_safe on every id (a large_string array without nulls): the ids whose first byte is one
    of = + - @ tab CR are found in the bytes of the array, and only those are rewritten."""
    found = _id_bytes(ids)
    if found is None:
        return ids
    offsets, text = found
    starts = offsets[:-1]
    nonempty = offsets[1:] > starts
    first = np.zeros(len(ids), dtype=np.uint8)
    first[nonempty] = text[starts[nonempty]]
    mask = nonempty & np.isin(first, _FORMULA_BYTES)
    if not mask.any():
        return ids
    rows = np.flatnonzero(mask)
    guarded = strings(["'" + v for v in ids.take(from_numpy(rows)).to_pylist()], large=True)
    return pc.replace_with_mask(ids, from_numpy(mask), guarded)


def row_bytes(ids: pa.Array, tails: pa.Array, inverse: np.ndarray, quote: bool = True) -> pa.Buffer | bytes:
    """The lines of OUT for rows with these ids whose answers are tails[inverse] (``quote``: some id
    may need quoting)."""
    if not len(ids):
        return b""
    ids = guard_formula_ids(ids.cast(pa.large_string()))
    if quote:
        ids = quote_ids(ids)
    lines = pc.binary_join_element_wise(ids, tails.take(from_numpy(inverse)), string_scalar("", large=True))
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[lines.offset:lines.offset + len(lines) + 1]
    start, stop = int(offsets[0]), int(offsets[-1])
    return lines.buffers()[2].slice(start, stop - start)


class Tails:
    """The distinct tails of a run, numbered in order of first appearance."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.rows: list[list[str]] = []
        self._array: pa.Array | None = None

    def add(self, row: Sequence[str]) -> int:
        t = tail(row)
        k = self.index.get(t)
        if k is None:
            k = self.index[t] = len(self.rows)
            self.rows.append(list(row))
            self._array = None
        return k

    @property
    def array(self) -> pa.Array:
        if self._array is None:
            self._array = strings(list(self.index), large=True)
        return self._array


def write_blocks(out: Path, blocks: Iterable[pa.Buffer | bytes], inputs: Sequence[Path] = ()) -> None:
    """OUT from blocks of bytes (the header, as bytes, first), atomically; the next block is made (in
    another thread) while one is written. Each block is followed by an empty one, so that the writer
    lets go of a block once written."""
    def chunks() -> Iterator[bytes | pa.Buffer]:
        for block in ahead(blocks):
            if len(block):
                yield block
                block = None
                yield b""
    write_atomic(out, chunks(), "--out", inputs)
