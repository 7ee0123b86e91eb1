"""The SPARQL path: compare the guidelines for case profiles with queries/applicable-recommendations,
guideline-status and disagreements on any engine; the answer dict is built by rnetkg.answer from
their rows and the criteria model's details of each statement."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Sequence

from . import queries
from .answer import build_answer
from .criteria.model import (APPLIES, DEFAULT_CONTEXT, POSSIBLE, Evaluation, GuidelineResult, StatementResult,
                             split_list)
from .criteria.load import model_for
from .engine import Engine, StoreEngine
from .profile import Profile

_STATUS = {"applies": APPLIES, "possible": POSSIBLE}


def _index(case: str) -> int:
    return int(case.rsplit("/", 1)[1])


def evaluate_profiles(profiles: Sequence[Profile], engine: Engine) -> list[Evaluation]:
    """The three profile queries for every profile, as evaluations (in input order)."""
    model = model_for(engine)
    rows = {name: engine.select(queries.with_profiles(queries.get(name), profiles))
            for name in ("applicable-recommendations", "guideline-status", "disagreements")}
    recs: dict[int, list[StatementResult]] = defaultdict(list)
    statements = model.statements_in(DEFAULT_CONTEXT)
    for r in rows["applicable-recommendations"]:
        s = statements.get(r["rec"])
        if s is not None and r["status"] in _STATUS:
            recs[_index(r["case"])].append(StatementResult(s, _STATUS[r["status"]], tuple(split_list(r["missing"], " "))))
    # guideline status per case and reading context
    status: dict[int, dict[str, dict[str, dict]]] = defaultdict(lambda: defaultdict(dict))
    for r in rows["guideline-status"]:
        status[_index(r["case"])][r["context"]][r["guideline"]] = r
    dis: dict[int, list[dict]] = defaultdict(list)
    for r in rows["disagreements"]:
        dis[_index(r["case"])].append({"guidelines": [r["guideline1"], r["guideline2"]], "kind": r["kind"]})
    def answers(by_key: dict[str, dict]) -> tuple[GuidelineResult, ...]:
        return tuple(GuidelineResult(k, by_key.get(k, {}).get("status", "silent"),
                                     tuple(split_list(by_key.get(k, {}).get("modalities"), " ")))
                     for k in model.guideline_keys)
    out = []
    for i in range(len(profiles)):
        others = tuple((c, answers(status[i][c])) for c in model.contexts[1:])
        out.append(Evaluation(tuple(sorted(recs[i], key=lambda x: x.statement.iri)),
                              answers(status[i][DEFAULT_CONTEXT]), tuple(dis[i]), others))
    return out


def compare_profiles(profiles: Sequence[Profile], engine: Engine | None = None) -> list[dict[str, Any]]:
    """The DESIGN.md answer for each profile, in input order."""
    engine = engine or StoreEngine()
    model = model_for(engine)
    return [build_answer(p, model, e) for p, e in zip(profiles, evaluate_profiles(profiles, engine))]


def compare(profile: Profile, engine: Engine | None = None) -> dict[str, Any]:
    return compare_profiles([profile], engine)[0]
