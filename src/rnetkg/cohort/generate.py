"""Synthetic cohorts that hit every boundary in the graph (`rnetkg cohort generate`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import numpy as np

from ..criteria.model import Model
from ..criteria.load import model_for
from ..fields import (DEPTH_T_STAGE, DEPTHS, DERIVATION_CUTS, FIELD_NAMES, FIELDS, GRADES, KI67_GRADE_CUTS, MARGINS,
                      MITOSES_GRADE_CUTS, NODES, T_SIZE_CUTS, T_STAGES)
from .validate import grade_codes
from ..outputs import write_atomic


def boundaries(model: Model | None = None) -> dict[str, list[float]]:
    """Every bound in the graph's criteria per numeric field, plus the cut points of the WHO grade
    and AJCC T derivations (rnetkg.fields): {field: sorted bounds}."""
    if model is None:
        from ..engine import StoreEngine

        model = model_for(StoreEngine())
    return {f: sorted(set(cuts) | set(model.bounds(f))) for f, cuts in DERIVATION_CUTS.items()}


def boundary_values(bounds: Iterable[float], field_name: str, step: float = 0.1) -> list[float]:
    """Just below, at and just above each bound, kept within the field's valid range."""
    f = FIELDS[field_name]
    vals = set()
    for b in bounds:
        for x in (b - step, b, b + step):
            x = round(x, 6)
            if np.isfinite(x) and f.in_range(x):
                vals.add(x)
    return sorted(vals)


def _fmt_numbers(values: np.ndarray) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    nan = np.isnan(values)
    out[nan] = ""
    out[~nan] = [repr(round(float(x), 6)) for x in values[~nan]]
    return out


def generate(n: int, seed: int, out: Path) -> int:
    """Write a synthetic cohort CSV of n valid profiles (header = every profile field).

    The first rows hit every boundary: each size and Ki-67 bound of the criteria (and the WHO grade
    and AJCC T thresholds) just below, at and just above, each decision point (every margin, distant
    metastasis true/false/unknown), every value of every enum field, and each optional field missing;
    the rest are random valid profiles from numpy's Generator(seed). Deterministic per seed."""
    rng = np.random.default_rng(seed)
    b = boundaries()
    size_b = boundary_values(b["size_mm"], "size_mm")
    ki67_b = boundary_values(b["ki67_percent"], "ki67_percent")
    mit_b = boundary_values(b["mitoses_per_2mm2"], "mitoses_per_2mm2")
    specs: list[dict[str, Any]] = []
    setups = [("not_resected", "false"), ("not_resected", ""), ("negative", "false"),
              ("indeterminate", "false"), ("positive", "false"), ("indeterminate", ""), ("negative", "true"),
              ("not_resected", "true")]
    for s in size_b:
        for margin, met in setups:
            specs.append({"size_mm": s, "margin": margin, "distant_metastasis": met})
    cuts = sorted(b["size_mm"])
    reps = [cuts[0] / 2] + [(lo + hi) / 2 for lo, hi in zip(cuts, cuts[1:])] + [cuts[-1] * 1.5]
    for k in ki67_b:
        for s in reps:
            for margin in ("not_resected", "indeterminate"):
                specs.append({"size_mm": s, "margin": margin, "distant_metastasis": "false", "ki67_percent": k,
                              "mitoses_per_2mm2": np.nan, "grade": ""})
    for m in mit_b:
        for s in reps:
            for margin in ("not_resected", "indeterminate"):
                specs.append({"size_mm": s, "margin": margin, "distant_metastasis": "false", "ki67_percent": np.nan,
                              "mitoses_per_2mm2": m, "grade": ""})
    for depth in DEPTHS:
        for s in reps:
            specs.append({"size_mm": s, "margin": "not_resected", "invasion_depth": depth})
    for t in T_STAGES:
        s = {"T1a": 5.0, "T1b": 15.0}.get(t, 15.0 if t == "T1" else 25.0)
        specs.append({"size_mm": s, "margin": "not_resected", "invasion_depth": "", "t_stage": t})
    for name in ("lymph_nodes",):
        for value in NODES:
            for s in reps:
                specs.append({"size_mm": s, "margin": "not_resected", name: value})
    for name in ("lymphovascular_invasion", "atypical_surface"):
        for value in ("true", "false"):
            for s in reps:
                specs.append({"size_mm": s, "margin": "not_resected", name: value})
    optional = [name for name, f in FIELDS.items() if not f.required]
    for name in optional:
        specs.append({"size_mm": 15.0, "margin": "not_resected", name: np.nan if FIELDS[name].kind == "number" else "",
                      **({"t_stage": ""} if name == "invasion_depth" else {})})
    for margin in MARGINS:
        specs.append({"size_mm": 15.0, "margin": margin, **{f: np.nan if FIELDS[f].kind == "number" else ""
                                                             for f in optional}})
    specs = specs[:n]

    # random base values for every row
    size = np.where(rng.random(n) < 0.3, rng.choice(np.array(size_b), n), rng.integers(1, 601, n) / 10)
    margin = rng.choice(np.array(MARGINS, dtype=object), n, p=[0.55, 0.2, 0.1, 0.15])
    met = rng.choice(np.array(["false", "true", ""], dtype=object), n, p=[0.6, 0.1, 0.3])
    ki67 = np.where(rng.random(n) < 0.3, rng.choice(np.array(ki67_b), n), np.round(rng.gamma(1.2, 4.0, n), 1))
    ki67 = np.where(rng.random(n) < 0.3, np.nan, np.clip(ki67, 0, 100))
    mit = np.where(rng.random(n) < 0.3, rng.choice(np.array(mit_b), n), np.round(rng.gamma(0.8, 3.0, n), 1))
    mit = np.where(rng.random(n) < 0.6, np.nan, mit)
    depth = rng.choice(np.array(DEPTHS + ("",), dtype=object), n, p=[0.2, 0.3, 0.1, 0.03, 0.02, 0.35])
    lvi = rng.choice(np.array(["false", "true", ""], dtype=object), n, p=[0.5, 0.15, 0.35])
    nodes = rng.choice(np.array(["N0", "N1", ""], dtype=object), n, p=[0.45, 0.1, 0.45])
    atyp = rng.choice(np.array(["false", "true", ""], dtype=object), n, p=[0.4, 0.1, 0.5])
    grade_mode = rng.random(n)   # < 0.5: blank, else consistent
    t_mode = rng.random(n)       # < 0.5: blank, else consistent
    t_pick = rng.random(n)
    ids = np.array([f"case-{i + 1:07d}" for i in range(n)], dtype=object)
    ids[rng.random(n) < 0.05] = ""
    grade = np.full(n, None, dtype=object)
    t_stage = np.full(n, None, dtype=object)
    cols = {"size_mm": size, "margin": margin, "distant_metastasis": met, "ki67_percent": ki67,
            "mitoses_per_2mm2": mit, "invasion_depth": depth, "lymphovascular_invasion": lvi,
            "lymph_nodes": nodes, "atypical_surface": atyp, "grade": grade, "t_stage": t_stage, "id": ids}
    for name in FIELD_NAMES:  # fields the random rows leave unknown (the specs may state them)
        if name not in cols:
            cols[name] = (np.full(n, np.nan) if FIELDS[name].kind == "number" else np.full(n, "", dtype=object))
    for i, spec in enumerate(specs):
        for k, val in spec.items():
            cols[k][i] = val
    # stated grade consistent with the measurements (WHO 2019)
    gk = grade_codes(ki67, KI67_GRADE_CUTS)
    gm = grade_codes(mit, MITOSES_GRADE_CUTS)
    n_meas = (gk >= 0).astype(int) + (gm >= 0)
    gmax = np.maximum(gk, gm)
    lo = np.where(n_meas == 0, 0, gmax)
    hi = np.where(n_meas == 2, gmax, 2)
    g = lo + np.floor(rng.random(n) * (hi - lo + 1)).astype(int)
    grade_text = np.array(GRADES, dtype=object)[g]
    grade_out = np.where(grade_mode < 0.5, "", grade_text)
    # stated T consistent with size and depth (AJCC 8th)
    dcode = np.array([DEPTHS.index(d) if d else -1 for d in depth])
    low, high = T_SIZE_CUTS
    superficial = np.where(size > high, "T2", np.where(size < low, "T1a", "T1b"))
    by_depth = np.array([DEPTH_T_STAGE.get(d, "") for d in DEPTHS], dtype=object)[np.maximum(dcode, 0)]
    from_depth = np.where(dcode < 0, "", np.where(by_depth == "", superficial, by_depth))
    t1_sub = np.where(size < low, "T1a", "T1b")
    small_opts = np.stack([np.full(n, "T1"), t1_sub, np.full(n, "T2"), np.full(n, "T3"), np.full(n, "T4")], axis=1)
    large_opts = np.stack([np.full(n, "T2"), np.full(n, "T3"), np.full(n, "T4")], axis=1)
    no_depth = np.where(size <= high, small_opts[np.arange(n), (t_pick * 5).astype(int)],
                        large_opts[np.arange(n), (t_pick * 3).astype(int)])
    with_depth = np.where(np.isin(from_depth, ["T1a", "T1b"]) & (t_pick < 0.34), "T1", from_depth)
    t_out = np.where(t_mode < 0.5, "", np.where(dcode >= 0, with_depth, no_depth)).astype(object)
    for i, spec in enumerate(specs):
        if "grade" in spec:
            grade_out[i] = spec["grade"]
        if "t_stage" in spec:
            t_out[i] = spec["t_stage"] if dcode[i] < 0 or spec["t_stage"] == "" else t_out[i]
    cols["grade"] = grade_out
    cols["t_stage"] = t_out
    frame = {}
    for name in FIELD_NAMES:
        c = cols[name]
        frame[name] = _fmt_numbers(np.asarray(c, dtype=float)) if FIELDS[name].kind == "number" else c
    text_cols = [np.asarray(frame[name], dtype=object) for name in FIELD_NAMES]
    header = ",".join(FIELD_NAMES) + "\n"
    body = np.full(n, "", dtype=object)
    for j, c in enumerate(text_cols):
        body = body + (c if j == 0 else "," + c)
    write_atomic(Path(out), [header, "".join((body + "\n").tolist())])
    return n
