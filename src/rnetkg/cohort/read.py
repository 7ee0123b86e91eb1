"""Reading a cohort file: FILE.csv (a header of profile field names; an empty cell is an absent field)
or FILE.jsonl (one JSON profile per line), into the records that validation takes."""

from __future__ import annotations

import io
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import CohortError
from ..fields import FIELD_NAMES, FIELDS

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


@dataclass
class RawCohort:
    """The records of a cohort file, before validation.

    CSV: ``text`` holds each column's cells as strings, ``numbers`` the number columns parsed
    (NaN where a cell is empty or not a number). JSONL: ``records`` holds the parsed JSON values.
    ``lines`` is the line number of each record; ``pre_errors`` are records rejected before any
    profile rule (a JSON syntax error, cells beyond the header), already left out of the records.
    """

    path: Path
    fmt: str
    lines: np.ndarray
    columns: tuple[str, ...] = ()
    text: dict[str, np.ndarray] = field(default_factory=dict)
    numbers: dict[str, np.ndarray] = field(default_factory=dict)
    records: list[Any] | None = None
    pre_errors: list[tuple[int, str]] = field(default_factory=list)
    maybe_special_ids: bool = True

    @property
    def n(self) -> int:
        return len(self.lines)

    def row_dict(self, i: int) -> Any:
        """Row i as the JSON-like value that profile.parse_profile validates."""
        if self.fmt == "jsonl":
            return self.records[i]
        d: dict[str, Any] = {}
        for name in self.columns:
            cell = self.text[name][i]
            if cell == "":
                continue
            kind = FIELDS[name].kind
            if kind == "number":
                v = self.numbers[name][i]
                d[name] = cell if np.isnan(v) else float(v)
            elif kind == "boolean":
                d[name] = True if cell == "true" else (False if cell == "false" else cell)
            else:
                d[name] = cell
        return d


def _decode(path: Path, data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise CohortError(f"compare: cohort {path} is not UTF-8 text (byte {e.start})") from None
    return text[1:] if text.startswith("\ufeff") else text


def _csv_header(path: Path, text: str) -> list[str]:
    import csv

    end = text.find("\n")
    head = text if end < 0 or '"' in text[:end] else text[:end]
    first = next(csv.reader(io.StringIO(head, newline="")), None)
    if not first or all(c == "" for c in first):
        raise CohortError(f"compare: cohort {path} has no header line (expected profile field names: "
                          f"{', '.join(FIELD_NAMES)})")
    allowed = ", ".join(FIELD_NAMES)
    seen = set()
    for name in first:
        if name not in FIELDS:
            raise CohortError(f"compare: cohort {path}: unknown column {name!r}; allowed fields: {allowed}")
        if name in seen:
            raise CohortError(f"compare: cohort {path}: column {name!r} appears twice in the header")
        seen.add(name)
    missing = [n for n, f in FIELDS.items() if f.required and n not in seen]
    if missing:
        raise CohortError(f"compare: cohort {path}: the header lacks the required column"
                          f"{'s' if len(missing) > 1 else ''} {', '.join(missing)}; allowed fields: {allowed}")
    return first


def _read_csv_pandas(text: str, header: list[str]) -> pd.DataFrame | None:
    """The records with pandas; None when a row has more cells than the header (pandas would drop
    them or raise), so that the exact reader takes over."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.ParserWarning)
        try:
            df = pd.read_csv(io.StringIO(text), header=0, index_col=False, dtype=str, keep_default_na=False,
                             na_filter=False, skip_blank_lines=False, engine="c")
        except (pd.errors.ParserError, pd.errors.ParserWarning):
            return None
    if list(df.columns) != header:
        return None
    return df


def _read_csv_records(text: str, width: int) -> tuple[list[list[str]], list[int], list[tuple[int, str]]]:
    """Slow but exact: every record with the line it starts on (csv module)."""
    import csv

    reader = csv.reader(io.StringIO(text, newline=""))
    next(reader, None)
    rows, lines, errors = [], [], []
    start = reader.line_num + 1
    for rec in reader:
        line = start
        start = reader.line_num + 1
        if len(rec) > width:
            extra = [c for c in rec[width:] if c != ""]
            if extra:
                errors.append((line, f"row: {len(rec)} cells, but the header has {width} columns "
                                     f"(extra: {', '.join(repr(c) for c in extra[:3])})"))
                continue
            rec = rec[:width]
        elif len(rec) < width:
            rec = rec + [""] * (width - len(rec))
        rows.append(rec)
        lines.append(line)
    return rows, lines, errors


def parse_numbers(cells: np.ndarray) -> np.ndarray:
    """Number cells -> float64 (NaN where empty or not a number), with pandas' exact number parser;
    each distinct cell is parsed once."""
    codes, uniques = pd.factorize(cells, use_na_sentinel=False)
    values = pd.to_numeric(pd.Series(np.asarray(uniques, dtype=object), dtype=str), errors="coerce")
    table = values.to_numpy(dtype=np.float64, na_value=np.nan)
    return table[codes] if len(codes) else np.empty(0, dtype=np.float64)


def read_csv(path: Path) -> RawCohort:
    data = path.read_bytes()
    text = _decode(path, data)
    header = _csv_header(path, text)
    width = len(header)
    df = _read_csv_pandas(text, header)
    pre_errors: list[tuple[int, str]] = []
    lines = None
    if df is not None:
        n_lines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
        crlf_only = "\r" not in text or text.count("\r") == text.count("\r\n")
        if crlf_only and len(df) == n_lines - 1:
            # every record sits on its own line: record i is on line i + 2
            lines = np.arange(2, len(df) + 2, dtype=np.int64)
            cols = {name: df[name].to_numpy(dtype=object) for name in header}
    if lines is None:
        rows, line_list, pre_errors = _read_csv_records(text, width)
        lines = np.asarray(line_list, dtype=np.int64)
        cols = {name: np.array([r[j] for r in rows] if rows else [], dtype=object) for j, name in enumerate(header)}
    # a row whose cells are all empty is a blank line: skipped
    if len(lines):
        blank = np.ones(len(lines), dtype=bool)
        for name in header:
            blank &= cols[name] == ""
        if blank.any():
            keep = ~blank
            lines = lines[keep]
            cols = {k: v[keep] for k, v in cols.items()}
    numbers = {}
    for name in header:
        if FIELDS[name].kind == "number":
            numbers[name] = parse_numbers(cols[name])
    return RawCohort(path=path, fmt="csv", lines=lines, columns=tuple(header), text=cols,
                     numbers=numbers, pre_errors=pre_errors, maybe_special_ids='"' in text)


_JSON_WS = " \t\r"


def read_jsonl(path: Path) -> RawCohort:
    text = _decode(path, path.read_bytes())
    records, lines, pre_errors = [], [], []
    scan = json.JSONDecoder().scan_once   # json.loads without its Python-level wrapper
    for i, line in enumerate(text.split("\n"), start=1):
        line = line.strip(_JSON_WS)
        if not line:
            continue
        try:
            value, end = scan(line, 0)
            if end != len(line):
                raise ValueError
        except (StopIteration, ValueError):
            try:
                json.loads(line)
            except json.JSONDecodeError as e:
                pre_errors.append((i, f"row: not valid JSON (column {e.colno}: {e.msg})"))
                continue
            raise RuntimeError(f"rnetkg internal error: line {i} of {path} could not be read") from None
        records.append(value)
        lines.append(i)
    return RawCohort(path=path, fmt="jsonl", lines=np.asarray(lines, dtype=np.int64), records=records,
                     pre_errors=pre_errors)


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


def read_cohort(path: Path) -> RawCohort:
    path = Path(path)
    if path.is_dir():
        return read_bulk_export(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise CohortError(f"compare: cohort {path}: expected FILE.csv, FILE.jsonl or a FHIR bulk-export folder")
    if not path.is_file():
        raise CohortError(f"compare: cohort file {str(path)!r} not found")
    return read_csv(path) if fmt == "csv" else read_jsonl(path)
