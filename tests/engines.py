"""Other engines for the conformance tests: Apache Jena (ARQ and SHACL, Debian's jars), a Virtuoso
server on loopback (Debian's virtuoso-opensource-7-bin) and the OWL API (Debian's libowlapi-java).

A missing engine skips its tests on a developer's machine, but fails them where the environment
variable CI is set: CI installs every engine (.ci/run), and a skip there would pass in silence.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
import zipfile
from collections import Counter
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pytest

JAVA_DIR = Path("/usr/share/java")
JAVA_SOURCES = Path(__file__).parent / "java"

JENA_JARS = ["jena-arq", "jena-base", "jena-core", "jena-iri", "jena-shacl", "jena-shex", "jena-cmds",
             "jena-rdfconnection", "jena-dboe-base", "jena-dboe-index", "jena-dboe-storage",
             "jena-dboe-trans-data", "jena-dboe-transaction", "jena-tdb", "jena-tdb2",
             "commons-cli", "commons-codec", "commons-compress", "commons-csv", "commons-io", "commons-lang3",
             "dexx.collection", "gson", "guava", "httpclient", "httpcore", "jackson-core", "jackson-databind",
             "jackson-annotations", "jsonld-java", "jakarta.json-api", "protobuf", "thrift", "titanium-json-ld",
             "slf4j-api", "slf4j-nop"]
OWLAPI_JARS = ["owlapi-distribution", "owlapi-api", "owlapi-apibinding", "owlapi-impl", "owlapi-parsers",
               "owlapi-rio", "owlapi-tools", "owlapi-oboformat", "owlapi-compatibility", "atinject-jsr330-api",
               "caffeine", "commons-codec", "commons-io", "commons-logging", "commons-rdf-api", "guava", "hppcrt",
               "httpclient", "httpcore", "jackson-annotations", "jackson-core", "jackson-databind", "jsr305",
               "rdf4j-model", "rdf4j-model-api", "rdf4j-model-vocabulary", "rdf4j-rio-api", "rdf4j-rio-turtle",
               "rdf4j-rio-datatypes", "rdf4j-rio-languages", "rdf4j-util", "rdf4j-rio-ntriples",
               "rdf4j-rio-rdfxml", "rdf4j-rio-trig", "rdf4j-rio-nquads", "slf4j-api", "slf4j-nop", "xz"]

VIRTUOSO = "virtuoso-t"
ISQL = "isql-vt"
GRAPH_IRI = "https://w3id.org/rnetkg/graph"


def need(available: bool, what: str) -> None:
    """Skip when a tool is absent, unless CI is set: there a missing engine is a failure."""
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what} is not installed; CI installs it (.ci/run)", pytrace=False)
    pytest.skip(f"{what} is not installed")


def _jars(names: list[str]) -> list[Path] | None:
    jars = [JAVA_DIR / f"{n}.jar" for n in names]
    return jars if shutil.which("javac") and all(j.is_file() for j in jars) else None


def have_jena() -> bool:
    return _jars(JENA_JARS) is not None


def have_owlapi() -> bool:
    return _jars(OWLAPI_JARS) is not None


def have_virtuoso() -> bool:
    return shutil.which(VIRTUOSO) is not None and shutil.which(ISQL) is not None


def jena_classpath(workdir: Path) -> str:
    """Debian's Jena jars plus one folder that repairs jena-core 4.5.0.

    Debian's jena-core moves the Xerces classes Jena shades (org.apache.jena.ext.xerces) to the
    package `xerces` but leaves their message files at the old place, so the first XSD datatype
    fails with "internal error" at start-up. The folder holds the same files under xerces/."""
    fix = workdir / "jena-xerces-messages"
    old = "org/apache/jena/ext/xerces/"
    with zipfile.ZipFile(JAVA_DIR / "jena-core.jar") as jar:
        for name in jar.namelist():
            if name.startswith(old) and name.endswith(".properties"):
                target = fix / "xerces" / name[len(old):]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(jar.read(name))
    return os.pathsep.join([str(fix), *map(str, _jars(JENA_JARS))])


def owlapi_classpath() -> str:
    return os.pathsep.join(map(str, _jars(OWLAPI_JARS)))


def compile_java(name: str, classpath: str, workdir: Path) -> str:
    """Compile tests/java/<name>.java; the classpath to run it."""
    out = workdir / f"{name}-classes"
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(["javac", "-nowarn", "-d", str(out), "-cp", classpath, str(JAVA_SOURCES / f"{name}.java")],
                   check=True, capture_output=True, text=True)
    return os.pathsep.join([str(out), classpath])


def run_jena(classpath: str, script: list[str], workdir: Path, timeout: float = 600) -> None:
    """Run tests/java/JenaRunner's commands (one JVM for the whole script)."""
    path = workdir / "jena-script.txt"
    path.write_text("\n".join(script) + "\n", encoding="utf-8")
    subprocess.run(["java", "-Xss8m", "-cp", classpath, "JenaRunner", str(path)], check=True, timeout=timeout,
                   capture_output=True, text=True)


# ------------------------------------------------------------------ Virtuoso on loopback

from conftest import free_port  # noqa: E402,F401  (the engines start servers too)


VIRTUOSO_INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
ServerThreads = 10
CheckpointInterval = 0
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
DirsAllowed = {dir}

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {dir}
MaxClientConnections = 5
ServerThreads = 5

[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 300
MaxQueryCostEstimationTime = 0
"""


class Virtuoso:
    """A Virtuoso server with its database in a folder of its own, on two free loopback ports.

    The SPARQL endpoint is `url` (http://127.0.0.1:PORT/sparql). Its default graph is the union of
    every graph, Virtuoso's own included; `graph_url` names the data's graph (default-graph-uri), for
    queries that count every triple."""

    def __init__(self, folder: Path):
        self.dir = folder
        self.dir.mkdir(parents=True, exist_ok=True)
        self.sql_port, self.http_port = free_port(), free_port()
        (self.dir / "virtuoso.ini").write_text(VIRTUOSO_INI.format(
            dir=self.dir, sql_port=self.sql_port, http_port=self.http_port), encoding="utf-8")
        self.url = f"http://127.0.0.1:{self.http_port}/sparql"
        self.graph_url = f"{self.url}?{urllib.parse.urlencode({'default-graph-uri': GRAPH_IRI})}"
        self.log = open(self.dir / "server.out", "wb")
        self.process = subprocess.Popen([VIRTUOSO, "+foreground", "+configfile", "virtuoso.ini"], cwd=self.dir,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        self._wait()

    def _wait(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"virtuoso-t exited: {(self.dir / 'server.out').read_text(errors='replace')[-500:]}")
            try:
                self.query("ASK {}")
                return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"virtuoso-t did not answer within {timeout} s")

    def query(self, text: str, accept: str = "application/sparql-results+json") -> bytes:
        body = urllib.parse.urlencode({"query": text}).encode()
        req = urllib.request.Request(self.url, data=body, headers={"Accept": accept})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(req, timeout=300) as resp:
            return resp.read()

    def isql(self, sql: str) -> str:
        done = subprocess.run([ISQL, f"127.0.0.1:{self.sql_port}", "dba", "dba", f"exec={sql}"],
                              capture_output=True, text=True, timeout=300)
        if done.returncode != 0 or "*** Error" in done.stdout:
            raise RuntimeError(f"isql: {sql[:100]}: {done.stdout[-400:]} {done.stderr[-400:]}")
        return done.stdout

    def load(self, path: Path) -> None:
        """Load a Turtle or N-Triples file into the default graph."""
        local = self.dir / f"load-{path.name}"
        shutil.copyfile(path, local)
        self.isql(f"DB.DBA.TTLP_MT(file_to_string_output('{local}'), '', '{GRAPH_IRI}', 0); checkpoint;")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


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
