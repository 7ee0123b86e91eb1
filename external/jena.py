"""Apache Jena ARQ as an Engine: java/JenaRunner.java in one JVM that lives as long as the engine.

The JVM starts, loads the ontology and kg/ and derives the referral recommendations with
the load-time CONSTRUCTs of rnetkg.graph.LOAD_TIME_QUERIES (as rnetkg.graph does), then answers one SELECT at a time: each query
is written to a file, the runner is told its name on standard input, runs it with ARQ (strict
SPARQL 1.1) over the in-memory model and writes SPARQL JSON results, which are read back like an
endpoint's answer. The runner reports each command's time inside the JVM, so the time spent in ARQ
can be told apart from the JVM's start, the graph load and the files in between.
"""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from rnetkg import graph, queries
from rnetkg.endpoint import json_result_rows
from rnetkg.engine import Engine

from .jvm import compile_java, jena_classpath

DEFAULT_TIMEOUT_S = 600.0


class JenaError(RuntimeError):
    """The Jena runner failed a command or stopped."""


class JenaEngine(Engine):
    """SELECT queries answered by Jena ARQ over the graph in memory (use as a context manager, or stop()).

    After start: ``jvm_start_s`` (until the runner is ready), ``load_s`` (the graph and the referral
    expansion, wall time); every SELECT appends its time inside the JVM to ``query_seconds``."""

    name = "jena"

    def __init__(self, workdir: Path, files: list[Path] | None = None, timeout: float = DEFAULT_TIMEOUT_S):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.timeout = timeout
        self.query_seconds: list[float] = []
        classpath = compile_java("JenaRunner", jena_classpath(self.dir), self.dir)
        self._stderr = open(self.dir / "jena-runner.err", "wb")
        t = time.perf_counter()
        self.process = subprocess.Popen(["java", "-Xss8m", "-cp", classpath, "JenaRunner", "-"], cwd=self.dir,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
                                        text=True, encoding="utf-8")
        try:
            if self._reply() != "ready":
                raise JenaError("the Jena runner did not start")
            self.jvm_start_s = time.perf_counter() - t
            t = time.perf_counter()
            for f in files if files is not None else graph.source_files():
                self._command("load", Path(f))
            for name in graph.LOAD_TIME_QUERIES:
                self._command("construct", queries.get(name).path, self.dir / f"derived-{name}.nt")
            self.load_s = time.perf_counter() - t
        except BaseException:
            self.stop()
            raise

    def __enter__(self) -> "JenaEngine":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _reply(self) -> str:
        timer = threading.Timer(self.timeout, self.process.kill)
        timer.start()
        try:
            line = self.process.stdout.readline()
        finally:
            timer.cancel()
        if not line:
            self.process.wait()
            tail = (self.dir / "jena-runner.err").read_text(encoding="utf-8", errors="replace")[-300:]
            raise JenaError(f"the Jena runner exited ({self.process.returncode}): {tail.strip()}")
        return line.strip()

    def _command(self, command: str, *files: Path) -> float:
        """Run one command of the runner; its time inside the JVM, in seconds."""
        if any(c.isspace() for f in files for c in str(f)):
            raise JenaError(f"the Jena runner takes paths without spaces: {files}")
        self.process.stdin.write(" ".join([command, *map(str, files)]) + "\n")
        self.process.stdin.flush()
        reply = self._reply()
        if reply.startswith("ok "):
            return int(reply[3:]) / 1e9
        raise JenaError(f"Jena ARQ: {reply.removeprefix('error ')[:300]}")

    def select(self, text: str) -> list[dict[str, Any]]:
        query, results = self.dir / "query.rq", self.dir / "results.json"
        query.write_text(text, encoding="utf-8")
        self.query_seconds.append(self._command("select", query, results))
        return json_result_rows(text, results.read_bytes(), "Jena ARQ")

    def stop(self) -> None:
        """End the JVM (end of its standard input; killed if it does not exit within 30 s)."""
        if self.process.poll() is None:
            try:
                self.process.stdin.close()
                self.process.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self._stderr.close()
