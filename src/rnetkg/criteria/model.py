"""The one criteria model: every statement of the graph with its criteria, actions and source, read
once per engine from queries/guidelines.rq, modalities.rq, criteria.rq and recommendation-details.rq.

The scalar three-valued evaluator here is the reference for every other evaluator (the numpy cohort
path, the OWL classes, the check's grids); all of them are tested equal to the SPARQL queries, which
define the answer:

- an atom is true (1), false (-1) or unknown (0: the profile lacks the field);
- a criterion is ``sign × max`` over its atoms (a risk-factor criterion: any component present; its
  negation "no risk factors" has sign -1); a precedence rule is a criterion whose atoms (the
  prevailing recommendation's criteria) are negated;
- a statement at the profile's decision point applies (min over its criteria = 1), is possible (0,
  naming the missing fields) or does not apply (-1);
- a guideline is covered (its applicable management recommendations recommend one modality set),
  ambiguous (several), possible (only possible ones) or silent;
- two answering guidelines conflict (disjoint sets) or are partial (overlapping, different).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from .. import queries
from ..errors import ModelError
from ..fields import FIELDS
from ..namespaces import KG

APPLIES, POSSIBLE, DOES_NOT_APPLY = 1, 0, -1
STATEMENT_STATUS = {APPLIES: "applies", POSSIBLE: "possible", DOES_NOT_APPLY: "does_not_apply"}
STATUSES = ("covered", "ambiguous", "possible", "silent")
ANSWERING = ("covered", "ambiguous")
KINDS = ("management", "staging", "consensus_summary", "author_position", "tiered_care_proposal")
_ATOM_FIELD_KIND = {"range": "number", "boolean": "boolean", "set": "enum"}


def rec_id(iri: str) -> str:
    """The short id of a statement: its IRI after the kg/ namespace (e.g. enets-2023/rec-10-20mm)."""
    return iri[len(KG):] if iri.startswith(KG) else iri


def split_list(value: Any, sep: str = " | ") -> list[str]:
    if not value:
        return []
    return sorted({v.strip() for v in str(value).split(sep) if v.strip()})


@dataclass(frozen=True)
class Atom:
    """One atomic condition on one profile field."""

    iri: str
    kind: str  # range | set | boolean
    field: str
    min: float | None = None
    min_inclusive: bool | None = None
    max: float | None = None
    max_inclusive: bool | None = None
    required: bool | None = None
    allowed: frozenset[str] = frozenset()
    as_written: str = ""

    def status(self, value: Any) -> int:
        """1 true, -1 false, 0 unknown (the value is None), exactly as the SPARQL queries evaluate it."""
        if value is None:
            return 0
        if self.kind == "range":
            ok_min = self.min is None or value > self.min or (bool(self.min_inclusive) and value == self.min)
            ok_max = self.max is None or value < self.max or (bool(self.max_inclusive) and value == self.max)
            return 1 if ok_min and ok_max else -1
        if self.kind == "boolean":
            return 1 if value == self.required else -1
        return 1 if value in self.allowed else -1

    @property
    def bounds(self) -> tuple[float, ...]:
        return tuple(b for b in (self.min, self.max) if b is not None)


@dataclass(frozen=True)
class Criterion:
    """A criterion of a statement: one atom (sign +1), a risk-factor condition whose atoms are the
    components of the definition (sign +1 present: any holds; -1 absent: none holds), or a precedence
    rule whose atoms are the prevailing recommendation's criteria, negated (not all of them hold)."""

    iri: str
    sign: int
    atoms: tuple[Atom, ...]
    negated: bool = False

    def status(self, values: dict[str, Any]) -> int:
        flip = -1 if self.negated else 1
        return self.sign * max(flip * a.status(values.get(a.field)) for a in self.atoms)

    def missing(self, values: dict[str, Any]) -> set[str]:
        """The fields of the unknown atoms (named only when the criterion itself is unknown)."""
        if self.status(values) != 0:
            return set()
        return {a.field for a in self.atoms if a.status(values.get(a.field)) == 0}

    @property
    def fields(self) -> set[str]:
        return {a.field for a in self.atoms}

    @property
    def direct(self) -> bool:
        """One atom that is the criterion itself (not a risk-factor definition or a precedence rule)."""
        return len(self.atoms) == 1 and self.atoms[0].iri == self.iri


@dataclass(frozen=True)
class Source:
    document: str
    locator: str
    quote: str
    reference: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"document": self.document, "locator": self.locator, "quote": self.quote,
                "reference": self.reference}


@dataclass(frozen=True)
class Statement:
    """A recommendation or editorial statement: decision points, criteria, actions and source."""

    iri: str
    guideline: str  # "" for editorial statements
    kind: str
    decision_points: frozenset[str]
    criteria: tuple[Criterion, ...] = ()
    label: str = ""
    mdt: bool = False
    modalities: tuple[str, ...] = ()
    procedures: tuple[str, ...] = ()
    workup: tuple[str, ...] = ()
    follow_up: str = ""
    assumptions: tuple[str, ...] = ()
    source: Source | None = None

    @property
    def id(self) -> str:
        return rec_id(self.iri)

    @property
    def counts_for_status(self) -> bool:
        """Only management recommendations with a modality decide a guideline's status."""
        return self.kind == "management" and bool(self.guideline) and bool(self.modalities)

    def status(self, values: dict[str, Any], decision_point: str) -> int | None:
        """1 applies, 0 possible, -1 does not apply; None at another decision point or without criteria."""
        if decision_point not in self.decision_points or not self.criteria:
            return None
        return min(c.status(values) for c in self.criteria)

    def missing(self, values: dict[str, Any]) -> list[str]:
        return sorted(set().union(*(c.missing(values) for c in self.criteria)))

    @property
    def fields(self) -> set[str]:
        return set().union(*(c.fields for c in self.criteria)) if self.criteria else set()


@dataclass(frozen=True)
class Guideline:
    key: str
    document: str
    label: str
    position: int | None


@dataclass(frozen=True)
class StatementResult:
    statement: Statement
    status: int
    missing: tuple[str, ...]


@dataclass(frozen=True)
class GuidelineResult:
    key: str
    status: str
    modalities: tuple[str, ...]


@dataclass(frozen=True)
class Evaluation:
    """One profile evaluated: the statements that apply or are possible, each guideline's status and
    modalities (in the graph's order of guidelines) and the disagreements (sorted pairs)."""

    statements: tuple[StatementResult, ...]
    guidelines: tuple[GuidelineResult, ...]
    disagreements: tuple[dict[str, Any], ...]


def guideline_status(applying: Sequence[tuple[str, ...]], possible: Sequence[tuple[str, ...]]
                     ) -> tuple[str, tuple[str, ...]]:
    """The status rule of guideline-status.rq, from the modality sets of the guideline's applicable
    and possible management recommendations."""
    if applying:
        union = tuple(sorted(set().union(*applying)))
        return ("ambiguous" if len(set(applying)) > 1 else "covered"), union
    if possible:
        return "possible", tuple(sorted(set().union(*possible)))
    return "silent", ()


def disagreements(answers: Iterable[tuple[str, str, Iterable[str]]]) -> list[dict[str, Any]]:
    """The rule of disagreements.rq over (guideline, status, modalities): two answering guidelines
    with different sets conflict (disjoint) or are partial (overlapping). Sorted pairs."""
    answering = sorted((k, frozenset(m)) for k, s, m in answers if s in ANSWERING)
    out = []
    for i, (k1, m1) in enumerate(answering):
        for k2, m2 in answering[i + 1:]:
            if m1 != m2:
                out.append({"guidelines": [k1, k2], "kind": "partial" if m1 & m2 else "conflict"})
    return out


@dataclass
class Model:
    """Every statement with its criteria and details, the guidelines in order, the modality keys."""

    guidelines: tuple[Guideline, ...]
    modality_keys: tuple[str, ...]
    modality_labels: dict[str, str]
    statements: dict[str, Statement]
    atoms: tuple[Atom, ...]

    @property
    def guideline_keys(self) -> tuple[str, ...]:
        return tuple(g.key for g in self.guidelines)

    def bounds(self, field_name: str) -> list[float]:
        """Every bound that a range criterion puts on a numeric field, sorted."""
        return sorted({b for a in self.atoms if a.kind == "range" and a.field == field_name for b in a.bounds})

    @property
    def criteria_fields(self) -> set[str]:
        return {a.field for a in self.atoms}

    def with_criteria(self) -> list[Statement]:
        return [s for s in self.statements.values() if s.criteria]

    # ------------------------------------------------------------ the scalar reference evaluator

    def evaluate(self, profile) -> Evaluation:
        """The answer for one validated profile (rnetkg.profile.Profile)."""
        return self.evaluate_values(profile.criteria_values(), profile.decision_point)

    def evaluate_values(self, values: dict[str, Any], decision_point: str) -> Evaluation:
        results = []
        applying: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        possible: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        for s in self.statements.values():
            st = s.status(values, decision_point)
            if st is None or st < 0:
                continue
            results.append(StatementResult(s, st, tuple(s.missing(values))))
            if s.counts_for_status:
                (applying if st == APPLIES else possible)[s.guideline].append(s.modalities)
        guidelines = []
        for key in self.guideline_keys:
            status, mods = guideline_status(applying.get(key, []), possible.get(key, []))
            guidelines.append(GuidelineResult(key, status, mods))
        dis = disagreements((g.key, g.status, g.modalities) for g in guidelines)
        return Evaluation(tuple(sorted(results, key=lambda r: r.statement.iri)), tuple(guidelines), tuple(dis))


# ---------------------------------------------------------------- reading the model

def _flag(v: Any) -> bool | None:
    if v is None:
        return None
    if isinstance(v, str):
        return v in ("true", "1")
    return bool(v)


def _check_atom(atom: Atom) -> None:
    f = FIELDS.get(atom.field)
    expected = _ATOM_FIELD_KIND.get(atom.kind)
    if f is None or expected is None or not f.criteria_value:
        return  # a field no profile has: the queries see it as unknown, and so does the model
    if expected != f.kind or (atom.kind == "boolean" and atom.required is None):
        raise ModelError(f"criteria: atom {atom.iri} ({atom.kind} on field {atom.field}) cannot be evaluated; "
                         f"field {atom.field} is a {f.kind}")


def load_model(engine) -> Model:
    """Read the model from the graph behind ``engine`` (any rnetkg engine)."""
    guidelines = tuple(Guideline(r["guideline"], r["document"], r["label"] or r["guideline"], r["position"])
                       for r in engine.select(queries.get("guidelines").text))
    mod_rows = engine.select(queries.get("modalities").text)
    modality_keys = tuple(r["modality"] for r in mod_rows)
    modality_labels = {r["modality"]: r["label"] or r["modality"].replace("_", " ") for r in mod_rows}

    atoms: dict[str, dict[str, Any]] = {}
    crit_atoms: dict[tuple[str, str], dict[str, None]] = defaultdict(dict)
    crit_sign: dict[tuple[str, str], int] = {}
    crit_negated: dict[tuple[str, str], bool] = {}
    info: dict[str, dict[str, Any]] = defaultdict(lambda: {"kinds": set(), "dps": set(), "guideline": ""})
    rec_crits: dict[str, dict[str, None]] = defaultdict(dict)
    for r in engine.select(queries.get("criteria").text):
        a = atoms.setdefault(r["atom"], {"iri": r["atom"], "kind": r["atomType"], "field": r["field"],
                                         "min": None if r["min"] is None else float(r["min"]),
                                         "min_inclusive": _flag(r["minInclusive"]),
                                         "max": None if r["max"] is None else float(r["max"]),
                                         "max_inclusive": _flag(r["maxInclusive"]),
                                         "required": _flag(r["required"]), "allowed": set(),
                                         "as_written": r["asWritten"] or ""})
        if r["allowed"] is not None:
            a["allowed"].add(r["allowed"])
        key = (r["rec"], r["crit"])
        crit_atoms[key][r["atom"]] = None
        crit_sign[key] = int(r["sign"])
        crit_negated[key] = bool(_flag(r.get("negated")))
        i = info[r["rec"]]
        i["kinds"].add(r["kind"])
        i["dps"].add(r["decisionPoint"])
        i["guideline"] = r["guideline"] or ""
        rec_crits[r["rec"]][r["crit"]] = None
    atom_objs = {iri: Atom(**{**a, "allowed": frozenset(a["allowed"])}) for iri, a in atoms.items()}
    for atom in atom_objs.values():
        _check_atom(atom)

    statements: dict[str, Statement] = {}
    for r in engine.select(queries.get("recommendation-details").text):
        iri = r["rec"]
        crits = tuple(Criterion(c, crit_sign[(iri, c)], tuple(atom_objs[a] for a in sorted(crit_atoms[(iri, c)])),
                                crit_negated[(iri, c)]) for c in sorted(rec_crits.get(iri, {})))
        i = info.get(iri)
        dps = frozenset(i["dps"]) if i else frozenset({r["decisionPoint"]})
        statements[iri] = Statement(
            iri=iri, guideline=r["guideline"] or "", kind=r["kind"], decision_points=dps, criteria=crits,
            label=r["label"] or "", mdt=bool(_flag(r["mdt"])),
            modalities=tuple(split_list(r["modalities"])), procedures=tuple(split_list(r["procedures"])),
            workup=tuple(split_list(r["workup"])), follow_up=" | ".join(split_list(r["followUp"])),
            assumptions=tuple(split_list(r["assumptions"])),
            source=Source(r["document"], r["locator"], " … ".join(split_list(r["quotes"])), r["reference"] or None))
    # a statement with criteria but without a label, decision point or source (a defect that SHACL
    # reports): evaluated like the others, shown in no answer
    for iri in sorted(set(info) - set(statements)):
        i = info[iri]
        crits = tuple(Criterion(c, crit_sign[(iri, c)], tuple(atom_objs[a] for a in sorted(crit_atoms[(iri, c)])),
                                crit_negated[(iri, c)]) for c in sorted(rec_crits[iri]))
        kind = next(k for k in KINDS if k in i["kinds"])
        statements[iri] = Statement(iri=iri, guideline=i["guideline"], kind=kind,
                                    decision_points=frozenset(i["dps"]), criteria=crits)
    known = set(guidelines_keys := [g.key for g in guidelines])
    for s in statements.values():
        if s.guideline and s.guideline not in known:
            raise ModelError(f"criteria: statement {s.iri} names guideline {s.guideline!r}, which is not a "
                             f"guideline document of the graph ({', '.join(guidelines_keys)})")
        unknown = set(s.modalities) - set(modality_keys)
        if unknown:
            raise ModelError(f"criteria: statement {s.iri} has modality {sorted(unknown)[0]!r}, not a "
                             "rnet:ManagementModality with a modality bit")
    return Model(guidelines=guidelines, modality_keys=modality_keys, modality_labels=modality_labels,
                 statements=dict(sorted(statements.items())), atoms=tuple(atom_objs[k] for k in sorted(atom_objs)))


def model_for(engine) -> Model:
    """The model of ``engine``'s graph, read once per engine (once per process for the shipped graph)."""
    return engine.cached("criteria-model", load_model)
