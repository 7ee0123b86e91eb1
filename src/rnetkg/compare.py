"""The SPARQL path: compare the guidelines for case profiles with queries/applicable-recommendations,
guideline-status and disagreements on any engine; the answer dict is built by rnetkg.answer from
their rows and the criteria model's details of each statement.

Profiles whose VALUES rows are identical (the same criteria values and decision point; only the id
differs) get identical rows from the queries, so each distinct row is sent once and its evaluation
is shared. A cohort row (`cohort_rows`) needs only guideline-status and disagreements."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from typing import Any, Callable, Sequence

from . import queries
from .criteria.model import (APPLIES, DEFAULT_CONTEXT, POSSIBLE, Evaluation, GuidelineResult, StatementResult,
                             split_list)
from .criteria.load import model_for
from .engine import Engine, StoreEngine
from .profile import Profile

_STATUS = {"applies": APPLIES, "possible": POSSIBLE}


def _index(case: str) -> int:
    return int(case.rsplit("/", 1)[1])


def _select_text(engine: Engine, text: str) -> list[dict[str, Any]]:
    """The rows of a SELECT whose columns are read as text (IRIs, keys, statuses). On the embedded
    store the results are serialised as SPARQL CSV by Oxigraph and read back, which is many times
    cheaper than converting every term to a Python object (an unbound cell reads as "")."""
    if isinstance(engine, StoreEngine):
        import pyoxigraph as ox

        data = engine.store.query(text).serialize(format=ox.QueryResultsFormat.CSV)
        reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
        names = next(reader, [])
        return [dict(zip(names, row)) for row in reader]
    return engine.select(text)


def distinct_rows(profiles: Sequence[Profile]) -> tuple[list[Profile], list[int]]:
    """One profile per distinct set of profile rows (first seen) and, for each profile, the index of its rows."""
    first: dict[tuple[str, ...], int] = {}
    unique: list[Profile] = []
    inverse = []
    for p in profiles:
        key = tuple(queries.profile_rows(0, p))
        k = first.get(key)
        if k is None:
            k = first[key] = len(unique)
            unique.append(p)
        inverse.append(k)
    return unique, inverse


def _evaluate_distinct(profiles: Sequence[Profile], engine: Engine, statements: bool) -> list[Evaluation]:
    """The profile queries for profiles whose rows are all distinct, as evaluations (in order)."""
    return _evaluate_rows([queries.profile_rows(i, p) for i, p in enumerate(profiles)], engine, statements)


PROFILE_QUERIES = queries.PROFILE_QUERIES
_INPUT = {"guideline-status": ("statements", queries.statement_rows), "disagreements": ("answers", queries.answer_rows)}


def profile_query_text(name: str, profiles: Sequence[Profile], engine: Engine) -> str:
    """The text of one of the profile queries with its input rows filled in for these profiles: the
    profiles' long-form rows for applicable-recommendations; for the others, the rows of the query
    before it, run on ``engine`` (what `rnetkg query NAME --profile FILE` runs)."""
    text = queries.with_rows(queries.get(PROFILE_QUERIES[0]),
                             [r for i, p in enumerate(profiles) for r in queries.profile_rows(i, p)])
    for step in PROFILE_QUERIES[1:PROFILE_QUERIES.index(name) + 1]:
        block, rows_of = _INPUT[step]
        text = queries.with_rows(queries.get(step), rows_of(_select_text(engine, text)), block)
    return text


def profile_query_rows(rows: Sequence[str], engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """The rows of the three profile queries for these long-form profile rows, each query taking the
    rows of the one before it: applicable-recommendations (the profiles), guideline-status (its
    statements that apply or are possible), disagreements (the answers under the default readings)."""
    out = {"applicable-recommendations": _select_text(engine, queries.with_rows(
        queries.get("applicable-recommendations"), rows))}
    out["guideline-status"] = _select_text(engine, queries.with_rows(
        queries.get("guideline-status"), queries.statement_rows(out["applicable-recommendations"]), "statements"))
    out["disagreements"] = _select_text(engine, queries.with_rows(
        queries.get("disagreements"), queries.answer_rows(out["guideline-status"]), "answers"))
    return out


def _in_background(fn, *args):
    """``fn(*args)`` in another thread when it queries the embedded store (pyoxigraph leaves the
    interpreter free while it evaluates a query, so the caller meanwhile reads the criteria model); a
    callable that waits for its value or raises its error. On other engines it runs when called."""
    engine = args[-1]
    if not isinstance(engine, StoreEngine):
        return lambda: fn(*args)
    import threading

    if not engine.loading_elsewhere():
        engine.store   # loaded (or derived and kept) here: a first load imports modules, never in a thread

    out: dict[str, Any] = {}

    def work() -> None:
        try:
            out["value"] = fn(*args)
        except BaseException as e:   # noqa: BLE001  raised again in the caller's thread
            out["error"] = e
    thread = threading.Thread(target=work, name="rnetkg-queries", daemon=True)
    thread.start()

    def result():
        thread.join()
        if "error" in out:
            raise out["error"]
        return out["value"]
    return result


def _evaluate_rows(values: Sequence[Sequence[str]], engine: Engine, statements: bool) -> list[Evaluation]:
    """The profile queries for these profiles' long-form rows (profile_rows', case IRIs by index, all
    distinct), as evaluations (in order). Without ``statements`` the evaluations list no statements."""
    return _evaluate_rows_later(values, engine, statements)()


def _evaluate_rows_later(values: Sequence[Sequence[str]], engine: Engine, statements: bool
                         ) -> Callable[[], list[Evaluation]]:
    """_evaluate_rows with its queries started now (in the background on the embedded store): a
    callable that reads the criteria model, waits for the rows and returns the evaluations."""
    rows_of = _in_background(profile_query_rows, [r for profile in values for r in profile], _profile_engine(engine))
    return lambda: _evaluations(values, engine, statements, rows_of)


def _profile_engine(engine: Engine) -> Engine:
    """Where the profile queries run: on the shipped graph's embedded store, its profile store (the
    triples of the predicates they read, rnetkg.projection), loaded when they first run; elsewhere on
    ``engine`` itself."""
    if isinstance(engine, StoreEngine) and engine.shared:
        return _ProfileStoreEngine()
    return engine


class _ProfileStoreEngine(StoreEngine):
    def __init__(self):
        super().__init__(store=None)
        self.shared = False   # nothing read from it is the whole graph's

    @property
    def store(self):
        if self._store is None:
            from .projection import profile_store

            self._store = profile_store()
        return self._store

    def loading_elsewhere(self) -> bool:
        from . import projection

        return self._store is None and projection.loading()


def _evaluations(values: Sequence[Sequence[str]], engine: Engine, statements: bool, rows_of) -> list[Evaluation]:
    model = model_for(engine)
    rows = rows_of()
    recs: dict[int, list[StatementResult]] = defaultdict(list)
    by_statement = model.statements_in(DEFAULT_CONTEXT)
    if statements:
        for r in rows["applicable-recommendations"]:
            s = by_statement.get(r["rec"])
            if s is not None and r["context"] == DEFAULT_CONTEXT and r["status"] in _STATUS:
                recs[_index(r["case"])].append(StatementResult(s, _STATUS[r["status"]],
                                                               tuple(split_list(r["missing"], " "))))
    # guideline status per case and reading context
    status: dict[int, dict[str, dict[str, dict]]] = defaultdict(lambda: defaultdict(dict))
    for r in rows["guideline-status"]:
        status[_index(r["case"])][r["context"]][r["guideline"]] = r
    dis: dict[int, list[dict]] = defaultdict(list)
    for r in rows["disagreements"]:
        dis[_index(r["case"])].append({"guidelines": [r["guideline1"], r["guideline2"]], "kind": r["kind"]})

    keys = model.guideline_keys
    results: dict[tuple[str, str, str, str], GuidelineResult] = {}   # one object per distinct answer (frozen)

    def result(key: str, row: dict | None) -> GuidelineResult:
        cell = ((key, row.get("status") or "silent", row.get("modalities") or "", row.get("targets") or "") if row
                else (key, "silent", "", ""))
        if cell not in results:
            results[cell] = GuidelineResult(key, cell[1], tuple(split_list(cell[2], " ")),
                                            tuple(split_list(cell[3], " ")))
        return results[cell]
    out = []
    for i in range(len(values)):
        by_context = status[i]
        default = tuple(result(k, by_context[DEFAULT_CONTEXT].get(k)) for k in keys)
        # another reading context has rows only for the guidelines its passage touches: the others
        # answer there as under the default readings
        others = tuple((c, tuple(result(k, by_context[c][k]) if k in by_context[c] else d for k, d in zip(keys, default))
                        if c in by_context else default) for c in model.contexts[1:])
        out.append(Evaluation(tuple(sorted(recs[i], key=lambda x: x.statement.iri)), default, tuple(dis[i]), others))
    return out


def evaluate_profiles(profiles: Sequence[Profile], engine: Engine, *, statements: bool = True) -> list[Evaluation]:
    """The three profile queries for every distinct profile row, as evaluations (in input order).
    Without ``statements`` applicable-recommendations is not run (the evaluations list no statements:
    enough for statuses, modalities, readings and disagreements)."""
    unique, inverse = distinct_rows(profiles)
    evaluations = _evaluate_distinct(unique, engine, statements)
    return [evaluations[k] for k in inverse]


def compare_profiles(profiles: Sequence[Profile], engine: Engine | None = None) -> list[dict[str, Any]]:
    """The DESIGN.md answer for each profile, in input order."""
    return compare_later(profiles, engine)()


def compare_later(profiles: Sequence[Profile], engine: Engine | None = None) -> Callable[[], list[dict[str, Any]]]:
    """compare_profiles with the profile queries started now (in the background on the embedded store,
    while the caller goes on, e.g. with its imports): a callable that returns the answers."""
    from .profile import at_initial_management

    engine = engine or StoreEngine()
    # after a local excision, the same tumour at initial management is evaluated in the same queries
    twins = [at_initial_management(p) for p in profiles]
    extra = [t for t in twins if t is not None]
    unique, inverse = distinct_rows([*profiles, *extra])
    pending = _evaluate_rows_later([queries.profile_rows(i, p) for i, p in enumerate(unique)], engine, True)

    def answers() -> list[dict[str, Any]]:
        from .answer import build_answer, read_kept
        from .criteria.nearest import nearest_changes

        # while the queries run: what every answer reads from the cache folder, and what the criteria
        # model alone gives (the nearest changes)
        model = model_for(engine)
        read_kept(model)
        nearest = [nearest_changes(model, p) for p in profiles]
        distinct = pending()
        evaluations = [distinct[k] for k in inverse]
        initial = iter(evaluations[len(profiles):])
        return [build_answer(p, model, e, next(initial) if t is not None else None, n)
                for p, e, t, n in zip(profiles, evaluations, twins, nearest)]
    return answers


def compare(profile: Profile, engine: Engine | None = None) -> dict[str, Any]:
    return compare_profiles([profile], engine)[0]


def evaluation_row(evaluation: Evaluation) -> list[str]:
    """The cohort row of an evaluation but for its id (first cell ""): answer_to_row of the answer that
    build_answer gives, from the parts that the row shows (statuses, modalities, disagreements, and
    reading dependence: another reading context gives the guideline another status or modality set)."""
    differs = {g.key for _, answers in evaluation.contexts for g, d in zip(answers, evaluation.guidelines)
               if (g.status, g.modalities) != (d.status, d.modalities)}
    guidelines = [{"guideline": g.key, "status": g.status, "modalities": list(g.modalities),
                   "reading_dependent": g.key in differs} for g in evaluation.guidelines]
    from .answer import answer_to_row

    return answer_to_row({"profile": "", "guidelines": guidelines, "disagreements": list(evaluation.disagreements)})


def cohort_rows(profiles: Sequence[Profile], engine: Engine | None = None) -> list[list[str]]:
    """The cohort row (answer_to_row of the answer) of each profile, in input order: guideline-status
    and disagreements once per distinct profile row; the explanations are not built."""
    engine = engine or StoreEngine()
    unique, inverse = distinct_rows(profiles)
    tails = [evaluation_row(e)[1:] for e in _evaluate_distinct(unique, engine, statements=False)]
    return [[p.id, *tails[k]] for p, k in zip(profiles, inverse)]


def columns_rows(values: dict[str, Any], decision_points: Any) -> list[list[str]]:
    """The long-form rows of each profile of a cohort's criteria columns (criteria.vectorised.Columns:
    numbers with NaN for unknown, codes into each enum field's tested values and 1/0 for booleans with
    -1 for unknown, decision points as indexes into fields.DECISION_POINTS), as profile_rows writes the
    same profile's rows."""
    from .fields import CRITERIA_FIELDS, DECISION_POINTS, FIELDS

    decoded = {}   # each column as the values queries.long_rows takes (None: unknown)
    for name in CRITERIA_FIELDS:
        f, arr = FIELDS[name], values.get(name)
        if arr is None:
            continue
        if f.kind == "number":
            decoded[name] = [None if v != v else v for v in arr.tolist()]
        elif f.kind == "boolean":
            decoded[name] = [None if v < 0 else bool(v) for v in arr.tolist()]
        else:
            decoded[name] = [None if v < 0 else f.tested_values[v] for v in arr.tolist()]
    return [queries.long_rows(i, {name: col[i] for name, col in decoded.items()}, DECISION_POINTS[d])
            for i, d in enumerate(decision_points.tolist())]


def class_rows(values: dict[str, Any], decision_points: Any, engine: Engine) -> list[list[str]]:
    """The cohort row (id "") of each profile of criteria columns (columns_rows), by guideline-status
    and disagreements."""
    return [evaluation_row(e) for e in _evaluate_rows(columns_rows(values, decision_points), engine, statements=False)]
