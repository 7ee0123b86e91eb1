"""The SPARQL path of a cohort on other engines (`python -m bench.cohorts`, `--engines-only`).

compare.cohort_rows (queries/guideline-status.rq and disagreements.rq with the profiles as VALUES
rows) over the same profiles on pyoxigraph, the reference; on Apache Jena ARQ (java/JenaRunner.java
in one JVM, external/jena.py); and on a Virtuoso 7 server on loopback (rnetkg.endpoint.EndpointEngine
on external/virtuoso.py). Each engine loads the ontology and kg/ and derives the referral
recommendations itself; its rows are compared with pyoxigraph's, cell by cell. The time is that of
cohort_rows over every batch, with the criteria already read (the criteria queries, the engine's
start and the graph load are in the note). rdflib's engine is measured by bench/cohorts.py (`_rdflib`).

An engine that is not installed gives a row that says so; nothing is downloaded.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ContextManager, Iterator, Sequence

from rnetkg.cohort.run import BATCH_SIZE
from rnetkg.profile import Profile

# profiles per query, on every engine alike, as on the SPARQL path of a cohort: Virtuoso 7.2.5 answers
# disagreements.rq wrongly, without an error, once one query holds a few hundred profiles
# (docs/serving.md; on the 1,000-profile sample in one query, 24 rows differ from pyoxigraph's; in
# batches of 200, none)
ENGINE_BATCH = BATCH_SIZE
# ... but Virtuoso 7.2.5 evaluates the long-form profile queries slowly as a query grows: 200 profiles in
# one query gave no answer within 300 s; it gets queries of 40 (as tests/test_engines.py sends it)
ENGINE_BATCHES = {"virtuoso": 40}
ENGINES = ("pyoxigraph", "jena", "virtuoso")
LABELS = {"pyoxigraph": "cohort, SPARQL path (pyoxigraph, cohort_rows)",
          "jena": "cohort, SPARQL path (Apache Jena ARQ)",
          "virtuoso": "cohort, SPARQL path (Virtuoso 7.2)"}


def _s(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.1f} s"


class NotInstalled(Exception):
    """The engine is not installed on this machine (the message says what to install)."""


@dataclass
class EngineRun:
    """One engine's measurement: ``seconds`` (cohort_rows over every batch; None when it did not run),
    ``same`` (its rows equal the reference's; None when not compared), the note of the table row."""

    engine: str
    profiles: int
    seconds: float | None = None
    same: bool | None = None
    note: str = ""
    rows: list[list[str]] = field(default_factory=list, repr=False)

    @property
    def failed(self) -> bool:
        return self.same is False


Starter = Callable[[Path], ContextManager[tuple[Any, str]]]   # workdir -> (engine, what its start took)


@contextmanager
def _pyoxigraph(workdir: Path) -> Iterator[tuple[Any, str]]:
    from rnetkg import graph
    from rnetkg.engine import StoreEngine

    t = time.perf_counter()
    store = graph.load_store()
    yield StoreEngine(store), f"graph load {_s(time.perf_counter() - t)}"


@contextmanager
def _jena(workdir: Path) -> Iterator[tuple[Any, str]]:
    from external.jvm import have_jena

    if not have_jena():
        raise NotInstalled("Apache Jena: Debian libapache-jena-java, with a JDK")
    from external.jena import JenaEngine

    with JenaEngine(workdir / "jena") as engine:
        yield engine, f"JVM start {_s(engine.jvm_start_s)}, graph load and referral expansion {_s(engine.load_s)}"


@contextmanager
def _virtuoso(workdir: Path) -> Iterator[tuple[Any, str]]:
    from external.virtuoso import Virtuoso, have_virtuoso

    if not have_virtuoso():
        raise NotInstalled("Virtuoso: Debian virtuoso-opensource-7-bin")
    from rnetkg.endpoint import EndpointEngine

    t = time.perf_counter()
    with Virtuoso(workdir / "virtuoso") as server:
        started = time.perf_counter() - t
        t = time.perf_counter()
        server.load_rnetkg()
        yield EndpointEngine(server.graph_url, timeout=300), (
            f"SPARQL over HTTP on loopback; server start {_s(started)}, graph load and referral "
            f"expansion {_s(time.perf_counter() - t)}")


STARTERS: dict[str, Starter] = {"pyoxigraph": _pyoxigraph, "jena": _jena, "virtuoso": _virtuoso}


def comparison(rows: list[list[str]], reference: list[list[str]]) -> str:
    """'same rows as pyoxigraph', or how many profiles' rows differ (ROWS DIFFER) and the first."""
    if rows == reference:
        return "same rows as pyoxigraph"
    differing = [i for i, (a, b) in enumerate(zip(rows, reference)) if a != b]
    count = len(differing) + abs(len(rows) - len(reference))
    first = f"; first: profile {reference[differing[0]][0]}" if differing else ""
    return f"ROWS DIFFER from pyoxigraph: {count:,} of {len(reference):,} profiles ({len(rows):,} rows){first}"


def measure(name: str, profiles: Sequence[Profile], reference: list[list[str]] | None, workdir: Path, *,
            batch_size: int = ENGINE_BATCH, start: Starter | None = None) -> EngineRun:
    """compare.cohort_rows for ``profiles`` on one engine (started in ``workdir`` and stopped), in
    batches of ``batch_size``; its rows compared with ``reference`` (None: not compared). An engine
    that fails counts as rows that differ."""
    from rnetkg.compare import cohort_rows
    from rnetkg.criteria.load import model_for

    run = EngineRun(name, len(profiles))
    try:
        with (start or STARTERS[name])(Path(workdir)) as (engine, setup):
            t = time.perf_counter()
            model_for(engine)
            criteria = time.perf_counter() - t
            inside = getattr(engine, "query_seconds", None)
            mark = len(inside) if inside is not None else 0
            t = time.perf_counter()
            for i in range(0, len(profiles), batch_size):
                run.rows += cohort_rows(profiles[i:i + batch_size], engine)
            run.seconds = time.perf_counter() - t
    except NotInstalled as e:
        run.note = f"not installed ({e})"
        return run
    except Exception as e:  # the engine's own failure, reported in the row
        run.same = False
        run.note = f"FAILED: {type(e).__name__}: {' '.join(str(e).split())[:300]}"
        return run
    parts = [f"batches of {batch_size}", setup, f"criteria read {_s(criteria)}"]
    if inside is not None:
        parts.append(f"inside the JVM (parse, evaluate, write JSON) {_s(sum(inside[mark:]))} of the "
                     f"{_s(run.seconds)}")
    if reference is not None:
        run.same = run.rows == reference
        parts.insert(0, comparison(run.rows, reference))
    run.note = "; ".join(parts)
    return run


def engine_runs(sample: Path, workdir: Path, log, n: int | None = None,
                names: Sequence[str] = ENGINES) -> list[EngineRun]:
    """The first ``n`` profiles of a cohort file (all: None) on each engine; pyoxigraph first, as the
    reference of the others."""
    from rnetkg import cohort

    profiles, _, _ = cohort.parse_rows(cohort.read_cohort(sample))
    profiles = profiles[:n] if n is not None else profiles
    reference = None
    runs = []
    for name in names:
        run = measure(name, profiles, reference, workdir, batch_size=ENGINE_BATCHES.get(name, ENGINE_BATCH))
        if name == "pyoxigraph" and run.seconds is not None:
            reference = run.rows
            run.note = "the reference; " + run.note
        log(f"{name}: {LABELS[name]}, {len(profiles):,} profiles: "
            + (f"{_s(run.seconds)}; " if run.seconds is not None else "") + run.note)
        runs.append(run)
    return runs
