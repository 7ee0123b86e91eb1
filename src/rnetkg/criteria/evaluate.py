"""The scalar three-valued evaluator of the criteria model (rnetkg.criteria.model: the rules are in its
docstring), the reference every other evaluator is tested equal to, and the records of an evaluation.

Model inherits it: the methods read the model's statements per reading context (statements_in), its
guideline keys, scopes and strategies. What they derive once (the statements per context and decision
point, which guidelines read which field, which guidelines a reading context touches) is kept on the
model.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ..record import record, replace
from ..vocab import ANSWERING, APPLIES, DEFAULT_CONTEXT, POSSIBLE
from .rules import disagreements, guideline_status


@record
class StatementResult:
    statement: Any   # a criteria.model.Statement
    status: int
    missing: tuple[str, ...]


@record
class GuidelineResult:
    key: str
    status: str
    modalities: tuple[str, ...]
    targets: tuple[str, ...] = ()   # what the recommendations behind the modalities are directed at


@record
class Evaluation:
    """One profile evaluated: the statements that apply or are possible, each guideline's status and
    modalities (in the graph's order of guidelines) and the disagreements (sorted pairs), under the
    default readings; and each guideline's answer under every other reading."""

    statements: tuple[StatementResult, ...]
    guidelines: tuple[GuidelineResult, ...]
    disagreements: tuple[dict[str, Any], ...]
    # each guideline's answer in every other reading context (one passage read otherwise, or a combination
    # of readings of one guideline's passages read together; model.contexts[1:]); empty when
    # the evaluator was asked for the default readings only
    contexts: tuple[tuple[str, tuple[GuidelineResult, ...]], ...] = ()


class Evaluator:
    """The evaluating half of Model."""

    def evaluate(self, profile, context: str = DEFAULT_CONTEXT) -> Evaluation:
        """The answer for one validated profile (rnetkg.profile.Profile) in a reading context."""
        return self.evaluate_values(profile.criteria_values(), profile.decision_point, context)

    def evaluate_values(self, values: dict[str, Any], decision_point: str,
                        context: str = DEFAULT_CONTEXT) -> Evaluation:
        return self._evaluate_values(values, decision_point, context)

    def guideline_results(self, values: dict[str, Any], decision_point: str,
                          context: str = DEFAULT_CONTEXT, near=None) -> tuple[GuidelineResult, ...]:
        """Each guideline's status and modalities only (what a nearest change and another reading context
        compare): the evaluation's guidelines, without the missing inputs and the pairs. ``near``: the
        (values, decision point, guideline results) of a profile this one differs from in a few values,
        in the same context; only the guidelines whose statements read one of the values that differ are
        evaluated again (a guideline's status reads its own statements' fields only)."""
        if near is not None and near[1] == decision_point and near[0].keys() == values.keys():
            base_values, _, base = near
            readers = self._readers(context, decision_point)
            touched = frozenset(g for f, v in values.items() if base_values[f] != v for g in readers.get(f, ()))
            return self._again(values, decision_point, context, touched, base)
        return self._evaluate_values(values, decision_point, context, full=False)

    def _readers(self, context: str, decision_point: str) -> dict[str, frozenset[str]]:
        """Per profile field, the guidelines with a statement (with criteria, at the decision point) that
        reads it."""
        key = ("readers", context, decision_point)
        found = self._derived.get(key)
        if found is None:
            by: dict[str, set[str]] = defaultdict(set)
            for s, _, _ in self._plan(context, decision_point):
                for f in s.fields:
                    by[f].add(s.guideline)
            found = self._derived[key] = {f: frozenset(gs) for f, gs in by.items()}
        return found

    def _plan(self, context: str, decision_point: str,
              only: frozenset[str] | None = None) -> list[tuple[Any, bool, bool]]:
        """The statements of a reading context that have criteria at a decision point (``only``: of these
        guidelines), with whether each counts for a guideline's status and whether it states an aim only
        (built once per context, decision point and guidelines)."""
        found = self._plans.get((context, decision_point, only))
        if found is None:
            found = [(s, s.counts_for_status, s.aim_only) for s in self.statements_in(context).values()
                     if decision_point in s.decision_points and s.criteria and (only is None or s.guideline in only)]
            self._plans[(context, decision_point, only)] = found
        return found

    def _evaluate_values(self, values: dict[str, Any], decision_point: str, context: str, full: bool = True,
                         only: frozenset[str] | None = None):
        results = []
        applying: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        possible: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        targets: dict[tuple[str, int], set[str]] = defaultdict(set)
        aims: set[str] = set()
        for s, counts, aim_only in self._plan(context, decision_point, only):
            st = s.status(values, decision_point)
            if st is None or st < 0:
                continue
            if full:
                results.append(StatementResult(s, st, tuple(s.missing(values))))
            if counts:
                (applying if st == APPLIES else possible)[s.guideline].append(s.modalities)
                targets[(s.guideline, st)].update(s.targets)
            elif aim_only and st == APPLIES:
                aims.add(s.guideline)
        guidelines = []
        for key in self.guideline_keys:
            status, mods = guideline_status(applying.get(key, []), possible.get(key, []), key in aims)
            tgt = targets[(key, APPLIES)] if status in ANSWERING else targets[(key, POSSIBLE)] if status == "possible" else ()
            guidelines.append(GuidelineResult(key, status, mods, tuple(sorted(tgt))))
        if not full:
            return tuple(guidelines)
        dis = disagreements(((g.key, g.status, g.modalities, g.targets) for g in guidelines), self.scopes,
                            self.strategies)
        return Evaluation(tuple(sorted(results, key=lambda r: r.statement.iri)), tuple(guidelines), tuple(dis))

    def evaluate_readings(self, profile) -> Evaluation:
        """The answer under the default readings, with each guideline's answer in every other reading
        context (what the answer's `readings` are made of)."""
        values, dp = profile.criteria_values(), profile.decision_point
        default = self.evaluate_values(values, dp)
        others = tuple((c, self._in_other_context(values, dp, c, default.guidelines)) for c in self.contexts[1:])
        return replace(default, contexts=others)

    def _in_other_context(self, values: dict[str, Any], dp: str, context: str,
                          default: tuple[GuidelineResult, ...]) -> tuple[GuidelineResult, ...]:
        """guideline_results in another reading context, given the default context's: only the guidelines
        whose statements the context lists are evaluated again (statements_in: the others hold there as
        under the default readings, and a guideline's status reads its own statements only)."""
        return self._again(values, dp, context, self.touched_by(context), default)

    def _again(self, values: dict[str, Any], dp: str, context: str, touched: frozenset[str],
               base: tuple[GuidelineResult, ...]) -> tuple[GuidelineResult, ...]:
        """``base`` with the ``touched`` guidelines evaluated again (their statements only)."""
        if not touched:
            return base
        again = {g.key: g for g in self._evaluate_values(values, dp, context, full=False, only=touched)}
        return tuple(again[g.key] if g.key in touched else g for g in base)
