"""FHIRPath (R4 model) expressions for the criteria of the graph, rooted at a patient's Bundle as
`rnetkg fhir export` writes it (rnetkg.fhir.write): each atom is true when met, false when failed and
empty when the field is unknown, so that FHIRPath's three-valued `and`, `or` and `not()` give the
criteria model's min, max and negation (rnetkg.criteria.model).

The expressions read the export's codes (codes.py) and its derived grade and T category (method
codes.DERIVED_METHOD); another producer's Bundle is read by `rnetkg compare`, not by these expressions.
"""

from __future__ import annotations

from typing import Any

from ..errors import ModelError
from . import codes as C


def _lit(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _coded(system: str, code: str) -> str:
    return f"coding.where(system = {_lit(system)} and code = {_lit(code)}).exists()"


def _num(x: float) -> str:
    return f"{x:g}" if float(x) != int(x) else str(int(x))


def _observations(system: str, code: str, derived: bool | None = None) -> str:
    """The Observations with a code; ``derived`` True: only the ones rnetkg derived, False: none of them."""
    out = f"Bundle.entry.resource.ofType(Observation).where(code.{_coded(system, code)})"
    if derived is True:
        out += f".where(method.{_coded(*C.DERIVED_METHOD)})"
    elif derived is False:
        out += f".where(method.{_coded(*C.DERIVED_METHOD)}.not())"
    return out


_SIZE = (_observations(*C.TUMOUR_SIZE) + f".component.where(code.{_coded(*C.TUMOUR_SIZE_LONGEST)})")
_MARGIN = _observations(*C.MARGIN)
_M = _observations(C.LOINC, "21907-1")
_METASTATIC = f"{_M}.where(value.{_coded(C.AJCC, 'cM1')}).exists()"
_LIVER = ("Bundle.entry.resource.ofType(Condition).where(bodySite." + _coded(*C.LIVER[:2]) + ")")
_EXCISION_KIND = f"Bundle.entry.resource.ofType(Procedure).code.coding.where(system = {_lit(C.RNET_EXCISION)})"

# numeric fields: the collection whose `value` is the Quantity
_NUMBERS = {"size_mm": _SIZE, "ki67_percent": _observations(*C.KI67),
            "mitoses_per_2mm2": _observations(*C.MITOTIC_COUNT)}
# coded fields: the collection, and the test of one value on an element of it
_CODED: dict[str, tuple[str, Any]] = {
    "grade": (_observations(*C.GRADE, derived=True), lambda v: f"value.{_coded(*C.GRADE_WRITE[v][:2])}"),
    "t_stage": (_observations(C.LOINC, "21905-5", derived=True),   # the derived T category (stated or not)
                lambda v: " or ".join(f"value.{_coded(C.AJCC, 'c' + t)}" for t in (v, v + "a", v + "b"))),
    "invasion_depth": (_observations(*C.INVASION_DEPTH), lambda v: f"value.{_coded(C.RNET_DEPTH, v)}"),
    "lymph_nodes": (_observations(C.LOINC, "21906-3"), lambda v: f"value.{_coded(C.AJCC, 'c' + v)}"),
    "resection_procedure": (_EXCISION_KIND, lambda v: f"code = {_lit(v)}"),
}
_BOOLEANS: dict[str, tuple[str, str, str]] = {
    "lymphovascular_invasion": (_observations(*C.LVI_CODES[0]), f"value.{_coded(*C.PRESENT[:2])}",
                                f"value.{_coded(*C.ABSENT[:2])}"),
    "atypical_surface": (_observations(*C.ATYPICAL_SURFACE), f"value.{_coded(*C.PRESENT[:2])}",
                         f"value.{_coded(*C.ABSENT[:2])}"),
    "distant_metastasis": (_M, f"value.{_coded(C.AJCC, 'cM1')}", f"value.{_coded(C.AJCC, 'cM0')}"),
    "liver_metastasis": (_LIVER, f"verificationStatus.{_coded(C.CONDITION_VERIFICATION, 'confirmed')}",
                         f"verificationStatus.{_coded(C.CONDITION_VERIFICATION, 'refuted')}"),
    "metastases_resectable": (_observations(*C.RESECTABLE), "value = true", "value = false"),
}
FIELDS = frozenset({*_NUMBERS, *_CODED, *_BOOLEANS, "margin"})


def _range(atom) -> str:
    parts = []
    if atom.min is not None:
        parts.append(f"value {'>=' if atom.min_inclusive else '>'} {_num(atom.min)}")
    if atom.max is not None:
        parts.append(f"value {'<=' if atom.max_inclusive else '<'} {_num(atom.max)}")
    return " and ".join(parts) or "true"


def _margin(allowed) -> str:
    tests = [f"value.{_coded(*C.MARGIN_WRITE[v][:2])}" for v in sorted(allowed) if v != "not_resected"]
    some = f"{_MARGIN}.select({' or '.join(tests)})" if tests else ""
    if "not_resected" in allowed:
        return f"({_MARGIN}.exists().not() or {some})" if some else f"{_MARGIN}.exists().not()"
    return f"({_MARGIN}.exists() and {some})"


def atom_expression(atom) -> str:
    """One atom (rnetkg.criteria.model.Atom) as FHIRPath: true, false, or empty when the field is unknown."""
    if atom.field == "margin":
        return _margin(atom.allowed)
    if atom.kind == "range" and atom.field in _NUMBERS:
        return f"{_NUMBERS[atom.field]}.select(value.select({_range(atom)}))"
    if atom.kind == "set" and atom.field in _CODED:
        coll, test = _CODED[atom.field]
        return f"{coll}.select({' or '.join(test(v) for v in sorted(atom.allowed))})"
    if atom.kind == "boolean" and atom.field in _BOOLEANS:
        coll, yes, no = _BOOLEANS[atom.field]
        return f"{coll}.select({yes if atom.required else no})"
    raise ModelError(f"fhir recommendations: no FHIRPath for the criterion atom {atom.iri} ({atom.kind} on field "
                     f"{atom.field}): rnetkg.fhir.fhirpath must learn how fhir export writes that field")


def criterion_expression(criterion) -> str:
    """A criterion: its atoms (negated for a precedence rule) joined by `or`, then its sign."""
    atoms = [f"({atom_expression(a)})" + (".not()" if criterion.negated else "") for a in criterion.atoms]
    body = atoms[0] if len(atoms) == 1 else "(" + " or ".join(atoms) + ")"
    return f"({body}).not()" if criterion.sign < 0 else body


def decision_point_expression(decision_points) -> str:
    """True when the Bundle's patient is at one of the decision points (never empty: margin and M decide)."""
    tests = {"metastatic_disease": _METASTATIC,
             "initial_management": f"({_METASTATIC}.not() and {_MARGIN}.exists().not())",
             "after_local_resection": f"({_METASTATIC}.not() and {_MARGIN}.exists())"}
    return " or ".join(tests[d] for d in sorted(decision_points))
