"""The profile fields of DESIGN.md, stated once: type, allowed values, range, and how each maps to
the SPARQL profile rows and to OWL; and the WHO 2019 and AJCC 8th cut points the derivations use.

Every reader of a profile (one JSON profile, a cohort column, the OWL individuals, the SPARQL
VALUES rows, the check's grids, the generator) takes its facts from this table.
"""

from __future__ import annotations

from typing import Any

from .namespaces import RNET
from .record import record
from .vocab import DECISION_POINT_IRI, DECISION_POINTS  # noqa: F401  (the closed lists live in vocab)

GRADES = ("G1", "G2", "G3")
DEPTHS = ("mucosa", "submucosa", "muscularis_propria", "subserosa", "serosa_or_adjacent_organs")
T_STAGES = ("T1", "T1a", "T1b", "T2", "T3", "T4")
T_CATEGORIES = ("T1", "T2", "T3", "T4")   # what criteria test: T1a and T1b count as T1
NODES = ("N0", "N1")
MARGINS = ("not_resected", "negative", "indeterminate", "positive")
# the local excisions a profile may state as done (DESIGN.md); a radical resection is out of scope
RESECTION_PROCEDURES = ("polypectomy", "emr", "cap_emr", "precut_emr", "esmr_l", "esd", "ta_esd", "eftr", "tem",
                        "transanal_excision")

# WHO 2019 grade: value < low G1, low..high G2, > high G3 (the higher of the two grades wins)
KI67_GRADE_CUTS = (3.0, 20.0)
MITOSES_GRADE_CUTS = (2.0, 20.0)
# AJCC 8th, mucosa/submucosa: < 10 mm T1a, 10-20 mm T1b, > 20 mm T2
T_SIZE_CUTS = (10.0, 20.0)
DEPTH_T_STAGE = {"muscularis_propria": "T2", "subserosa": "T3", "serosa_or_adjacent_organs": "T4"}


@record
class Field:
    """One profile field.

    ``kind`` is string, number, enum or boolean. A number has ``minimum``/``maximum`` (None: no
    bound) with inclusive flags. ``owl_property`` the ontology property of a case profile, and ``value_iri`` the IRI
    prefix of an enum value (the value's key appended). ``criteria_value`` names the profile
    attribute that criteria test (the derived grade, the T category). A value below
    ``plausible_minimum`` is valid but looks like the wrong unit: the command line warns with
    ``implausible_hint`` and answers for the value as given."""

    name: str
    kind: str
    required: bool = False
    values: tuple[str, ...] = ()
    minimum: float | None = None
    minimum_inclusive: bool = True
    maximum: float | None = None
    maximum_inclusive: bool = True
    unit: str = ""
    owl_property: str = ""
    value_iri: str = RNET
    criteria_value: str = ""
    criteria_values: tuple[str, ...] = ()
    help: str = ""
    plausible_minimum: float | None = None
    implausible_hint: str = ""
    # the field may be given only where another field has one of these values (the field, its values)
    only_with: tuple[str, tuple[Any, ...]] | None = None
    only_with_text: str = ""

    @property
    def range_text(self) -> str:
        lo, hi = self.minimum, self.maximum
        if lo is not None and hi is not None:
            return f"{lo:g}-{hi:g}"
        if lo is not None:
            return f"{'>=' if self.minimum_inclusive else '>'} {lo:g}"
        return f"{'<=' if self.maximum_inclusive else '<'} {hi:g}" if hi is not None else "any number"

    def in_range(self, v: float) -> bool:
        if self.minimum is not None and not (v > self.minimum or (self.minimum_inclusive and v == self.minimum)):
            return False
        return self.maximum is None or v < self.maximum or (self.maximum_inclusive and v == self.maximum)

    @property
    def field_iri(self) -> str:
        """The rnet:ProfileField individual that conditions name (rnet:onField) and profile rows key on."""
        return RNET + "field_" + self.name

    def iri(self, key: str) -> str:
        """The IRI of an enum value (what the queries and the OWL individuals use)."""
        return self.value_iri + key

    @property
    def tested_values(self) -> tuple[str, ...]:
        """The values criteria see for an enum field (T categories for t_stage)."""
        return self.criteria_values or self.values


_FIELD_LIST = (
    Field("id", "string", help="any text; never pasted into a query"),
    Field("size_mm", "number", required=True, minimum=0.0, minimum_inclusive=False, unit="mm",
          owl_property="sizeMm", criteria_value="size_mm", help="greatest diameter",
          plausible_minimum=1.0, implausible_hint="a tumour under 1 mm looks like a size in centimetres "
          "(1.2 cm is 12 mm)"),
    Field("grade", "enum", values=GRADES, owl_property="hasGrade", criteria_value="derived_grade",
          help="WHO 2019 grade (derived from Ki-67 and mitoses when absent)"),
    Field("ki67_percent", "number", minimum=0.0, maximum=100.0, unit="%",
          owl_property="ki67Percent", criteria_value="ki67_percent", help="Ki-67 index"),
    Field("mitoses_per_2mm2", "number", minimum=0.0, unit="per 2 mm²",
          owl_property="mitosesPer2mm2", criteria_value="mitoses_per_2mm2", help="mitotic count"),
    Field("invasion_depth", "enum", values=DEPTHS, owl_property="hasInvasionDepth",
          value_iri=RNET + "depth_", criteria_value="invasion_depth", help="deepest layer invaded"),
    Field("t_stage", "enum", values=T_STAGES, owl_property="hasTStage",
          criteria_value="t_category", criteria_values=T_CATEGORIES,
          help="AJCC 8th T category (derived from size and depth when absent)"),
    Field("lymphovascular_invasion", "boolean", owl_property="hasLymphovascularInvasion",
          criteria_value="lymphovascular_invasion"),
    Field("lymph_nodes", "enum", values=NODES, owl_property="hasNodalStatus",
          criteria_value="lymph_nodes", help="regional lymph nodes"),
    Field("distant_metastasis", "boolean", owl_property="distantMetastasis",
          criteria_value="distant_metastasis"),
    Field("margin", "enum", required=True, values=MARGINS, owl_property="hasMarginStatus",
          value_iri=RNET + "margin_", criteria_value="margin", help="resection margin (not_resected: no resection yet)"),
    Field("atypical_surface", "boolean", owl_property="hasAtypicalSurface",
          criteria_value="atypical_surface", help="endoscopic surface changes, depression"),
    Field("resection_procedure", "enum", values=RESECTION_PROCEDURES, owl_property="hasResectionProcedure",
          value_iri=RNET + "resection_", criteria_value="resection_procedure",
          help="the local excision done (absent: a local excision of unspecified kind); a radical resection is out "
               "of scope", only_with=("margin", ("negative", "indeterminate", "positive")),
          only_with_text="a margin other than not_resected (a local excision was done)"),
    Field("liver_metastasis", "boolean", owl_property="liverMetastasis", criteria_value="liver_metastasis",
          help="distant metastases include the liver", only_with=("distant_metastasis", (True,)),
          only_with_text="distant_metastasis: true"),
    Field("metastases_resectable", "boolean", owl_property="metastasesResectable",
          criteria_value="metastases_resectable", help="the distant metastases are resectable",
          only_with=("distant_metastasis", (True,)), only_with_text="distant_metastasis: true"),
)
FIELDS: dict[str, Field] = {f.name: f for f in _FIELD_LIST}
# the order in which explanations and findings name the fields of a region of profiles
FIELD_ORDER = ("size_mm", "margin", "t_stage", "invasion_depth", "grade", "ki67_percent", "mitoses_per_2mm2",
               "lymph_nodes", "lymphovascular_invasion", "atypical_surface", "distant_metastasis")
FIELD_NAMES = tuple(FIELDS)
NUMBER_FIELDS = tuple(f.name for f in _FIELD_LIST if f.kind == "number")
ENUM_FIELDS = tuple(f.name for f in _FIELD_LIST if f.kind == "enum")
BOOLEAN_FIELDS = tuple(f.name for f in _FIELD_LIST if f.kind == "boolean")
CRITERIA_FIELDS = tuple(f.name for f in _FIELD_LIST if f.criteria_value)
# the cut points of the derivations, per numeric field (cells of a grid must not straddle them)
DERIVATION_CUTS = {"size_mm": T_SIZE_CUTS, "ki67_percent": KI67_GRADE_CUTS, "mitoses_per_2mm2": MITOSES_GRADE_CUTS}


def grade_from(value: float, cuts: tuple[float, float]) -> str:
    """WHO 2019: below the low cut G1, up to the high cut G2, above it G3."""
    return "G1" if value < cuts[0] else ("G2" if value <= cuts[1] else "G3")


def grade_from_ki67(ki67: float) -> str:
    return grade_from(ki67, KI67_GRADE_CUTS)


def grade_from_mitoses(mitoses: float) -> str:
    return grade_from(mitoses, MITOSES_GRADE_CUTS)


def t_from_size_and_depth(size_mm: float, depth: str) -> str:
    """AJCC 8th T category from size and depth of invasion."""
    if depth in ("mucosa", "submucosa"):
        if size_mm > T_SIZE_CUTS[1]:
            return "T2"
        return "T1a" if size_mm < T_SIZE_CUTS[0] else "T1b"
    return DEPTH_T_STAGE[depth]


def decision_point(margin: str, distant_metastasis: bool | None) -> str:
    if distant_metastasis is True:
        return "metastatic_disease"
    return "initial_management" if margin == "not_resected" else "after_local_resection"
