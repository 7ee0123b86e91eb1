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
from typing import Any

from ..namespaces import KG
from ..record import record, replace
from .evaluate import Evaluation, Evaluator, GuidelineResult, StatementResult  # noqa: F401  (re-exported)
from .rules import disagreements, guideline_status  # noqa: F401  (the status and pair rules, for the evaluators)
from ..vocab import (AIM_ONLY, ANSWERING, APPLIES, DEFAULT_CONTEXT, DOES_NOT_APPLY, POSSIBLE,  # noqa: F401
                     STATEMENT_KINDS, STATEMENT_STATUS, STATUSES)

KINDS = tuple(STATEMENT_KINDS)


def rec_id(iri: str) -> str:
    """The short id of a statement: its IRI after the kg/ namespace (e.g. enets-2023/rec-10-20mm)."""
    return iri[len(KG):] if iri.startswith(KG) else iri


def split_list(value: Any, sep: str = " | ") -> list[str]:
    if not value:
        return []
    return sorted({v.strip() for v in str(value).split(sep) if v.strip()})


@record
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


@record
class Criterion:
    """A criterion of a statement: one atom (sign +1), a risk-factor condition whose atoms are the
    components of the definition (sign +1 present: any holds; -1 absent: none holds), or a precedence
    rule whose atoms are the prevailing recommendation's criteria, negated (not all of them hold)."""

    iri: str
    sign: int
    atoms: tuple[Atom, ...]
    negated: bool = False
    part: str = ""              # the atom, the risk-factor definition or the precedence rule
    reading: str | None = None  # the reading the part holds under (None: every reading)
    as_written: str = ""        # the criterion's own text as written
    label: str = ""             # the part's label (a risk-factor definition's, a rule's)

    def status(self, values: dict[str, Any]) -> int:
        """sign * the greatest (negated: of the flipped) atom statuses; the first true atom ends it."""
        flip = -1 if self.negated else 1
        best = -2
        for a in self.atoms:
            st = flip * a.status(values.get(a.field))
            if st > best:
                if st == 1:
                    return self.sign
                best = st
        if best == -2:
            raise ValueError(f"criterion {self.iri} has no atoms")
        return self.sign * best

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


@record
class Source:
    document: str
    locator: str
    quote: str
    reference: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"document": self.document, "locator": self.locator, "quote": self.quote,
                "reference": self.reference}


@record
class FollowUp:
    """A follow-up plan a statement states (queries/follow-up.rq): kind none or surveillance, the
    examinations named (none: not said), the interval in months, first year only, and the condition under
    which it holds (an atom; None: always)."""

    plan: str
    as_written: str
    kind: str
    examinations: tuple[str, ...] = ()
    interval_months: tuple[float, float] | None = None
    first_year_only: bool = False
    when: Atom | None = None
    caveats: tuple[str, ...] = ()
    all_examinations: bool = False   # every examination named is used (not alternatives)

    def holds(self, values: dict[str, Any]) -> int:
        """1 the plan holds for these values, -1 it does not, 0 unknown (its condition's field is)."""
        return 1 if self.when is None else self.when.status(values.get(self.when.field))


@record
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
    reading: str | None = None  # the reading the statement holds under (None: every reading)
    targets: tuple[str, ...] = ()  # what its treatment is directed at (primary_tumour, metastases)
    follow_ups: tuple[FollowUp, ...] = ()
    across_guidelines: bool = False   # a consensus its source states across guidelines
    strength: str = ""                # how strongly the source words it ('outlined in', 'may be considered')
    decision_basis: str | None = None  # the risk-factor definition a choice it leaves open is based on
    caveats: tuple[str, ...] = ()  # the notes on where its source is vague, and how it is encoded
    aims: tuple[str, ...] = ()     # aims it states, which are not actions

    @property
    def id(self) -> str:
        return rec_id(self.iri)

    @property
    def counts_for_status(self) -> bool:
        """Only management recommendations with a modality decide a guideline's status."""
        return self.kind == "management" and bool(self.guideline) and bool(self.modalities)

    @property
    def aim_only(self) -> bool:
        """A management recommendation of a guideline that states an aim and names no action."""
        return (self.kind == "management" and bool(self.guideline) and bool(self.aims) and not self.modalities
                and not self.procedures)

    def status(self, values: dict[str, Any], decision_point: str) -> int | None:
        """1 applies, 0 possible, -1 does not apply; None at another decision point or without criteria."""
        if decision_point not in self.decision_points or not self.criteria:
            return None
        worst = 1   # the least criterion status; the first false one ends it
        for c in self.criteria:
            st = c.status(values)
            if st < worst:
                if st == -1:
                    return -1
                worst = st
        return worst

    def missing(self, values: dict[str, Any]) -> list[str]:
        return sorted(set().union(*(c.missing(values) for c in self.criteria)))

    @property
    def fields(self) -> set[str]:
        return set().union(*(c.fields for c in self.criteria)) if self.criteria else set()


@record
class Reading:
    """One reading of an ambiguous passage of a source, or a combination of other readings of two or
    more passages of one guideline read together (``combines`` names them; ``passage`` then holds their
    passages, space-separated)."""

    iri: str
    passage: str
    passage_label: str
    label: str
    default: bool
    rationale: str
    default_reason: str
    quotes: tuple[str, ...]
    guidelines: tuple[str, ...]
    combines: tuple[str, ...] = ()

    @property
    def parts(self) -> frozenset[str]:
        """The other readings this context reads its passages with: itself, or those it combines."""
        return frozenset(self.combines) if self.combines else frozenset(() if self.default else (self.iri,))

    @property
    def id(self) -> str:
        return rec_id(self.iri)


@record
class Guideline:
    key: str
    document: str
    label: str
    position: int | None
    scope: tuple[str, ...] = ()  # the modalities it addresses where its title narrows it; () = all


class Model(Evaluator):
    """Every statement with its criteria and details, the guidelines in order, the modality keys, the
    readings of the ambiguous passages. Mutable (what it derives is kept on it), and kept in the cache
    folder by its fields (rnetkg.cache)."""

    __record_fields__ = ("guidelines", "modality_keys", "modality_labels", "statements", "atoms", "readings",
                         "strategies", "levels", "strategy_labels", "risk_definitions", "procedures",
                         "context_criteria")

    def __init__(self, guidelines: tuple[Guideline, ...], modality_keys: tuple[str, ...],
                 modality_labels: dict[str, str], statements: dict[str, Statement], atoms: tuple[Atom, ...],
                 readings: dict[str, Reading] | None = None, strategies: dict[str, str] | None = None,
                 levels: dict[str, int] | None = None, strategy_labels: dict[str, str] | None = None,
                 risk_definitions: dict[str, tuple[str, tuple[Atom, ...]]] | None = None,
                 procedures: dict[str, tuple[str, str, frozenset[str]]] | None = None,
                 context_criteria: dict[str, dict[str, tuple[Criterion, ...]]] | None = None):
        self.guidelines = guidelines
        self.modality_keys = modality_keys
        self.modality_labels = modality_labels
        self.statements = statements
        self.atoms = atoms
        self.readings = readings if readings is not None else {}
        # each modality's strategy (rnet:inStrategy) and intervention level where it has one, and the
        # strategies' labels
        self.strategies = strategies if strategies is not None else {}
        self.levels = levels if levels is not None else {}
        self.strategy_labels = strategy_labels if strategy_labels is not None else {}
        # every risk-factor definition of a guideline that holds under every reading: IRI -> (label, atoms)
        self.risk_definitions = risk_definitions if risk_definitions is not None else {}
        # the local excisions a profile may state as done: key -> (label, modality, labels of its class and above)
        self.procedures = procedures if procedures is not None else {}
        # the criteria of each statement in each reading context, as queries/criteria.rq lists them
        self.context_criteria = context_criteria if context_criteria is not None else {}
        self._in_context: dict[str, dict[str, Statement]] = {}
        self._derived: dict[str, Any] = {}   # built on first use
        self._plans: dict[tuple, list[tuple[Statement, bool, bool]]] = {}

    def __eq__(self, other: object) -> bool:
        if type(other) is not Model:
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in self.__record_fields__)

    __hash__ = None   # mutable

    def __repr__(self) -> str:
        return (f"Model({len(self.guidelines)} guidelines, {len(self.statements)} statements, "
                f"{len(self.atoms)} atoms, {len(self.readings)} readings)")

    @property
    def guideline_keys(self) -> tuple[str, ...]:
        return tuple(g.key for g in self.guidelines)

    @property
    def scopes(self) -> dict[str, tuple[str, ...]]:
        return {g.key: g.scope for g in self.guidelines if g.scope}

    def bounds(self, field_name: str) -> list[float]:
        """Every bound that a range criterion puts on a numeric field, sorted."""
        return sorted({b for a in self.atoms if a.kind == "range" and a.field == field_name for b in a.bounds})

    @property
    def criteria_fields(self) -> set[str]:
        return {a.field for a in self.atoms}

    def with_criteria(self, context: str = DEFAULT_CONTEXT) -> list[Statement]:
        return [s for s in self.statements_in(context).values() if s.criteria]

    def atoms_at(self, decision_point: str) -> dict[str, tuple[Atom, ...]]:
        """Per field, the atomic conditions that the criteria of the statements at a decision point
        read, in every reading context (risk-factor components and the prevailing criteria of a
        precedence rule included)."""
        key = "atoms at " + decision_point
        if key not in self._derived:
            found: dict[str, dict[str, Atom]] = defaultdict(dict)
            for context in self.contexts:
                for s in self.statements_in(context).values():
                    if decision_point in s.decision_points:
                        for c in s.criteria:
                            for a in c.atoms:
                                found[a.field][a.iri] = a
            self._derived[key] = {f: tuple(atoms.values()) for f, atoms in sorted(found.items())}
        return self._derived[key]

    # ------------------------------------------------------------ readings

    @property
    def contexts(self) -> tuple[str, ...]:
        """The default readings, then each other reading (one passage read otherwise), then each
        combination of other readings (passages of one guideline that bear on a common decision point,
        read together), fewest readings first."""
        key = "contexts"
        if key not in self._derived:
            others = sorted((len(r.combines), r.iri) for r in self.readings.values() if not r.default)
            self._derived[key] = (DEFAULT_CONTEXT, *(iri for _, iri in others))
        return self._derived[key]

    def touched_by(self, context: str) -> frozenset[str]:
        """The guidelines whose statements a reading context lists (the flattened criteria table): those
        its passage touches; every other guideline's statements hold there as under the default readings."""
        key = ("touched", context)
        if key not in self._derived:
            table = self.context_criteria.get(context, {})
            self._derived[key] = frozenset(self.statements[iri].guideline for iri in table if iri in self.statements)
        return self._derived[key]

    def statements_in(self, context: str = DEFAULT_CONTEXT) -> dict[str, Statement]:
        """The statements that hold in a reading context, each with the parts of its criteria that hold
        there, as the flattened criteria table says (queries/materialise-criteria.rq): another reading
        context lists the statements of the guidelines its passage touches; the other guidelines'
        statements hold there as under the default readings. A statement without criteria holds under
        every reading."""
        if context not in self._in_context:
            table = self.context_criteria.get(context, {})
            listed = {iri for crits in self.context_criteria.values() for iri in crits}
            if context == DEFAULT_CONTEXT:
                out = {iri: (s if s.criteria == table[iri] else replace(s, criteria=table[iri])) if iri in table
                       else s for iri, s in self.statements.items() if iri in table or iri not in listed}
            else:
                touched = self.touched_by(context)
                default = self.statements_in(DEFAULT_CONTEXT)
                out = {}
                for iri, s in self.statements.items():
                    if iri in table:
                        out[iri] = s if s.criteria == table[iri] else replace(s, criteria=table[iri])
                    elif iri in default and (s.guideline not in touched or iri not in listed):
                        out[iri] = default[iri]
            self._in_context[context] = out
        return self._in_context[context]
