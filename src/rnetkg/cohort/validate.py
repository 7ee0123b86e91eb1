"""Validation and derivation of a whole cohort at once: the rules of rnetkg.profile.parse_profile,
vectorised over columns, with the WHO and AJCC cut points of rnetkg.fields; a row that breaks a rule
goes through parse_profile itself, which gives the message."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from itertools import repeat

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import profile as prof
from ..arrow import from_numpy, string_scalar, strings, to_numpy
from ..criteria.vectorised import Columns
from ..errors import ProfileError
from ..fields import (DECISION_POINTS, DEPTH_T_STAGE, DEPTHS, FIELDS, KI67_GRADE_CUTS, MARGINS, MITOSES_GRADE_CUTS,
                      NUMBER_FIELDS, T_CATEGORIES, T_SIZE_CUTS, T_STAGES, Field)
from .raw import RawCohort, csv_boolean
from .read_jsonl import parse_line

# index into T_STAGES ("T1", "T1a", "T1b", "T2", "T3", "T4") -> index into T_CATEGORIES
_T_CATEGORY_OF = np.array([T_CATEGORIES.index(t[:2]) for t in T_STAGES], dtype=np.int8)


def number_ok(f: Field, v: np.ndarray) -> np.ndarray:
    """Field.in_range, vectorised."""
    ok = np.ones(len(v), dtype=bool)
    if f.minimum is not None:
        ok &= (v > f.minimum) | ((v == f.minimum) if f.minimum_inclusive else False)
    if f.maximum is not None:
        ok &= (v < f.maximum) | ((v == f.maximum) if f.maximum_inclusive else False)
    return ok


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
    id_array: pa.Array             # the id of each row (its line number where absent; '' where not text)

    @cached_property
    def ids(self) -> np.ndarray:
        """The ids as an object array of str."""
        return np.array(self.id_array.to_pylist(), dtype=object)


def _table(values: list[str], mapping: dict[str, int]) -> np.ndarray:
    """Distinct CSV cells -> codes: '' -> -1 (absent), a key of mapping -> its value, else -2."""
    return np.array([-1 if u == "" else mapping.get(u, -2) for u in values] or [-1], dtype=np.int8)




def line_ids(lines: np.ndarray) -> pa.Array:
    """The id of a row without one: its line number."""
    return pc.cast(from_numpy(np.asarray(lines, dtype=np.int64)), pa.string())


def _typed_csv(raw: RawCohort):
    n = raw.n
    present_bad = np.zeros(n, dtype=bool)
    numbers, num_present, codes, bools = {}, {}, {}, {}
    for name, f in FIELDS.items():
        kind, allowed = f.kind, f.values
        if name == "id":
            continue
        if name not in raw.cells:
            if kind == "number":
                numbers[name] = np.full(n, np.nan)
                num_present[name] = np.zeros(n, dtype=bool)
            else:
                (bools if kind == "boolean" else codes)[name] = np.full(n, -1, dtype=np.int8)
            continue
        cell_codes, values = raw.codes(name)
        if kind == "number":
            present = np.array([u != "" for u in values] or [False], dtype=bool)[cell_codes]
            v = raw.numbers[name]
            isnum = present & ~np.isnan(v)
            present_bad |= present & ~isnum
            numbers[name] = np.where(isnum, v, np.nan)
            num_present[name] = present
        elif kind == "boolean":
            table = [-1 if u == "" else -2 if csv_boolean(u) is None else int(csv_boolean(u)) for u in values]
            bools[name] = np.array(table or [-1], dtype=np.int8)[cell_codes]
        else:
            codes[name] = _table(values, {v: i for i, v in enumerate(allowed)})[cell_codes]
    if "id" in raw.cells:
        ids = raw.cells["id"]
        empty = pc.equal(ids, string_scalar(""))
        if pc.any(empty).as_py():
            ids = pc.replace_with_mask(ids, empty, line_ids(raw.lines[to_numpy(empty)]))
    else:
        ids = line_ids(raw.lines)
    return present_bad, numbers, num_present, codes, bools, ids


class _TypeCodes(dict):
    def __missing__(self, key):
        return _OTHER


class _Absent:
    """The value of a field that a JSON record does not have."""


_ABSENT = _Absent()
_MISSING, _NONE, _STR, _INT, _FLOAT, _BOOL, _DICT, _OTHER = range(8)
# the exact type of a JSON value (bool is not int here)
_TYPE_CODE = _TypeCodes({_Absent: _MISSING, type(None): _NONE, str: _STR, int: _INT, float: _FLOAT, bool: _BOOL,
                         dict: _DICT})


def id_problem(value: str) -> str | None:
    """Why a text id cannot be written to OUT (UTF-8): a lone surrogate, which JSON's \\u escapes
    can make; None for any other text."""
    if value.isascii():
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as e:
        return (f"id: must be Unicode text, but character {e.start + 1} is a lone surrogate "
                f"(\\u{ord(value[e.start]):04x})")
    return None


def row_problem(raw: RawCohort, i: int, line: int) -> str:
    """The message for a rejected record: parse_profile's, or the id's."""
    if raw.source is not None:   # a JSON line that pyarrow read (NaN, Infinity: json_value refuses them)
        data, problem = parse_line(raw.source_line(i))
        if problem is not None:
            return problem
    else:
        data = raw.row_dict(i)
    try:
        prof.parse_profile(data, default_id=str(line))
    except ProfileError as e:
        return str(e)
    except (OverflowError, ValueError, TypeError) as e:  # e.g. a JSON integer too large for a float
        return f"profile: {e}"
    problem = id_problem(data["id"]) if isinstance(data, dict) and isinstance(data.get("id"), str) else None
    if problem:
        return problem
    raise RuntimeError(f"rnetkg internal error: line {line} of {raw.path} was rejected by the vectorised "
                       "checks but accepted by profile.parse_profile; please report it")


_NAN = from_numpy(np.array([np.nan]))[0]
_FALSE = from_numpy(np.array([False]))[0]


def _typed_arrow_json(raw: RawCohort):
    """The typed columns of a JSON Lines block that pyarrow read: each value is of its field's JSON
    type already, or null (absent)."""
    n = raw.n
    bad = np.zeros(n, dtype=bool)
    numbers, num_present, codes, bools = {}, {}, {}, {}
    ids = line_ids(raw.lines)
    for name, f in FIELDS.items():
        col = raw.cells[name]
        present = to_numpy(col.is_valid())
        if name == "id":
            if present.any():
                ids = pc.if_else(from_numpy(present), col, ids)
        elif f.kind == "number":
            v = to_numpy(col.fill_null(_NAN))   # null: NaN
            bad |= present & np.isnan(v)   # JSON NaN: not a finite number
            numbers[name] = np.where(present, v, np.nan)
            num_present[name] = present
        elif f.kind == "boolean":
            bools[name] = np.where(present, to_numpy(col.fill_null(_FALSE)), -1).astype(np.int8)
        else:
            enc = pc.dictionary_encode(col)
            table = np.array([{v: j for j, v in enumerate(f.values)}.get(u, -2) for u in enc.dictionary.to_pylist()]
                             + [-1], dtype=np.int8)
            idx = to_numpy(enc.indices.fill_null(from_numpy(np.array([len(table) - 1], dtype=np.int32))[0]))
            codes[name] = table[idx]
    return bad, numbers, num_present, codes, bools, ids


def _typed_jsonl(raw: RawCohort):
    n = raw.n
    records = raw.records or []
    row_bad = np.fromiter(map(_TYPE_CODE.__getitem__, map(type, records)), dtype=np.int8, count=n) != _DICT
    if row_bad.any():
        records = [{} if bad else r for r, bad in zip(records, row_bad)]
    n_keys = np.fromiter(map(len, records), dtype=np.int64, count=n)   # keys that are fields: counted below
    numbers, num_present, codes, bools = {}, {}, {}, {}
    ids = strings([])
    for name, f in FIELDS.items():
        kind, allowed = f.kind, f.values
        vals = np.fromiter(map(dict.get, records, repeat(name), repeat(_ABSENT)), dtype=object, count=n)
        if kind == "enum":
            table = {_ABSENT: -3, None: -1, **{v: j for j, v in enumerate(allowed)}}   # -2: any other value
            try:
                code = np.fromiter(map(table.get, vals, repeat(-2)), dtype=np.int8, count=n)
            except TypeError:   # an unhashable value (a list, an object): not allowed
                code = np.array([table.get(v, -2) if type(v) is str or v is None or v is _ABSENT else -2
                                 for v in vals], dtype=np.int8)
            n_keys -= code != -3
            codes[name] = np.where(code == -3, np.int8(-1), code)
            continue
        types = np.fromiter(map(_TYPE_CODE.__getitem__, map(type, vals)), dtype=np.int8, count=n)
        n_keys -= types != _MISSING
        present = types > _NONE
        if name == "id":
            is_str = types == _STR
            text = np.where(is_str, vals, "").astype(object)
            try:
                ids = pa.array(text, type=pa.string())
            except (UnicodeError, pa.ArrowException):   # a lone surrogate (JSON \ud800): not written
                for i in np.flatnonzero(is_str):
                    if id_problem(vals[i]):
                        is_str[i] = False
                        text[i] = ""
                ids = pa.array(text, type=pa.string())
            row_bad |= present & ~is_str
            if not present.all():
                ids = pc.if_else(from_numpy(~present), line_ids(raw.lines), ids)
        elif kind == "number":
            isnum = (types == _INT) | (types == _FLOAT)   # not bool: type() is exact
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
            isbool = types == _BOOL
            code[isbool] = vals[isbool].astype(bool).astype(np.int8)
            bools[name] = code
    row_bad |= n_keys != 0   # a key that is no field
    return row_bad, numbers, num_present, codes, bools, ids


def grade_codes(values: np.ndarray, cuts: tuple[float, float]) -> np.ndarray:
    """fields.grade_from, vectorised: 0 G1, 1 G2, 2 G3, -1 unknown."""
    low, high = cuts
    g = np.where(values < low, 0, np.where(values <= high, 1, 2)).astype(np.int8)
    return np.where(np.isnan(values), np.int8(-1), g)


_T = {t: np.int8(i) for i, t in enumerate(T_STAGES)}
# T stage of each depth of invasion (-1: superficial, the T stage follows from the size)
_DEPTH_T = np.array([_T[DEPTH_T_STAGE[d]] if d in DEPTH_T_STAGE else -1 for d in DEPTHS], dtype=np.int8)


def _given(name: str, numbers, codes, bools) -> np.ndarray:
    kind = FIELDS[name].kind
    if kind == "number":
        return ~np.isnan(numbers[name])
    return (bools[name] if kind == "boolean" else codes[name]) >= 0


def _has_one_of(name: str, allowed: tuple, codes, bools) -> np.ndarray:
    """Whether each row's value of a boolean or enum field is one of ``allowed``."""
    if FIELDS[name].kind == "boolean":
        return np.isin(bools[name], [int(v) for v in allowed])
    return np.isin(codes[name], [FIELDS[name].values.index(v) for v in allowed])


def validate(raw: RawCohort) -> Validated:
    """The rules of profile.parse_profile on every record at once; messages from parse_profile."""
    if raw.fmt == "csv":
        bad, numbers, num_present, codes, bools, ids = _typed_csv(raw)
    elif raw.records is None:
        bad, numbers, num_present, codes, bools, ids = _typed_arrow_json(raw)
    else:
        bad, numbers, num_present, codes, bools, ids = _typed_jsonl(raw)
    bad = bad.copy()
    # required fields
    for name, f in FIELDS.items():
        if not f.required:
            continue
        if f.kind == "number":
            bad |= ~num_present[name]
        elif f.kind == "boolean":
            bad |= bools[name] == -1
        else:
            bad |= codes[name] == -1
    # values
    for name in NUMBER_FIELDS:
        v = numbers[name]
        known = ~np.isnan(v)
        with np.errstate(invalid="ignore"):
            bad |= known & ~(np.isfinite(v) & number_ok(FIELDS[name], v))
    for arr in (*codes.values(), *bools.values()):
        bad |= arr == -2
    # a field given only where another field has one of the values the field table allows (Field.only_with)
    for name, f in FIELDS.items():
        if f.only_with:
            bad |= _given(name, numbers, codes, bools) & ~_has_one_of(*f.only_with, codes, bools)
    size = numbers["size_mm"]
    # grade (WHO 2019): the higher of the Ki-67 and mitotic grades; a stated grade must agree
    gk = grade_codes(numbers["ki67_percent"], KI67_GRADE_CUTS)
    gm = grade_codes(numbers["mitoses_per_2mm2"], MITOSES_GRADE_CUTS)
    n_measured = (gk >= 0).astype(np.int8) + (gm >= 0)
    g_measured = np.maximum(gk, gm)
    stated = codes["grade"]
    has_stated = stated >= 0
    bad |= has_stated & (((n_measured == 2) & (g_measured != stated)) | ((n_measured == 1) & (g_measured > stated)))
    grade = np.where(has_stated, stated, g_measured).astype(np.int8)
    # T stage (AJCC 8th) from size and depth; a stated T stage must agree
    depth = codes["invasion_depth"]
    ts = codes["t_stage"]
    low, high = T_SIZE_CUTS
    t1, t1a, t1b, t2 = _T["T1"], _T["T1a"], _T["T1b"], _T["T2"]
    with np.errstate(invalid="ignore"):
        superficial = np.where(size > high, t2, np.where(size < low, t1a, t1b)).astype(np.int8)
    from_depth = np.where(depth < 0, -1, np.where(_DEPTH_T[np.maximum(depth, 0)] < 0, superficial,
                                                  _DEPTH_T[np.maximum(depth, 0)])).astype(np.int8)
    has_ts = ts >= 0
    has_depth = depth >= 0
    bad |= has_depth & has_ts & (ts != from_depth) & ~((ts == t1) & ((from_depth == t1a) | (from_depth == t1b)))
    bad |= ~has_depth & ((((ts == t1) | (ts == t1a) | (ts == t1b)) & (size > high)) | ((ts == t1a) & (size >= low))
                         | ((ts == t1b) & (size < low)))
    t_from_stated = np.where(ts == t1, np.where(size < low, t1a, t1b), ts).astype(np.int8)
    t_stage = np.where(has_depth, from_depth, np.where(has_ts, t_from_stated, -1)).astype(np.int8)
    t_category = np.where(t_stage >= 0, _T_CATEGORY_OF[np.maximum(t_stage, 0)], -1).astype(np.int8)
    # decision point
    metastasis = bools["distant_metastasis"]
    margin = codes["margin"]
    not_resected = MARGINS.index("not_resected")
    dp = {d: i for i, d in enumerate(DECISION_POINTS)}
    decision_point = np.where(metastasis == 1, dp["metastatic_disease"],
                              np.where(margin == not_resected, dp["initial_management"],
                                       dp["after_local_resection"])).astype(np.int8)

    errors = list(raw.pre_errors)
    errors.extend(_row_problems(raw, np.flatnonzero(bad)))
    errors.sort(key=lambda e: e[0])
    return Validated(ok=~bad, errors=errors, numbers=numbers, codes=codes, bools=bools, grade=grade,
                     t_stage=t_stage, t_category=t_category, decision_point=decision_point, id_array=ids)


def _row_problems(raw: RawCohort, rows: np.ndarray) -> list[tuple[int, str]]:
    """(line, message) of each rejected row. In a CSV block the message of a row depends on its cells
    but the id (a CSV id is always valid text), so rows whose other cells are the same text share the
    message of the first of them, found once."""
    lines = raw.lines[rows].tolist()
    names = [name for name in raw.columns if name != "id"] if raw.fmt == "csv" else []
    if len(rows) < 2 or not names:
        return [(line, row_problem(raw, i, line)) for i, line in zip(rows.tolist(), lines)]
    keys = np.stack([raw.codes(name)[0][rows] for name in names], axis=1)
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    messages = [row_problem(raw, int(rows[j]), lines[j]) for j in first.tolist()]
    return [(line, messages[k]) for line, k in zip(lines, inverse.reshape(-1).tolist())]


def parse_rows(raw: RawCohort) -> tuple[list[prof.Profile], list[int], list[tuple[int, str]]]:
    """The SPARQL path's validation: profile.parse_profile on every record."""
    profiles, lines, errors = [], [], list(raw.pre_errors)
    for i in range(raw.n):
        line = int(raw.lines[i])
        data = raw.row_dict(i)
        try:
            p = prof.parse_profile(data, default_id=str(line))
        except ProfileError as e:
            errors.append((line, str(e)))
            continue
        except (OverflowError, ValueError, TypeError) as e:
            errors.append((line, f"profile: {e}"))
            continue
        problem = id_problem(p.id)
        if problem:
            errors.append((line, problem))
            continue
        profiles.append(p)
        lines.append(line)
    errors.sort(key=lambda e: e[0])
    return profiles, lines, errors


def columns(v: Validated, rows: np.ndarray) -> Columns:
    """The values the criteria see (derived grade, T category ...) for the given rows."""
    values: dict[str, np.ndarray] = {}
    for name, arr in v.numbers.items():
        values[name] = arr[rows]
    for name, arr in v.codes.items():
        values[name] = arr[rows]
    for name, arr in v.bools.items():
        values[name] = arr[rows]
    values["grade"] = v.grade[rows]
    values["t_stage"] = v.t_category[rows]
    return Columns(values, v.decision_point[rows])
