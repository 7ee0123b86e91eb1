"""Other engines for the conformance tests: Apache Jena (ARQ and SHACL, Debian's jars), a Virtuoso
server on loopback (Debian's virtuoso-opensource-7-bin) and the OWL API (Debian's libowlapi-java),
all run by external/ (at the checkout's root, beside bench/); here: `need` and the comparison of rows by value.

A missing engine skips its tests on a developer's machine, but fails them where the environment
variable CI is set: CI installs every engine (.ci/run), and a skip there would pass in silence.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from decimal import Decimal, InvalidOperation
from typing import Any

import pytest

from conftest import free_port  # noqa: F401  (the engine tests start servers too)
from external.jvm import (compile_java, have_jena, have_owlapi, jena_classpath,  # noqa: F401
                          owlapi_classpath, run_jena)
from external.virtuoso import Virtuoso, have_virtuoso  # noqa: F401


def need(available: bool, what: str) -> None:
    """Skip when a tool is absent, unless CI is set: there a missing engine is a failure."""
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what} is not installed; CI installs it (.ci/run)", pytrace=False)
    pytest.skip(f"{what} is not installed")


# ------------------------------------------------------------------ results, compared by value

def json_value(cell: dict | None) -> Any:
    """A SPARQL JSON results cell as a plain value (numbers and booleans by their datatype)."""
    if cell is None:
        return None
    value, dt = cell["value"], cell.get("datatype", "")
    if cell["type"] in ("uri", "bnode"):
        return value
    if dt.endswith(("#integer", "#int", "#long", "#decimal", "#double", "#float")):
        return Decimal(value)
    if dt.endswith("#boolean"):
        return value in ("true", "1")
    return value


def json_rows(data: dict) -> list[dict[str, Any]]:
    names = data["head"].get("vars", [])
    return [{n: json_value(b.get(n)) for n in names} for b in data["results"]["bindings"]]


_TOKENS = re.compile(r"^[A-Za-z0-9_\-]+( [A-Za-z0-9_\-]+)+$")


def canonical(value: Any) -> Any:
    """A value as compared across engines: numbers by value (20.0 = 20; booleans as 1/0, which is
    how Virtuoso writes them), GROUP_CONCAT lists (" | " or space-separated keys) as sorted tuples."""
    if value is None:
        return None
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, (int, float, Decimal)):
        try:
            return Decimal(str(value)).normalize() + 0
        except InvalidOperation:
            return value
    if isinstance(value, str):
        if " | " in value:
            return tuple(sorted(value.split(" | ")))
        if _TOKENS.match(value):
            return tuple(sorted(value.split(" ")))
    return value


def canonical_row(row: dict[str, Any]) -> tuple:
    return tuple(sorted((k, canonical(v)) for k, v in row.items()))


def order_keys(query_text: str) -> list[str] | None:
    """The variables of a trailing `ORDER BY ?a STR(?b) LCASE(?c)` (None when there is none)."""
    body = re.sub(r"#[^\n]*", "", query_text)
    m = re.search(r"ORDER\s+BY((?:\s+(?:\?\w+|(?:STR|LCASE)\(\?\w+\)))+)\s*$", body)
    return re.findall(r"\?(\w+)", m.group(1)) if m else None


def differences(expected: list[dict], got: list[dict], query_text: str) -> list[str]:
    """What differs between two engines' rows, compared by value; empty when they agree.
    Rows are compared as multisets; where the query orders its rows, the sequence of sort keys too."""
    problems = []
    a, b = Counter(map(canonical_row, expected)), Counter(map(canonical_row, got))
    if a != b:
        missing, extra = a - b, b - a
        problems.append(f"{len(expected)} rows expected, {len(got)} got; {sum(missing.values())} missing, "
                        f"{sum(extra.values())} unexpected; first missing: {next(iter(missing), None)}; "
                        f"first unexpected: {next(iter(extra), None)}")
    keys = order_keys(query_text)
    if keys and not problems:
        seq = lambda rows: [tuple(canonical(r.get(k)) for k in keys) for r in rows]  # noqa: E731
        if seq(expected) != seq(got):
            problems.append(f"rows not in the order of ORDER BY {' '.join('?' + k for k in keys)}")
    return problems
