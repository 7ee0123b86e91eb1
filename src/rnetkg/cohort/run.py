"""Compare the guidelines for every profile of a cohort (`rnetkg compare --cohort`).

Both evaluation paths read the file block by block (cohort.read), validate and derive vectorised
(cohort.validate), group the profiles that no criterion can tell apart (every atomic condition read at
their decision point gives them the same status: criteria.vectorised.profile_classes) and evaluate one profile
per class, in batches of a few blocks; OUT is written block by block (cohort.write), so that memory
does not grow with the file. They give exactly the same rows:

- ``fast`` (default): the criteria model compiled to numpy (criteria.vectorised);
- ``sparql``: queries/guideline-status.rq and disagreements.rq on the embedded store (or an endpoint),
  the profiles of each batch sent as VALUES rows (compare.class_rows).

Reading, validating, evaluating and writing run in four threads, each a few blocks ahead of the next
(cohort.ahead).

Progress goes to an optional callback ``progress(fraction, label)``; nothing here prints.
"""

from __future__ import annotations

import gc
import os
import time
from concurrent.futures import ThreadPoolExecutor
from itertools import repeat
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pyarrow as pa

from ..answer import answer_to_row, csv_columns
from ..arrow import from_numpy
from ..criteria.load import model_for
from ..vocab import PAIR_COLUMNS, PAIR_KINDS, STATUSES
from ..criteria.vectorised import (Columns, class_codes, combination_answer, evaluate_readings, factorize_rows, set_width,
                                   profile_classes, statement_keys)
from ..errors import CohortError
from ..outputs import check_output
from .ahead import ahead
from .read import iter_cohort
from .validate import columns, validate
from .write import Tails, header_line, row_bytes, write_blocks

ENGINES = ("fast", "sparql")
# profiles per query on the SPARQL path: smaller queries are as fast per profile and lighter (measured on
# 10,000 generated profiles: 200 per query 11.8 s and 158 MiB, 500 11.7 s and 234 MiB, 2,000 14.7 s and
# 487 MiB); and Virtuoso 7.2.5 answers disagreements.rq wrongly, without an error, once one query holds a
# few hundred profiles (docs/serving.md), never in queries of 200 in the benchmark and the tests
BATCH_SIZE = 200
# profiles evaluated together on the fast path: the validated rows of blocks of the file are gathered
# up to this many (their ids and criteria values only, a few dozen bytes each)
EVALUATION_ROWS = 1 << 17
EVALUATION_ID_BYTES = 16 << 20   # ... and while their ids hold fewer bytes than this (long ids: smaller batches)
# blocks read and validated ahead of the evaluation (about a batch: the reading goes on while a batch is
# evaluated and written)
READ_AHEAD = 4
Progress = Callable[[float, str], None]


def summarise(keys, rows: list[list[str]], counts: np.ndarray) -> dict[str, dict]:
    """Status counts per guideline, disagreement counts per pair and kind, and how many profiles each
    guideline answers differently under another reading, from the distinct output rows."""
    cols = csv_columns(keys)
    out: dict[str, dict] = {"status_counts": {k: {s: 0 for s in STATUSES} for k in keys},
                            **{PAIR_COLUMNS[k]: {} for k in PAIR_KINDS},
                            "reading_dependent": {k: 0 for k in keys}}
    for row, c in zip(rows, counts):
        c = int(c)
        if not c:
            continue
        for k in keys:
            out["status_counts"][k][row[cols.index(f"{k}.status")]] += c
        for name in (*(PAIR_COLUMNS[k] for k in PAIR_KINDS), "reading_dependent"):
            cell = row[cols.index(name)]
            for item in (cell.split(";") if cell else []):
                out[name][item] = out[name].get(item, 0) + c
    for name in (PAIR_COLUMNS[k] for k in PAIR_KINDS):
        out[name] = dict(sorted(out[name].items()))
    return out


def _nothing(*_args) -> None:
    return None


def _concat(parts: list[Columns]) -> Columns:
    if len(parts) == 1:
        return parts[0]
    return Columns({k: np.concatenate([p.values[k] for p in parts]) for k in parts[0].values},
                   np.concatenate([p.decision_point for p in parts]))


class _Answers:
    """The answer of every class of profiles (profile_classes) met so far in a run, as an index into
    ``tails``: each class is evaluated once (under every reading), in the batch where it first appears.

    profile_classes numbers the classes of one batch only, so a class of a new batch is matched to
    the known ones by profile_classes itself, run on the batch's representatives together with the
    known representatives that may be of the same class: those in the same bucket, a hash of the
    decision point and the class codes of each field (class_codes). The bucket only
    narrows the candidates (a class in no candidate's bucket is evaluated as new); profile_classes
    decides."""

    def __init__(self, model, engine=None, batch_size: int = 0,
                 progress: Callable[[float, str], None] | None = None) -> None:
        self.model = model
        # with an engine: each new class is evaluated by the profile queries on it (the SPARQL path), in
        # batches of batch_size profiles, each batch reported to progress(part of these classes done, label)
        self.engine, self.batch_size, self.progress = engine, batch_size or BATCH_SIZE, progress or _nothing
        self.tails = Tails()
        self._of_answer: dict[bytes, int] = {}     # (statuses, modalities, reading dependence) -> tail
        self._known: list[Columns] = []            # one representative of each known class, by batch
        self._known_all: Columns | None = None
        self._tail_of_known = np.zeros(0, dtype=np.int64)
        self._bucket: dict[int, int] = {}           # bucket -> the first known representative in it
        self._more: dict[int, list[int]] = {}       # bucket -> the others
        self._of_statements: dict[bytes, int] = {}  # SPARQL path: statement_keys -> tail
        self.queried = 0                            # SPARQL path: profiles the queries were run on

    @property
    def evaluated(self) -> int:
        """How many classes of profiles were evaluated (one profile each)."""
        return len(self._tail_of_known)

    def _buckets(self, cols: Columns) -> list[int]:
        key = cols.decision_point.astype(np.int64)
        for code, _ in class_codes(self.model, cols):
            key = key * np.int64(1_000_003) + code   # wraps around: a hash, not an identity
        return key.tolist()

    def _evaluate(self, cols: Columns) -> np.ndarray:
        """Evaluate profiles of classes not met before: the index into ``tails`` of each answer."""
        if self.engine is not None:
            return self._evaluate_sparql(cols)
        model = self.model
        status, mods, dependent = evaluate_readings(model, cols)
        answer_of, first = factorize_rows(status, mods, set_width(model), dependent)
        tail_of = np.empty(len(first), dtype=np.int64)
        for j, i in enumerate(first):
            key = status[i].tobytes() + mods[i].tobytes() + dependent[i].tobytes()
            k = self._of_answer.get(key)
            if k is None:
                k = self._of_answer[key] = self.tails.add(
                    answer_to_row(combination_answer(model, status[i], mods[i], dependent[i])))
            tail_of[j] = k
        return tail_of[answer_of]

    def _evaluate_sparql(self, cols: Columns) -> np.ndarray:
        """The profile queries (compare.class_rows) on one profile of each new class. Classes whose
        statements all have the same status (statement_keys: the rows guideline-status.rq takes) share
        the queries' answer, so the queries run once per such key not met before, at most batch_size
        profiles per query; on the embedded store a query per core at a time (Oxigraph lets go of the
        interpreter lock while it evaluates)."""
        keys = statement_keys(self.model, cols)
        fresh: dict[bytes, int] = {}
        for i, key in enumerate(keys):
            if key not in self._of_statements and key not in fresh:
                fresh[key] = i
        if fresh:
            rows = np.fromiter(fresh.values(), dtype=np.int64, count=len(fresh))
            for key, tail in zip(fresh, self._query(cols.take(rows)).tolist()):
                self._of_statements[key] = tail
        self.queried += len(fresh)
        return np.fromiter(map(self._of_statements.__getitem__, keys), dtype=np.int64, count=len(keys))

    def _query(self, cols: Columns) -> np.ndarray:
        """The profile queries on these profiles, at most batch_size per query: the index into ``tails``
        of each one's row."""
        from ..compare import class_rows
        from ..engine import StoreEngine

        n = len(cols)
        batches = max(1, -(-n // self.batch_size))
        workers = min(os.cpu_count() or 1, 4, batches) if isinstance(self.engine, StoreEngine) else 1
        # as many batches for each worker, of equal size (at most batch_size): 520 profiles on two
        # workers are four queries of 130, in two rounds, rather than 200, 200 and 120 in two
        batches = min(n, -(-batches // workers) * workers) or 1
        # batch i is profiles bounds[i]..bounds[i+1]: sizes differ by at most one
        bounds = [n * i // batches for i in range(batches + 1)]
        spans = list(zip(bounds, bounds[1:]))

        def rows(span: tuple[int, int]) -> list[list[str]]:
            part = cols.take(np.arange(*span))
            return class_rows(part.values, part.decision_point, self.engine)

        tail_of = np.empty(len(cols), dtype=np.int64)
        pool = ThreadPoolExecutor(workers, thread_name_prefix="rnetkg-sparql") if workers > 1 else None
        try:
            for (start, stop), batch in zip(spans, pool.map(rows, spans) if pool else map(rows, spans)):
                for j, row in enumerate(batch, start):
                    tail_of[j] = self.tails.add(row)
                self.progress(stop / len(cols), f"SPARQL {stop:,}/{len(cols):,} classes")   # new in this batch
        finally:
            if pool is not None:   # on an error or an interrupt, the batches not begun are dropped
                pool.shutdown(wait=True, cancel_futures=True)
        return tail_of

    def of(self, cols: Columns) -> np.ndarray:
        """The index into ``tails`` of each profile's answer."""
        model = self.model
        classes, reps = profile_classes(model, cols)
        here = cols.take(reps)
        buckets = self._buckets(here)
        cand = np.fromiter(map(self._bucket.get, buckets, repeat(-1)), dtype=np.int64, count=len(buckets))
        cand = cand[cand >= 0]
        if self._more:
            extra = [k for b in set(buckets) & self._more.keys() for k in self._more[b]]
            cand = np.concatenate((cand, np.asarray(extra, dtype=np.int64)))
        answer = np.empty(len(reps), dtype=np.int64)
        new = np.arange(len(reps))
        if len(cand):
            if self._known_all is None:
                self._known_all = _concat(self._known)
                self._known = [self._known_all]
            merged_class, merged_first = profile_classes(model, _concat([self._known_all.take(cand), here]))
            first = merged_first[merged_class[len(cand):]]   # the first row of each representative's class
            known = first < len(cand)
            answer[known] = self._tail_of_known[cand[first[known]]]
            new = np.flatnonzero(~known)
        if len(new):
            fresh = here.take(new) if len(new) < len(reps) else here
            answer[new] = self._evaluate(fresh)
            start = len(self._tail_of_known)
            self._tail_of_known = np.concatenate((self._tail_of_known, answer[new]))
            for j, i in enumerate(new.tolist(), start=start):
                b = buckets[i]
                if b in self._bucket:
                    self._more.setdefault(b, []).append(j)
                else:
                    self._bucket[b] = j
            self._known.append(fresh)
            self._known_all = None
        return answer[classes]


def _run_blocks(inp: Path, out: Path, engine, progress: Progress, sparql: bool = False,
                batch_size: int = BATCH_SIZE) -> dict[str, Any]:
    """Block by block: read, validate; every EVALUATION_ROWS rows, evaluate one profile per class (by
    numpy, or with ``sparql`` by the profile queries on the engine) and write. Memory stays that of a
    block and a batch (plus the distinct answers and the rejected rows)."""
    progress(0.02, "reading the criteria")
    model = model_for(engine)
    keys = model.guideline_keys
    # the fraction of the file read so far, and that of the rows evaluated: on the SPARQL path the
    # evaluation is most of the time, and the bar moves with it between the two
    done, evaluated = [0.05], [0.05]

    def evaluating(part: float, label: str) -> None:
        progress(evaluated[0] + (done[0] - evaluated[0]) * part, label)
    answers = _Answers(model, engine if sparql else None, batch_size, evaluating)
    counts = np.zeros(0, dtype=np.int64)
    errors: list[tuple[int, str]] = []
    notes: list[tuple[int, str]] = []
    totals = {"read": 0, "written": 0}
    size = max(inp.stat().st_size, 1) if inp.is_file() else 0

    def flush(pending: list[tuple[pa.Array, np.ndarray, Columns, bool]]):
        """OUT's lines for the validated rows of a few blocks, their classes of profiles evaluated
        together (a larger batch has fewer classes per row), written block by block."""
        nonlocal counts
        answer_of_rep = answers.of(_concat([reps for _, _, reps, _ in pending]))
        evaluated[0] = done[0]
        start = 0
        for ids, classes, reps, plain in pending:
            inverse = answer_of_rep[start + classes]
            start += len(reps)
            here = np.bincount(inverse, minlength=len(answers.tails.rows))
            here[:len(counts)] += counts
            counts = here
            yield row_bytes(ids, answers.tails.array, inverse, quote=not plain)

    def validated():
        """Each block read and validated, and its profiles grouped in classes (profile_classes): (rows
        read, rejected rows, the ids of the rows kept, the class of each, one profile of each class,
        whether no id needs quoting, the offset in the file where the block ends)."""
        for raw in ahead(iter_cohort(inp), 2):   # the next blocks parsed meanwhile (pyarrow, without the lock)
            v = validate(raw)
            notes.extend(raw.notes)
            kept = np.flatnonzero(v.ok)
            ids = v.id_array if len(kept) == raw.n else v.id_array.take(from_numpy(kept))
            cols = columns(v, kept)
            classes, first = profile_classes(model, cols)
            yield (raw.n + len(raw.pre_errors), v.errors, ids, classes, cols.take(first), raw.ids_plain,
                   raw.end_offset)
            raw = v = ids = cols = None   # not kept while the next block is read

    def blocks():
        yield header_line(csv_columns(keys))
        pending, rows, id_bytes = [], 0, 0
        # the next blocks are read, validated and grouped (another thread) while these are evaluated
        for n_read, rejected, ids, classes, reps, plain, end_offset in ahead(validated(), READ_AHEAD):
            totals["read"] += n_read
            errors.extend(rejected)
            if len(classes):
                pending.append((ids, classes, reps, plain))
                rows += len(classes)
                id_bytes += ids.nbytes
                totals["written"] += len(classes)
            if size and end_offset:
                done[0] = 0.05 + 0.95 * end_offset / size
                if not sparql:
                    progress(done[0], "comparing")
            ids = classes = reps = rejected = None
            if rows >= EVALUATION_ROWS or id_bytes >= EVALUATION_ID_BYTES:
                yield from flush(pending)
                pending, rows, id_bytes = [], 0, 0
        if pending:
            yield from flush(pending)

    # the records of a JSON Lines block are many small containers that live as long as their block and
    # form no cycles: the cyclic collector would only walk them over and over (a quarter of the time)
    collecting = gc.isenabled()
    gc.disable()
    try:
        write_blocks(out, blocks(), inputs=[inp])
    finally:
        if collecting:
            gc.enable()
    errors.sort(key=lambda e: e[0])
    return {"read": totals["read"], "written": totals["written"], "errors": errors, "notes": notes,
            "rows": answers.tails.rows,
            "classes": answers.evaluated, "queried": answers.queried if sparql else None,
            "counts": np.pad(counts, (0, len(answers.tails.rows) - len(counts))), "keys": keys}


def run_cohort(inp: Path, out: Path, engine=None, *, engine_name: str = "fast", progress: Progress | None = None,
               on_rejected: Callable[[list[tuple[int, str]]], None] | None = None,
               batch_size: int = BATCH_SIZE) -> dict[str, Any]:
    """Compare the guidelines for every profile of a cohort file and write OUT.csv.

    ``engine`` is where the criteria (fast) or the queries (sparql) are read (default: the embedded
    store). Bad rows are left out of OUT and passed to ``on_rejected`` as (line, message) once OUT
    is written (the fast path reads the file once, block by block); a file that cannot be read at all raises CohortError and writes nothing.
    Returns the summary (counts per status and per disagreeing pair, rejected rows, the notes made reading a FHIR export, the number of classes
    of profiles evaluated, seconds)."""
    from ..engine import StoreEngine

    if engine_name not in ENGINES:
        raise CohortError(f"compare: --cohort-engine must be one of {', '.join(ENGINES)}, got {engine_name!r}")
    engine = engine if engine is not None else StoreEngine()
    progress = progress or _nothing
    on_rejected = on_rejected or _nothing
    started = time.perf_counter()
    progress(0.0, "reading")
    check_output(Path(out), "--out", [Path(inp)])
    result = _run_blocks(Path(inp), Path(out), engine, progress, sparql=engine_name == "sparql", batch_size=batch_size)
    on_rejected(result["errors"])
    progress(1.0, "done")
    counted = summarise(result["keys"], result["rows"], result["counts"])
    url = getattr(engine, "url", None)
    return {
        "input": str(inp), "output": str(out),
        "engine": engine_name if not url else f"{engine_name} on {url}",
        "read": result["read"], "written": result["written"], "rejected": len(result["errors"]),
        "errors": result["errors"], "notes": result["notes"], "guidelines": list(result["keys"]), "classes": result["classes"],
        **({"queried": result["queried"]} if result["queried"] is not None else {}), **counted,
        "seconds": time.perf_counter() - started,
    }
