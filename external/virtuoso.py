"""A Virtuoso 7 server (Debian's virtuoso-opensource-7-bin) on loopback, with its database in a
folder of its own: started, loaded with Turtle or N-Triples files by isql, queried over HTTP, stopped.

`load_rnetkg` loads the ontology and kg/ and lets Virtuoso derive the referral recommendations itself
(rnetkg.graph.LOAD_TIME_QUERIES), as rnetkg.graph does for the embedded store. Its SPARQL endpoint is a
plain SPARQL 1.1 endpoint (rnetkg.endpoint.EndpointEngine).
"""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

from rnetkg import graph, queries
from rnetkg.serve.child import free_loopback_port

VIRTUOSO = "virtuoso-t"
ISQL = "isql-vt"
GRAPH_IRI = "https://w3id.org/rnetkg/graph"


def have_virtuoso() -> bool:
    return shutil.which(VIRTUOSO) is not None and shutil.which(ISQL) is not None


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
        self.dir = Path(folder)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.sql_port, self.http_port = free_loopback_port(), free_loopback_port()
        (self.dir / "virtuoso.ini").write_text(VIRTUOSO_INI.format(
            dir=self.dir, sql_port=self.sql_port, http_port=self.http_port), encoding="utf-8")
        self.url = f"http://127.0.0.1:{self.http_port}/sparql"
        self.graph_url = f"{self.url}?{urllib.parse.urlencode({'default-graph-uri': GRAPH_IRI})}"
        self.log = open(self.dir / "server.out", "wb")
        self.process = subprocess.Popen([VIRTUOSO, "+foreground", "+configfile", "virtuoso.ini"], cwd=self.dir,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        try:
            self._wait()
        except BaseException:
            self.stop()
            raise

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

    def load_rnetkg(self) -> dict[str, Path]:
        """The ontology and kg/, then the triples Virtuoso derives with each load-time CONSTRUCT
        (rnetkg.graph.LOAD_TIME_QUERIES, in order); each CONSTRUCT's file of derived triples (N-Triples)."""
        for f in graph.source_files():
            self.load(f)
        out = {}
        for name in graph.LOAD_TIME_QUERIES:
            derived = out[name] = self.dir / f"derived-{name}.nt"
            derived.write_bytes(self.query(queries.get(name).text, accept="text/plain"))
            self.load(derived)
        return out

    def stop(self) -> None:
        """Stop the server (terminated; killed if it has not exited within 30 s)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def __enter__(self) -> "Virtuoso":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
