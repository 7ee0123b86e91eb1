"""Drawing the disagreement map: one band per guideline coloured by its modality set, per panel of
risk profiles, with the size bounds drawn visibly and labelled with the sources' text."""

from __future__ import annotations

import textwrap
from typing import Any, Sequence

from .data import BASE_TEXT, DECISION_POINT, NEAR, RISK_PROFILES, Bound, MapData, RiskProfile, _mm

# Colour-blind-safe qualitative colours (Paul Tol's "muted" scheme, and orange from his "light" one for a tenth set), given to the modality sets in
# order of how far the treatment goes, so that the endoscopic end is blue and the radical end red.
PALETTE = ("#88CCEE", "#44AA99", "#117733", "#DDCC77", "#999933", "#CC6677", "#882255", "#AA4499",
           "#332288", "#EE8866")
ABBREVIATIONS = {
    "no_further_action": "none", "surveillance": "surv", "endoscopic_resection": "ER",
    "transanal_excision": "TAE", "radical_surgery": "RS", "chemoradiation": "CRT",
    "systemic_therapy": "ST", "liver_directed_therapy": "LDT", "cytoreduction": "cyto",
}
SILENT_FACE, SILENT_HATCH = "#F3F3F3", "#BDBDBD"
AMBIGUOUS_HATCH = "#1A1A1A"
BOUNDARY_CELL_MM = 0.6  # drawn width of the cells at and next to a bound (their true width is 0.1 mm)


# ------------------------------------------------------------------------------------ drawing


def _rank(m: str, order: Sequence[str]) -> int:
    return order.index(m) if m in order else len(order)


def _set_key(modalities: str, order: Sequence[str]) -> tuple:
    """Order of the modality sets, from the least to the most far-reaching treatment (the graph's
    order of modalities)."""
    mods = modalities.split(";")
    idx = sorted(_rank(m, order) for m in mods)
    return (idx[-1], idx[0], len(mods), modalities)


def _set_order(modalities: str, order: Sequence[str]) -> list[str]:
    return sorted(modalities.split(";"), key=lambda m: (_rank(m, order), m))


def set_label(modalities: str, order: Sequence[str]) -> str:
    return " + ".join(m.replace("_", " ") for m in _set_order(modalities, order))


def set_short(modalities: str, order: Sequence[str]) -> str:
    return "+".join(ABBREVIATIONS.get(m, m) for m in _set_order(modalities, order))


def _pairs(cell: str) -> int:
    return len([p for p in cell.split(";") if p])


def _runs(values: Sequence[Any]) -> list[tuple[int, int, Any]]:
    """Consecutive equal values as (first index, last index, value)."""
    runs: list[tuple[int, int, Any]] = []
    for i, v in enumerate(values):
        if runs and runs[-1][2] == v:
            runs[-1] = (runs[-1][0], i, v)
        else:
            runs.append((i, i, v))
    return runs


def _luminance(hex_colour: str) -> float:
    r, g, b = (int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _lighten(hex_colour: str, amount: float) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(c + (255 - c) * amount):02X}" for c in (r, g, b))


def _shorten(text: str, width: int = 44) -> str:
    """Long as-written texts keep their start and their end (where the numbers usually are)."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    head = text[:width // 2 - 2].rsplit(" ", 1)[0].rstrip(",;")
    tail = text[-(width - len(head) - 3):].split(" ", 1)[-1]
    return f"{head} … {tail}"


def _label_spot(axis: "_Axis", xa: float, xb: float, lines: Sequence[float]) -> tuple[float, float]:
    """Where to write a label in the run [xa, xb]: the middle of its widest stretch between guide
    lines, and that stretch's drawn width."""
    cuts = [xa] + [v for v in lines if xa < v < xb] + [xb]
    best = max(zip(cuts, cuts[1:]), key=lambda ab: axis.forward(ab[1]) - axis.forward(ab[0]))
    fa, fb = axis.forward(best[0]), axis.forward(best[1])
    return float(axis.inverse((fa + fb) / 2)), float(fb - fa)


class _Axis:
    """Size (mm) to drawing position: true scale, except that the cells at and next to a bound are
    drawn BOUNDARY_CELL_MM wide so that the bound itself is visible."""

    def __init__(self, sizes: Sequence[float], bounds: Sequence[Bound]):
        import numpy as np

        s = np.asarray(sizes, dtype=float)
        mids = (s[1:] + s[:-1]) / 2
        edges = np.concatenate([[s[0] - (s[1] - s[0]) / 2], mids, [s[-1] + (s[-1] - s[-2]) / 2]])
        special = {_mm(b.value + d) for b in bounds for d in (-NEAR, 0.0, NEAR)}
        widths = np.diff(edges)
        drawn = np.array([max(w, BOUNDARY_CELL_MM) if _mm(v) in special else w
                          for v, w in zip(s, widths)])
        disp = np.concatenate([[edges[0]], edges[0] + np.cumsum(drawn)])
        far = 1e4
        self.real = np.concatenate([[edges[0] - far], edges, [edges[-1] + far]])
        self.disp = np.concatenate([[disp[0] - far], disp, [disp[-1] + far]])
        self.edges = edges
        self.np = np

    def forward(self, x):
        return self.np.interp(x, self.real, self.disp)

    def inverse(self, x):
        return self.np.interp(x, self.disp, self.real)


def _boundary_lines(bounds: Sequence[Bound], guideline_keys: Sequence[str]) -> list[tuple[float, list[str]]]:
    """For each bound: the lines of its label, one per guideline whose criteria at the map's
    decision point use the bound, with that guideline's texts as written (all criteria if none)."""
    order = {k: i for i, k in enumerate(guideline_keys)}
    out = []
    for b in bounds:
        texts = [t for t in b.texts if t[0] and t[1] == DECISION_POINT] or list(b.texts)
        by_guideline: dict[str, set[str]] = {}
        for g, _, text in texts:
            by_guideline.setdefault(g or "editorial", set()).add(text)
        lines = []
        for g in sorted(by_guideline, key=lambda g: (order.get(g, len(order)), g)):
            ts = sorted(by_guideline[g], key=lambda t: (not any(c.isdigit() for c in t), len(t), t))
            lines.append(f"{g}:  " + ", ".join(f"“{_shorten(t)}”" for t in ts))
        out.append((b.value, lines))
    return out


def _panels(rows: Sequence[dict[str, str]], risk_profiles: Sequence[RiskProfile] = RISK_PROFILES
            ) -> list[tuple[list[RiskProfile], list[dict[str, str]]]]:
    """Risk profiles whose answers are the same at every size share one panel."""
    by_key: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        by_key.setdefault(r["risk_profile"], []).append(r)
    panels: list[tuple[list[RiskProfile], list[dict[str, str]]]] = []
    signature: dict[tuple, int] = {}
    for rp in risk_profiles:
        rs = by_key[rp.key]
        sig = tuple(tuple(v for k, v in r.items() if k not in ("id", "risk_profile")) for r in rs)
        if sig in signature:
            panels[signature[sig]][0].append(rp)
        else:
            signature[sig] = len(panels)
            panels.append(([rp], rs))
    return panels


def _panel_title(rps: Sequence[RiskProfile]) -> str:
    if len(rps) == 1:
        rp = rps[0]
        return rp.label + (f"  ({BASE_TEXT})" if not rp.changes else "")
    return " · ".join(rp.label for rp in rps) + "  (the same answers at every size)"


def set_colours(data: MapData) -> dict[str, str]:
    """The colour of each modality set on the map ('endoscopic_resection;radical_surgery' -> '#117733'),
    in the order of the legend: from the least to the most far-reaching treatment."""
    keys, order = data.guideline_keys, data.modality_keys
    sets = sorted({r[f"{k}.modalities"] for r in data.rows for k in keys
                   if r[f"{k}.status"] != "silent" and r[f"{k}.modalities"]}, key=lambda m: _set_key(m, order))
    return {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(sets)}


def figure(data: MapData):
    """The map as a matplotlib Figure (no pyplot: no GUI backend, no global figure state)."""
    rows, bounds = data.rows, data.bounds
    keys, order = data.guideline_keys, data.modality_keys
    from matplotlib.colors import to_hex
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch, Rectangle

    sizes = sorted({float(r["size_mm"]) for r in rows})
    axis = _Axis(sizes, bounds)
    panels = _panels(rows, data.risk_profiles)

    colour = set_colours(data)
    sets = list(colour)
    max_conflicts = max([_pairs(r["conflicts"]) for r in rows] + [1])
    statuses_seen = {r[f"{k}.status"] for r in rows for k in keys}

    n_rows = len(keys) + 1
    row_h = 0.25
    panel_h = n_rows * row_h + 0.55
    header_h = 0.32 + 0.155 * max(len(lines) for _, lines in _boundary_lines(bounds, keys)) if bounds else 0.3
    set_rows = (len(sets) + 2) // 3
    legend_h = 0.2 + (0.3 + 0.22 * set_rows) + (0.3 + 0.22 * 2) + 0.1
    top_h = 0.95
    fig_h = top_h + header_h + panel_h * len(panels) + legend_h
    fig_w = 13.0
    fig = Figure(figsize=(fig_w, fig_h))
    left, right = 1.25 / fig_w, 1 - 0.3 / fig_w

    def frac(h):
        return h / fig_h

    fig.text(left, 1 - frac(0.22), "Where the rectal NET guidelines part ways, by tumour size and risk "
             "profile", fontsize=14, fontweight="bold", va="top")
    fig.text(left, 1 - frac(0.5), "Each risk profile changes one thing from G1 without risk factors, lesion "
             "not yet resected, no distant metastasis. One band per guideline, coloured by the set of\n"
             "management modalities it recommends; a dotted line on a band: the answer changes under another "
             "reading of an unclear source passage; the last row names the pairs in conflict.",
             fontsize=9, color="#444444", va="top", linespacing=1.35)

    x0, x1 = axis.edges[0], axis.edges[-1]
    scale = ("function", {"functions": (axis.forward, axis.inverse)})
    ticks = [0.5] + [float(t) for t in range(5, int(x1) + 1, 5)]

    # header: the bounds and the sources' texts at them
    y_top = 1 - frac(top_h)
    hax = fig.add_axes([left, y_top - frac(header_h), right - left, frac(header_h)])
    hax.set_xscale(scale[0], **scale[1])
    hax.set_xlim(x0, x1)
    hax.set_ylim(0, 1)
    hax.axis("off")
    marks = _boundary_lines(bounds, keys)
    positions = [v for v, _ in marks]
    for i, (v, lines) in enumerate(marks):
        prev = positions[i - 1] if i else x0
        nxt = positions[i + 1] if i + 1 < len(positions) else x1
        room_left = (v - prev) / (2 if i else 1)
        room_right = (nxt - v) / (2 if i + 1 < len(positions) else 1)
        ha, dx = ("right", -0.35) if room_left > room_right else ("left", 0.35)
        hax.axvline(v, color="#555555", lw=0.9, ls=(0, (4, 2)))
        hax.text(v + dx, 0.97, f"{v:g} mm", ha=ha, va="top", fontsize=9.5, fontweight="bold")
        hax.text(v + dx, 0.97 - 0.2 / header_h, "\n".join(lines), ha=ha, va="top", fontsize=7.6,
                 color="#333333", linespacing=1.25)

    # one panel per distinct map
    y = y_top - frac(header_h)
    for p, (rps, prow) in enumerate(panels):
        ax_h = n_rows * row_h
        y -= frac(panel_h)
        ax = fig.add_axes([left, y + frac(0.3), right - left, frac(ax_h)])
        ax.set_xscale(scale[0], **scale[1])
        ax.set_xlim(x0, x1)
        ax.set_ylim(n_rows - 0.45, -0.55)
        ax.set_title(textwrap.shorten(_panel_title(rps), 170), loc="left", fontsize=10,
                     fontweight="bold", pad=4)
        edges = axis.edges
        for gi, key in enumerate(keys):
            cells = [(r[f"{key}.status"], r[f"{key}.modalities"], key in r["reading_dependent"].split(";"))
                     for r in prow]
            for a, b, (status, mods, dependent) in _runs(cells):
                xa, xb = edges[a], edges[b + 1]
                _band(ax, Rectangle, xa, xb, gi, status, colour.get(mods, "#FFFFFF"))
                if dependent:
                    ax.plot([xa, xb], [gi - 0.33, gi - 0.33], color="#111111", lw=1.4, ls=(0, (1, 1.2)),
                            solid_capstyle="butt", zorder=4)
                xm, width = _label_spot(axis, xa, xb, positions)
                if width < 2.2:
                    continue
                if status == "silent":
                    ax.text(xm, gi, "silent", ha="center", va="center", fontsize=7,
                            color="#8A8A8A", style="italic")
                elif status == "covered":
                    c = colour[mods]
                    ax.text(xm, gi, set_short(mods, order), ha="center", va="center", fontsize=7.2,
                            color="white" if _luminance(c) < 0.45 else "#1A1A1A")
        # the conflict strip
        ci = len(keys)
        counts = [(_pairs(r["conflicts"]), _pairs(r["partial"]), r["conflicts"]) for r in prow]
        for a, b, (nc, npart, names) in _runs(counts):
            xa, xb = edges[a], edges[b + 1]
            shade = 0.94 - 0.72 * nc / max_conflicts
            face = to_hex((shade, shade, shade))
            ax.add_patch(Rectangle((xa, ci - 0.42), xb - xa, 0.84, facecolor=face, lw=0))
            xm, width = _label_spot(axis, xa, xb, positions)
            if width >= 1.5:
                pairs = ", ".join(p.replace("|", "/").replace("-20", "") for p in names.split(";") if p)
                label = (textwrap.shorten(f"{nc}: {pairs}", int(width * 3.2), placeholder=" …") if nc and width >= 7
                         else f"{nc} conflicting pair{'s' if nc != 1 else ''}" if width >= 7 else f"{nc}")
                ax.text(xm, ci, label, ha="center", va="center", fontsize=7.2,
                        color="white" if shade < 0.55 else "#1A1A1A")
        for v in positions:
            ax.axvline(v, color="#333333", lw=0.9, ls=(0, (4, 2)), zorder=5)
        if data.patient and data.patient[0] in {rp.key for rp in rps}:
            ax.axvline(data.patient[1], color="#D81B60", lw=2.2, zorder=6)
            ax.text(data.patient[1], len(keys) + 0.38, f" this patient: {data.patient[1]:g} mm ",
                    color="#D81B60", fontsize=8, fontweight="bold", va="top", ha="left", zorder=7,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.6})
        ax.axhline(ci - 0.5, color="#FFFFFF", lw=3)
        ax.set_yticks(range(n_rows))
        ax.set_yticklabels(list(keys) + ["conflicts"], fontsize=8.5)
        ax.get_yticklabels()[-1].set_fontstyle("italic")
        ax.tick_params(axis="y", length=0)
        ax.set_xticks(ticks)
        ax.set_xticklabels([f"{t:g}" for t in ticks], fontsize=8)
        ax.set_xticks([float(t) for t in range(1, int(x1) + 1)], minor=True)
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        if p == len(panels) - 1:
            near = ", ".join(f"{_mm(v - NEAR):g}/{v:g}/{_mm(v + NEAR):g}" for v in positions)
            ax.set_xlabel(f"tumour size (mm); the cells at {near} mm are drawn "
                          f"{BOUNDARY_CELL_MM:g} mm wide so the bounds themselves show",
                          fontsize=8.5, color="#333333")

    # legends: modality sets, then statuses
    handles = [Patch(facecolor=colour[s], label=f"{set_short(s, order)}: {set_label(s, order)}") for s in sets]
    leg1 = fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(left, y - frac(0.2)),
                      ncol=3, fontsize=8.3, frameon=False, title="modality set (colour)",
                      title_fontproperties={"weight": "bold", "size": 8.8}, alignment="left",
                      handlelength=2.2, handleheight=1.1, columnspacing=2.0)
    grey = "#9E9E9E"

    def absent(st):
        return "" if st in statuses_seen else "  (none on this map)"

    status_handles = [
        Patch(facecolor=grey, lw=0, label="covered: its applicable recommendations agree"
              + absent("covered")),
        Patch(facecolor=grey, edgecolor=AMBIGUOUS_HATCH, lw=0, hatch="xxx",
              label="ambiguous: two of its own recommendations apply with different sets "
                    "(colour = their union)" + absent("ambiguous")),
        Patch(facecolor=_lighten(grey, 0.6), edgecolor="#555555", lw=0, hatch="...",
              label="possible: only recommendations with unknown criteria" + absent("possible")),
        Patch(facecolor=SILENT_FACE, edgecolor=SILENT_HATCH, lw=0, hatch="////",
              label="silent: no recommendation applies (a coverage gap, not a disagreement)"
                    + absent("silent")),
        Line2D([0], [0], color="#111111", lw=1.4, ls=(0, (1, 1.2)),
               label="dotted line: reading-dependent (another reading of the source gives another answer)"),
    ]
    fig.legend(handles=status_handles, loc="upper left",
               bbox_to_anchor=(left, y - frac(0.2 + 0.3 + 0.22 * set_rows + 0.05)), ncol=2, fontsize=8.3, frameon=False, title="status of a guideline (pattern)",
               title_fontproperties={"weight": "bold", "size": 8.8}, alignment="left",
               handlelength=2.2, handleheight=1.1)
    fig.add_artist(leg1)
    return fig


def _band(ax, Rectangle, xa: float, xb: float, row: int, status: str, colour: str) -> None:
    h = 0.84
    y = row - h / 2
    if status == "silent":
        ax.add_patch(Rectangle((xa, y), xb - xa, h, facecolor=SILENT_FACE, edgecolor=SILENT_HATCH,
                               lw=0, hatch="////"))
        return
    face = _lighten(colour, 0.6) if status == "possible" else colour
    ax.add_patch(Rectangle((xa, y), xb - xa, h, facecolor=face, lw=0))
    if status == "ambiguous":
        ax.add_patch(Rectangle((xa, y), xb - xa, h, facecolor="none", edgecolor=AMBIGUOUS_HATCH,
                               lw=0, hatch="xxx"))
    elif status == "possible":
        ax.add_patch(Rectangle((xa, y), xb - xa, h, facecolor="none", edgecolor=colour, lw=0,
                               hatch="..."))

