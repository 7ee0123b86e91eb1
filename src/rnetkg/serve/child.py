"""The Oxigraph server as a child process: built, sandboxed, watched, restarted, never left behind.

- `build_store` loads the expanded graph into a store folder once (`oxigraph load`).
- `Supervisor` runs `oxigraph serve-read-only` on that folder on a private loopback port, with, set
  in the child before it starts:
  * PR_SET_PDEATHSIG = SIGKILL: the kernel kills the child when its parent goes, even on SIGKILL of
    `rnetkg serve` (checked against the race where the parent died before the call);
  * RLIMIT_AS: a hard limit on the child's address space (a runaway query fails the allocation and
    the child exits, instead of growing to gigabytes);
  * a seccomp filter that denies `connect()` (and io_uring): the child can listen and answer, but it
    cannot open a connection anywhere, so no query can make it fetch from the network.
- A supervisor thread (the parent of every child, as PR_SET_PDEATHSIG is tied to the thread that
  forked) restarts the child when it exits unexpectedly or when the web front asks (a query that
  overran its time limit).

Oxigraph's own `--timeout-s` is not used: in oxigraph 0.5.13 it keeps one sleeping thread per query
for the whole limit (600 threads after 600 requests at a 10 s limit, each with its stack reserved,
which exhausts RLIMIT_AS under load), it does not stop a sort that keeps allocating, and when it
fires after the answer has started it appends its message to an HTTP 200 answer.
"""

from __future__ import annotations

import ctypes
import errno
import logging
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import Future
from pathlib import Path

log = logging.getLogger("rnetkg.serve")

BINARY_ENV = "RNETKG_OXIGRAPH"  # an explicit path to the oxigraph binary, checked first
READY_TIMEOUT_S = 20.0
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


from ..errors import ServeError  # noqa: E402  (the server cannot start: bad --bind, port in use, no binary)


def find_oxigraph() -> str | None:
    """The oxigraph binary: $RNETKG_OXIGRAPH, else next to this Python (the venv), else on PATH."""
    explicit = os.environ.get(BINARY_ENV)
    if explicit:
        return explicit if os.path.isfile(explicit) and os.access(explicit, os.X_OK) else None
    beside = Path(sys.executable).parent / "oxigraph"  # not resolved: a venv's python is a symlink
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("oxigraph")


def require_oxigraph() -> str:
    binary = find_oxigraph()
    if binary is None:
        where = f"at ${BINARY_ENV}={os.environ[BINARY_ENV]}" if os.environ.get(BINARY_ENV) else \
            f"next to {sys.executable} or on PATH"
        raise ServeError(f"the Oxigraph server binary `oxigraph` was not found {where}; "
                         "install it with `pip install oxigraph==0.5.13`")
    return binary


def last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1][:200] if lines else ""


def build_store(location: Path, binary: str) -> None:
    """Write the expanded graph and load it with `oxigraph load` into the store folder `location`."""
    from .. import graph

    nt = location.parent / "graph.nt"
    graph.serialize_expanded(nt, "nt")
    try:
        done = subprocess.run([binary, "load", "--location", str(location), "--file", str(nt)],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True)
    finally:
        nt.unlink(missing_ok=True)
    if done.returncode != 0:
        raise ServeError(f"oxigraph load failed (exit code {done.returncode}): "
                         f"{last_line(done.stderr) or last_line(done.stdout) or 'no message'}")


# ---------------------------------------------------------------- the sandbox set in the child

_PR_SET_PDEATHSIG, _PR_SET_NO_NEW_PRIVS, _PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 1, 38, 22, 2
# (audit arch, connect, io_uring_setup) per machine; syscalls of another ABI are denied outright
_ARCH = {"x86_64": (0xC000003E, 42, 425), "aarch64": (0xC00000B7, 203, 425)}


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


def _seccomp_program():
    """A classic-BPF seccomp filter: connect() and io_uring_setup() fail with EACCES; all else allowed."""
    arch = _ARCH.get(platform.machine())
    if arch is None or not sys.platform.startswith("linux"):
        return None
    audit_arch, nr_connect, nr_io_uring = arch
    ld_w_abs, jeq_k, jge_k, ret_k = 0x20, 0x15, 0x35, 0x06
    deny = 0x00050000 | errno.EACCES  # SECCOMP_RET_ERRNO
    allow = 0x7FFF0000
    prog = [
        (ld_w_abs, 0, 0, 4),             # 0: A = seccomp_data.arch
        (jeq_k, 0, 5, audit_arch),       # 1: another ABI -> deny (7)
        (ld_w_abs, 0, 0, 0),             # 2: A = seccomp_data.nr
        (jge_k, 3, 0, 0x40000000),       # 3: x32 syscall numbers -> deny (7)
        (jeq_k, 2, 0, nr_connect),       # 4: connect -> deny (7)
        (jeq_k, 1, 0, nr_io_uring),      # 5: io_uring_setup -> deny (7)
        (ret_k, 0, 0, allow),            # 6
        (ret_k, 0, 0, deny),             # 7
    ]
    filters = (_SockFilter * len(prog))(*[_SockFilter(*ins) for ins in prog])
    return _SockFprog(len(prog), ctypes.cast(filters, ctypes.POINTER(_SockFilter))), filters


def _make_preexec(memory_limit_bytes: int | None):
    """The function run in the child between fork and exec: everything prepared before the fork."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    prctl = libc.prctl
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    program = _seccomp_program()
    parent = os.getpid()
    prog_addr = ctypes.addressof(program[0]) if program else 0

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the call: nobody would stop us
            os._exit(1)
        if memory_limit_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (memory_limit_bytes, memory_limit_bytes))
        if prog_addr:
            prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
            prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, prog_addr, 0, 0)

    preexec._keep = program  # the filter must outlive the fork
    return preexec


def seccomp_mode(pid: int) -> int | None:
    """The Seccomp field of /proc/PID/status (2 = a filter is installed), None if unknown."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("Seccomp:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def free_loopback_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- one child

class Child:
    """One `oxigraph serve-read-only` process on 127.0.0.1:port."""

    def __init__(self, process: subprocess.Popen, port: int, generation: int, logfile: Path):
        self.process = process
        self.port = port
        self.generation = generation
        self.logfile = logfile
        self.base = f"http://127.0.0.1:{port}"
        self.query_url = self.base + "/query"

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def log_tail(self) -> str:
        try:
            text = self.logfile.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        for line in text.splitlines():
            if "memory allocation" in line:  # Rust's message when RLIMIT_AS refuses an allocation
                return f"out of memory under the address-space limit ({line.strip()[:120]})"
        return last_line(text)

    def wait_ready(self, timeout: float) -> None:
        probe = self.query_url + "?" + urllib.parse.urlencode({"query": "ASK {}"})
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise ServeError(f"the Oxigraph server stopped at start (exit code "
                                 f"{self.process.returncode}): {self.log_tail() or 'no message'}")
            try:
                req = urllib.request.Request(probe, headers={"Accept": "application/sparql-results+json"})
                with _DIRECT.open(req, timeout=1.0) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise ServeError(f"the Oxigraph server did not answer at {self.query_url} within {timeout:g} s")
            time.sleep(0.02)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            pass

    def terminate(self, timeout: float = 5.0) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()


# ---------------------------------------------------------------- the supervisor

class Supervisor:
    """Owns the child: starts it, restarts it on request or when it dies, stops it for good.

    Every child is forked by the supervisor's own thread, which lives exactly as long as the server.
    """

    def __init__(self, binary: str, store: Path, workdir: Path, *, query_timeout: float,
                 memory_limit_mb: int | None, ready_timeout: float = READY_TIMEOUT_S):
        self.binary = binary
        self.store = store
        self.workdir = workdir
        self.query_timeout = query_timeout
        self.memory_limit_mb = memory_limit_mb
        self.ready_timeout = ready_timeout
        self.restarts = 0
        self._child: Child | None = None
        self._generation = 0
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._requests: list[tuple[int, Future]] = []
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._preexec = _make_preexec(memory_limit_mb * 1024 * 1024 if memory_limit_mb else None)

    # -- public
    def start(self) -> Child:
        """Start the supervisor thread and the first child; ServeError when the child cannot start."""
        first: Future = Future()
        self._requests.append((-1, first))
        self._thread = threading.Thread(target=self._loop, name="rnetkg-oxigraph-supervisor", daemon=True)
        self._thread.start()
        return first.result()

    @property
    def child(self) -> Child:
        with self._lock:
            assert self._child is not None
            return self._child

    def restart(self, generation: int) -> Future:
        """Kill child `generation` (if still current) and start a new one; the Future gives the new Child."""
        fut: Future = Future()
        with self._lock:
            if self._child is not None and self._child.generation != generation and self._child.running:
                fut.set_result(self._child)  # already replaced
                return fut
            self._requests.append((generation, fut))
        self._wake.set()
        return fut

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(15)
        child = self._child
        if child is not None:
            child.terminate()

    # -- the thread
    def _spawn(self) -> Child:
        last_error: ServeError | None = None
        for _ in range(3):  # the private port could be taken between choosing and binding it
            port = free_loopback_port()
            self._generation += 1
            logfile = self.workdir / f"oxigraph-{self._generation}.log"
            with open(logfile, "wb") as out:
                process = subprocess.Popen(
                    [self.binary, "serve-read-only", "--location", str(self.store),
                     "--bind", f"127.0.0.1:{port}"],
                    stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                    start_new_session=True, preexec_fn=self._preexec,
                    # few malloc arenas: each reserves 64 MiB of address space, which RLIMIT_AS counts
                    env={**os.environ, "MALLOC_ARENA_MAX": "2"})
            child = Child(process, port, self._generation, logfile)
            try:
                child.wait_ready(self.ready_timeout)
                return child
            except ServeError as e:
                child.kill()
                last_error = e
        raise last_error

    def _loop(self) -> None:
        while True:
            self._wake.wait(0.2)
            self._wake.clear()
            with self._lock:
                if self._stopping:
                    break
                requests, self._requests = self._requests, []
                child = self._child
            died = child is not None and not child.running
            if not requests and not died:
                continue
            if child is not None:
                if died:
                    log.warning("the Oxigraph server exited (code %s: %s); starting it again",
                                child.process.returncode, child.log_tail() or "no message")
                child.kill()
                self.restarts += 1
            try:
                new = self._spawn()
            except ServeError as e:
                for _, fut in requests:
                    fut.set_exception(e)
                if child is None:
                    return  # the first start failed: start() raises it
                log.error("%s", e)
                time.sleep(1.0)
                self._wake.set()
                continue
            with self._lock:
                self._child = new
                self._changed.notify_all()
            for _, fut in requests:
                fut.set_result(new)
        child = self._child
        if child is not None:
            child.terminate()
