"""The disagreement map: where the guidelines part ways across tumour size and risk profile.

Sweeps tumour size from 0.5 to 40 mm in 0.5 mm steps plus every size boundary in the graph (the
bound itself and 0.1 mm either side), for a few risk profiles at initial management. The answers
come from the cohort path (`cohort.run_cohort`), so the map agrees with `rnetkg compare`.
"""

from __future__ import annotations

import csv
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import queries
from .cohort_format import CSV_COLUMNS
from .compare import GUIDELINE_KEYS
from .profile import FIELD_NAMES

BASE = {"ki67_percent": 1, "mitoses_per_2mm2": 1, "invasion_depth": "submucosa",
        "lymphovascular_invasion": False, "lymph_nodes": "N0", "distant_metastasis": False,
        "margin": "not_resected"}
RISK_PROFILES: list[tuple[str, dict[str, Any]]] = [
    ("G1, no risk factors", {}),
    ("G1, Ki-67 2.5 %", {"ki67_percent": 2.5}),
    ("G2 (Ki-67 5 %)", {"ki67_percent": 5}),
    ("LVI present", {"lymphovascular_invasion": True}),
    ("muscularis propria invasion", {"invasion_depth": "muscularis_propria"}),
    ("node positive (N1)", {"lymph_nodes": "N1"}),
]
STEP_SIZES = [round(0.5 * i, 1) for i in range(1, 81)]
# Okabe-Ito, colour-blind safe; further sets fall back to muted tones
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
           "#999933", "#882255", "#44AA99", "#AA4499", "#117733", "#332288"]
SHORT = {"no_further_action": "no further action", "surveillance": "surveillance",
         "endoscopic_resection": "endoscopic", "transanal_excision": "transanal",
         "radical_surgery": "radical surgery", "chemoradiation": "chemoradiation",
         "systemic_therapy": "systemic", "liver_directed_therapy": "liver-directed",
         "cytoreduction": "cytoreduction"}


@dataclass(frozen=True)
class Boundary:
    size: float
    texts: tuple[str, ...]


def boundaries(engine=None) -> list[Boundary]:
    """Every size bound in the graph's criteria, with the source's as-written texts at it."""
    from .engine import StoreEngine

    rows = (engine or StoreEngine()).select(queries.get("criteria").text)
    texts: dict[float, set[str]] = defaultdict(set)
    for r in rows:
        if r["field"] != "size_mm":
            continue
        for bound in (r["min"], r["max"]):
            if bound is not None:
                texts[float(bound)].add(r["asWritten"] or "")
    return [Boundary(b, tuple(sorted(t for t in texts[b] if t))) for b in sorted(texts)]


def sweep_sizes(bounds: list[Boundary]) -> list[float]:
    sizes = set(STEP_SIZES)
    for b in bounds:
        sizes |= {round(b.size - 0.1, 1), b.size, round(b.size + 0.1, 1)}
    return sorted(s for s in sizes if s > 0)


def sweep_profiles(sizes: list[float]) -> list[dict[str, Any]]:
    out = []
    for name, changes in RISK_PROFILES:
        for s in sizes:
            out.append({"id": f"{name} @ {s:g} mm", "size_mm": s, **BASE, **changes})
    return out


def compute(data: Path | None = None) -> tuple[list[dict[str, str]], list[Boundary], list[float]]:
    """Run the sweep through the cohort path; rows of the cohort CSV plus risk profile and size."""
    from . import cohort

    bounds = boundaries()
    sizes = sweep_sizes(bounds)
    profiles = sweep_profiles(sizes)
    with tempfile.TemporaryDirectory(prefix="rnetkg-map-") as tmp:
        inp, out = Path(tmp) / "sweep.csv", Path(tmp) / "answers.csv"
        with inp.open("w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=list(FIELD_NAMES), lineterminator="\n")
            w.writeheader()
            for p in profiles:
                w.writerow({k: (str(v).lower() if isinstance(v, bool) else v) for k, v in p.items()})
        summary = cohort.run_cohort(inp, out, progress=False)
        if summary["rejected"]:
            raise RuntimeError(f"map: {summary['rejected']} sweep profiles were rejected")
        with out.open(encoding="utf-8", newline="") as f:
            answers = list(csv.DictReader(f))
    rows = []
    for p, a in zip(profiles, answers):
        assert a["id"] == p["id"]
        risk, _ = p["id"].rsplit(" @ ", 1)
        rows.append({"risk_profile": risk, "size_mm": f"{p['size_mm']:g}", **a})
    if data is not None:
        data.parent.mkdir(parents=True, exist_ok=True)
        with data.open("w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=["risk_profile", "size_mm", *CSV_COLUMNS], lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
    return rows, bounds, sizes


def _set_label(modalities: str) -> str:
    return " + ".join(SHORT.get(m, m) for m in modalities.split(";")) if modalities else ""


def _edges(sizes: list[float]) -> list[tuple[float, float]]:
    """Each sampled size stands for the interval up to halfway to its neighbours."""
    mids = [(a + b) / 2 for a, b in zip(sizes, sizes[1:])]
    lo = [sizes[0] - (mids[0] - sizes[0])] + mids
    hi = mids + [sizes[-1] + (sizes[-1] - mids[-1])]
    return list(zip(lo, hi))


def draw(out: Path, data: Path | None = None) -> Path:
    """Draw the map to ``out`` (.png or .svg) and optionally write its data table to ``data``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch, Rectangle

    suffix = out.suffix.lower()
    if suffix not in (".png", ".svg"):
        from .cli import UsageError

        raise UsageError(f"map: --out must end in .png or .svg, got {out.name!r}")
    rows, bounds, sizes = compute(data)
    by_risk: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in rows:
        by_risk[r["risk_profile"]].append(r)
    sets = sorted({r[f"{k}.modalities"] for r in rows for k in GUIDELINE_KEYS if r[f"{k}.modalities"]},
                  key=lambda s: (s.count(";"), s))
    colour = {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(sets)}
    edges = _edges(sizes)
    max_conflicts = max((len(r["conflicts"].split(";")) if r["conflicts"] else 0) for r in rows) or 1

    n = len(RISK_PROFILES)
    fig, axes = plt.subplots(n, 1, figsize=(13, 2.3 * n + 3.0), sharex=True)
    lanes = list(GUIDELINE_KEYS) + ["conflicting pairs"]
    for ax, (risk, _) in zip(axes, RISK_PROFILES):
        data_rows = by_risk[risk]
        for lane, key in enumerate(GUIDELINE_KEYS):
            y = len(lanes) - 1 - lane
            for (lo, hi), r in zip(edges, data_rows):
                status, mods = r[f"{key}.status"], r[f"{key}.modalities"]
                if status == "silent":
                    ax.add_patch(Rectangle((lo, y + 0.1), hi - lo, 0.8, facecolor="white", edgecolor="#cccccc",
                                           hatch="....", linewidth=0))
                    continue
                face = colour.get(mods, "#dddddd")
                alpha = 0.35 if status == "possible" else 1.0
                hatch = "////" if status == "ambiguous" else ("xx" if status == "possible" else None)
                ax.add_patch(Rectangle((lo, y + 0.1), hi - lo, 0.8, facecolor=face, alpha=alpha, hatch=hatch,
                                       edgecolor="white" if hatch else face, linewidth=0))
                if status == "ambiguous":  # often a single boundary value: mark it so it is seen
                    ax.plot([(lo + hi) / 2], [y + 0.5], marker="v", color="black", markersize=5, zorder=5)
        for (lo, hi), r in zip(edges, data_rows):
            k = len(r["conflicts"].split(";")) if r["conflicts"] else 0
            shade = plt.cm.Reds(0.15 + 0.85 * k / max_conflicts) if k else "#f4f4f4"
            ax.add_patch(Rectangle((lo, 0.1), hi - lo, 0.8, facecolor=shade, linewidth=0))
        # the conflict count where it changes
        last = None
        for (lo, hi), r in zip(edges, data_rows):
            k = len(r["conflicts"].split(";")) if r["conflicts"] else 0
            if k != last and k:
                ax.text(lo + 0.15, 0.5, str(k), va="center", ha="left", fontsize=7,
                        color="white" if k > max_conflicts / 2 else "black")
            last = k
        for b in bounds:
            ax.axvline(b.size, color="#333333", linewidth=0.7, linestyle="--", alpha=0.6)
        ax.set_ylim(0, len(lanes))
        ax.set_yticks([len(lanes) - 1 - i + 0.5 for i in range(len(lanes))])
        ax.set_yticklabels(lanes, fontsize=8)
        ax.set_title(f"{risk} — initial management", fontsize=10, loc="left")
        ax.tick_params(axis="x", labelsize=8)
        for s in ("top", "right"):
            ax.spines[s].set_visible(False)
    axes[-1].set_xlim(0, 40.5)
    axes[-1].set_xlabel("tumour size (mm)")
    # the boundaries (dashed lines) with the source's as-written texts, once, under the title
    import textwrap

    lines = [f"{b.size:g} mm — " + "; ".join(f"'{t}'" for t in b.texts) for b in bounds]
    header = "\n".join(textwrap.fill(l, 170, subsequent_indent="      ") for l in lines)
    fig.text(0.01, 0.972, "Boundaries in the graph (dashed), as the sources write them:\n" + header,
             fontsize=7, va="top", ha="left", color="#333333")
    handles = [Patch(facecolor=colour[s], label=_set_label(s)) for s in sets]
    from matplotlib.lines import Line2D

    handles += [Patch(facecolor="#888888", hatch="////", edgecolor="white", label="ambiguous (own recommendations differ)"),
                Line2D([], [], marker="v", color="black", linestyle="none", markersize=5, label="ambiguous point"),
                Patch(facecolor="#888888", alpha=0.35, hatch="xx", edgecolor="white", label="possible (data missing)"),
                Patch(facecolor="white", hatch="....", edgecolor="#cccccc", label="silent (coverage gap)"),
                Patch(facecolor=plt.cm.Reds(0.7), label="conflicting guideline pairs (count)")]
    fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.suptitle("Where the rNET guidelines part ways: management modality by tumour size and risk profile",
                 fontsize=12, y=0.995)
    fig.tight_layout(rect=(0, 0.045 + 0.008 * (len(handles) // 3), 1, 0.935))
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=150 if suffix == ".png" else None)
    plt.close(fig)
    return out
