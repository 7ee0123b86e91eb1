"""The criteria model compiled to numpy: the same three-valued evaluation and status rules as the
scalar evaluator (model.py), for many profiles at once.

Profiles come as columns (``Columns``): per criteria field a float64 array (NaN: unknown) for a
number, an int8 code into the field's tested values (-1: unknown) for an enum, and 1/0/-1 for a
boolean; the decision point as an index into fields.DECISION_POINTS. Profiles that no criterion can
tell apart (the same decision point, and every atomic condition read there gives them the same
status) fall into one class (``profile_classes``), so that only one profile per class is evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple, Sequence

import numpy as np

from .. import vocab
from ..arrow import from_numpy, to_numpy
from ..fields import DECISION_POINTS, FIELDS
from .model import DEFAULT_CONTEXT, Model, disagreements

# guideline status codes
# a guideline status as a code of the int8 status arrays (not the statement codes of rnetkg.vocab)
CODE_SILENT, CODE_POSSIBLE, CODE_COVERED, CODE_AMBIGUOUS, CODE_AIM_ONLY = 0, 1, 2, 3, 4
STATUS_NAMES = {CODE_SILENT: vocab.SILENT, CODE_POSSIBLE: vocab.POSSIBLE_ANSWER, CODE_COVERED: vocab.COVERED,
                CODE_AMBIGUOUS: vocab.AMBIGUOUS, CODE_AIM_ONLY: vocab.AIM_ONLY}


def set_width(model: Model) -> int:
    """The bits of an answer's set in ``evaluate``'s output: the modalities, then the targets."""
    return len(model.modality_keys) + len(vocab.TARGETS)


@dataclass
class Columns:
    """The values the criteria see, one array per criteria field, and the decision point."""

    values: dict[str, np.ndarray]
    decision_point: np.ndarray

    def __len__(self) -> int:
        return len(self.decision_point)

    def take(self, rows: np.ndarray) -> "Columns":
        return Columns({k: v[rows] for k, v in self.values.items()}, self.decision_point[rows])


def atom_status(atom, cols: Columns) -> np.ndarray:
    """1 true, 0 unknown (the profile lacks the field), -1 false; as Atom.status."""
    n = len(cols)
    arr = cols.values.get(atom.field)
    if arr is None:
        return np.zeros(n, dtype=np.int8)
    if atom.kind == "range":
        present = ~np.isnan(arr)
        hit = np.ones(n, dtype=bool)
        if atom.min is not None:
            hit &= (arr > atom.min) | ((arr == atom.min) if atom.min_inclusive else False)
        if atom.max is not None:
            hit &= (arr < atom.max) | ((arr == atom.max) if atom.max_inclusive else False)
    elif atom.kind == "boolean":
        present = arr >= 0
        hit = arr == (1 if atom.required else 0)
    else:
        vocab = FIELDS[atom.field].tested_values
        allowed = [vocab.index(k) for k in atom.allowed if k in vocab]
        present = arr >= 0
        hit = np.isin(arr, allowed) if allowed else np.zeros(n, dtype=bool)
    return np.where(present, np.where(hit, 1, -1), 0).astype(np.int8)


def factorize(keys: np.ndarray) -> np.ndarray:
    """The code of each key, codes numbered 0, 1, ... in order of first appearance (a hash table:
    pyarrow's dictionary encoding)."""
    if not len(keys):
        return np.zeros(0, dtype=np.int64)
    return to_numpy(from_numpy(keys).dictionary_encode().indices).astype(np.int64)


def first_rows(codes: np.ndarray) -> np.ndarray:
    """The first row of each code, for codes numbered in order of first appearance (factorize)."""
    if not len(codes):
        return np.zeros(0, dtype=np.int64)
    running = np.maximum.accumulate(codes)
    return np.flatnonzero(np.concatenate(([True], codes[1:] > running[:-1])))


class ClassTable(NamedTuple):
    """A criteria field's codes (class_tables): table[decision point, place] -> code, the field's
    bounds if it is a number (the places of a number), and how many codes there are."""

    table: np.ndarray
    bounds: np.ndarray | None
    size: int

    def places(self, arr: np.ndarray) -> np.ndarray:
        """The place of each value: a number's place among the bounds (0 below the first, 1 at it, 2
        between the first two ... 2k above the last; 2k + 1 unknown); an enum's code + 1 and a boolean's
        1/0 + 1 (0 unknown)."""
        if self.bounds is not None:
            place = np.searchsorted(self.bounds, arr, "left") + np.searchsorted(self.bounds, arr, "right")
            return np.where(np.isnan(arr), 2 * len(self.bounds) + 1, place)
        return arr.astype(np.intp) + 1


def _place_values(model: Model, name: str) -> list[Any]:
    """A value in each place of a field (ClassTable.places), None for unknown."""
    f = FIELDS[name]
    if f.kind == "number":
        b = model.bounds(name)
        if not b:
            return [0.0, None]
        between = [b[0] - 1, *((lo + hi) / 2 for lo, hi in zip(b, b[1:])), b[-1] + 1]
        return [v for pair in zip(between, [*b, None]) for v in pair]   # below, at, between ..., above, unknown
    return [None, *(f.tested_values if f.kind == "enum" else (False, True))]


def class_tables(model: Model) -> dict[str, ClassTable]:
    """Per criteria field, a table [decision point, place] -> code: two places have one code at a
    decision point when every atomic condition on the field that the statements there read (Model.atoms_at)
    gives them the same status (at a decision point that reads no condition on the field, every place
    has code 0). Built once per model."""
    if "class tables" not in model._derived:
        tables = {}
        for name in sorted(model.criteria_fields):
            values = _place_values(model, name)
            table = np.zeros((len(DECISION_POINTS), len(values)), dtype=np.intp)
            for d, dp in enumerate(DECISION_POINTS):
                atoms = model.atoms_at(dp).get(name, ())
                codes: dict[tuple[int, ...], int] = {}
                for place, value in enumerate(values):
                    table[d, place] = codes.setdefault(tuple(a.status(value) for a in atoms), len(codes))
            bounds = np.asarray(model.bounds(name), dtype=np.float64) if FIELDS[name].kind == "number" else None
            tables[name] = ClassTable(table, bounds, int(table.max()) + 1)
        model._derived["class tables"] = tables
    return model._derived["class tables"]


def class_codes(model: Model, cols: Columns) -> list[tuple[np.ndarray, int]]:
    """Per criteria field of the columns (sorted by name), the code of each profile in the field's
    class_tables and how many codes there are."""
    tables = class_tables(model)
    dp = cols.decision_point.astype(np.intp)
    return [(t.table[dp, t.places(cols.values[name])], t.size)
            for name, t in sorted(tables.items()) if name in cols.values]


def profile_classes(model: Model, cols: Columns) -> tuple[np.ndarray, np.ndarray]:
    """Group the profiles that no criterion can tell apart: the same decision point, and every atomic
    condition that a statement there reads (in any reading context) gives them the same status, so
    that every statement, guideline status, reading dependence and disagreement is the same for them.
    Returns (class of each row, a representative row per class)."""
    n = len(cols)
    key = cols.decision_point.astype(np.int64)
    span = len(DECISION_POINTS)
    for code, size in class_codes(model, cols):
        if span * size >= 1 << 62:
            key = factorize(key)
            span = int(key.max()) + 1 if n else 1
        key = key * size + code
        span *= size
    inverse = factorize(key)
    return inverse, first_rows(inverse)


def _atom_status(a, cols: Columns, cache: dict) -> np.ndarray:
    """atom_status, kept in ``cache`` by the atom's IRI (an atom read by several statements is evaluated once)."""
    if a.iri not in cache:
        cache[a.iri] = atom_status(a, cols)
    return cache[a.iri]


def _statement_status(s, cols: Columns, cache: dict) -> np.ndarray:
    """A statement's status (1 applies, 0 possible, -1 does not apply) for every profile; kept in
    ``cache`` by the statement's identity (a statement that is the same object in two reading contexts
    has the same criteria), with its atoms' statuses."""
    key = id(s)
    if key not in cache:
        status = np.ones(len(cols), dtype=np.int8)
        for c in s.criteria:
            flip = np.int8(-1 if c.negated else 1)
            crit = _atom_status(c.atoms[0], cols, cache) * flip
            for a in c.atoms[1:]:
                crit = np.maximum(crit, _atom_status(a, cols, cache) * flip)
            np.minimum(status, crit * np.int8(c.sign), out=status)
        cache[key] = (s, status)   # the statement is kept alive with its id
    return cache[key][1]


def statement_keys(model: Model, cols: Columns) -> list[bytes]:
    """Per profile, its decision point and the status there of every statement in every reading
    context (3 where the statement is not read at that decision point): the rows that
    queries/applicable-recommendations.rq gives guideline-status.rq, so that two profiles with the same
    key get the same guideline statuses, reading dependence and disagreements."""
    cache: dict = {}
    dp = cols.decision_point.astype(np.int8)
    columns, seen = [dp], set()
    dp_codes = {d: i for i, d in enumerate(DECISION_POINTS)}
    for context in model.contexts:
        for s in model.statements_in(context).values():
            if id(s) in seen or not s.criteria:
                continue
            seen.add(id(s))
            codes = [dp_codes[d] for d in s.decision_points if d in dp_codes]
            at_dp = np.isin(dp, codes)
            columns.append(np.where(at_dp, _statement_status(s, cols, cache) + 1, 3).astype(np.int8))
    table = np.ascontiguousarray(np.stack(columns, axis=1))
    return [row.tobytes() for row in table]


def evaluate(model: Model, cols: Columns, context: str = DEFAULT_CONTEXT, *, only: set[str] | None = None,
             cache: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Guideline status and modality set of every profile for every key of model.guideline_keys, in a
    reading context (default: the default readings).

    Returns (status[n, G] int8 with CODE_SILENT/CODE_POSSIBLE/CODE_COVERED/CODE_AMBIGUOUS/CODE_AIM_ONLY,
    sets[n, G] int64: the modalities as bits over model.modality_keys, then the targets of the
    recommendations behind them as bits over vocab.TARGETS). With ``only``, the guidelines not in it are left silent; ``cache``
    (a dict kept across calls on the same columns) keeps each atom's and each statement's status, so
    that a statement the same in two contexts is evaluated once."""
    n = len(cols)
    dp = cols.decision_point
    cache = {} if cache is None else cache


    bit = {m: 1 << i for i, m in enumerate(model.modality_keys)}
    gi = {k: i for i, k in enumerate(model.guideline_keys)}
    G = len(gi)
    full = np.int64((1 << len(model.modality_keys)) - 1)
    any_app = [np.zeros(n, dtype=bool) for _ in range(G)]
    or_app = [np.zeros(n, dtype=np.int64) for _ in range(G)]
    and_app = [np.full(n, full, dtype=np.int64) for _ in range(G)]
    any_pos = [np.zeros(n, dtype=bool) for _ in range(G)]
    or_pos = [np.zeros(n, dtype=np.int64) for _ in range(G)]
    any_aim = [np.zeros(n, dtype=bool) for _ in range(G)]
    tgt_app = [np.zeros(n, dtype=np.int64) for _ in range(G)]
    tgt_pos = [np.zeros(n, dtype=np.int64) for _ in range(G)]
    tbit = {t: 1 << (len(model.modality_keys) + i) for i, t in enumerate(vocab.TARGETS)}
    dp_codes = {d: i for i, d in enumerate(DECISION_POINTS)}
    for s in model.statements_in(context).values():
        counts, aim = s.counts_for_status, s.aim_only
        if not (counts or aim) or not s.criteria or (only is not None and s.guideline not in only):
            continue
        codes = [dp_codes[d] for d in s.decision_points if d in dp_codes]
        if not codes:
            continue
        status = _statement_status(s, cols, cache)
        at_dp = (dp == codes[0]) if len(codes) == 1 else np.isin(dp, codes)
        g = gi[s.guideline]
        applies = (status == 1) & at_dp
        if not counts:
            any_aim[g] |= applies
            continue
        mask = np.int64(sum(bit[m] for m in s.modalities))
        targets = np.int64(sum(tbit[t] for t in s.targets if t in tbit))
        possible = (status == 0) & at_dp
        any_app[g] |= applies
        or_app[g] |= applies * mask
        and_app[g] &= np.where(applies, mask, full)
        tgt_app[g] |= applies * targets
        any_pos[g] |= possible
        or_pos[g] |= possible * mask
        tgt_pos[g] |= possible * targets
    st = np.empty((n, G), dtype=np.int8)
    mods = np.empty((n, G), dtype=np.int64)
    for g in range(G):
        st[:, g] = np.where(any_app[g], np.where(or_app[g] != and_app[g], CODE_AMBIGUOUS, CODE_COVERED),
                            np.where(any_aim[g], CODE_AIM_ONLY, np.where(any_pos[g], CODE_POSSIBLE, CODE_SILENT)))
        mods[:, g] = np.where(any_app[g], or_app[g] | tgt_app[g],
                              np.where(any_aim[g], 0, np.where(any_pos[g], or_pos[g] | tgt_pos[g], 0)))
    return st, mods


def _counted(model: Model, context: str) -> dict[str, set[int]]:
    """The statements that count for a guideline's status in a context (by identity), per guideline."""
    out: dict[str, set[int]] = {}
    for s in model.statements_in(context).values():
        if (s.counts_for_status or s.aim_only) and s.criteria:
            out.setdefault(s.guideline, set()).add(id(s))
    return out


def evaluate_readings(model: Model, cols: Columns) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``evaluate`` under the default readings, and which guidelines' answers change under another
    reading (bool[n, G]). In another context only the guidelines whose statements differ from the
    default readings' are evaluated again, and only their statements that differ."""
    cache: dict = {}
    status, mods = evaluate(model, cols, cache=cache)
    dependent = np.zeros(status.shape, dtype=bool)
    default = _counted(model, DEFAULT_CONTEXT)
    gi = {k: i for i, k in enumerate(model.guideline_keys)}
    for context in model.contexts[1:]:
        here = _counted(model, context)
        changed = {g for g in set(default) | set(here) if default.get(g) != here.get(g) and g in gi}
        if not changed:
            continue
        s2, m2 = evaluate(model, cols, context, only=changed, cache=cache)
        for g in changed:
            j = gi[g]
            dependent[:, j] |= (s2[:, j] != status[:, j]) | (m2[:, j] != mods[:, j])
    return status, mods, dependent


def combination_answer(model: Model, statuses: Sequence[int], mods: Sequence[int],
                       dependent: Sequence[bool] | None = None) -> dict[str, Any]:
    """The answer (statuses, modalities, reading dependence, disagreements) of one row of
    ``evaluate_readings``' output."""
    dependent = dependent if dependent is not None else [False] * len(statuses)
    width = len(model.modality_keys)
    guidelines = [{"guideline": k, "status": STATUS_NAMES[int(s)],
                   "modalities": [m for j, m in enumerate(model.modality_keys) if int(mk) >> j & 1],
                   "targets": [t for j, t in enumerate(vocab.TARGETS) if int(mk) >> (width + j) & 1],
                   "reading_dependent": bool(d)}
                  for k, s, mk, d in zip(model.guideline_keys, statuses, mods, dependent)]
    dis = disagreements(((g["guideline"], g["status"], g["modalities"], g.pop("targets")) for g in guidelines),
                        model.scopes, model.strategies)
    return {"profile": "", "guidelines": guidelines, "disagreements": dis}


def factorize_rows(status: np.ndarray, mods: np.ndarray, width: int,
                   dependent: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (status, modality set, reading dependence) combinations: (inverse index per row, first
    row of each)."""
    n, G = status.shape
    dependent = dependent if dependent is not None else np.zeros(status.shape, dtype=bool)
    key = np.zeros(n, dtype=np.int64)
    for g in range(G):
        code = status[:, g].astype(np.int64) * 2 + dependent[:, g]
        key = key * (16 << width) + (code << width) + mods[:, g]
        key = factorize(key)
    return key, first_rows(key)


def columns_from_profiles(profiles: Sequence[Any]) -> Columns:
    """Columns for validated profiles (rnetkg.profile.Profile), from their criteria values."""
    values: dict[str, np.ndarray] = {}
    rows = [p.criteria_values() for p in profiles]
    for name in (rows[0] if rows else {}):
        f = FIELDS[name]
        vals = [r[name] for r in rows]
        if f.kind == "number":
            values[name] = np.array([np.nan if v is None else v for v in vals], dtype=np.float64)
        elif f.kind == "boolean":
            values[name] = np.array([-1 if v is None else int(v) for v in vals], dtype=np.int8)
        else:
            index = {k: i for i, k in enumerate(f.tested_values)}
            values[name] = np.array([-1 if v is None else index[v] for v in vals], dtype=np.int8)
    dp = np.array([DECISION_POINTS.index(p.decision_point) for p in profiles], dtype=np.int8)
    return Columns(values, dp)
