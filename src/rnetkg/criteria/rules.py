"""The status rule of queries/guideline-status.rq and the pair rule of queries/disagreements.rq, for the
evaluators written in Python (the scalar reference and the numpy path), which are tested equal to the
queries."""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from ..vocab import AIM_ONLY, ANSWERING


def guideline_status(applying: Sequence[tuple[str, ...]], possible: Sequence[tuple[str, ...]],
                     aim: bool = False) -> tuple[str, tuple[str, ...]]:
    """The status rule of guideline-status.rq, from the modality sets of the guideline's applicable
    and possible management recommendations, and whether one that states only an aim applies."""
    if applying:
        union = tuple(sorted(set().union(*applying)))
        return ("ambiguous" if len(set(applying)) > 1 else "covered"), union
    if aim:
        return AIM_ONLY, ()
    if possible:
        return "possible", tuple(sorted(set().union(*possible)))
    return "silent", ()


def pair_kind(m1: frozenset, m2: frozenset, t1: frozenset, t2: frozenset, outside: bool,
              strategies: dict[str, str]) -> str | None:
    """The decision table of disagreements.rq for two answering guidelines' modality sets (m1, m2) and
    targets (t1, t2, "unrecorded" where none is recorded); ``outside``: each answer lies outside the
    other's scope. None when they agree."""
    if m1 == m2:
        return None
    if outside or not (t1 or {"unrecorded"}) & (t2 or {"unrecorded"}):
        return "complementary"
    s1, s2 = {strategies[m] for m in m1}, {strategies[m] for m in m2}
    if not s1 & s2:
        return "conflict"
    if m1 & m2:
        return "partial"
    return "level" if s1 == s2 else "partial"


def disagreements(answers: Iterable[tuple[str, str, Iterable[str], Iterable[str]]],
                  scopes: dict[str, tuple[str, ...]] | None = None,
                  strategies: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The rule of disagreements.rq over (guideline, status, modalities, targets): two answering
    guidelines with different sets, by pair_kind (a guideline without a recorded scope addresses every
    modality; a modality without a strategy is its own). Sorted pairs."""
    scopes, strategies = scopes or {}, dict(strategies or {})
    answering = sorted((k, frozenset(m), frozenset(t)) for k, s, m, t in answers if s in ANSWERING)

    def out_of(mods: frozenset, key: str) -> bool:
        return bool(scopes.get(key)) and not mods & set(scopes[key])

    out = []
    for i, (k1, m1, t1) in enumerate(answering):
        for k2, m2, t2 in answering[i + 1:]:
            kind = pair_kind(m1, m2, t1, t2, out_of(m1, k2) and out_of(m2, k1),
                             {m: strategies.get(m, m) for m in m1 | m2})
            if kind:
                out.append({"guidelines": [k1, k2], "kind": kind})
    return out
