"""Serve the graph read-only with the Oxigraph server (the `oxigraph` package) and its query UI.

Graph layout: everything is in the **default graph**: ontology/rnet.ttl, every kg/ Turtle file and
the derived referral recommendations built by queries/expand-referrals.rq, the same triples as the
embedded store (graph.serialize_expanded). No named graphs, so the queries of queries/ (which use no
GRAPH clause) run unchanged, and `rnetkg --endpoint` gives the same answers as the embedded store.

`start_server(bind)` writes the expanded graph as N-Triples into a fresh temporary folder, loads it
with `oxigraph load`, starts `oxigraph serve-read-only` on it and waits until it answers; the
returned ServerHandle stops the server and removes the folder. `serve(bind)` is `rnetkg serve`:
it prints the addresses, the layout and the example queries, then runs until Ctrl-C or SIGTERM.

    python -m rnetkg.serve --dump FILE.nt   # the expanded graph, to load into another triple store
"""

from __future__ import annotations

import argparse
import atexit
import errno
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_BIND = "127.0.0.1:7878"
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
BINARY_ENV = "RNETKG_OXIGRAPH"  # an explicit path to the oxigraph binary, checked first
READY_TIMEOUT_S = 20.0

_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class ServeError(RuntimeError):
    """The server cannot be started: a one-line message (bad --bind, port in use, no binary...)."""


# ---------------------------------------------------------------- bind address and binary

def parse_bind(bind: str) -> tuple[str, int]:
    """HOST:PORT (or [IPv6]:PORT) as (host, port); ServeError naming what is wrong."""
    text = (bind or "").strip()
    m = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\]:([^:]*)|([^:\[\]\s/]+):([^:]*)", text)
    if not m:
        raise ServeError(f"--bind {bind!r}: expected HOST:PORT, for example {DEFAULT_BIND}")
    host = m.group(1) or m.group(3)
    port_text = m.group(2) if m.group(1) else m.group(4)
    if not port_text.isdigit():
        raise ServeError(f"--bind {bind!r}: the port {port_text!r} is not a number")
    port = int(port_text)
    if not 1 <= port <= 65535:
        raise ServeError(f"--bind {bind!r}: the port must be between 1 and 65535")
    return host, port


def _bind_arg(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _url_host(host: str) -> str:
    """The host to put in a URL: a wildcard address is reached through the loopback address."""
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def check_bindable(host: str, port: int) -> None:
    """ServeError when nothing could listen on host:port (unknown host, port in use, not allowed)."""
    where = _bind_arg(host, port)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise ServeError(f"--bind {where}: unknown host {host!r}") from None
    family, kind, proto, _, addr = infos[0]
    with socket.socket(family, kind, proto) as s:
        # like the server itself: a port in TIME_WAIT is free, a port with a listener is not
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(addr)
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise ServeError(f"--bind {where}: port {port} is already in use") from None
            if e.errno == errno.EACCES:
                raise ServeError(f"--bind {where}: not allowed to listen on port {port}") from None
            raise ServeError(f"--bind {where}: cannot listen there ({e.strerror})") from None


def find_oxigraph() -> str | None:
    """The oxigraph binary: $RNETKG_OXIGRAPH, else next to this Python (the venv), else on PATH."""
    explicit = os.environ.get(BINARY_ENV)
    if explicit:
        return explicit if os.path.isfile(explicit) and os.access(explicit, os.X_OK) else None
    beside = Path(sys.executable).parent / "oxigraph"  # not resolved: a venv's python is a symlink
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("oxigraph")


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else ""


# ---------------------------------------------------------------- the server

@dataclass
class ServerHandle:
    """A running `oxigraph serve-read-only` on a temporary store; stop() ends it and cleans up."""

    url: str
    query_url: str
    update_url: str
    pid: int
    process: subprocess.Popen
    workdir: Path
    binary: str
    _log: object = field(default=None, repr=False)

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def log_text(self) -> str:
        try:
            return (self.workdir / "server.log").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def stop(self, timeout: float = 5.0) -> None:
        """Terminate the server, wait for it, remove the store folder (safe to call twice)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
        shutil.rmtree(self.workdir, ignore_errors=True)
        atexit.unregister(self.stop)

    def __enter__(self) -> "ServerHandle":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> None:
        """Block until the endpoint answers a query; ServeError if the server stops or never answers."""
        probe = self.query_url + "?" + urllib.parse.urlencode({"query": "ASK {}"})
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                detail = _last_line(self.log_text()) or "no message"
                raise ServeError(f"the Oxigraph server stopped at start (exit code "
                                 f"{self.process.returncode}): {detail}")
            try:
                req = urllib.request.Request(probe, headers={"Accept": "application/sparql-results+json"})
                with _DIRECT.open(req, timeout=1.0) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise ServeError(f"the Oxigraph server did not answer at {self.query_url} "
                                 f"within {timeout:g} s")
            time.sleep(0.05)


def build_store(location: Path, binary: str) -> None:
    """Write the expanded graph and load it with `oxigraph load` into the store folder `location`."""
    from . import graph

    nt = location.parent / "graph.nt"
    graph.serialize_expanded(nt, "nt")
    try:
        done = subprocess.run([binary, "load", "--location", str(location), "--file", str(nt)],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True)
    finally:
        nt.unlink(missing_ok=True)
    if done.returncode != 0:
        raise ServeError(f"oxigraph load failed (exit code {done.returncode}): "
                         f"{_last_line(done.stderr) or _last_line(done.stdout) or 'no message'}")


def start_server(bind: str = DEFAULT_BIND, *, ready_timeout: float = READY_TIMEOUT_S) -> ServerHandle:
    """Load the expanded graph into a fresh temporary store and serve it read-only on `bind`."""
    host, port = parse_bind(bind)
    binary = find_oxigraph()
    if binary is None:
        where = f"at ${BINARY_ENV}={os.environ[BINARY_ENV]}" if os.environ.get(BINARY_ENV) else \
            f"next to {sys.executable} or on PATH"
        raise ServeError(f"the Oxigraph server binary `oxigraph` was not found {where}; "
                         "install it with `pip install oxigraph==0.5.13`")
    check_bindable(host, port)
    workdir = Path(tempfile.mkdtemp(prefix="rnetkg-serve-"))
    log = None
    process = None
    try:
        store = workdir / "store"
        build_store(store, binary)
        log = open(workdir / "server.log", "wb")
        # a session of its own: Ctrl-C reaches rnetkg, which stops the server (terminate, wait, clean up)
        process = subprocess.Popen([binary, "serve-read-only", "--location", str(store),
                                    "--bind", _bind_arg(host, port)],
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        base = f"http://{_url_host(host)}:{port}"
        handle = ServerHandle(url=base + "/", query_url=base + "/query", update_url=base + "/update",
                              pid=process.pid, process=process, workdir=workdir, binary=binary, _log=log)
        atexit.register(handle.stop)
        handle.wait_ready(ready_timeout)
        return handle
    except BaseException:
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if log is not None:
            log.close()
        shutil.rmtree(workdir, ignore_errors=True)
        raise


# ---------------------------------------------------------------- rnetkg serve

LAYOUT = ("default graph only (no named graphs): ontology/rnet.ttl + {n_kg} kg/ Turtle files + "
          "{n_derived} derived referral recommendations (queries/expand-referrals.rq); {n_triples} triples")


def describe_layout(handle: ServerHandle) -> str:
    """The graph layout line, counted on the running server itself."""
    from . import graph
    from .engine import EndpointEngine

    from . import queries

    (summary,) = EndpointEngine(handle.query_url, timeout=10).select(queries.get("graph-summary").text)
    n_triples, n_derived = summary["triples"], summary["derived"]
    n_kg = len(graph.source_files()) - 1
    return LAYOUT.format(n_kg=n_kg, n_derived=n_derived, n_triples=n_triples)


def example_queries() -> list[tuple[str, str]]:
    """(name, note) for every query of queries/ except the qc/ checks."""
    from . import queries

    out = []
    for name, q in queries.catalogue().items():
        if q.is_qc:
            continue
        if re.search(r"^\s*CONSTRUCT\b", q.text, re.M | re.I):
            note = "CONSTRUCT, already applied to the served graph"
        elif q.takes_profiles:
            note = "case profiles: edit the VALUES rows between # <profiles> and # </profiles>"
        else:
            note = q.summary
        out.append((name, note))
    return out


class _Stop(Exception):
    pass


def _raise_stop(signum, frame):
    raise _Stop(signum)


def serve(bind: str = DEFAULT_BIND) -> int:
    """`rnetkg serve`: run the server until Ctrl-C or SIGTERM; 0 on a clean stop, 2 when it cannot start."""
    old = {}
    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            old[sig] = signal.signal(sig, _raise_stop)
    except ValueError:  # not the main thread: rely on the caller to stop us
        old = {}
    handle = None
    try:
        try:
            handle = start_server(bind)
        except ServeError as e:
            print(f"rnetkg: serve: {e}", file=sys.stderr)
            return EXIT_USAGE
        queries_lines = example_queries()
        width = max((len(n) for n, _ in queries_lines), default=0)
        lines = [
            f"rnetkg: serving the guideline graph read-only with the Oxigraph server (pid {handle.pid})",
            f"  query UI         {handle.url}",
            f"  SPARQL endpoint  {handle.query_url}   (SPARQL 1.1 Protocol; updates are refused)",
            f"  graph layout     {describe_layout(handle)}",
            "  example queries  (queries/*.rq: paste one into the UI, or "
            f"`rnetkg query NAME --endpoint {handle.query_url}`)",
            *(f"    {n:<{width}}  {note}" for n, note in queries_lines),
            f"  compare a case   rnetkg compare PROFILE.json --endpoint {handle.query_url}",
            "Ctrl-C stops the server.",
        ]
        print("\n".join(lines), flush=True)
        rc = handle.process.wait()
        print(f"rnetkg: serve: the Oxigraph server stopped by itself (exit code {rc}): "
              f"{_last_line(handle.log_text()) or 'no message'}", file=sys.stderr)
        return EXIT_FAILED
    except (_Stop, KeyboardInterrupt):
        print("rnetkg: serve: stopping the server", file=sys.stderr, flush=True)
        return EXIT_OK
    finally:
        for sig in old:  # a second Ctrl-C must not interrupt the clean-up
            signal.signal(sig, signal.SIG_IGN)
        if handle is not None:
            handle.stop()
        for sig, h in old.items():
            signal.signal(sig, h)


# ---------------------------------------------------------------- python -m rnetkg.serve

def dump(dest: Path) -> Path:
    """The expanded graph (ontology + kg + derived recommendations) as N-Triples (.nt) or Turtle (.ttl)."""
    from . import graph

    fmt = {".nt": "nt", ".ttl": "ttl"}.get(dest.suffix.lower())
    if fmt is None:
        raise ServeError(f"--dump {dest}: the file name must end in .nt (N-Triples) or .ttl (Turtle)")
    if not dest.parent.is_dir():
        raise ServeError(f"--dump {dest}: folder {str(dest.parent)!r} does not exist")
    return graph.serialize_expanded(dest, fmt)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m rnetkg.serve",
                                description="Serve the graph read-only with the Oxigraph server, or dump "
                                "the expanded graph to load into another triple store.")
    p.add_argument("--bind", default=DEFAULT_BIND, metavar="HOST:PORT")
    p.add_argument("--dump", metavar="FILE.nt|FILE.ttl", help="write ontology + kg + derived referral "
                   "recommendations to one file (default graph) and exit")
    args = p.parse_args(argv)
    if args.dump:
        try:
            out = dump(Path(args.dump))
        except ServeError as e:
            print(f"rnetkg: {e}", file=sys.stderr)
            return EXIT_USAGE
        print(f"wrote {out}")
        return EXIT_OK
    return serve(args.bind)


if __name__ == "__main__":
    sys.exit(main())
