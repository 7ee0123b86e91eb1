"""Compare the guidelines for every profile of a cohort (`rnetkg compare --cohort`).

Two evaluation paths give exactly the same rows:

- ``sparql``: every row through profile.parse_profile, then compare.compare_profiles in batches on
  the embedded store (or an endpoint);
- ``fast`` (default): validation and derivation vectorised (cohort.validate), then the criteria
  model compiled to numpy (criteria.vectorised), one profile per class of profiles that the
  criteria cannot tell apart.

Progress goes to an optional callback ``progress(fraction, label)``; nothing here prints.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..answer import answer_to_row, csv_columns
from ..criteria.model import STATUSES
from ..criteria.load import model_for
from ..criteria.vectorised import combination_answer, evaluate_readings, factorize_rows, profile_classes
from ..errors import CohortError
from ..outputs import check_output
from .read import RawCohort, read_cohort
from .validate import columns, parse_rows, validate
from .write import tail, write_rows

ENGINES = ("fast", "sparql")
BATCH_SIZE = 2000
Progress = Callable[[float, str], None]


def summarise(keys, rows: list[list[str]], counts: np.ndarray) -> dict[str, dict]:
    """Status counts per guideline, disagreement counts per pair and kind, and how many profiles each
    guideline answers differently under another reading, from the distinct output rows."""
    cols = csv_columns(keys)
    out: dict[str, dict] = {"status_counts": {k: {s: 0 for s in STATUSES} for k in keys},
                            "conflicts": {}, "partial": {}, "complementary": {},
                            "reading_dependent": {k: 0 for k in keys}}
    for row, c in zip(rows, counts):
        c = int(c)
        if not c:
            continue
        for k in keys:
            out["status_counts"][k][row[cols.index(f"{k}.status")]] += c
        for name in ("conflicts", "partial", "complementary", "reading_dependent"):
            cell = row[cols.index(name)]
            for item in (cell.split(";") if cell else []):
                out[name][item] = out[name].get(item, 0) + c
    for name in ("conflicts", "partial", "complementary"):
        out[name] = dict(sorted(out[name].items()))
    return out


def _nothing(*_args) -> None:
    return None


def _run_fast(raw: RawCohort, out: Path, engine, progress: Progress, on_rejected) -> dict[str, Any]:
    progress(0.2, "validating")
    v = validate(raw)
    on_rejected(v.errors)
    progress(0.35, "reading the criteria")
    model = model_for(engine)
    progress(0.45, "evaluating")
    kept = np.flatnonzero(v.ok)
    # evaluate one representative profile per class of profiles that the criteria cannot tell apart
    cols = columns(v, kept)
    classes, reps = profile_classes(model, cols)
    status, mods, dependent = evaluate_readings(model, cols.take(reps))
    answer_of_class, first = factorize_rows(status, mods, len(model.modality_keys), dependent)
    inverse = answer_of_class[classes]
    rows = [answer_to_row(combination_answer(model, status[i], mods[i], dependent[i])) for i in first]
    counts = np.bincount(inverse, minlength=len(rows)) if len(rows) else np.zeros(0, dtype=np.int64)
    progress(0.7, "writing")
    write_rows(out, csv_columns(model.guideline_keys), v.ids[kept], [tail(r) for r in rows], inverse,
               raw.maybe_special_ids, lambda done, total: progress(0.7 + 0.3 * done / max(total, 1), "writing"),
               inputs=[raw.path])
    return {"written": len(kept), "errors": v.errors, "rows": rows, "counts": counts, "keys": model.guideline_keys}


def _run_sparql(raw: RawCohort, out: Path, engine, progress: Progress, on_rejected, batch_size: int) -> dict[str, Any]:
    from ..compare import cohort_rows

    profiles, _, errors = parse_rows(raw)
    on_rejected(errors)
    keys = model_for(engine).guideline_keys
    tail_index: dict[str, int] = {}
    rows: list[list[str]] = []
    inverse = np.zeros(len(profiles), dtype=np.int64)
    ids = np.empty(len(profiles), dtype=object)
    for start in range(0, len(profiles), batch_size):
        batch = profiles[start:start + batch_size]
        for j, row in enumerate(cohort_rows(batch, engine)):
            t = tail(row)
            k = tail_index.get(t)
            if k is None:
                k = tail_index[t] = len(rows)
                rows.append(row)
            inverse[start + j] = k
            ids[start + j] = row[0]
        done = min(len(profiles), start + batch_size)
        progress(0.1 + 0.8 * done / max(len(profiles), 1), f"SPARQL {done}/{len(profiles)}")
    progress(0.9, "writing")
    write_rows(out, csv_columns(keys), ids, list(tail_index), inverse, True, inputs=[raw.path])
    counts = np.bincount(inverse, minlength=len(rows)) if len(rows) else np.zeros(0, dtype=np.int64)
    return {"written": len(profiles), "errors": errors, "rows": rows, "counts": counts, "keys": keys}


def run_cohort(inp: Path, out: Path, engine=None, *, engine_name: str = "fast", progress: Progress | None = None,
               on_rejected: Callable[[list[tuple[int, str]]], None] | None = None,
               batch_size: int = BATCH_SIZE) -> dict[str, Any]:
    """Compare the guidelines for every profile of a cohort file and write OUT.csv.

    ``engine`` is where the criteria (fast) or the queries (sparql) are read (default: the embedded
    store). Bad rows are left out of OUT and passed to ``on_rejected`` as (line, message) once the
    file is validated; a file that cannot be read at all raises CohortError and writes nothing.
    Returns the summary (counts per status and per disagreeing pair, rejected rows, seconds)."""
    from ..engine import StoreEngine

    if engine_name not in ENGINES:
        raise CohortError(f"compare: --cohort-engine must be one of {', '.join(ENGINES)}, got {engine_name!r}")
    engine = engine if engine is not None else StoreEngine()
    progress = progress or _nothing
    on_rejected = on_rejected or _nothing
    started = time.perf_counter()
    progress(0.0, "reading")
    check_output(Path(out), "--out", [Path(inp)])
    raw = read_cohort(Path(inp))
    if engine_name == "fast":
        result = _run_fast(raw, Path(out), engine, progress, on_rejected)
    else:
        result = _run_sparql(raw, Path(out), engine, progress, on_rejected, batch_size)
    progress(1.0, "done")
    counted = summarise(result["keys"], result["rows"], result["counts"])
    url = getattr(engine, "url", None)
    return {
        "input": str(inp), "output": str(out),
        "engine": engine_name if not url else f"{engine_name} on {url}",
        "read": raw.n + len(raw.pre_errors), "written": result["written"], "rejected": len(result["errors"]),
        "errors": result["errors"], "guidelines": list(result["keys"]), **counted,
        "seconds": time.perf_counter() - started,
    }
