"""Issue 10: the package's shape. No import cycle (every import, lazy ones included), no module over
about 400 lines, `python -m rnetkg` works, and the one field table agrees with the queries and the
graph."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from rnetkg import fields, queries
from rnetkg.engine import StoreEngine
from rnetkg.namespaces import RNET

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "rnetkg"
MAX_LINES = 420


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph() -> dict[str, set[str]]:
    """module -> the rnetkg modules it imports anywhere in its text (module level or inside functions)."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.append(sub if sub in modules else base)
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                return stack[stack.index(n):] + [n]
            if n not in state and (c := visit(n)):
                return c
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (c := visit(m)):
            return c
    return None


def test_no_import_cycle():
    graph = import_graph()
    assert len(graph) > 30 and graph["rnetkg.compare"] >= {"rnetkg.queries", "rnetkg.criteria.model"}
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_the_library_never_imports_the_command_line():
    graph = import_graph()
    users = sorted(m for m, deps in graph.items() if any(d.startswith("rnetkg.cli") for d in deps)
                   and not m.startswith("rnetkg.cli") and m not in ("rnetkg.__main__", "rnetkg.command"))
    assert users == []


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_over_about_400_lines(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_LINES


def test_python_dash_m_rnetkg():
    out = subprocess.run([sys.executable, "-m", "rnetkg", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("rnetkg ")
    out = subprocess.run([sys.executable, "-m", "rnetkg"], capture_output=True, text=True)
    assert out.returncode == 2 and "give a command" in out.stderr


# ---------------------------------------------------------------- the one field table

PROFILE_QUERIES = ("applicable-recommendations", "guideline-status", "disagreements")


def sparql_lines(text: str) -> list[str]:
    """The lines of SPARQL of a query file: no blank or comment line, and not the block generated
    from the field table (between "# <derived>" and "# </derived>") nor input rows."""
    text = re.sub(r"# <derived>\n.*?# </derived>", "", text, flags=re.S)
    text = re.sub(r"# <(profiles|statements|answers)>\n.*?# </\1>", "", text, flags=re.S)
    return [line for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


def test_issue21_the_profile_queries_hold_at_most_350_lines_of_sparql():
    counts = {n: len(sparql_lines(queries.get(n).text)) for n in PROFILE_QUERIES}
    assert sum(counts.values()) <= 350, counts


def test_issue21_the_profile_queries_name_no_profile_field():
    """Outside the generated block, the profile queries name no field of the field table: no
    rnet:field_ IRI, no field name, no value IRI of an enum field."""
    for name in PROFILE_QUERIES:
        body = "\n".join(sparql_lines(queries.get(name).text))
        assert "field_" not in body, name
        for f in fields.FIELDS.values():
            assert not re.search(rf"\b{f.name}\b", body), (name, f.name)
            for v in f.values:
                assert f.iri(v).rsplit("#", 1)[1] not in body, (name, v)


def test_issue21_the_applicability_is_written_once():
    """The three-valued rule (an atom's status, a criterion's sign times the maximum, a statement's
    minimum) is in applicable-recommendations.rq alone: guideline-status and disagreements take the
    rows of the query before them, and no other query evaluates criteria against a profile."""
    holders = {n for n, q in queries.catalogue().items()
               if "MIN(?critStatus)" in q.text or "MAX(?atomStatus)" in q.text or "?atomStatus" in q.text}
    assert holders == {"applicable-recommendations"}
    assert queries.get("guideline-status").input_block == "statements"
    assert queries.get("disagreements").input_block == "answers"
    assert queries.get("applicable-recommendations").input_block == "profiles"


def test_issue21_the_derived_block_is_the_one_generated_from_the_field_table():
    from rnetkg import derived_sparql

    text = queries.get("applicable-recommendations").text
    assert derived_sparql.with_block(text) == text, "run python -m rnetkg.derived_sparql"


def test_value_iris_of_the_field_table_name_the_graph_values():
    """Criteria compare value keys; the queries compare the IRIs that queries.profile_rows writes from
    the field table. Both must name the same things."""
    rows = StoreEngine().select("""PREFIX rnet: <https://w3id.org/rnetkg/ontology#>
        SELECT DISTINCT ?field ?value ?key WHERE {
          ?atom rnet:onField/rnet:fieldName ?field ; rnet:allowedValue ?value . ?value rnet:key ?key }""")
    assert {r["field"] for r in rows} >= {"grade", "t_stage", "lymph_nodes", "invasion_depth", "margin"}
    for r in rows:
        f = fields.FIELDS[r["field"]]
        assert f.iri(r["key"]) == r["value"] and r["key"] in f.tested_values, r
    dps = StoreEngine().select("""PREFIX rnet: <https://w3id.org/rnetkg/ontology#>
        SELECT DISTINCT ?dp ?key WHERE { ?rec rnet:hasDecisionPoint ?dp . ?dp rnet:key ?key }""")
    assert {r["key"]: r["dp"] for r in dps} == fields.DECISION_POINT_IRI


def test_derivations_use_the_cut_points():
    assert fields.grade_from_ki67(2.999) == "G1" and fields.grade_from_ki67(3) == "G2"
    assert fields.grade_from_ki67(20) == "G2" and fields.grade_from_ki67(20.01) == "G3"
    assert fields.grade_from_mitoses(1.9) == "G1" and fields.grade_from_mitoses(2) == "G2"
    assert fields.t_from_size_and_depth(9.9, "mucosa") == "T1a" and fields.t_from_size_and_depth(10, "submucosa") == "T1b"
    assert fields.t_from_size_and_depth(20.1, "submucosa") == "T2"
    assert fields.t_from_size_and_depth(5, "subserosa") == "T3"


# ---------------------------------------------------------------- issue 21: the package is the product

ROOT = PACKAGE.parents[1]


def _imported_names(path: Path) -> set[str]:
    """Every module name an absolute import of the file names (module level or inside functions)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
    return names


def test_issue21_the_package_holds_no_benchmark_and_no_other_engines():
    """The benchmark is bench/ and the Jena, Virtuoso and OWL API runners external/, both beside src/:
    the package neither holds nor imports them."""
    assert sorted(p.name for p in PACKAGE.rglob("bench*")) == []
    assert not (PACKAGE / "external").exists()
    assert {p.name for p in (ROOT / "bench").glob("*.py")} >= {"cohorts.py", "engines.py", "server.py", "clinic.py",
                                                               "common.py"}
    assert {p.name for p in (ROOT / "external").rglob("*") if p.is_file() and "__pycache__" not in p.parts} >= {
        "jvm.py", "jena.py", "virtuoso.py", "JenaRunner.java", "OwlProfileCheck.java"}
    importers = {str(p.relative_to(PACKAGE)): sorted(n for n in _imported_names(p)
                                                     if n.split(".")[0] in ("bench", "external", "tests"))
                 for p in PACKAGE.rglob("*.py")}
    assert {k: v for k, v in importers.items() if v} == {}


def test_issue21_make_bench_runs_the_bench_modules_and_each_answers_help():
    """`make bench` runs python -m bench.<part> from the checkout's root; each part exists and its
    --help names it."""
    recipe = re.search(r"^bench:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(encoding="utf-8"), re.M).group(1)
    modules = re.findall(r"-m (\S+)", recipe)
    assert modules == ["bench.cohorts", "bench.server", "bench.clinic"]
    for module in modules:
        out = subprocess.run([sys.executable, "-m", module, "--help"], cwd=ROOT, capture_output=True, text=True,
                             timeout=120)
        assert out.returncode == 0, out.stderr
        assert out.stdout.startswith(f"usage: python -m {module} "), out.stdout[:200]


def printing_calls(path: Path) -> list[str]:
    """Where a module prints: print(...), and any use of sys.stdout / sys.stderr (write, print's file=,
    handed to a subprocess), or stdout / stderr imported from sys; as "line: what"."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
            found.append(f"{node.lineno}: print(...)")
        elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "sys"
              and node.attr in ("stdout", "stderr", "__stdout__", "__stderr__")):
            found.append(f"{node.lineno}: sys.{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module == "sys":
            found += [f"{node.lineno}: from sys import {a.name}" for a in node.names
                      if a.name in ("stdout", "stderr", "__stdout__", "__stderr__")]
    return sorted(found, key=lambda f: (int(f.split(":")[0]), f))


def test_issue21_the_printing_scan_finds_each_way_of_printing(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("import sys\nfrom sys import stderr\nprint('a')\nsys.stdout.write('b')\n"
                      "print('c', file=sys.stderr)\nlen('not printing')\n", encoding="utf-8")
    assert printing_calls(module) == ["2: from sys import stderr", "3: print(...)", "4: sys.stdout", "5: print(...)",
                                      "5: sys.stderr"]


def test_issue21_nothing_outside_the_command_line_prints():
    """The library returns, raises or logs; only src/rnetkg/cli/ writes to stdout or stderr."""
    printing = {str(p.relative_to(PACKAGE)): printing_calls(p) for p in sorted(PACKAGE.rglob("*.py"))
                if p.relative_to(PACKAGE).parts[0] != "cli"}
    assert {k: v for k, v in printing.items() if v} == {}
    assert printing_calls(PACKAGE / "cli" / "release.py") != []   # the scan sees the command line's prints


def unused_definitions(package: Path, readers: list[Path]) -> list[str]:
    """Module-level functions, classes and constants, and methods, of the package's modules whose name
    no file of ``readers`` ever reads (as a name, an attribute or an imported name)."""
    trees = {p: ast.parse(p.read_text(encoding="utf-8")) for p in readers}
    read: set[str] = set()
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Store):
                read.add(node.id)
            elif isinstance(node, ast.Attribute):
                read.add(node.attr)
            elif isinstance(node, ast.alias):
                read.add(node.name.rsplit(".", 1)[-1])
    unused = []
    for path in sorted(p for p in trees if p.is_relative_to(package)):
        for node in trees[path].body:
            names = []
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.append(node.name)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names += [t.id for t in targets if isinstance(t, ast.Name)]
            if isinstance(node, ast.ClassDef):
                names += [f.name for f in node.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))]
            unused += [f"{path.relative_to(package)}: {n}" for n in names
                       if n not in read and not (n.startswith("__") and n.endswith("__"))]
    return unused


def test_issue21_no_dead_code():
    """Every function, class, constant and method of src/rnetkg is read somewhere: in the package, the
    tests, the benchmark or the other engines' runners (read_jsonl.json_problem, model.guideline_answers,
    namespaces.rnet, release.PYLODE_PROFILE and child.peak_rss_kib were not)."""
    readers = [p for folder in ("src", "tests", "bench", "external") for p in sorted((ROOT / folder).rglob("*.py"))]
    assert unused_definitions(PACKAGE, readers) == []


def test_issue21_the_dead_code_scan_finds_a_name_nobody_reads(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "m.py").write_text("X = 1\nY = 2\n\n\ndef used():\n    return X\n\n\nclass C:\n    def gone(self):\n"
                                  "        pass\n\n    def __init__(self):\n        pass\n", encoding="utf-8")
    (tmp_path / "user.py").write_text("from pkg.m import used, C\nused()\nC()\n", encoding="utf-8")
    assert unused_definitions(package, [package / "m.py", tmp_path / "user.py"]) == ["m.py: Y", "m.py: gone"]
