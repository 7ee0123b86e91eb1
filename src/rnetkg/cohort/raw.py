"""The records of a cohort file before validation (RawCohort), and what the readers share: the
bytes of the file in blocks cut after a record, UTF-8 checked; number cells parsed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..arrow import to_numpy
from ..errors import CohortError
from ..fields import FIELDS

BOM = b"\xef\xbb\xbf"
# the spellings of a CSV boolean (DESIGN.md: case-insensitive; Excel writes TRUE and FALSE)
_CSV_BOOLEANS = {"true": True, "false": False}


def csv_boolean(cell: str) -> bool | None:
    """A CSV cell as a boolean: true or false in any case; None for anything else."""
    return _CSV_BOOLEANS.get(cell.lower()) if len(cell) <= 5 else None


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
    notes: list[tuple[int, str]] = field(default_factory=list)   # (line, note): FHIR assumptions, as compare prints them
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
            got = (to_numpy(enc.indices), enc.dictionary.to_pylist())
            self._codes[name] = got
        return got

    def source_line(self, i: int) -> str:
        """The text of record i of a JSON Lines block that pyarrow read."""
        block, starts, ends = self.source
        return block[starts[i]:ends[i]].decode("utf-8")

    def row_dict(self, i: int) -> Any:
        """Row i as the JSON-like value that profile.parse_profile validates."""
        if self.fmt == "jsonl":
            if self.records is not None:
                return self.records[i]
            from .. import profile

            return profile.json_value(self.source_line(i))
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
                value = csv_boolean(cell)
                d[name] = cell if value is None else value
            else:
                d[name] = cell
        return d


# ---------------------------------------------------------------- numbers

_DECIMAL_COMMA = re.compile(r"\s*[+-]?(\d+,\d*|,\d+)([eE][+-]?\d+)?\s*")


# a plain decimal (no exponent) of at most 16 digits and dot: float() reads it exactly as pandas' parser
# does (tested on random cells; with an exponent pandas' parser is sometimes one unit off); a negative
# zero is left to pandas, which reads "-0" as 0
_PLAIN_NUMBER = re.compile(r"[+-]?(?=[0-9.]{1,16}$)(?:[0-9]+\.?[0-9]*|\.[0-9]+)", re.ASCII)


def parse_numbers(cells: list[str] | np.ndarray, decimal_comma: bool = False) -> np.ndarray:
    """Distinct number cells -> float64 (NaN where empty or not a number), with pandas' exact number
    parser; with ``decimal_comma`` (a ';'-separated file) '1,5' is 1.5. Plain decimals are read by
    float() (the same values, without importing pandas); any other cell by pandas.to_numeric."""
    values = [c.replace(",", ".") if decimal_comma and "," in c and _DECIMAL_COMMA.fullmatch(c) else c
              for c in cells]
    out = np.empty(len(values), dtype=np.float64)
    rest = []
    for i, v in enumerate(values):
        if not v:
            out[i] = np.nan
        elif _PLAIN_NUMBER.fullmatch(v) and (v[0] != "-" or float(v)):
            out[i] = float(v)
        else:
            rest.append(i)
    if rest:
        import pandas as pd   # here: most files hold plain decimals only

        parsed = pd.to_numeric(pd.Series([values[i] for i in rest], dtype=str), errors="coerce")
        out[rest] = parsed.to_numpy(dtype=np.float64, na_value=np.nan)
    return out


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

_LF = b"\n"


def check_utf8(path: Path, data: bytes, offset: int, line: int | None = None) -> None:
    """A CohortError naming the first byte of ``data`` (at ``offset`` in the file) that is not UTF-8,
    and its line when ``line`` is that of data's first byte."""
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as e:
            where = f"line {line + data.count(_LF, 0, e.start)}, " if line is not None else ""
            raise CohortError(f"compare: cohort {path} is not UTF-8 text ({where}byte {offset + e.start})") from None


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


def byte_blocks(f: BinaryIO, size: int, quotes: bool = True) -> Iterator[bytes]:
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


