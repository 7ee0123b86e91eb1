"""The rows of the profile queries, written as RDF terms: a profile in long form (?case ?field ?value)
for applicable-recommendations, and the rows of one profile query that the next one takes
(statement_rows, answer_rows). Values come from validated profiles or from rnetkg's own query rows,
never as text pasted into a query."""

from __future__ import annotations

import math
import re
from typing import Any, Sequence

from .errors import QueryError
from .fields import CRITERIA_FIELDS, DECISION_POINT_IRI, FIELDS, Field
from .namespaces import CASE, RNET, XSD

def number_term(value: float) -> str:
    """A profile number as an xsd:double literal (its shortest round-trip spelling): every engine
    compares it with the graph's decimal bounds by numeric promotion, exactly as Python compares the
    float with the bound; an xsd:decimal would not hold 1e21 or 1e-19 on every engine."""
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {value!r}")
    return f'"{value!r}"^^<{XSD}double>'


def _iri(iri: str) -> str:
    return f"<{iri}>"


def case_iri(index: int) -> str:
    return f"{CASE}{index}"


def _cell(f: Field, value: Any) -> str:
    if f.kind == "number":
        return number_term(value)
    if f.kind == "boolean":
        return "true" if value else "false"
    return _iri(f.iri(value))


DECISION_POINT_KEY = RNET + "atDecisionPoint"


def long_rows(index: int, values: dict[str, Any], decision_point: str | None) -> list[str]:
    """A profile's rows in long form, ``(?case ?field ?value)``: one per known criteria field (its
    rnet:ProfileField and its value as an RDF term), in the field table's order, and the decision point
    (keyed by rnet:atDecisionPoint, the case profile's property) when given. Unknown fields have no row."""
    case = _iri(case_iri(index))
    rows = [f"({case} {_iri(FIELDS[n].field_iri)} {_cell(FIELDS[n], values[n])})"
            for n in CRITERIA_FIELDS if values.get(n) is not None]
    if decision_point is not None:
        rows.append(f"({case} {_iri(DECISION_POINT_KEY)} {_iri(DECISION_POINT_IRI[decision_point])})")
    return rows


def profile_rows(index: int, p) -> list[str]:
    """The long-form rows of a validated profile (rnetkg.profile.Profile) as `rnetkg compare` derives
    it: the criteria values (the derived grade, the T category) and the decision point."""
    return long_rows(index, p.criteria_values(), p.decision_point)


_TOKEN = re.compile(r"[A-Za-z0-9_ .:/#-]*")


def _plain(value: Any) -> str:
    """A status, key or list of keys from a query's own rows as a plain literal (UNDEF when absent)."""
    if value is None or value == "":
        return '""' if value == "" else "UNDEF"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    text = str(value)
    if not _TOKEN.fullmatch(text):
        raise QueryError(f"query rows: {text[:60]!r} is not a key or status of rnetkg's own rows")
    return f'"{text}"'


def _node(value: Any) -> str:
    if value is None or value == "":
        return "UNDEF"
    text = str(value)
    if not _TOKEN.fullmatch(text) or ":" not in text:
        raise QueryError(f"query rows: {text[:60]!r} is not an IRI of rnetkg's own rows")
    return _iri(text)


def statement_rows(rows: Sequence[dict[str, Any]]) -> list[str]:
    """The rows of applicable-recommendations that guideline-status takes: ``(?case ?context ?rec
    ?status)`` for each statement that applies or is possible, and one row naming each case alone."""
    out, cases = [], {}
    for r in rows:
        if r["case"] not in cases:
            cases[r["case"]] = None
            out.append(f"({_node(r['case'])} UNDEF UNDEF UNDEF)")
        if r["status"] in ("applies", "possible"):
            out.append(f"({_node(r['case'])} {_node(r['context'])} {_node(r['rec'])} {_plain(r['status'])})")
    return out


def answer_rows(rows: Sequence[dict[str, Any]]) -> list[str]:
    """The rows of guideline-status that disagreements takes (the default readings' rows)."""
    return [f"({_node(r['case'])} {_node(r['context'])} {_plain(r['guideline'])} {_plain(r['status'])} "
            f"{_plain(r['modalities'] or '')} {_plain(int(float(r['modalitySum'] or 0)))} {_plain(r['targets'] or '')})"
            for r in rows if r["context"] == RNET + "DefaultReadings"]


def with_profiles(query, profiles: Sequence) -> str:
    """The query text with its profile rows replaced by the given profiles (case IRIs by index)."""
    return with_rows(query, [r for i, p in enumerate(profiles) for r in profile_rows(i, p)])


def with_rows(query, rows: Sequence[str], block: str = "profiles") -> str:
    """The query text with the rows of every ``# <block>`` ... ``# </block>`` replaced by these VALUES
    rows (profiles: long_rows'; statements: statement_rows'; answers: answer_rows')."""
    text = query if isinstance(query, str) else query.text
    pattern = re.compile(rf"(?P<indent>[ \t]*)# <{block}>\n(?:.*?\n)?[ \t]*# </{block}>", re.S)

    def repl(m: re.Match) -> str:
        ind = m.group("indent")
        body = "".join(ind + r + "\n" for r in rows)
        return f"{ind}# <{block}>\n{body}{ind}# </{block}>"
    out, n = pattern.subn(repl, text)
    if n == 0:
        raise QueryError(f"query does not take {block} rows")
    return out
