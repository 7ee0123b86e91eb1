"""Start and stop `rnetkg serve`: the Oxigraph child behind the web front, on one address."""

from __future__ import annotations

import asyncio
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

from .address import (DEFAULT_BIND, _bind_arg, _url_host, check_bindable, listen, parse_bind,  # noqa: F401
                      parse_public_url)
from .app import Limits, build_app, fetch_ui_assets
from .child import READY_TIMEOUT_S, ServeError, Supervisor, build_store, require_oxigraph, seccomp_mode

log = logging.getLogger("rnetkg.serve")

DEFAULT_QUERY_TIMEOUT_S = 10.0
DEFAULT_MEMORY_LIMIT_MB = 2048   # address space of the Oxigraph child (RLIMIT_AS)
DEFAULT_MAX_REPLY_MB = 64
DEFAULT_READ_TIMEOUT_S = 10.0    # a request's head and body must arrive within this (protocol.py)
DEFAULT_STALL_TIMEOUT_S = 30.0   # a client that reads nothing for this long is dropped
MAX_CONNECTIONS = 2048           # open connections at once (idle ones are closed after the read timeout)
WORKDIR_PREFIX = "rnetkg-serve-"


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
    # set when the web thread's loop has ended: Thread.is_alive() cannot tell after a signal interrupted
    # a join() (Python before 3.13 then marks the thread stopped while it still runs)
    _done: threading.Event = field(repr=False, default_factory=threading.Event)
    _sock: socket.socket | None = field(repr=False, default=None)
    _stopped: bool = field(repr=False, default=False)

    public_url: str = ""  # the base of every link the server writes (--public-url, or the bind address)

    @property
    def process(self):
        """The current Oxigraph child process (a new one after a restart)."""
        return self.supervisor.child.process

    @property
    def pid(self) -> int:
        return self.supervisor.child.pid

    @property
    def running(self) -> bool:
        return self._thread is not None and not self._done.is_set() and self.supervisor.child.running

    @property
    def sandboxed(self) -> bool:
        """True when the seccomp filter (no connect()) is installed in the Oxigraph child."""
        return seccomp_mode(self.pid) == 2

    def wait(self, poll: float = 0.5) -> None:
        """Block until the web front stops (it runs until stop())."""
        while self._thread is not None and not self._done.wait(poll):
            pass

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the front and the child, remove the temporary store (safe to call twice)."""
        if self._stopped:
            return
        self._stopped = True
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None and self._thread is not threading.current_thread():
            self._done.wait(timeout)
        # uvicorn closes the listening socket when it shuts down; closing it here while its loop still
        # runs makes the loop fail on it ("ValueError: Invalid file descriptor: -1")
        if self._sock is not None and (self._thread is None or self._done.is_set()):
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
                 ready_timeout: float = READY_TIMEOUT_S, public_url: str | None = None,
                 read_timeout: float = DEFAULT_READ_TIMEOUT_S,
                 stall_timeout: float = DEFAULT_STALL_TIMEOUT_S, feedback_db: str | Path | None = None) -> ServerHandle:
    """Load the expanded graph into a fresh temporary store and serve it read-only on `bind`.

    ``public_url``: the base of every link the server writes (CDS card links, redirects); by default
    the bind address. ``read_timeout``: the time a request's head and body may take to arrive;
    ``stall_timeout``: the time a client may read nothing of an answer (protocol.py); ``feedback_db``: the
    CDS feedback store (feedback.py; default rnetkg-feedback.sqlite in the working folder)."""
    import uvicorn

    from .protocol import protocol_class

    host, port = parse_bind(bind)
    public = parse_public_url(public_url) if public_url is not None else None
    for name, value in (("read timeout", read_timeout), ("stall timeout", stall_timeout)):
        if not 0 < value < 86400:
            raise ServeError(f"the {name} {value!r} must be a number of seconds between 0 and 86400")
    if not (query_timeout > 0 and query_timeout < 86400):
        raise ServeError(f"--query-timeout {query_timeout!r}: must be a number of seconds between 0 and 86400")
    if memory_limit_mb is not None and not 256 <= memory_limit_mb <= 1 << 20:
        raise ServeError(f"--memory-limit {memory_limit_mb!r}: must be a number of MiB, at least 256")
    from .feedback import DEFAULT_NAME, FeedbackStore

    feedback = FeedbackStore(Path(feedback_db if feedback_db is not None else DEFAULT_NAME))
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
        import gc

        # what is loaded once (the model, the report context, the templates) is never garbage: out of
        # the collector's sight, a full collection under load walks the answers only
        gc.collect()
        gc.freeze()
        base = f"http://{_url_host(host)}:{port}"
        public = public or base + "/"
        app = build_app(supervisor, limits, fetch_ui_assets(child.base), clinic, public_url=public,
                        feedback=feedback)
        config = uvicorn.Config(app, log_config=None, log_level="warning", access_log=False, lifespan="on",
                                http=protocol_class(read_timeout, stall_timeout),
                                timeout_keep_alive=5, timeout_graceful_shutdown=3,
                                limit_concurrency=_connection_limit())
        _quiet_shutdown_cancellations()
        server = uvicorn.Server(config)
        done = threading.Event()

        def serve_web() -> None:
            try:
                server.run(sockets=[sock])
            finally:
                done.set()

        thread = threading.Thread(target=serve_web, name="rnetkg-web", daemon=True)
        handle = ServerHandle(url=base + "/", query_url=base + "/query", cds_url=base + "/cds-services",
                              update_url=base + "/update",
                              ui_url=base + "/sparql", workdir=workdir, binary=binary, limits=limits,
                              supervisor=supervisor, public_url=public,
                              _server=server, _thread=thread, _sock=sock, _done=done)
        thread.start()
        deadline = time.monotonic() + ready_timeout
        while not server.started:
            if done.is_set() or time.monotonic() > deadline:
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


def _connection_limit() -> int:
    """Open connections (and requests) at once before uvicorn answers 503: MAX_CONNECTIONS, or less
    when the process may open fewer files (each connection is one)."""
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, ValueError, OSError):
        return 256
    if soft == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS
    return max(64, min(MAX_CONNECTIONS, soft // 2 - 32))


class _ShutdownCancellation(logging.Filter):
    """Drops uvicorn's "Exception in ASGI application" records for requests cancelled because the
    server stops (uvicorn cancels them once its graceful-shutdown time is over): not an error."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, asyncio.CancelledError)


def _quiet_shutdown_cancellations() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _ShutdownCancellation) for f in logger.filters):
        logger.addFilter(_ShutdownCancellation())


# ---------------------------------------------------------------- rnetkg serve

LAYOUT = ("default graph only (no named graphs): {ontology} + {n_kg} kg/ Turtle files + "
          "{n_derived} derived referral recommendations (queries/expand-referrals.rq); {n_triples} triples")


def describe_layout(handle: ServerHandle) -> str:
    """The graph layout line, counted on the running server itself."""
    from .. import graph, paths, queries
    from ..endpoint import EndpointEngine

    (summary,) = EndpointEngine(handle.query_url, timeout=10).select(queries.get("graph-summary").text)
    ontology = paths.ontology_files()
    n_kg = len(graph.source_files()) - len(ontology)
    return LAYOUT.format(ontology=" + ".join(f"ontology/{f.name}" for f in ontology), n_kg=n_kg,
                         n_derived=summary["derived"], n_triples=summary["triples"])


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
        *([f"  public URL       {handle.public_url}   (the base of the links the server writes)"]
          if handle.public_url and handle.public_url != handle.url else []),
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
