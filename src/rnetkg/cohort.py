"""Cohorts: compare the guidelines for many case profiles at once (`rnetkg compare --cohort`).

Input is FILE.csv (a header of profile field names; an empty cell is an absent field; booleans are
`true`/`false`) or FILE.jsonl (one JSON profile per line). Output is the cohort CSV of DESIGN.md
(cohort_format.CSV_COLUMNS), written atomically. A row that breaks a rule of
profile.parse_profile is reported on stderr with its line number and left out of the output; a
header naming an unknown field rejects the whole file (exit 2).

Two evaluation paths give exactly the same rows:

- ``sparql``: every row through profile.parse_profile, then compare.compare_profiles in batches on
  the embedded store (or an endpoint), then cohort_format.answer_to_row;
- ``fast`` (default): the criteria are read once with queries/criteria.rq (and the modality sets of
  the management recommendations with queries/recommendation-details.rq) and evaluated for all
  profiles at once with numpy, with the three-valued logic and the status and disagreement rules of
  queries/applicable-recommendations.rq, guideline-status.rq and disagreements.rq. Validation and
  the derivations of profile.parse_profile (grade, T category, decision point) are vectorised too;
  the rows that break a rule go through parse_profile itself, which gives the message.
"""

from __future__ import annotations

import io
import json
import os
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from . import cohort_format, profile as prof
from .cli import UsageError
from .compare import GUIDELINE_KEYS, MODALITIES, STATUSES

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
ENGINES = ("fast", "sparql")
BATCH_SIZE = 2000

# guideline status codes of the fast path
SILENT, POSSIBLE, COVERED, AMBIGUOUS = 0, 1, 2, 3
STATUS_NAMES = {SILENT: "silent", POSSIBLE: "possible", COVERED: "covered", AMBIGUOUS: "ambiguous"}
assert set(STATUS_NAMES.values()) == set(STATUSES)

T_CATEGORIES = ("T1", "T2", "T3", "T4")
# index into profile.T_STAGES ("T1", "T1a", "T1b", "T2", "T3", "T4") -> index into T_CATEGORIES
_T_CATEGORY_OF = np.array([0, 0, 0, 1, 2, 3], dtype=np.int8)

# the range rules of profile.NUMBER_RANGES, vectorised (the cross-check tests compare them)
_NUMBER_OK: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "size_mm": lambda v: v > 0,
    "ki67_percent": lambda v: (v >= 0) & (v <= 100),
    "mitoses_per_2mm2": lambda v: v >= 0,
}
assert set(_NUMBER_OK) == set(prof.NUMBER_RANGES)

# WHO 2019 grade thresholds and AJCC 8th size thresholds of profile.py (for the generator's boundaries)
KI67_GRADE_BOUNDS = (3.0, 20.0)
MITOSES_GRADE_BOUNDS = (2.0, 20.0)
T_SIZE_BOUNDS = (10.0, 20.0)


class CohortError(UsageError):
    """A cohort file that cannot be read at all (unknown column, not UTF-8, ...): exit 2."""


# ---------------------------------------------------------------- progress bar

class Progress:
    """A one-line progress bar on stderr (only drawn when enabled, i.e. stderr is a terminal)."""

    def __init__(self, enabled: bool, stream=None, width: int = 30):
        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self._last = 0.0
        self._shown = False

    def update(self, fraction: float, label: str = "", force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < 0.1:
            return
        self._last = now
        fraction = min(max(fraction, 0.0), 1.0)
        done = int(round(fraction * self.width))
        bar = "#" * done + "." * (self.width - done)
        self.stream.write(f"\r[{bar}] {fraction * 100:5.1f}% {label[:40]:<40}")
        self.stream.flush()
        self._shown = True

    def clear(self) -> None:
        if self.enabled and self._shown:
            self.stream.write("\r" + " " * (self.width + 50) + "\r")
            self.stream.flush()
            self._shown = False


# ---------------------------------------------------------------- reading

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
            kind = prof.FIELDS[name][0]
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
                          f"{', '.join(prof.FIELD_NAMES)})")
    allowed = ", ".join(prof.FIELD_NAMES)
    seen = set()
    for name in first:
        if name not in prof.FIELDS:
            raise CohortError(f"compare: cohort {path}: unknown column {name!r}; allowed fields: {allowed}")
        if name in seen:
            raise CohortError(f"compare: cohort {path}: column {name!r} appears twice in the header")
        seen.add(name)
    missing = [n for n, (_, _, required) in prof.FIELDS.items() if required and n not in seen]
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
        if prof.FIELDS[name][0] == "number":
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


def read_cohort(path: Path) -> RawCohort:
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise CohortError(f"compare: cohort {path}: expected FILE.csv or FILE.jsonl")
    if not path.is_file():
        raise CohortError(f"compare: cohort file {str(path)!r} not found")
    return read_csv(path) if fmt == "csv" else read_jsonl(path)


# ---------------------------------------------------------------- vectorised validation and derivation

@dataclass
class Validated:
    """Every record validated as profile.parse_profile would, with its derived values (fast path)."""

    ok: np.ndarray                 # bool: the row is a valid profile
    errors: list[tuple[int, str]]  # (line, message) of the rows that are not
    numbers: dict[str, np.ndarray]  # size_mm, ki67_percent, mitoses_per_2mm2 (NaN: unknown)
    codes: dict[str, np.ndarray]   # enum fields as indices into their vocabulary (-1: unknown)
    bools: dict[str, np.ndarray]   # 1 true, 0 false, -1 unknown
    grade: np.ndarray              # derived grade, index into GRADES (-1 unknown)
    t_stage: np.ndarray            # derived T stage, index into T_STAGES (-1 unknown)
    t_category: np.ndarray         # index into T_CATEGORIES (-1 unknown)
    decision_point: np.ndarray     # index into DECISION_POINTS
    ids: np.ndarray                # object array of ids (the line number where absent)


def _codes_from_text(col: np.ndarray, mapping: dict[str, int], empty: int = -1) -> np.ndarray:
    """Strings -> codes: '' -> empty (-1: absent, a CSV empty cell), a key of mapping -> its value,
    anything else -> -2 (not allowed)."""
    codes, uniques = pd.factorize(col, use_na_sentinel=False)
    table = np.array([empty if u == "" else mapping.get(u, -2) for u in uniques] or [-1], dtype=np.int8)
    return table[codes] if len(codes) else np.empty(0, dtype=np.int8)


def _typed_csv(raw: RawCohort):
    n = raw.n
    present_bad = np.zeros(n, dtype=bool)
    numbers, num_present, codes, bools = {}, {}, {}, {}
    for name, (kind, allowed, _) in prof.FIELDS.items():
        if name == "id":
            continue
        col = raw.text.get(name)
        if kind == "number":
            if col is None:
                numbers[name] = np.full(n, np.nan)
                num_present[name] = np.zeros(n, dtype=bool)
                continue
            present = col != ""
            v = raw.numbers[name]
            isnum = present & ~np.isnan(v)
            present_bad |= present & ~isnum
            numbers[name] = np.where(isnum, v, np.nan)
            num_present[name] = present
        elif kind == "boolean":
            bools[name] = (np.full(n, -1, dtype=np.int8) if col is None
                           else _codes_from_text(col, {"false": 0, "true": 1}))
        else:
            codes[name] = (np.full(n, -1, dtype=np.int8) if col is None
                           else _codes_from_text(col, {v: i for i, v in enumerate(allowed)}))
    if "id" in raw.text:
        ids = raw.text["id"].copy()
        empty = ids == ""
        if empty.any():
            ids[empty] = raw.lines[empty].astype(str).astype(object)
    else:
        ids = raw.lines.astype(str).astype(object)
    return present_bad, numbers, num_present, codes, bools, ids


_type_of = np.frompyfunc(type, 1, 1)


def _typed_jsonl(raw: RawCohort):
    n = raw.n
    row_bad = np.zeros(n, dtype=bool)
    cols: dict[str, list] = {name: [None] * n for name in prof.FIELDS}
    for i, r in enumerate(raw.records or []):
        if type(r) is not dict:
            row_bad[i] = True
            continue
        for k, v in r.items():
            col = cols.get(k)
            if col is None:
                row_bad[i] = True   # an unknown field
            else:
                col[i] = v
    numbers, num_present, codes, bools = {}, {}, {}, {}
    ids = np.empty(0, dtype=object)
    for name, (kind, allowed, _) in prof.FIELDS.items():
        vals = np.fromiter(cols[name], dtype=object, count=n)
        types = _type_of(vals) if n else np.empty(0, dtype=object)
        present = types != type(None)
        if name == "id":
            is_str = types == str
            row_bad |= present & ~is_str
            ids = np.where(is_str, vals, "").astype(object)
            absent = ~present
            if absent.any():
                ids[absent] = raw.lines[absent].astype(str).astype(object)
        elif kind == "number":
            isnum = (types == int) | (types == float)   # not bool: type() is exact
            row_bad |= present & ~isnum
            arr = np.full(n, np.nan)
            idx = np.flatnonzero(isnum)
            try:
                arr[idx] = vals[idx].astype(np.float64)
            except OverflowError:   # a JSON integer too large for a float: parse_profile fails on it too
                for i in idx:
                    try:
                        arr[i] = float(vals[i])
                    except OverflowError:
                        row_bad[i] = True
            row_bad |= isnum & np.isnan(arr)   # JSON NaN (or an overflow): not a finite number
            numbers[name] = np.where(isnum, arr, np.nan)
            num_present[name] = present
        elif kind == "boolean":
            code = np.where(present, -2, -1).astype(np.int8)
            isbool = types == bool
            code[isbool] = vals[isbool].astype(bool).astype(np.int8)
            bools[name] = code
        else:
            code = np.where(present, -2, -1).astype(np.int8)
            is_str = np.flatnonzero(types == str)
            if len(is_str):
                code[is_str] = _codes_from_text(vals[is_str], {v: j for j, v in enumerate(allowed)}, empty=-2)
            codes[name] = code
    return row_bad, numbers, num_present, codes, bools, ids


def _grade_from(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """profile.grade_from_ki67 / grade_from_mitoses, vectorised: 0 G1, 1 G2, 2 G3, -1 unknown."""
    g = np.where(values < low, 0, np.where(values <= high, 1, 2)).astype(np.int8)
    return np.where(np.isnan(values), np.int8(-1), g)


def validate(raw: RawCohort) -> Validated:
    """The rules of profile.parse_profile on every record at once; messages from parse_profile."""
    if raw.fmt == "csv":
        bad, numbers, num_present, codes, bools, ids = _typed_csv(raw)
    else:
        bad, numbers, num_present, codes, bools, ids = _typed_jsonl(raw)
    bad = bad.copy()
    # required fields
    for name, (kind, _, required) in prof.FIELDS.items():
        if not required:
            continue
        if kind == "number":
            bad |= ~num_present[name]
        elif kind == "boolean":
            bad |= bools[name] == -1
        else:
            bad |= codes[name] == -1
    # values
    for name, ok in _NUMBER_OK.items():
        v = numbers[name]
        known = ~np.isnan(v)
        with np.errstate(invalid="ignore"):
            bad |= known & ~(np.isfinite(v) & ok(v))
    for arr in (*codes.values(), *bools.values()):
        bad |= arr == -2
    size = numbers["size_mm"]
    # grade (WHO 2019): the higher of the Ki-67 and mitotic grades; a stated grade must agree
    gk = _grade_from(numbers["ki67_percent"], *KI67_GRADE_BOUNDS)
    gm = _grade_from(numbers["mitoses_per_2mm2"], *MITOSES_GRADE_BOUNDS)
    n_measured = (gk >= 0).astype(np.int8) + (gm >= 0)
    g_measured = np.maximum(gk, gm)
    stated = codes["grade"]
    has_stated = stated >= 0
    bad |= has_stated & (((n_measured == 2) & (g_measured != stated)) | ((n_measured == 1) & (g_measured > stated)))
    grade = np.where(has_stated, stated, g_measured).astype(np.int8)
    # T stage (AJCC 8th) from size and depth; a stated T stage must agree
    depth = codes["invasion_depth"]
    ts = codes["t_stage"]
    with np.errstate(invalid="ignore"):
        superficial = np.where(size > 20, 3, np.where(size < 10, 1, 2)).astype(np.int8)
    from_depth = np.select([depth < 0, depth <= 1, depth == 2, depth == 3], [-1, superficial, 3, 4], 5).astype(np.int8)
    has_ts = ts >= 0
    has_depth = depth >= 0
    bad |= has_depth & has_ts & (ts != from_depth) & ~((ts == 0) & ((from_depth == 1) | (from_depth == 2)))
    bad |= ~has_depth & (((ts >= 0) & (ts <= 2) & (size > 20)) | ((ts == 1) & (size >= 10)) | ((ts == 2) & (size < 10)))
    t_from_stated = np.where(ts == 0, np.where(size < 10, 1, 2), ts).astype(np.int8)
    t_stage = np.where(has_depth, from_depth, np.where(has_ts, t_from_stated, -1)).astype(np.int8)
    t_category = np.where(t_stage >= 0, _T_CATEGORY_OF[np.maximum(t_stage, 0)], -1).astype(np.int8)
    # decision point
    metastasis = bools["distant_metastasis"]
    margin = codes["margin"]
    not_resected = prof.MARGINS.index("not_resected")
    decision_point = np.where(metastasis == 1, 2, np.where(margin == not_resected, 0, 1)).astype(np.int8)

    errors = list(raw.pre_errors)
    for i in np.nonzero(bad)[0]:
        line = int(raw.lines[i])
        try:
            prof.parse_profile(raw.row_dict(i), default_id=str(line))
        except prof.ProfileError as e:
            errors.append((line, str(e)))
            continue
        except (OverflowError, ValueError, TypeError) as e:  # e.g. a JSON integer too large for a float
            errors.append((line, f"profile: {e}"))
            continue
        raise RuntimeError(f"rnetkg internal error: line {line} of {raw.path} was rejected by the vectorised "
                           "checks but accepted by profile.parse_profile; please report it")
    errors.sort(key=lambda e: e[0])
    return Validated(ok=~bad, errors=errors, numbers=numbers, codes=codes, bools=bools, grade=grade,
                     t_stage=t_stage, t_category=t_category, decision_point=decision_point, ids=ids)


def parse_rows(raw: RawCohort) -> tuple[list[prof.Profile], list[int], list[tuple[int, str]]]:
    """The SPARQL path's validation: profile.parse_profile on every record."""
    profiles, lines, errors = [], [], list(raw.pre_errors)
    for i in range(raw.n):
        line = int(raw.lines[i])
        try:
            profiles.append(prof.parse_profile(raw.row_dict(i), default_id=str(line)))
            lines.append(line)
        except prof.ProfileError as e:
            errors.append((line, str(e)))
        except (OverflowError, ValueError, TypeError) as e:
            errors.append((line, f"profile: {e}"))
    errors.sort(key=lambda e: e[0])
    return profiles, lines, errors


# ---------------------------------------------------------------- the criteria model (fast path)

@dataclass(frozen=True)
class Atom:
    type: str
    field: str
    min: float | None
    min_inclusive: bool | None
    max: float | None
    max_inclusive: bool | None
    required: bool | None
    allowed: frozenset[str]


@dataclass
class Rec:
    iri: str
    guideline: str
    kinds: set[str]
    decision_points: set[str]
    criteria: dict[tuple[str, int, bool], set[int]]  # (criterion, sign, atoms negated) -> atom indices


@dataclass
class Model:
    """The criteria of every statement, read once with SPARQL."""

    atoms: list[Atom]
    recs: list[Rec]
    modalities: dict[str, tuple[str, ...]]  # rec IRI -> its modality keys (management recommendations)
    modality_keys: tuple[str, ...]
    guideline_keys: tuple[str, ...]         # GUIDELINE_KEYS plus any other key in the graph, sorted


def _bool_or_none(v: Any) -> bool | None:
    if v is None:
        return None
    if isinstance(v, str):
        return v == "true"
    return bool(v)


def load_model(engine) -> Model:
    from . import compare, queries

    rows = engine.select(queries.get("criteria").text)
    atom_index: dict[tuple, int] = {}
    atom_allowed: dict[int, set[str]] = {}
    atom_spec: list[tuple] = []
    recs: dict[str, Rec] = {}
    for r in rows:
        spec = (r["atom"], r["atomType"], r["field"], r["min"], _bool_or_none(r["minInclusive"]),
                r["max"], _bool_or_none(r["maxInclusive"]), _bool_or_none(r["required"]))
        idx = atom_index.get(spec)
        if idx is None:
            idx = atom_index[spec] = len(atom_spec)
            atom_spec.append(spec)
            atom_allowed[idx] = set()
        if r["allowed"] is not None:
            atom_allowed[idx].add(r["allowed"])
        rec = recs.get(r["rec"])
        if rec is None:
            rec = recs[r["rec"]] = Rec(iri=r["rec"], guideline=r["guideline"] or "", kinds=set(),
                                       decision_points=set(), criteria={})
        rec.kinds.add(r["kind"])
        rec.decision_points.add(r["decisionPoint"])
        negated = _bool_or_none(r.get("negated")) or False
        rec.criteria.setdefault((r["crit"], int(r["sign"]), negated), set()).add(idx)
    atoms = []
    for idx, (iri, atype, fname, mn, mninc, mx, mxinc, req) in enumerate(atom_spec):
        atoms.append(Atom(type=atype, field=fname, min=None if mn is None else float(mn), min_inclusive=mninc,
                          max=None if mx is None else float(mx), max_inclusive=mxinc, required=req,
                          allowed=frozenset(atom_allowed[idx])))
        _check_atom(iri, atoms[-1])
    details = compare.details_for(engine)
    modalities = {}
    for iri, rec in recs.items():
        d = details.by_rec.get(iri)
        if "management" in rec.kinds and rec.guideline and d is not None and d["modalities"]:
            modalities[iri] = tuple(sorted(d["modalities"]))
    extra = sorted({m for ms in modalities.values() for m in ms} - set(MODALITIES))
    keys = sorted(set(GUIDELINE_KEYS) | {r.guideline for r in recs.values() if r.guideline})
    return Model(atoms=atoms, recs=list(recs.values()), modalities=modalities,
                 modality_keys=tuple(MODALITIES) + tuple(extra), guideline_keys=tuple(keys))


_FIELD_KIND = {name: kind for name, (kind, _, _) in prof.FIELDS.items()}


def _check_atom(iri: str, atom: Atom) -> None:
    kind = _FIELD_KIND.get(atom.field)
    if kind is None:
        return  # a field no profile has: the queries see it as unknown, so do we
    expected = {"range": "number", "boolean": "boolean", "set": "enum"}.get(atom.type)
    if expected != kind or (atom.type == "boolean" and atom.required is None):
        raise RuntimeError(f"criteria: atom {iri} ({atom.type} on field {atom.field}) cannot be evaluated "
                           "by the fast path; run the cohort with --cohort-engine sparql")


def model_for(engine) -> Model:
    return engine.cached("cohort-model", load_model)


# ---------------------------------------------------------------- vectorised evaluation

_VOCAB = {"grade": prof.GRADES, "invasion_depth": prof.DEPTHS, "t_stage": T_CATEGORIES,
          "lymph_nodes": prof.NODES, "margin": prof.MARGINS}


def _field_values(v: Validated, keep: np.ndarray) -> dict[str, tuple[str, np.ndarray]]:
    """The value each field has in the queries' VALUES rows: derived grade, T category, ..."""
    out: dict[str, tuple[str, np.ndarray]] = {}
    for name, arr in v.numbers.items():
        out[name] = ("number", arr[keep])
    for name, arr in v.codes.items():
        out[name] = ("enum", arr[keep])
    out["grade"] = ("enum", v.grade[keep])
    out["t_stage"] = ("enum", v.t_category[keep])
    for name, arr in v.bools.items():
        out[name] = ("boolean", arr[keep])
    return out


def _atom_status(atom: Atom, values: dict[str, tuple[str, np.ndarray]], n: int) -> np.ndarray:
    """1 true, 0 unknown (the profile lacks the field), -1 false."""
    if atom.field not in values:
        return np.zeros(n, dtype=np.int8)
    kind, arr = values[atom.field]
    if atom.type == "range":
        present = ~np.isnan(arr)
        hit = np.ones(n, dtype=bool)
        if atom.min is not None:
            hit &= (arr > atom.min) | ((arr == atom.min) if atom.min_inclusive else False)
        if atom.max is not None:
            hit &= (arr < atom.max) | ((arr == atom.max) if atom.max_inclusive else False)
    elif atom.type == "boolean":
        present = arr >= 0
        hit = arr == (1 if atom.required else 0)
    else:
        vocab = _VOCAB[atom.field]
        allowed = [vocab.index(k) for k in atom.allowed if k in vocab]
        present = arr >= 0
        hit = np.isin(arr, allowed) if allowed else np.zeros(n, dtype=bool)
    return np.where(present, np.where(hit, 1, -1), 0).astype(np.int8)


def profile_classes(model: Model, v: Validated, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group the profiles that no criterion can tell apart: same decision point, same value of every
    field that a criterion reads, and every number in the same place relative to every bound on its
    field (below, at or above each). Returns (class of each row, a representative row per class)."""
    values = _field_values(v, rows)
    n = len(rows)
    key = v.decision_point[rows].astype(np.int64)
    span = len(prof.DECISION_POINTS)
    for name in sorted({a.field for a in model.atoms}):
        if name not in values:
            continue
        kind, arr = values[name]
        if kind == "number":
            bounds = np.array(sorted({b for a in model.atoms if a.field == name and a.type == "range"
                                      for b in (a.min, a.max) if b is not None}), dtype=np.float64)
            k = len(bounds)
            cls = np.searchsorted(bounds, arr, "left") + np.searchsorted(bounds, arr, "right")
            cls = np.where(np.isnan(arr), 2 * k + 1, cls)
            size = 2 * k + 2
        else:
            cls = arr.astype(np.int64) + 1
            size = (len(_VOCAB[name]) if kind == "enum" else 2) + 1
        if span * size >= 1 << 62:
            key = pd.factorize(key)[0].astype(np.int64)
            span = int(key.max()) + 1 if n else 1
        key = key * size + cls
        span *= size
    inverse = pd.factorize(key)[0].astype(np.int64) if n else np.zeros(0, dtype=np.int64)
    return inverse, _first_rows(inverse)


def _first_rows(codes: np.ndarray) -> np.ndarray:
    """The first row of each code, for codes numbered in order of first appearance (pd.factorize)."""
    if not len(codes):
        return np.zeros(0, dtype=np.int64)
    running = np.maximum.accumulate(codes)
    return np.flatnonzero(np.concatenate(([True], codes[1:] > running[:-1])))


def evaluate(model: Model, v: Validated, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Guideline status and modality set of the given profiles (row indices) for every key of
    model.guideline_keys: the three-valued applicability of applicable-recommendations.rq and the
    status rules of guideline-status.rq.

    Returns (status[n, G] int8 with SILENT/POSSIBLE/COVERED/AMBIGUOUS, modalities[n, G] int64 bit sets
    over model.modality_keys)."""
    values = _field_values(v, rows)
    dp = v.decision_point[rows]
    n = len(rows)
    atom_cache: dict[int, np.ndarray] = {}

    def atom(i: int) -> np.ndarray:
        if i not in atom_cache:
            atom_cache[i] = _atom_status(model.atoms[i], values, n)
        return atom_cache[i]

    bit = {m: 1 << i for i, m in enumerate(model.modality_keys)}
    G = len(model.guideline_keys)
    gi = {k: i for i, k in enumerate(model.guideline_keys)}
    full = np.int64((1 << len(model.modality_keys)) - 1)
    # per guideline: any applying / possible recommendation, union (and intersection) of their sets
    any_app = [np.zeros(n, dtype=bool) for _ in range(G)]
    or_app = [np.zeros(n, dtype=np.int64) for _ in range(G)]
    and_app = [np.full(n, full, dtype=np.int64) for _ in range(G)]
    any_pos = [np.zeros(n, dtype=bool) for _ in range(G)]
    or_pos = [np.zeros(n, dtype=np.int64) for _ in range(G)]
    dp_codes = {d: i for i, d in enumerate(prof.DECISION_POINTS)}
    for rec in model.recs:
        mods = model.modalities.get(rec.iri)
        if not mods:
            continue  # only management recommendations with a modality count (guideline-status.rq)
        mask = np.int64(0)
        for m in mods:
            mask |= np.int64(bit[m])
        status = np.ones(n, dtype=np.int8)
        for (_, sign, negated), atom_ids in rec.criteria.items():
            # criterion = sign × max over its atoms (each negated for a precedence rule)
            flip = np.int8(-1 if negated else 1)
            ids = sorted(atom_ids)
            crit = atom(ids[0]) * flip
            for i in ids[1:]:
                crit = np.maximum(crit, atom(i) * flip)
            np.minimum(status, crit * np.int8(sign), out=status)
        codes = [dp_codes[d] for d in rec.decision_points if d in dp_codes]
        if not codes:
            continue  # a decision point no profile reaches
        at_dp = (dp == codes[0]) if len(codes) == 1 else np.isin(dp, codes)
        g = gi[rec.guideline]
        applies = (status == 1) & at_dp
        possible = (status == 0) & at_dp
        any_app[g] |= applies
        or_app[g] |= applies * mask
        and_app[g] &= np.where(applies, mask, full)
        any_pos[g] |= possible
        or_pos[g] |= possible * mask
    st = np.empty((n, G), dtype=np.int8)
    mods_out = np.empty((n, G), dtype=np.int64)
    for g in range(G):
        st[:, g] = np.where(any_app[g], np.where(or_app[g] != and_app[g], AMBIGUOUS, COVERED),
                            np.where(any_pos[g], POSSIBLE, SILENT))
        mods_out[:, g] = np.where(any_app[g], or_app[g], np.where(any_pos[g], or_pos[g], 0))
    return st, mods_out


def _disagreements(keys: Sequence[str], statuses: Sequence[int], mods: Sequence[int]) -> list[dict]:
    """disagreements.rq for one combination: both answer (covered/ambiguous); disjoint -> conflict."""
    out = []
    answering = [(k, m) for k, s, m in zip(keys, statuses, mods) if s in (COVERED, AMBIGUOUS)]
    for i, (k1, m1) in enumerate(answering):
        for k2, m2 in answering[i + 1:]:
            if m1 != m2:
                a, b = sorted((k1, k2))
                out.append({"guidelines": [a, b], "kind": "conflict" if m1 & m2 == 0 else "partial"})
    return out


def _combination_answer(model: Model, statuses: Sequence[int], mods: Sequence[int]) -> dict[str, Any]:
    keys = model.guideline_keys
    guidelines = [{"guideline": k, "status": STATUS_NAMES[int(s)],
                   "modalities": [m for j, m in enumerate(model.modality_keys) if int(mk) >> j & 1]}
                  for k, s, mk in zip(keys, statuses, mods)]
    return {"profile": "", "guidelines": guidelines,
            "disagreements": _disagreements(keys, [int(s) for s in statuses], [int(m) for m in mods])}


def _factorize_rows(status: np.ndarray, mods: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (status, modality set) combinations: (inverse index per row, first row of each)."""
    n, G = status.shape
    key = np.zeros(n, dtype=np.int64)
    for g in range(G):
        key = key * (4 << width) + (status[:, g].astype(np.int64) << width) + mods[:, g]
        key, _ = pd.factorize(key)
        key = key.astype(np.int64)
    return key, _first_rows(key)


# ---------------------------------------------------------------- output

def csv_field(value: str) -> str:
    """One CSV cell (RFC 4180): quoted, with doubled quotes, when it holds , " CR or LF."""
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _quote_ids(ids: np.ndarray, maybe_special: bool) -> np.ndarray:
    if not maybe_special or not len(ids):
        return ids
    special = pd.Series(ids, dtype=object).str.contains(r'[,"\r\n]', regex=True).to_numpy(dtype=bool)
    if special.any():
        ids = ids.copy()
        for i in np.nonzero(special)[0]:
            ids[i] = csv_field(ids[i])
    return ids


def _write_atomic(out: Path, chunks: Iterable[str]) -> None:
    out = Path(out)
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise CohortError(f"compare: --out {out}: folder {str(folder)!r} does not exist")
    tmp = folder / f".{out.name}.{os.getpid()}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            for chunk in chunks:
                f.write(chunk)
        os.replace(tmp, out)
    except BaseException:
        try:
            tmp.unlink()
        except FileNotFoundError:
            pass
        raise


def _write_rows(out: Path, ids: np.ndarray, tails: list[str], inverse: np.ndarray, maybe_special: bool,
                progress: Progress | None = None, base: float = 0.0, span: float = 0.0) -> None:
    """OUT: the header, then for each row its (quoted) id and the rendered tail of its answer."""
    ids = _quote_ids(ids, maybe_special)
    tail_arr = np.array([t + "\n" for t in tails], dtype=object)
    header = ",".join(csv_field(c) for c in cohort_format.CSV_COLUMNS) + "\n"
    step = 200_000
    n = len(ids)

    def chunks():
        yield header
        for start in range(0, n, step):
            stop = min(n, start + step)
            yield "".join((ids[start:stop] + tail_arr[inverse[start:stop]]).tolist())
            if progress is not None:
                progress.update(base + span * stop / max(n, 1), "writing")
    _write_atomic(out, chunks())


def _tail(row: Sequence[str]) -> str:
    return "," + ",".join(csv_field(c) for c in row[1:])


# ---------------------------------------------------------------- summary

def _summarise(tails_rows: list[list[str]], counts: np.ndarray) -> tuple[dict, dict, dict]:
    """Status counts per guideline and disagreement counts per pair, from the distinct output rows."""
    cols = cohort_format.CSV_COLUMNS
    status_counts = {k: {s: 0 for s in STATUSES} for k in GUIDELINE_KEYS}
    conflicts: dict[str, int] = {}
    partial: dict[str, int] = {}
    for row, c in zip(tails_rows, counts):
        c = int(c)
        if not c:
            continue
        for k in GUIDELINE_KEYS:
            status_counts[k][row[cols.index(f"{k}.status")]] += c
        for name, target in (("conflicts", conflicts), ("partial", partial)):
            cell = row[cols.index(name)]
            for pair in (cell.split(";") if cell else []):
                target[pair] = target.get(pair, 0) + c
    return (status_counts, dict(sorted(conflicts.items())), dict(sorted(partial.items())))


def format_summary(summary: dict[str, Any]) -> str:
    """The summary that `rnetkg compare --cohort` prints."""
    lines = [f"cohort {summary['input']}: {summary['read']} profiles read, {summary['written']} written to "
             f"{summary['output']}, {summary['rejected']} rejected ({summary['engine']} engine, "
             f"{summary['seconds']:.2f} s)"]
    lines.append("")
    head = f"{'guideline':<12}" + "".join(f"{s:>11}" for s in STATUSES)
    lines.append(head)
    for k in GUIDELINE_KEYS:
        counts = summary["status_counts"][k]
        lines.append(f"{k:<12}" + "".join(f"{counts[s]:>11}" for s in STATUSES))
    lines.append("")
    pairs = sorted(set(summary["conflicts"]) | set(summary["partial"]))
    if pairs:
        width = max(len("guideline pair"), *(len(p) for p in pairs))
        lines.append(f"{'guideline pair':<{width}}   conflict    partial")
        for p in pairs:
            lines.append(f"{p:<{width}}   {summary['conflicts'].get(p, 0):>8}   {summary['partial'].get(p, 0):>8}")
    else:
        lines.append("disagreements: none")
    return "\n".join(lines)


# ---------------------------------------------------------------- the two paths

def _report(errors: list[tuple[int, str]], stream) -> None:
    if errors:
        stream.write("".join(f"line {line}: {msg}\n" for line, msg in errors))
        stream.flush()


def _engine(endpoint: str | None, timeout: float):
    from .engine import EndpointEngine, StoreEngine

    return EndpointEngine(endpoint, timeout=timeout) if endpoint else StoreEngine()


def _run_fast(raw: RawCohort, out: Path, engine, progress: Progress, stderr) -> dict[str, Any]:
    progress.update(0.2, "validating", force=True)
    v = validate(raw)
    progress.clear()
    _report(v.errors, stderr)
    progress.update(0.35, "reading the criteria", force=True)
    model = model_for(engine)
    progress.update(0.45, "evaluating", force=True)
    keep = v.ok
    kept = np.flatnonzero(keep)
    # evaluate one representative profile per class of profiles that the criteria cannot tell apart
    classes, reps = profile_classes(model, v, kept)
    status, mods = evaluate(model, v, kept[reps])
    width = len(model.modality_keys)
    answer_of_class, first = _factorize_rows(status, mods, width)
    inverse = answer_of_class[classes]
    rows = [cohort_format.answer_to_row(_combination_answer(model, status[i], mods[i])) for i in first]
    tails = [_tail(r) for r in rows]
    counts = np.bincount(inverse, minlength=len(rows)) if len(rows) else np.zeros(0, dtype=np.int64)
    progress.update(0.7, "writing", force=True)
    _write_rows(out, v.ids[keep], tails, inverse, raw.maybe_special_ids, progress, 0.7, 0.3)
    written = int(keep.sum())
    return {"written": written, "errors": v.errors, "rows": rows, "counts": counts}


def _run_sparql(raw: RawCohort, out: Path, engine, progress: Progress, stderr, batch_size: int) -> dict[str, Any]:
    from .compare import compare_profiles

    profiles, _, errors = parse_rows(raw)
    progress.clear()
    _report(errors, stderr)
    tail_index: dict[str, int] = {}
    rows: list[list[str]] = []
    inverse = np.zeros(len(profiles), dtype=np.int64)
    ids = np.empty(len(profiles), dtype=object)
    for start in range(0, len(profiles), batch_size):
        batch = profiles[start:start + batch_size]
        for j, answer in enumerate(compare_profiles(batch, engine)):
            row = cohort_format.answer_to_row(answer)
            tail = _tail(row)
            k = tail_index.get(tail)
            if k is None:
                k = tail_index[tail] = len(rows)
                rows.append(row)
            inverse[start + j] = k
            ids[start + j] = row[0]
        progress.update(0.1 + 0.8 * min(len(profiles), start + batch_size) / max(len(profiles), 1),
                        f"SPARQL {min(len(profiles), start + batch_size)}/{len(profiles)}")
    tails = list(tail_index)
    progress.update(0.9, "writing", force=True)
    _write_rows(out, ids, tails, inverse, True)
    counts = np.bincount(inverse, minlength=len(rows)) if len(rows) else np.zeros(0, dtype=np.int64)
    return {"written": len(profiles), "errors": errors, "rows": rows, "counts": counts}


def run_cohort(inp: Path, out: Path, engine_name: str = "fast", endpoint: str | None = None,
               timeout: float = 30.0, progress: bool = False, batch_size: int = BATCH_SIZE,
               stderr=None) -> dict[str, Any]:
    """Compare the guidelines for every profile of a cohort file and write OUT.csv.

    Bad rows are reported on stderr (`line N: field: message`) and left out of OUT; a file that
    cannot be read at all raises CohortError (a UsageError: exit 2) and writes nothing. Returns the
    summary that format_summary prints."""
    if engine_name not in ENGINES:
        raise CohortError(f"compare: --cohort-engine must be one of {', '.join(ENGINES)}, got {engine_name!r}")
    stderr = stderr if stderr is not None else sys.stderr
    started = time.perf_counter()
    bar = Progress(progress, stderr)
    bar.update(0.0, "reading", force=True)
    raw = read_cohort(Path(inp))
    engine = _engine(endpoint, timeout)
    try:
        if engine_name == "fast":
            result = _run_fast(raw, Path(out), engine, bar, stderr)
        else:
            result = _run_sparql(raw, Path(out), engine, bar, stderr, batch_size)
    finally:
        bar.clear()
    status_counts, conflicts, partial = _summarise(result["rows"], result["counts"])
    read = raw.n + len(raw.pre_errors)
    return {
        "input": str(inp), "output": str(out),
        "engine": engine_name if not endpoint else f"{engine_name} on {endpoint}",
        "read": read, "written": result["written"], "rejected": len(result["errors"]),
        "errors": result["errors"], "status_counts": status_counts, "conflicts": conflicts,
        "partial": partial, "seconds": time.perf_counter() - started,
    }


# ---------------------------------------------------------------- synthetic cohorts

def boundaries(model: Model | None = None) -> dict[str, list[float]]:
    """Every bound in the graph's criteria per numeric field, plus the WHO grade and AJCC T thresholds
    of profile.py: {field: sorted bounds}."""
    if model is None:
        from .engine import StoreEngine

        model = model_for(StoreEngine())
    out: dict[str, set[float]] = {"size_mm": set(T_SIZE_BOUNDS), "ki67_percent": set(KI67_GRADE_BOUNDS),
                                  "mitoses_per_2mm2": set(MITOSES_GRADE_BOUNDS)}
    for a in model.atoms:
        if a.type == "range" and a.field in out:
            out[a.field].update(b for b in (a.min, a.max) if b is not None)
    return {k: sorted(v) for k, v in out.items()}


def boundary_values(bounds: Iterable[float], field_name: str, step: float = 0.1) -> list[float]:
    """Just below, at and just above each bound, kept within the field's valid range."""
    ok = _NUMBER_OK[field_name]
    vals = set()
    for b in bounds:
        for x in (b - step, b, b + step):
            x = round(x, 6)
            if np.isfinite(x) and bool(ok(np.array([x]))[0]) and (field_name != "ki67_percent" or x <= 100):
                vals.add(x)
    return sorted(vals)


def _fmt_numbers(values: np.ndarray) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    nan = np.isnan(values)
    out[nan] = ""
    out[~nan] = [repr(round(float(x), 6)) for x in values[~nan]]
    return out


def generate(n: int, seed: int, out: Path) -> int:
    """Write a synthetic cohort CSV of n valid profiles (header = every profile field).

    The first rows hit every boundary: each size and Ki-67 bound of the criteria (and the WHO grade
    and AJCC T thresholds) just below, at and just above, each decision point (every margin, distant
    metastasis true/false/unknown), every value of every enum field, and each optional field missing;
    the rest are random valid profiles from numpy's Generator(seed). Deterministic per seed."""
    rng = np.random.default_rng(seed)
    b = boundaries()
    size_b = boundary_values(b["size_mm"], "size_mm")
    ki67_b = boundary_values(b["ki67_percent"], "ki67_percent")
    mit_b = boundary_values(b["mitoses_per_2mm2"], "mitoses_per_2mm2")
    specs: list[dict[str, Any]] = []
    setups = [("not_resected", "false"), ("not_resected", ""), ("negative", "false"),
              ("indeterminate", "false"), ("positive", "false"), ("indeterminate", ""), ("negative", "true"),
              ("not_resected", "true")]
    for s in size_b:
        for margin, met in setups:
            specs.append({"size_mm": s, "margin": margin, "distant_metastasis": met})
    cuts = sorted(b["size_mm"])
    reps = [cuts[0] / 2] + [(lo + hi) / 2 for lo, hi in zip(cuts, cuts[1:])] + [cuts[-1] * 1.5]
    for k in ki67_b:
        for s in reps:
            for margin in ("not_resected", "indeterminate"):
                specs.append({"size_mm": s, "margin": margin, "distant_metastasis": "false", "ki67_percent": k,
                              "mitoses_per_2mm2": np.nan, "grade": ""})
    for m in mit_b:
        for s in reps:
            for margin in ("not_resected", "indeterminate"):
                specs.append({"size_mm": s, "margin": margin, "distant_metastasis": "false", "ki67_percent": np.nan,
                              "mitoses_per_2mm2": m, "grade": ""})
    for depth in prof.DEPTHS:
        for s in reps:
            specs.append({"size_mm": s, "margin": "not_resected", "invasion_depth": depth})
    for t in prof.T_STAGES:
        s = {"T1a": 5.0, "T1b": 15.0}.get(t, 15.0 if t == "T1" else 25.0)
        specs.append({"size_mm": s, "margin": "not_resected", "invasion_depth": "", "t_stage": t})
    for name in ("lymph_nodes",):
        for value in prof.NODES:
            for s in reps:
                specs.append({"size_mm": s, "margin": "not_resected", name: value})
    for name in ("lymphovascular_invasion", "atypical_surface"):
        for value in ("true", "false"):
            for s in reps:
                specs.append({"size_mm": s, "margin": "not_resected", name: value})
    optional = [f for f, (_, _, req) in prof.FIELDS.items() if not req]
    for name in optional:
        specs.append({"size_mm": 15.0, "margin": "not_resected", name: np.nan if _FIELD_KIND[name] == "number" else "",
                      **({"t_stage": ""} if name == "invasion_depth" else {})})
    for margin in prof.MARGINS:
        specs.append({"size_mm": 15.0, "margin": margin, **{f: np.nan if _FIELD_KIND[f] == "number" else ""
                                                             for f in optional}})
    specs = specs[:n]

    # random base values for every row
    size = np.where(rng.random(n) < 0.3, rng.choice(np.array(size_b), n), rng.integers(1, 601, n) / 10)
    margin = rng.choice(np.array(prof.MARGINS, dtype=object), n, p=[0.55, 0.2, 0.1, 0.15])
    met = rng.choice(np.array(["false", "true", ""], dtype=object), n, p=[0.6, 0.1, 0.3])
    ki67 = np.where(rng.random(n) < 0.3, rng.choice(np.array(ki67_b), n), np.round(rng.gamma(1.2, 4.0, n), 1))
    ki67 = np.where(rng.random(n) < 0.3, np.nan, np.clip(ki67, 0, 100))
    mit = np.where(rng.random(n) < 0.3, rng.choice(np.array(mit_b), n), np.round(rng.gamma(0.8, 3.0, n), 1))
    mit = np.where(rng.random(n) < 0.6, np.nan, mit)
    depth = rng.choice(np.array(prof.DEPTHS + ("",), dtype=object), n, p=[0.2, 0.3, 0.1, 0.03, 0.02, 0.35])
    lvi = rng.choice(np.array(["false", "true", ""], dtype=object), n, p=[0.5, 0.15, 0.35])
    nodes = rng.choice(np.array(["N0", "N1", ""], dtype=object), n, p=[0.45, 0.1, 0.45])
    atyp = rng.choice(np.array(["false", "true", ""], dtype=object), n, p=[0.4, 0.1, 0.5])
    grade_mode = rng.random(n)   # < 0.5: blank, else consistent
    t_mode = rng.random(n)       # < 0.5: blank, else consistent
    t_pick = rng.random(n)
    ids = np.array([f"case-{i + 1:07d}" for i in range(n)], dtype=object)
    ids[rng.random(n) < 0.05] = ""
    grade = np.full(n, None, dtype=object)
    t_stage = np.full(n, None, dtype=object)
    cols = {"size_mm": size, "margin": margin, "distant_metastasis": met, "ki67_percent": ki67,
            "mitoses_per_2mm2": mit, "invasion_depth": depth, "lymphovascular_invasion": lvi,
            "lymph_nodes": nodes, "atypical_surface": atyp, "grade": grade, "t_stage": t_stage, "id": ids}
    for i, spec in enumerate(specs):
        for k, val in spec.items():
            cols[k][i] = val
    # stated grade consistent with the measurements (WHO 2019)
    gk = _grade_from(ki67, *KI67_GRADE_BOUNDS)
    gm = _grade_from(mit, *MITOSES_GRADE_BOUNDS)
    n_meas = (gk >= 0).astype(int) + (gm >= 0)
    gmax = np.maximum(gk, gm)
    lo = np.where(n_meas == 0, 0, gmax)
    hi = np.where(n_meas == 2, gmax, 2)
    g = lo + np.floor(rng.random(n) * (hi - lo + 1)).astype(int)
    grade_text = np.array(prof.GRADES, dtype=object)[g]
    grade_out = np.where(grade_mode < 0.5, "", grade_text)
    # stated T consistent with size and depth (AJCC 8th)
    dcode = np.array([prof.DEPTHS.index(d) if d else -1 for d in depth])
    superficial = np.where(size > 20, "T2", np.where(size < 10, "T1a", "T1b"))
    from_depth = np.select([dcode < 0, dcode <= 1, dcode == 2, dcode == 3], ["", superficial, "T2", "T3"], "T4")
    t1_sub = np.where(size < 10, "T1a", "T1b")
    small_opts = np.stack([np.full(n, "T1"), t1_sub, np.full(n, "T2"), np.full(n, "T3"), np.full(n, "T4")], axis=1)
    large_opts = np.stack([np.full(n, "T2"), np.full(n, "T3"), np.full(n, "T4")], axis=1)
    no_depth = np.where(size <= 20, small_opts[np.arange(n), (t_pick * 5).astype(int)],
                        large_opts[np.arange(n), (t_pick * 3).astype(int)])
    with_depth = np.where(np.isin(from_depth, ["T1a", "T1b"]) & (t_pick < 0.34), "T1", from_depth)
    t_out = np.where(t_mode < 0.5, "", np.where(dcode >= 0, with_depth, no_depth)).astype(object)
    for i, spec in enumerate(specs):
        if "grade" in spec:
            grade_out[i] = spec["grade"]
        if "t_stage" in spec:
            t_out[i] = spec["t_stage"] if dcode[i] < 0 or spec["t_stage"] == "" else t_out[i]
    cols["grade"] = grade_out
    cols["t_stage"] = t_out
    frame = {}
    for name in prof.FIELD_NAMES:
        c = cols[name]
        frame[name] = _fmt_numbers(np.asarray(c, dtype=float)) if _FIELD_KIND[name] == "number" else c
    text_cols = [np.asarray(frame[name], dtype=object) for name in prof.FIELD_NAMES]
    header = ",".join(prof.FIELD_NAMES) + "\n"
    body = np.full(n, "", dtype=object)
    for j, c in enumerate(text_cols):
        body = body + (c if j == 0 else "," + c)
    _write_atomic(Path(out), [header, "".join((body + "\n").tolist())])
    return n
