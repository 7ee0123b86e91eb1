"""consensus_contradiction: where a guideline's answer under its default readings contradicts a
consensus that seed 001 states across guidelines (an editorial rnet:ConsensusSummary with modalities):
for the cases where the consensus applies, the guideline answers, and its modalities share none with
the consensus's. A property of the sources, so a warning: the graph records each as written."""

from __future__ import annotations

from .findings import WARNING, Finding
from .grid import build_grid

KIND_CONSENSUS = "consensus_contradiction"


def consensus_findings(model, ctx) -> list[Finding]:
    from .coverage import _quote, _regions, region_text

    statements = model.with_criteria()
    out = []
    for consensus in (s for s in statements if s.kind == "consensus_summary" and s.modalities):
        wanted = set(consensus.modalities)
        for key in model.guideline_keys:
            for dp in sorted(consensus.decision_points):
                own = [s for s in statements if s.guideline == key and s.counts_for_status and dp in s.decision_points]
                if not own:
                    continue
                grid = build_grid(key, dp, [*own, consensus])
                hits, answers = [], set()
                for i, status in enumerate(grid.status):
                    if status.get(consensus.iri) != 1:
                        continue
                    mods = set().union(*(s.modalities for s in own if status.get(s.iri) == 1))
                    if mods and not mods & wanted:
                        hits.append(i)
                        answers.add(", ".join(sorted(mods)))
                if not hits:
                    continue
                features, regions, domains, _ = _regions(grid, ctx, hits)
                where = "; ".join(region_text(features, r, domains, ctx) for r in regions)
                out.append(Finding(
                    KIND_CONSENSUS, WARNING, ctx.guideline_iri.get(key, key),
                    f"{key} at {dp}: for {where} its answer under the default readings ({' / '.join(sorted(answers))}) "
                    f"shares nothing with {', '.join(consensus.modalities)}, for which seed 001 states a consensus "
                    f"across guidelines ({consensus.id}): \"{_quote(ctx, consensus.iri)}\". The guideline's own text "
                    "is recorded as written; its readings (rnetkg query readings) say where it is unclear."))
    return out
