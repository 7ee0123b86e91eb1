"""The profiles every evaluator is run on: the case fixtures (with their hand-derived expectations),
boundary profiles from the criteria model's own bounds, random profiles and extreme values."""

from __future__ import annotations

import json
import random
from itertools import product
from pathlib import Path

from rnetkg.errors import ProfileError
from rnetkg.fields import DERIVATION_CUTS, FIELDS
from rnetkg.profile import parse_profile

CASES = sorted((Path(__file__).parent.parent / "fixtures" / "cases").glob("*.json"))

# (margin, distant_metastasis) -> the variants (indices into VARIANTS) tried there: every decision
# point, metastasis known and unknown; all variants at initial management, the fields that the
# after-resection and metastatic branches test elsewhere
SETTINGS = {
    ("not_resected", False): "all",
    ("not_resected", None): (0, 1, 2),
    ("negative", False): (0, 11),
    ("indeterminate", False): (7, 9, 10, 11),
    ("positive", None): (0, 11),
    ("not_resected", True): (0,),
    ("indeterminate", True): (0,),
}
NO_RISK = {"invasion_depth": "submucosa", "lymph_nodes": "N0", "lymphovascular_invasion": False, "ki67_percent": 1.0}
VARIANTS = [  # other fields: unknown, no risk factor, each risk factor alone, grade and T category
    {},
    NO_RISK,
    {**NO_RISK, "invasion_depth": "muscularis_propria"},
    {**NO_RISK, "lymph_nodes": "N1"},
    {**NO_RISK, "lymphovascular_invasion": True},
    {**NO_RISK, "ki67_percent": 2.0},
    {**NO_RISK, "ki67_percent": 2.1},
    {**NO_RISK, "grade": "G2", "ki67_percent": 5.0},
    {"invasion_depth": "submucosa", "lymph_nodes": "N0"},  # risk factors unknown: LVI and Ki-67 missing
    {"t_stage": "T1", "grade": "G1"},
    {"t_stage": "T1", "grade": "G3"},
    {"t_stage": "T2", "grade": "G2", "lymph_nodes": "N1"},
    {"t_stage": "T3", "grade": "G2", "lymph_nodes": "N0"},
]
# values far outside any bound, at the ends of what a float holds (issue 10)
EXTREMES = [
    {"size_mm": 1e-19, "margin": "not_resected", "ki67_percent": 1e-19, "mitoses_per_2mm2": 0.0},
    {"size_mm": 1e21, "margin": "not_resected", "ki67_percent": 100.0, "mitoses_per_2mm2": 1e21},
    {"size_mm": 1e21, "margin": "positive", "lymph_nodes": "N1"},
    {"size_mm": 5e-324, "margin": "indeterminate", "grade": "G2"},
    {"size_mm": 1.7976931348623157e308, "margin": "not_resected", "distant_metastasis": True},
    {"size_mm": 9.999999999999998, "margin": "not_resected", "ki67_percent": 2.0000000000000004},
    {"size_mm": 20.000000000000004, "margin": "not_resected", "invasion_depth": "submucosa"},
    {"size_mm": 0.1, "margin": "negative", "ki67_percent": 2.9999999999999996, "invasion_depth": "mucosa"},
]


def load_case(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def parse_all(dicts) -> list:
    out = []
    for d in dicts:
        try:
            out.append(parse_profile(d))
        except ProfileError:
            pass  # a combination no profile can have (T1 above 20 mm)
    return out


def boundary_profiles(model) -> list:
    bounds = sorted(set(model.bounds("size_mm")) | set(DERIVATION_CUTS["size_mm"]))
    sizes = sorted({round(x, 1) for b in bounds for x in (b - 0.1, b, b + 0.1) if x > 0} | {5.0, 15.0, 30.0})
    dicts = []
    for size, (margin, metastasis), (index, variant) in product(sizes, SETTINGS, enumerate(VARIANTS)):
        wanted = SETTINGS[(margin, metastasis)]
        if wanted != "all" and index not in wanted:
            continue
        d = {"id": f"b-{size}-{margin}-{metastasis}-{index}", "size_mm": size, "margin": margin, **variant}
        if metastasis is not None:
            d["distant_metastasis"] = metastasis
        dicts.append(d)
    return parse_all(dicts)


def random_profiles(n: int, seed: int = 2025, model=None) -> list:
    """Random valid profiles; numbers drawn from the bounds of the model (and just beside them) half of
    the time, uniformly otherwise."""
    rng = random.Random(seed)
    choices = {"grade": ["G1", "G2", "G3"],
               "invasion_depth": ["mucosa", "submucosa", "muscularis_propria", "subserosa", "serosa_or_adjacent_organs"],
               "t_stage": ["T1", "T1a", "T1b", "T2", "T3", "T4"], "lymphovascular_invasion": [True, False],
               "lymph_nodes": ["N0", "N1"], "distant_metastasis": [True, False], "atypical_surface": [True, False]}
    near = {}
    for f in ("size_mm", "ki67_percent", "mitoses_per_2mm2"):
        bs = set(DERIVATION_CUTS[f]) | (set(model.bounds(f)) if model else set())
        near[f] = sorted({round(x, 1) for b in bs for x in (b - 0.1, b, b + 0.1) if x >= 0})
    out = []
    while len(out) < n:
        d = {"size_mm": rng.choice(near["size_mm"]) if rng.random() < 0.5 else round(rng.uniform(0.1, 60), 1),
             "margin": rng.choice(["not_resected", "not_resected", "negative", "indeterminate", "positive"])}
        if d["size_mm"] <= 0:
            continue
        for name, values in choices.items():
            if rng.random() < 0.5:
                d[name] = rng.choice(values)
        for f, hi in (("ki67_percent", 40.0), ("mitoses_per_2mm2", 30.0)):
            if rng.random() < 0.6:
                d[f] = rng.choice(near[f]) if rng.random() < 0.5 else round(rng.uniform(0, hi), 1)
        # the fields allowed only with another field's value (fields.Field.only_with), half of the time
        for name, f in FIELDS.items():
            if f.only_with and d.get(f.only_with[0]) in f.only_with[1] and rng.random() < 0.5:
                d[name] = rng.choice(list(f.values) if f.kind == "enum" else [True, False])
        out += parse_all([d])
    return out


def extreme_profiles() -> list:
    return parse_all(EXTREMES)
