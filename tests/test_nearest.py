"""Issue 24: nearest changes. Each guideline's answer lists, per known measured finding, the nearest value
below and above (each other value of a categorical finding) at which its status or modalities change.

The changes are computed from the criteria model's cut points (rnetkg.criteria.nearest); here they are
checked by evaluating profiles on either side of every reported point, over thousands of generated
profiles, and by checking that no change lies between the measured value and the reported point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rnetkg import render, words
from rnetkg.criteria.load import model_for
from rnetkg.criteria.nearest import CATEGORICAL_FINDINGS, NUMERIC_FINDINGS, cut_points, nearest_changes, vary
from rnetkg.errors import ProfileError
from rnetkg.fields import FIELD_NAMES, FIELDS
from rnetkg.profile import derive, parse_profile

from conformance.profiles import extreme_profiles, random_profiles

ROOT = Path(__file__).resolve().parent.parent
EPS = 1e-6   # far below the spacing of any two cut points (0.1 at the least)


@pytest.fixture(scope="module")
def model(store_engine):
    return model_for(store_engine)


def _varied(profile, name, value):
    """The profile with one finding changed; a stated grade or T category that then contradicts the
    measurements is dropped (written here again, apart from the module under test)."""
    fields = {n: getattr(profile, n) for n in FIELD_NAMES if n != "id" and getattr(profile, n) is not None}
    fields[name] = value
    try:
        return derive(fields, profile.id)
    except ProfileError:
        stated = "grade" if name in ("ki67_percent", "mitoses_per_2mm2") else "t_stage"
        fields.pop(stated, None)
        try:
            return derive(fields, profile.id)
        except ProfileError:
            return None


def _answer(model, profile, key, name=None, value=None):
    p = profile if name is None else _varied(profile, name, value)
    if p is None:
        return None
    e = model.evaluate_values(p.criteria_values(), p.decision_point)
    g = next(g for g in e.guidelines if g.key == key)
    return {"status": g.status, "modalities": list(g.modalities)}


def _in_domain(name, x):
    return FIELDS[name].in_range(x)


def _check_profile(model, profile) -> int:
    changes = nearest_changes(model, profile)
    checked = 0
    for key in model.guideline_keys:
        base = _answer(model, profile, key)
        mine = changes[key]
        for name in NUMERIC_FINDINGS:
            v = getattr(profile, name)
            if v is None:
                assert not [c for c in mine if c["field"] == name]
                continue
            for direction, sign in (("below", -1), ("above", 1)):
                found = [c for c in mine if c["field"] == name and c["direction"] == direction]
                assert len(found) <= 1
                if found:
                    c = found[0]
                    at = c["at"]
                    assert c["value"] == v and c["near_threshold"] is False
                    assert (at - v) * sign >= 0, (profile, c)
                    if c["inclusive"]:
                        assert at != v
                        assert _answer(model, profile, key, name, at) == c["becomes"], (profile, key, c)
                    else:
                        beyond = at + sign * EPS
                        assert _answer(model, profile, key, name, beyond) == c["becomes"], (profile, key, c)
                        if at != v:
                            assert _answer(model, profile, key, name, at) in (base, None), (profile, key, c)
                    assert c["becomes"] != base
                    # no change between the value and the point: a few points in between, and the cut points
                    between = [v + (at - v) * f for f in (0.01, 0.25, 0.5, 0.75, 0.99)]
                    between += [b for b in cut_points(model, name) if min(v, at) < b < max(v, at)]
                    end = at
                else:
                    far = v * 3 + 50 if sign > 0 else 0.0
                    end = far
                    between = [b for b in cut_points(model, name) if (b - v) * sign > 0]
                    between += [v + sign * d for d in (0.05, 1.0, 7.5, 40.0)]
                for x in between:
                    if x != end and _in_domain(name, x) and (x - v) * sign > 0:
                        got = _answer(model, profile, key, name, x)
                        assert got in (base, None), (profile, key, name, direction, x, got, found)
                checked += 1
        for name in CATEGORICAL_FINDINGS:
            v = getattr(profile, name)
            reported = {c["at"]: c for c in mine if c["field"] == name}
            if v is None:
                assert not reported
                continue
            f = FIELDS[name]
            for other in ((False, True) if f.kind == "boolean" else f.values):
                if other == v:
                    assert other not in reported
                    continue
                got = _answer(model, profile, key, name, other)
                if other in reported:
                    c = reported[other]
                    assert c["direction"] == "other_value" and c["inclusive"] is True
                    assert got == c["becomes"] != base, (profile, key, c)
                else:
                    assert got in (base, None), (profile, key, name, other, got)
                checked += 1
    return checked


def test_issue24_nearest_changes_hold_when_evaluated_over_generated_profiles(model):
    profiles = random_profiles(2000, seed=24, model=model)
    checked = sum(_check_profile(model, p) for p in profiles)
    assert checked > 20000
    # the sample reaches every kind of change
    seen = {(c["field"], c["direction"], c["inclusive"]) for p in profiles[:400]
            for cs in nearest_changes(model, p).values() for c in cs}
    for name in NUMERIC_FINDINGS:
        assert {(name, "above", True), (name, "above", False)} & seen
    assert {(n, "other_value", True) for n in CATEGORICAL_FINDINGS} <= seen
    assert ("size_mm", "below", False) in seen and ("size_mm", "above", False) in seen


def test_issue24_nearest_changes_hold_at_the_ends_of_what_a_float_holds(model):
    """Sizes of 5e-324 and 1.8e308 mm, values a hair beside a cut point (issue 10's extremes)."""
    assert sum(_check_profile(model, p) for p in extreme_profiles()) >= 250


def test_issue24_nearest_changes_of_a_15mm_g1_tumour(model):
    p = parse_profile(json.loads((ROOT / "examples" / "profile-15mm-g1.json").read_text()))
    changes = nearest_changes(model, p)
    nccn = changes["NCCN-2025"]
    assert {"field": "size_mm", "direction": "above", "at": 20.0, "inclusive": False,
            "becomes": {"status": "covered", "modalities": ["chemoradiation", "radical_surgery"]},
            "near_threshold": False, "value": 15.0} in nccn
    assert {"field": "lymph_nodes", "direction": "other_value", "at": "N1", "inclusive": True,
            "becomes": {"status": "covered", "modalities": ["chemoradiation", "radical_surgery"]},
            "near_threshold": False, "value": "N0"} in nccn
    pnnt = {(c["field"], c["direction"]): c for c in changes["PNNT-2022"]}
    assert pnnt[("ki67_percent", "above")]["at"] == 2.0 and pnnt[("ki67_percent", "above")]["inclusive"] is False
    assert pnnt[("ki67_percent", "above")]["becomes"]["modalities"] == ["radical_surgery", "transanal_excision"]
    assert changes["ASCO-2023"] == [] and changes["NICE-2024"] == []


def test_issue24_a_stated_grade_is_dropped_not_contradicted(model):
    """Ki-67 1.5 % with a stated G1: raising the Ki-67 past 20 % re-derives G3 (CSCO's G1/G2 row stops),
    where the stated G1 would contradict it."""
    p = parse_profile({"size_mm": 15, "ki67_percent": 1.5, "grade": "G1", "invasion_depth": "submucosa",
                       "lymphovascular_invasion": False, "lymph_nodes": "N0", "margin": "not_resected"})
    csco = [c for c in nearest_changes(model, p)["CSCO-2022"] if c["field"] == "ki67_percent"]
    assert csco == [{"field": "ki67_percent", "direction": "above", "at": 20.0, "inclusive": False,
                     "becomes": {"status": "silent", "modalities": []}, "near_threshold": False, "value": 1.5}]
    # a stated T1b with depth unknown: past 20 mm the T category is dropped, the answer changes there
    q = parse_profile({"size_mm": 15, "t_stage": "T1b", "margin": "not_resected"})
    assert {"field": "size_mm", "direction": "above", "at": 20.0, "inclusive": False,
            "becomes": {"status": "silent", "modalities": []}, "near_threshold": False,
            "value": 15.0} in nearest_changes(model, q)["CSCO-2022"]
    above = vary(q, "size_mm", 25.0)
    assert above.t_stage is None and above.derived_t_stage is None
    assert vary(q, "size_mm", 12.0).derived_t_stage == "T1b"


def _cli(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "rnetkg", "compare", *args], capture_output=True, text=True,
                          cwd=ROOT, input=stdin)


P19 = json.dumps({"id": "p19", "size_mm": 19, "ki67_percent": 2.5, "invasion_depth": "submucosa",
                  "lymph_nodes": "N0", "lymphovascular_invasion": False, "margin": "not_resected"})


def test_issue24_tolerance_marks_the_near_changes_in_json_and_summary():
    r = _cli("-", "--format", "json", "--tolerance", "size_mm=1", "--tolerance", "ki67_percent=0.5", stdin=P19)
    assert r.returncode == 0, r.stderr
    by = {g["guideline"]: g["nearest_changes"] for g in json.loads(r.stdout)["guidelines"]}
    near = {(k, c["field"], c["direction"], c["at"]) for k, cs in by.items() for c in cs if c["near_threshold"]}
    assert ("ENETS-2023", "size_mm", "above", 20.0) in near
    assert ("PNNT-2022", "ki67_percent", "below", 2.0) in near
    assert not {n for n in near if n[1] == "size_mm" and n[2] == "below"}
    r = _cli("-", "--tolerance", "size_mm=1", stdin=P19)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) <= 40
    assert "Near a threshold (--tolerance):" in lines
    assert ("  NCCN-2025 changes just above 20 mm (greatest diameter), 1 mm away: chemoradiation, radical surgery"
            in lines)
    assert not any("ki67" in x.lower() or "Ki-67" in x for x in lines[lines.index("Near a threshold (--tolerance):"):])


def test_issue24_summary_lists_near_changes_within_40_lines_and_detail_lists_all():
    profile = json.dumps({"id": "many", "size_mm": 20, "ki67_percent": 20, "mitoses_per_2mm2": 20,
                          "lymph_nodes": "N0", "margin": "not_resected"})
    tol = ["--tolerance", "size_mm=100", "--tolerance", "ki67_percent=100", "--tolerance", "mitoses_per_2mm2=100"]
    answer = json.loads(_cli("-", "--format", "json", *tol, stdin=profile).stdout)
    near = [(g["guideline"], c) for g in answer["guidelines"] for c in g["nearest_changes"] if c["near_threshold"]]
    assert len(near) >= 10
    lines = _cli("-", *tol, stdin=profile).stdout.splitlines()
    assert len(lines) <= 40
    start = lines.index("Near a threshold (--tolerance):")
    assert lines[start + 1:start + 1 + len(near)] == [_cut("  " + words.nearest_words(k, c)) for k, c in near]
    detail = _cli("-", "--detail", *tol, stdin=profile).stdout
    total = sum(len(g["nearest_changes"]) for g in answer["guidelines"])
    assert detail.count("    nearest     ") == total and detail.count("[near a threshold]") == len(near)


def _cut(line):
    return line if len(line) <= render.WIDTH else line[:render.WIDTH - 1] + "…"


def test_issue24_summary_counts_near_changes_when_they_do_not_fit():
    """An answer with more near changes than 40 lines hold (the real ones, each given four times over):
    the summary counts them and points to --detail."""
    profile = json.dumps({"id": "many", "size_mm": 20, "ki67_percent": 20, "mitoses_per_2mm2": 20,
                          "lymph_nodes": "N0", "margin": "not_resected"})
    answer = json.loads(_cli("-", "--format", "json", "--tolerance", "size_mm=100", "--tolerance",
                             "ki67_percent=100", stdin=profile).stdout)
    for g in answer["guidelines"]:
        g["nearest_changes"] = g["nearest_changes"] * 4
    n = sum(c["near_threshold"] for g in answer["guidelines"] for c in g["nearest_changes"])
    lines = render.answer_summary(answer, "many.json").splitlines()
    assert len(lines) <= 40
    assert f"Near a threshold (--tolerance): {n}, see --detail" in lines
    assert lines[-1] == "Every explanation, source and quote: rnetkg compare many.json --detail"


@pytest.mark.parametrize("item, message", [
    ("grade=1", "--tolerance 'grade=1': FIELD must be one of size_mm, ki67_percent, mitoses_per_2mm2"),
    ("size_mm", "--tolerance 'size_mm': FIELD must be one of size_mm, ki67_percent, mitoses_per_2mm2"),
    ("size_mm=-1", "--tolerance size_mm: DELTA must be a number >= 0 in mm, got '-1'"),
    ("ki67_percent=nan", "--tolerance ki67_percent: DELTA must be a number >= 0 in %, got 'nan'"),
])
def test_issue24_bad_tolerance_is_one_line_exit_2(item, message):
    r = _cli("-", "--tolerance", item, stdin=P19)
    assert r.returncode == 2
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and len(lines[0]) <= 300 and message in lines[0] and "Traceback" not in r.stderr


def test_a_guideline_evaluated_again_only_where_it_reads_what_differs_gives_the_whole_evaluation(model):
    """guideline_results with ``near`` (nearest changes, missing inputs) and another reading context from
    the default one (evaluate_readings) evaluate again only the guidelines whose statements read what
    differs: over generated profiles, each varied finding and each reading context, the same results as
    evaluating every statement."""
    profiles = random_profiles(300, seed=31, model=model)
    compared = 0
    for p in profiles:
        values, dp = p.criteria_values(), p.decision_point
        base = model.guideline_results(values, dp)
        for name in (*NUMERIC_FINDINGS, *CATEGORICAL_FINDINGS):
            f = FIELDS[name]
            for other in ((False, True) if f.kind == "boolean" else f.values if f.kind == "enum"
                          else (0.5, 9.9, 10.0, 20.0, 25.0)):
                q = vary(p, name, other)
                if q is None:
                    continue
                full = model.guideline_results(q.criteria_values(), q.decision_point)
                assert model.guideline_results(q.criteria_values(), q.decision_point,
                                               near=(values, dp, base)) == full, (p, name, other)
                compared += 1
        e = model.evaluate_readings(p)
        for context, results in e.contexts:
            assert results == model.guideline_results(values, dp, context), (p, context)
    assert compared > 3000
