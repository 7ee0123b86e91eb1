"""The SPARQL block of queries/applicable-recommendations.rq that reads a profile in long form and
derives what the caller left out, generated from the field table (rnetkg.fields).

The block stands between the lines "# <derived>" and "# </derived>" and is a sub-SELECT of
``?case ?dp ?field ?value ?known``: one row per case and criteria field, with the value as given
(a row ``(?case ?field ?value)`` of the profile rows), else derived (the WHO 2019 grade from Ki-67 and
mitoses, the higher winning; the AJCC 8th T category from size and depth of invasion), else unknown
(``?known`` false). ``?dp`` is the decision point as given (a row whose field is rnet:atDecisionPoint),
else derived from distant metastasis and margin; a case without one has no rows. The query's own
lines name no field: this block does, and `tests/test_queries.py` checks that the block in the file is
the one generated here (`python -m rnetkg.derived_sparql` rewrites it).
"""

from __future__ import annotations

import re

from . import fields
from .fields import FIELDS
from .namespaces import RNET

BLOCK = re.compile(r"(?P<indent>[ \t]*)# <derived>\n(?:.*?\n)?[ \t]*# </derived>", re.S)
DECISION_POINT_KEY = RNET + "atDecisionPoint"


def _iri(iri: str) -> str:
    return f"<{iri}>"


def _num(x: float) -> str:
    return f"{float(x)!r}"


# the example profile of the query file: 15 mm, Ki-67 1.5 %, submucosa, no LVI, N0, M0, not resected
# (grade, T category and decision point left to the derivation)
EXAMPLE = {"size_mm": 15.0, "ki67_percent": 1.5, "invasion_depth": "submucosa", "lymphovascular_invasion": False,
           "lymph_nodes": "N0", "distant_metastasis": False, "margin": "not_resected"}


# what a derivation gives when it has nothing to derive from (a decision point, a grade or a T category):
# an IRI no criterion tests, not an unbound variable (Virtuoso 7.2 cannot compile an unbound variable in
# these IF chains, nor a FILTER on the decision point after them); a case whose decision point is this
# IRI meets no condition, and a field whose value is this IRI is unknown
NONE = "<https://w3id.org/rnetkg/none>"


def block(indent: str = "") -> str:
    """The generated block, each line indented by ``indent``."""
    from .queries import long_rows

    example = long_rows("example", EXAMPLE, None)  # type: ignore[arg-type]
    f = FIELDS
    size, ki67, mitoses = (_iri(f[n].field_iri) for n in ("size_mm", "ki67_percent", "mitoses_per_2mm2"))
    depth, grade, tstage = (_iri(f[n].field_iri) for n in ("invasion_depth", "grade", "t_stage"))
    margin, metastasis = _iri(f["margin"].field_iri), _iri(f["distant_metastasis"].field_iri)
    k_lo, k_hi = fields.KI67_GRADE_CUTS
    m_lo, m_hi = fields.MITOSES_GRADE_CUTS
    t_lo, t_hi = fields.T_SIZE_CUTS
    grades = [_iri(f["grade"].iri(g)) for g in fields.GRADES]
    t_iri = {t: _iri(f["t_stage"].iri(t)) for t in fields.T_CATEGORIES}
    by_size = [_iri(f["invasion_depth"].iri(d)) for d in fields.DEPTHS if d not in fields.DEPTH_T_STAGE]
    deeper = list(fields.DEPTH_T_STAGE.items())
    depth_code = "0"
    for i, (d, _t) in reversed(list(enumerate(deeper, start=2))):
        depth_code = f"IF(?v = {_iri(f['invasion_depth'].iri(d))}, {i}, {depth_code})"
    depth_code = f"IF(?v IN ({', '.join(by_size)}), 1, {depth_code})"
    t_of_code = NONE
    for i, (_d, t) in reversed(list(enumerate(deeper, start=2))):
        t_of_code = f"IF(?depthCode = {i}, {t_iri[t]}, {t_of_code})"
    dps = [_iri(fields.DECISION_POINT_IRI[d]) for d in fields.DECISION_POINTS]
    dp_given = "0"
    for i, d in reversed(list(enumerate(dps, start=1))):
        dp_given = f"IF(?v = {d}, {i}, {dp_given})"
    not_resected = _iri(f["margin"].iri("not_resected"))
    initial, after, metastatic = (_iri(fields.DECISION_POINT_IRI[d]) for d in
                                  ("initial_management", "after_local_resection", "metastatic_disease"))
    lines = [
        "# <derived>",
        "# generated from rnetkg.fields (python -m rnetkg.derived_sparql): each case's value of every",
        "# criteria field as given, else derived (grade: WHO 2019; T category: AJCC 8th), else unknown;",
        "# the decision point as given, else derived from distant metastasis and margin",
        "{",
        "  SELECT ?case ?dp ?field ?value ?known",
        "  WHERE {",
        "    {",
        "      SELECT ?case",
        f"             (MAX(IF(?f = {ki67}, IF(?v < {_num(k_lo)}, 1, IF(?v <= {_num(k_hi)}, 2, 3)),",
        f"                  IF(?f = {mitoses}, IF(?v < {_num(m_lo)}, 1, IF(?v <= {_num(m_hi)}, 2, 3)), 0))) AS ?gradeRank)",
        f"             (MAX(IF(?f = {depth}, {depth_code}, 0)) AS ?depthCode)",
        f"             (MAX(IF(?f = {size}, IF(?v > {_num(t_hi)}, 2, 1), 0)) AS ?sizeCode)",
        f"             (MAX(IF(?f = {margin}, IF(?v = {not_resected}, 1, 2), 0)) AS ?marginCode)",
        f"             (MAX(IF(?f = {metastasis} && ?v = true, 1, 0)) AS ?metastatic)",
        f"             (MAX(IF(?f = {_iri(DECISION_POINT_KEY)}, {dp_given}, 0)) AS ?dpCode)",
        "      WHERE {",
        "        VALUES (?case ?f ?v) {",
        "          # <profiles>",
        *["          " + r for r in example],
        "          # </profiles>",
        "        }",
        "      }",
        "      GROUP BY ?case",
        "    }",
        "    BIND(IF(?dpCode > 0, " + "IF(?dpCode = 1, {0}, IF(?dpCode = 2, {1}, {2}))".format(*dps) + ",",
        f"         IF(?metastatic = 1, {metastatic}, IF(?marginCode = 1, {initial}, IF(?marginCode = 2, {after}, {NONE})))) AS ?dp)",
        f"    BIND(IF(?gradeRank = 1, {grades[0]}, IF(?gradeRank = 2, {grades[1]}, IF(?gradeRank = 3, {grades[2]}, {NONE}))) AS ?derivedGrade)",
        f"    BIND(IF(?depthCode = 1, IF(?sizeCode = 2, {t_iri['T2']}, IF(?sizeCode = 1, {t_iri['T1']}, {NONE})),",
        f"         {t_of_code}) AS ?derivedT)",
        "    # every profile field of the case: its given value, else derived, else unknown",
        "    ?field a rnet:ProfileField .",
        "    OPTIONAL {",
        "      VALUES (?case ?field ?given) {",
        "        # <profiles>",
        *["        " + r for r in example],
        "        # </profiles>",
        "      }",
        "    }",
        f"    BIND(COALESCE(?given, IF(?field = {grade}, ?derivedGrade, IF(?field = {tstage}, ?derivedT, {NONE}))) AS ?derivedValue)",
        f"    BIND(?derivedValue != {NONE} AS ?known)",
        "    BIND(IF(?known, ?derivedValue, \"\") AS ?value)",
        "  }",
        "}",
        "# </derived>",
    ]
    return "\n".join(indent + line if line else line for line in lines)


def with_block(text: str) -> str:
    """The query text with its derived block replaced by the generated one."""
    def repl(m: re.Match) -> str:
        return block(m.group("indent"))
    out, n = BLOCK.subn(repl, text)
    if n != 1:
        raise ValueError("the query has no '# <derived>' ... '# </derived>' block")
    return out


def main(argv: list[str] | None = None) -> int:
    """Rewrite the derived block of every query that has one (the files of queries/)."""
    from . import paths

    for path in sorted(paths.query_dir().rglob("*.rq")):
        text = path.read_text(encoding="utf-8")
        if BLOCK.search(text):
            new = with_block(text)
            if new != text:
                path.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
