"""The case fixtures (tests/fixtures/cases/*.json) and what each of them asserts.

A fixture holds a profile, a `why`, and `expect`: the status and modalities of the guidelines the case
is about (the ones its `why` names or whose criteria it exercises), not of every guideline in the
graph, so that a guideline added to kg/ changes no fixture. The other keys speak of those guidelines
only:

- `conflicts`, `partial`, `level`, `complementary`: the pairs of that kind between two guidelines of `expect`,
  sorted (an absent key means none); pairs with a guideline outside `expect` are not asserted;
- `reading_dependent`: which guidelines of `expect` are reading-dependent (absent: none);
- `readings`, `recommendations`, `missing`: per guideline of `expect`, its readings' answers, the
  recommendations that apply, the fields its recommendations miss.

The expectations were worked out by hand from the recommendations in kg/, not from the engine. What
every answer must keep whatever the case (graph order, silence never in a pair, ...) is tested for
every fixture and for generated profiles in tests/test_answer_invariants.py.
"""

from __future__ import annotations

import json
from pathlib import Path

CASES = sorted((Path(__file__).parent / "fixtures" / "cases").glob("*.json"))
from rnetkg.vocab import PAIR_COLUMNS as PAIR_KEYS  # kind -> the fixture's key (conflicts, partial, level, complementary)


def load_case(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def about(case: dict) -> list[str]:
    """The guideline keys the case asserts, in the fixture's order."""
    return list(case["expect"])


def pairs_among(case: dict, pairs, kind: str) -> list[list[str]]:
    """The pairs of ``kind`` (from (a, b, kind) triples, in their order) whose two guidelines the case
    is about."""
    keys = set(about(case))
    return [[a, b] for a, b, k in pairs if k == kind and {a, b} <= keys]


def assert_case(case: dict, guidelines: dict, pairs, dependent=None) -> None:
    """Assert one fixture against an answer given as ``guidelines`` {key: (status, modalities)} (every
    guideline of the answer), ``pairs`` [(a, b, kind)] in the answer's order and, where the evaluator
    knows it, ``dependent`` (the reading-dependent keys)."""
    keys = about(case)
    missing = [k for k in keys if k not in guidelines]
    assert not missing, f"{case['profile'].get('id')}: no answer for {missing}"
    got = {k: {"status": guidelines[k][0], "modalities": list(guidelines[k][1])} for k in keys}
    assert got == case["expect"], case["why"]
    pairs = list(pairs)
    for kind, field in PAIR_KEYS.items():
        assert pairs_among(case, pairs, kind) == case.get(field, []), f"{field}: {case['why']}"
    if dependent is not None:
        assert sorted(set(dependent) & set(keys)) == sorted(case.get("reading_dependent", [])), case["why"]


def fixture_problems(case: dict) -> list[str]:
    """What makes a fixture malformed: a key outside `expect`, an unsorted pair, an unknown field."""
    keys = set(about(case))
    known = {"why", "profile", "expect", "reading_dependent", "readings", "recommendations", "missing",
             *PAIR_KEYS.values()}
    problems = [f"unknown key {k!r}" for k in case if k not in known]
    for field in PAIR_KEYS.values():
        for pair in case.get(field, []):
            if len(pair) != 2 or pair != sorted(pair) or not set(pair) <= keys:
                problems.append(f"{field}: {pair} is not a sorted pair of guidelines in expect")
        if case.get(field, []) != sorted(case.get(field, [])):
            problems.append(f"{field} is not sorted")
    for field in ("reading_dependent", "readings", "recommendations", "missing"):
        outside = set(case.get(field, [])) - keys
        if outside:
            problems.append(f"{field} names {sorted(outside)}, which are not in expect")
    return problems


def answering_words(profile: dict | str | Path) -> str:
    """'N of M guidelines answer', the start of the summary line, for a profile (a dict, or a file holding
    one): N counts the guidelines whose status answers in its answer, M all the guidelines of the graph,
    so that a test of the summary's form does not pin how many guidelines the graph holds."""
    from rnetkg import vocab
    from rnetkg.compare import compare
    from rnetkg.profile import parse_profile

    if not isinstance(profile, dict):
        profile = json.loads(Path(profile).read_text(encoding="utf-8"))
    guidelines = compare(parse_profile(profile))["guidelines"]
    return f"{sum(vocab.answers(g['status']) for g in guidelines)} of {len(guidelines)} guidelines answer"
