"""Start and stop `rnetkg serve`: the Oxigraph child behind the web front, on one address."""

from __future__ import annotations

import errno
import logging
import os
import re
import shutil
import signal
import socket
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .app import Limits, build_app, fetch_ui_assets
from .child import READY_TIMEOUT_S, ServeError, Supervisor, build_store, require_oxigraph, seccomp_mode

log = logging.getLogger("rnetkg.serve")

DEFAULT_BIND = "127.0.0.1:7878"
DEFAULT_QUERY_TIMEOUT_S = 10.0
DEFAULT_MEMORY_LIMIT_MB = 2048   # address space of the Oxigraph child (RLIMIT_AS)
DEFAULT_MAX_REPLY_MB = 64
WORKDIR_PREFIX = "rnetkg-serve-"


# ---------------------------------------------------------------- bind address

def parse_bind(bind: str) -> tuple[str, int]:
    """HOST:PORT (or [IPv6]:PORT) as (host, port); ServeError naming what is wrong."""
    text = (bind or "").strip()
    m = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\]:([^:]*)|([^:\[\]\s/]+):([^:]*)", text)
    if not m:
        raise ServeError(f"--bind {bind[:80]!r}: expected HOST:PORT, for example {DEFAULT_BIND}")
    host = m.group(1) or m.group(3)
    port_text = m.group(2) if m.group(1) else m.group(4)
    if not port_text.isdigit():
        raise ServeError(f"--bind {bind[:80]!r}: the port {port_text[:20]!r} is not a number")
    port = int(port_text)
    if not 1 <= port <= 65535:
        raise ServeError(f"--bind {bind[:80]!r}: the port must be between 1 and 65535")
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


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on host:port; ServeError when nothing can listen there."""
    where = _bind_arg(host, port)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise ServeError(f"--bind {where}: unknown host {host!r}") from None
    family, kind, proto, _, addr = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a port in TIME_WAIT is free
    try:
        sock.bind(addr)
        sock.listen(2048)
    except OSError as e:
        sock.close()
        if e.errno == errno.EADDRINUSE:
            raise ServeError(f"--bind {where}: port {port} is already in use") from None
        if e.errno == errno.EACCES:
            raise ServeError(f"--bind {where}: not allowed to listen on port {port}") from None
        raise ServeError(f"--bind {where}: cannot listen there ({e.strerror})") from None
    sock.set_inheritable(False)
    return sock


def check_bindable(host: str, port: int) -> None:
    """ServeError when nothing could listen on host:port (unknown host, port in use, not allowed)."""
    listen(host, port).close()


# ---------------------------------------------------------------- the temporary folder

def _remove_stale_workdirs() -> None:
    """Folders left by a `rnetkg serve` that was killed (SIGKILL): their owner process is gone."""
    root = Path(tempfile.gettempdir())
    for d in root.glob(WORKDIR_PREFIX + "*"):
        try:
            owner = int((d / "owner.pid").read_text())
            os.kill(owner, 0)
        except ProcessLookupError:
            shutil.rmtree(d, ignore_errors=True)
        except (OSError, ValueError):
            continue


# ---------------------------------------------------------------- the running server

@dataclass
class ServerHandle:
    """A running `rnetkg serve`: the web front (uvicorn, in a thread) and the supervised Oxigraph child."""

    url: str
    query_url: str
    cds_url: str
    update_url: str
    ui_url: str
    workdir: Path
    binary: str
    limits: Limits
    supervisor: Supervisor
    _server: object = field(repr=False, default=None)
    _thread: threading.Thread | None = field(repr=False, default=None)
    _sock: socket.socket | None = field(repr=False, default=None)
    _stopped: bool = field(repr=False, default=False)

    @property
    def process(self):
        """The current Oxigraph child process (a new one after a restart)."""
        return self.supervisor.child.process

    @property
    def pid(self) -> int:
        return self.supervisor.child.pid

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and self.supervisor.child.running

    @property
    def sandboxed(self) -> bool:
        """True when the seccomp filter (no connect()) is installed in the Oxigraph child."""
        return seccomp_mode(self.pid) == 2

    def wait(self, poll: float = 0.5) -> None:
        """Block until the web front stops (it runs until stop())."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(poll)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the front and the child, remove the temporary store (safe to call twice)."""
        if self._stopped:
            return
        self._stopped = True
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        if self._sock is not None:
            self._sock.close()
        self.supervisor.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> "ServerHandle":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_server(bind: str = DEFAULT_BIND, *, query_timeout: float = DEFAULT_QUERY_TIMEOUT_S,
                 memory_limit_mb: int | None = DEFAULT_MEMORY_LIMIT_MB,
                 max_reply_mb: float = DEFAULT_MAX_REPLY_MB, max_concurrent: int = 8,
                 ready_timeout: float = READY_TIMEOUT_S) -> ServerHandle:
    """Load the expanded graph into a fresh temporary store and serve it read-only on `bind`."""
    import uvicorn

    host, port = parse_bind(bind)
    if not (query_timeout > 0 and query_timeout < 86400):
        raise ServeError(f"--query-timeout {query_timeout!r}: must be a number of seconds between 0 and 86400")
    if memory_limit_mb is not None and not 256 <= memory_limit_mb <= 1 << 20:
        raise ServeError(f"--memory-limit {memory_limit_mb!r}: must be a number of MiB, at least 256")
    binary = require_oxigraph()
    sock = listen(host, port)
    _remove_stale_workdirs()
    workdir = Path(tempfile.mkdtemp(prefix=WORKDIR_PREFIX))
    supervisor = None
    try:
        (workdir / "owner.pid").write_text(str(os.getpid()))
        store = workdir / "store"
        build_store(store, binary)
        limits = Limits(query_timeout=float(query_timeout), max_reply_bytes=int(max_reply_mb * (1 << 20)),
                        max_concurrent=max_concurrent)
        supervisor = Supervisor(binary, store, workdir, query_timeout=query_timeout,
                                memory_limit_mb=memory_limit_mb, ready_timeout=ready_timeout)
        child = supervisor.start()
        from .page import Clinic

        clinic = Clinic.load()  # the criteria model and the report context, read once
        clinic.warm()
        app = build_app(supervisor, limits, fetch_ui_assets(child.base), clinic)
        config = uvicorn.Config(app, log_config=None, log_level="warning", access_log=False, lifespan="on",
                                timeout_keep_alive=5, timeout_graceful_shutdown=3, limit_concurrency=256)
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="rnetkg-web", daemon=True)
        base = f"http://{_url_host(host)}:{port}"
        handle = ServerHandle(url=base + "/", query_url=base + "/query", cds_url=base + "/cds-services",
                              update_url=base + "/update",
                              ui_url=base + "/sparql", workdir=workdir, binary=binary, limits=limits,
                              supervisor=supervisor, _server=server, _thread=thread, _sock=sock)
        thread.start()
        deadline = time.monotonic() + ready_timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                handle.stop()
                raise ServeError(f"the web server did not start on {_bind_arg(host, port)}")
            time.sleep(0.01)
        from . import guard

        threading.Thread(target=guard.preload, daemon=True).start()
        return handle
    except BaseException:
        sock.close()
        if supervisor is not None:
            supervisor.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        raise


# ---------------------------------------------------------------- rnetkg serve

LAYOUT = ("default graph only (no named graphs): ontology/rnet.ttl + {n_kg} kg/ Turtle files + "
          "{n_derived} derived referral recommendations (queries/expand-referrals.rq); {n_triples} triples")


def describe_layout(handle: ServerHandle) -> str:
    """The graph layout line, counted on the running server itself."""
    from .. import graph, queries
    from ..endpoint import EndpointEngine

    (summary,) = EndpointEngine(handle.query_url, timeout=10).select(queries.get("graph-summary").text)
    n_kg = len(graph.source_files()) - 1
    return LAYOUT.format(n_kg=n_kg, n_derived=summary["derived"], n_triples=summary["triples"])


def example_queries() -> list[tuple[str, str]]:
    """(name, note) for every query of queries/ except the qc/ checks."""
    from .. import queries

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


def banner(handle: ServerHandle) -> str:
    """What `rnetkg serve` prints once the server answers."""
    lim = handle.limits
    sandbox = "the Oxigraph server cannot open connections (seccomp)" if handle.sandboxed else \
        "SERVICE refused at /query (no seccomp filter on this system)"
    memory = f"{handle.supervisor.memory_limit_mb} MiB" if handle.supervisor.memory_limit_mb else "no limit"
    rows = example_queries()
    width = max((len(n) for n, _ in rows), default=0)
    lines = [
        f"rnetkg: serving the guideline graph read-only at {handle.url} "
        f"(pid {os.getpid()}; Oxigraph server pid {handle.pid})",
        f"  clinician page   {handle.url}   (a form for one case; the answer explained, with its sources)",
        f"  CDS Hooks 2.0    {handle.cds_url}   (service rnet-guideline-comparison on patient-view)",
        f"  query UI         {handle.ui_url}",
        f"  SPARQL endpoint  {handle.query_url}   (SPARQL 1.1 Protocol; updates are refused)",
        f"  limits           {lim.query_timeout:g} s per query, answers up to {lim.max_reply_bytes / (1 << 20):g} MiB, "
        f"Oxigraph memory {memory}; no federation (SERVICE): {sandbox}",
        f"  graph layout     {describe_layout(handle)}",
        "  example queries  (queries/*.rq: paste one into the UI, or "
        f"`rnetkg query NAME --endpoint {handle.query_url}`)",
        *(f"    {n:<{width}}  {note}" for n, note in rows),
        f"  compare a case   rnetkg compare PROFILE.json --endpoint {handle.query_url}",
        "Ctrl-C stops the server.",
    ]
    return "\n".join(lines)


class _Stop(Exception):
    pass


def _raise_stop(signum, frame):
    raise _Stop(signum)


def run(bind: str = DEFAULT_BIND, *, on_ready: Callable[[ServerHandle], None] | None = None, **options) -> int:
    """`rnetkg serve`: run until SIGINT or SIGTERM; 0 on a clean stop, 1 when the web front fails.

    ServeError (one line) when the server cannot start. Nothing is printed here: `on_ready` receives
    the running server (the CLI prints banner(handle)); events go to the `rnetkg.serve` logger.
    """
    old = {}
    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            old[sig] = signal.signal(sig, _raise_stop)
    except ValueError:  # not the main thread: rely on the caller to stop us
        old = {}
    handle = None
    try:
        handle = start_server(bind, **options)
        if on_ready is not None:
            on_ready(handle)
        handle.wait()
        log.error("the web server stopped by itself")
        return 1
    except (_Stop, KeyboardInterrupt):
        log.info("stopping the server")
        return 0
    finally:
        for sig in old:  # a second Ctrl-C must not interrupt the clean-up
            signal.signal(sig, signal.SIG_IGN)
        if handle is not None:
            handle.stop()
        for sig, h in old.items():
            signal.signal(sig, h)


# ---------------------------------------------------------------- the dump

def dump(dest: Path) -> Path:
    """The expanded graph (ontology + kg + derived recommendations) as N-Triples (.nt) or Turtle (.ttl)."""
    from .. import graph

    fmt = {".nt": "nt", ".ttl": "ttl"}.get(dest.suffix.lower())
    if fmt is None:
        raise ServeError(f"--dump {dest}: the file name must end in .nt (N-Triples) or .ttl (Turtle)")
    from ..outputs import check_output

    check_output(dest, "--dump")   # a link, a folder, a device, a graph file: refused before loading
    return graph.serialize_expanded(dest, fmt, "--dump")
