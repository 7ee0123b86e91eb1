"""The answer of DESIGN.md for one profile, built from an evaluation (the SPARQL path's rows or the
criteria model's own evaluation: the same structure, so both give the same dict)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from . import pathway, vocab
from .criteria.model import STATEMENT_STATUS, Evaluation, Model, rec_id
from .criteria.nearest import nearest_changes
from .evidence import disagreement_evidence
from .explain import missing_inputs, recommendation_explanation, relation, save_relations, silence


class Answer(dict):
    """The answer of DESIGN.md (a dict, as JSON prints it) with the views every renderer reads: the
    table, the HTML report and page, the CDS cards and the map take these rather than working them out
    again."""

    @classmethod
    def of(cls, answer: dict[str, Any]) -> "Answer":
        """The views of an answer dict (one read back from JSON, say): itself when it is one already."""
        return answer if isinstance(answer, Answer) else cls(answer)

    @property
    def answering(self) -> list[dict[str, Any]]:
        """The guidelines that answer (covered or ambiguous), in the graph's order."""
        return [g for g in self["guidelines"] if vocab.answers(g["status"])]

    def with_status(self, status: str) -> list[str]:
        """The keys of the guidelines with this status (silent: the coverage gaps)."""
        return [g["guideline"] for g in self["guidelines"] if g["status"] == status]

    @property
    def pairs_by_kind(self) -> dict[str, list[dict[str, Any]]]:
        """The typed disagreements by kind, every kind of vocab.PAIR_KINDS present (maybe empty)."""
        return {k: [d for d in self["disagreements"] if d["kind"] == k] for k in vocab.PAIR_KINDS}

    @property
    def summary_line(self) -> str:
        return self.get("summary", "")


def build_answer(profile, model: Model, evaluation: Evaluation, initial: Evaluation | None = None,
                 nearest: dict[str, list[dict[str, Any]]] | None = None) -> Answer:
    """The answer: derived values, each guideline in the graph's order with its status, modalities and
    the recommendations that apply (or are possible), its follow-up and warnings, the strategies that
    divide them, the typed disagreements, and the editorial statements that apply. ``initial``: the same
    tumour evaluated at initial management, for a profile after a local excision (initial_context).
    ``nearest``: the profile's nearest changes when the caller has them already (nearest_changes)."""
    by_guideline: dict[str, list[tuple[Any, dict]]] = {}
    editorial = []
    values = profile.criteria_values()
    for r in evaluation.statements:
        s = r.statement
        if s.source is None:
            continue  # no label, decision point or source: nothing to show (SHACL reports it)
        entry = {**_entry(profile, r), **recommendation_explanation(s, values)}
        if entry["risk_factors"] is None and s.decision_basis in model.risk_definitions:
            entry["risk_factors"] = decision_basis(model, s.decision_basis, values)
        if s.guideline:
            by_guideline.setdefault(s.guideline, []).append((s, entry))
        else:
            editorial.append(dict(entry, kind=s.kind, label=s.label))
    applying = {}
    for r in evaluation.statements:
        if r.status == 1 and r.statement.counts_for_status:
            applying.setdefault(r.statement.guideline, []).append(r.statement)
    if nearest is None:
        nearest = nearest_changes(model, profile)
    guidelines = []
    for g in evaluation.guidelines:
        wanted = {vocab.COVERED: ("applies",), vocab.AMBIGUOUS: ("applies",), vocab.AIM_ONLY: ("applies",),
                  vocab.POSSIBLE_ANSWER: ("possible",), vocab.SILENT: ()}[g.status]
        entries = sorted(by_guideline.get(g.key, []), key=lambda se: se[1]["id"])
        shown = [e for _, e in entries if e["status"] in wanted or vocab.answers(g.status)]
        mdt = any(s.mdt for s, e in entries if e["status"] in wanted and s.kind == "management")
        aims = sorted({a for s, e in entries if e["status"] == "applies" and s.aim_only for a in s.aims})
        readings = reading_entries(model, evaluation, g)
        guidelines.append({"guideline": g.key, "status": g.status, "modalities": list(g.modalities),
                           "mdt": mdt, "reading_dependent": bool(readings), "readings": readings,
                           "recommendations": shown,
                           "silence": silence(model, profile, g.key) if g.status == vocab.SILENT else None,
                           "aims": aims,
                           "follow_up": (pathway.guideline_follow_up(applying.get(g.key, []), values)
                                         if vocab.answers(g.status) else []),
                           "initial_context": (pathway.initial_context(model, profile, initial, g.key, g.status)
                                               if initial is not None else None),
                           "warnings": pathway.warnings(model, evaluation, g.key, readings),
                           "nearest_changes": nearest.get(g.key, [])})
    mods = {g["guideline"]: g["modalities"] for g in guidelines}
    disagreements = []
    for d in sorted(evaluation.disagreements, key=lambda x: (x["guidelines"], x["kind"])):
        a, b = d["guidelines"]
        rel, separating = relation(model, profile.decision_point, applying.get(a, []), applying.get(b, []))
        entry = {**d, "modalities": {k: mods[k] for k in d["guidelines"]},
                 "strategies": {k: strategies_of(model, mods[k]) for k in d["guidelines"]},
                 "relation": rel, "separating_criteria": separating}
        entry["evidence"] = disagreement_evidence(model, entry, {a: applying.get(a, []), b: applying.get(b, [])},
                                                  values)
        disagreements.append(entry)
    save_relations()  # for the next process (explain.py: the relations do not depend on the profile)
    strategy_split = split(model, guidelines)
    return Answer({
        "provenance": provenance(model),
        "profile": profile.id,
        "derived": profile.derived(),
        # how the derived values were reached where the profile does not settle them (a grade from the
        # Ki-67 index alone, the mitotic count unknown)
        "notes": list(profile.notes),
        "summary": summary_line(model, guidelines, strategy_split, disagreements),
        "guidelines": guidelines,
        "split": strategy_split,
        "disagreements": disagreements,
        "missing_inputs": missing_inputs(model, profile, evaluation),
        "editorial_statements": sorted(editorial, key=lambda e: e["id"]),
    })


SOURCES_BANNER = ("The content is as summarised by two review articles (seed 000, World J Gastrointest Oncol 2026; "
                  "seed 001, World J Gastroenterol 2025), not the guidelines' own text.")


def read_kept(model: Model) -> None:
    """Read now what building an answer reads from the cache folder once per process: the evidence
    items and the pair relations (a caller that waits for its queries reads them meanwhile)."""
    from .evidence import evidence_index
    from .explain import stored_relations

    evidence_index(model)
    stored_relations()


def provenance(model: Model) -> dict[str, Any]:
    """What an answer was computed with: the rnetkg version, the hash of the loaded graph, the default
    readings in force, and that the content is as two review articles summarise it."""
    import rnetkg

    # the hash of the graph the model was read from: a model is never re-read, so its graph never changes
    graph = model._derived.get("graph_hash") or model._derived.setdefault("graph_hash", _graph_hash())
    return {"rnetkg": rnetkg.__version__, "graph": graph,
            "readings": sorted(r.id for r in model.readings.values() if r.default), "sources": SOURCES_BANNER}


@lru_cache(maxsize=1)
def _read_graph_hash() -> str:
    from .graph import graph_hash
    from .paths import extra_kg_files

    return graph_hash(extra_kg_files())


def _graph_hash() -> str:
    """graph.graph_hash of the loaded graph: as kept by the files' names, sizes and times
    (graph.current_graph_hash), else read from the files once."""
    from .graph import current_graph_hash

    return current_graph_hash() or _read_graph_hash()


def decision_basis(model: Model, definition: str, values: dict[str, Any]) -> dict[str, Any]:
    """For a recommendation that leaves the choice to a multidisciplinary team, the risk factors it says the
    decision is based on (rnet:decisionBasedOn): present, absent or unknown for this profile; the source does
    not say which choice each leads to."""
    from .explain import atom_entry

    label, atoms = model.risk_definitions[definition]
    entries = [atom_entry(a, values) for a in atoms]
    by = {r: [e for e in entries if e["result"] == r] for r in ("met", "failed", "unknown")}
    return {"definition": f"{label}: what the decision is based on (which choice each leads to is not said)",
            "present": by["met"], "absent": by["failed"], "unknown": by["unknown"]}


def strategies_of(model: Model, modalities) -> list[str]:
    """The strategies of a modality set, in the order of their first modality."""
    return list(dict.fromkeys(model.strategies.get(m, m) for m in model.modality_keys if m in modalities))


def split(model: Model, guidelines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each strategy that an answering guideline recommends, with the guidelines whose answer includes
    it and, where its modalities have intervention levels (local excision), each guideline's levels."""
    out: dict[str, dict[str, Any]] = {}
    for g in guidelines:
        if not vocab.answers(g["status"]):
            continue
        for m in g["modalities"]:
            strategy = model.strategies.get(m, m)
            entry = out.setdefault(strategy, {"strategy": strategy, "guidelines": set(), "levels": {}})
            entry["guidelines"].add(g["guideline"])
            if m in model.levels:
                entry["levels"].setdefault(g["guideline"], set()).add(model.levels[m])
    order = {s: i for i, s in enumerate(strategies_of(model, model.modality_keys))}
    result = []
    for strategy in sorted(out, key=lambda k: order.get(k, len(order))):
        entry = out[strategy]
        item = {"strategy": strategy, "guidelines": sorted(entry["guidelines"])}
        if len(set(model.levels[m] for m in model.modality_keys
                   if m in model.levels and model.strategies.get(m) == strategy)) > 1:
            item["levels"] = {k: sorted(v) for k, v in sorted(entry["levels"].items())}
        result.append(item)
    return result


def _level_words(model: Model, strategy: str, levels: list[int]) -> str:
    """'endoscopic', 'transanal', 'endoscopic or transanal': the modalities of a strategy at these levels."""
    names = [model.modality_labels[m].split()[0] for m in model.modality_keys
             if model.strategies.get(m) == strategy and model.levels.get(m) in levels]
    return " or ".join(names)


def summary_line(model: Model, guidelines: list[dict[str, Any]], strategy_split: list[dict[str, Any]],
                 disagreements: list[dict[str, Any]]) -> str:
    """One line above the details: how many answer, then the strategies that divide them (each
    guideline under the one strategy it recommends, by intervention level within local excision; a
    guideline that recommends several named after them, 'either' when it spans every strategy of the
    split and each of them is named by another guideline), and the pairs by kind."""
    answering = [g for g in guidelines if vocab.answers(g["status"])]
    parts = [f"{len(answering)} of {len(guidelines)} guidelines answer"]
    possible = [g for g in guidelines if g["status"] == vocab.POSSIBLE_ANSWER]
    if possible:
        parts.append(f"{len(possible)} may answer once more is known")
    aims = [g for g in guidelines if g["status"] == vocab.AIM_ONLY]
    if aims:
        parts.append(f"{len(aims)} state{'s' if len(aims) == 1 else ''} an aim only")
    labels = model.strategy_labels
    by_key = {g["guideline"]: g for g in answering}
    single: dict[str, list[str]] = {}
    several: list[str] = []
    every = [e["strategy"] for e in strategy_split]
    spanning = []
    for g in answering:
        mine = strategies_of(model, g["modalities"])
        if len(mine) == 1:
            single.setdefault(mine[0], []).append(g["guideline"])
        else:
            spanning.append((g, mine))
    for g, mine in spanning:
        # 'either' only where each strategy it spans is named in the line by another guideline
        how = "either" if mine == every and set(every) <= set(single) else " or ".join(labels.get(s, s) for s in mine)
        several.append(f"{g['guideline']} {how}" + (", by MDT" if g["mdt"] else ""))
    sides: list[tuple[str, bool]] = []   # (text, levelled)
    for entry in strategy_split:
        keys = single.get(entry["strategy"], [])
        if not keys:
            continue
        label = labels.get(entry["strategy"], entry["strategy"])
        if "levels" in entry:
            groups: dict[tuple[int, ...], list[str]] = {}
            for k in keys:
                groups.setdefault(tuple(entry["levels"].get(k, [])), []).append(k)
            inner = "; ".join(f"{_level_words(model, entry['strategy'], list(lv))}: {', '.join(sorted(ks))}"
                              for lv, ks in sorted(groups.items()))
            sides.append((f"{label} — {inner}", True))
        else:
            sides.append((f"{label}: {', '.join(sorted(keys))}", False))
    # complementary answers (different scopes or targets) are listed side by side, not against each other
    opposed = any(d["kind"] != "complementary" for d in disagreements)
    text = ""
    if len(answering) == 1:
        g = answering[0]
        text = (f"{g['guideline']} {g['status']}: " + (" or ".join if g["status"] == vocab.AMBIGUOUS else " + ".join)(
            model.modality_labels[m] for m in g["modalities"]))
    elif answering and len({tuple(by_key[k]["modalities"]) for k in by_key}) == 1 and \
            not any(g["status"] == vocab.AMBIGUOUS for g in answering):
        text = "all that answer say " + " + ".join(model.modality_labels[m] for m in answering[0]["modalities"])
    elif answering:
        joined = ""
        for i, (side, levelled) in enumerate(sides):
            last = i == len(sides) - 1
            joined += side + (" —" if levelled and not last and opposed else "") + ("" if last else (" vs " if opposed else "; "))
        text = ("" if opposed else "complementary answers: ") + "; ".join(x for x in (joined, "; ".join(several)) if x)
    if text:
        parts.append(text)
    counts = [f"{len(v)} {k}" for k, v in ((k, [d for d in disagreements if d["kind"] == k]) for k in vocab.PAIR_KINDS) if v]
    if counts:
        parts.append("pairs: " + ", ".join(counts))
    return "; ".join(parts)


def reading_entries(model: Model, evaluation: Evaluation, default) -> list[dict[str, Any]]:
    """For a guideline whose answer changes under other readings: the default reading of each passage
    concerned, then each other reading, then each combination of readings, whose answer differs from
    the default readings' and, for a combination, from the answer under each reading it combines (alone
    or in a smaller combination): a combination that answers as one of its parts adds nothing."""
    answers: dict[frozenset[str], tuple[Any, ...]] = {frozenset(): (default.status, default.modalities)}
    listed = []
    for c, results in evaluation.contexts:
        g = next((g for g in results if g.key == default.key), default)
        reading = model.readings[c]
        answers[reading.parts] = (g.status, g.modalities)
        if all(answer != (g.status, g.modalities) for parts, answer in answers.items() if parts < reading.parts):
            listed.append((reading, g))
    passages = [p for r, _ in listed for p in r.passage.split(" ")]
    out = []
    for passage in dict.fromkeys(passages):
        first = next(r for r in model.readings.values() if r.passage == passage and r.default)
        out.append(_reading(first, default))
        out += [_reading(r, g) for r, g in listed if r.passage == passage]
    return out + [_reading(r, g) for r, g in listed if r.combines]


def _reading(r, g) -> dict[str, Any]:
    entry = {"reading": r.id, "label": r.label, "default": r.default, "status": g.status,
             "modalities": list(g.modalities), "passage": r.passage_label, "rationale": r.rationale}
    if r.combines:
        entry["combines"] = [rec_id(c) for c in r.combines]
    return entry


def _entry(profile, r) -> dict[str, Any]:
    s = r.statement
    assumptions = set(s.assumptions)
    if "grade" in s.fields:
        assumptions.update(n for n in profile.notes if n.startswith("grade "))
    return {
        "id": s.id,
        "status": STATEMENT_STATUS[r.status],
        "modalities": list(s.modalities),
        "procedures": list(s.procedures),
        "workup": list(s.workup),
        "follow_up": pathway.statement_follow_up(s, profile.criteria_values()),
        "strength": s.strength,
        "assumptions": sorted(assumptions),
        "missing": list(r.missing),
        "source": s.source.to_dict(),
    }


def row_answer(profile, model: Model) -> dict[str, Any]:
    """Only what a cohort row holds (statuses, modalities, reading dependence, disagreements), from
    the criteria model: for the many profiles of the map."""
    e = model.evaluate_readings(profile)
    return {"profile": profile.id,
            "guidelines": [{"guideline": g.key, "status": g.status, "modalities": list(g.modalities),
                            "reading_dependent": bool(reading_entries(model, e, g))} for g in e.guidelines],
            "disagreements": [dict(d) for d in e.disagreements]}


def answer(profile, model: Model) -> dict[str, Any]:
    """The answer computed by the criteria model itself (the scalar reference evaluator)."""
    from .profile import at_initial_management

    twin = at_initial_management(profile)
    return build_answer(profile, model, model.evaluate_readings(profile),
                        model.evaluate_readings(twin) if twin is not None else None)


# ---------------------------------------------------------------- the cohort row of an answer



def csv_columns(guideline_keys) -> list[str]:
    """The cohort output columns of DESIGN.md: id, K.status and K.modalities per guideline key in
    the graph's order, then conflicts, partial and complementary (sorted pairs A|B joined with ';')
    and reading_dependent (sorted guideline keys joined with ';')."""
    return (["id"] + [f"{k}.{c}" for k in guideline_keys for c in ("status", "modalities")]
            + [vocab.PAIR_COLUMNS[k] for k in vocab.PAIR_KINDS] + ["reading_dependent"])


def answer_to_row(answer: dict[str, Any]) -> list[str]:
    row = [answer["profile"]]
    for g in answer["guidelines"]:
        row += [g["status"], ";".join(sorted(g["modalities"]))]
    for kind in vocab.PAIR_KINDS:
        pairs = sorted("|".join(sorted(x["guidelines"])) for x in answer["disagreements"] if x["kind"] == kind)
        row.append(";".join(pairs))
    row.append(";".join(sorted(g["guideline"] for g in answer["guidelines"] if g.get("reading_dependent"))))
    return row
