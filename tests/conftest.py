"""Shared fixtures: the graph loaded once per session in each engine."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

# The tests keep rnetkg's cache (rnetkg.cache) in a folder of their own, shared by the processes they
# start: what a user's cache holds never decides a test, and the tests leave nothing in ~/.cache.
import atexit  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402

os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="rnetkg-test-cache-")
atexit.register(shutil.rmtree, os.environ["XDG_CACHE_HOME"], True)

from rnetkg import engine, graph  # noqa: E402

SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.fixture(scope="session")
def store_engine():
    return engine.StoreEngine(graph.shared_store())


@pytest.fixture(scope="session")
def rdflib_engine():
    return engine.RdflibEngine(graph.load_rdflib())


_TOKEN_LIST = re.compile(r"^[A-Za-z0-9_\-]+( [A-Za-z0-9_\-]+)+$")


def normalise_value(value):
    """Engine-independent form of a result value: GROUP_CONCAT lists (" | " or space-separated keys)
    become sorted tuples, because SPARQL leaves the order of GROUP_CONCAT unspecified."""
    if isinstance(value, str):
        if " | " in value:
            return tuple(sorted(value.split(" | ")))
        if _TOKEN_LIST.match(value):
            return tuple(sorted(value.split(" ")))
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def normalise_rows(rows):
    return sorted((tuple(sorted((k, normalise_value(v)) for k, v in r.items())) for r in rows), key=repr)


def free_port() -> int:
    """A loopback port nothing listens on now (for a server a test starts)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RawListener:
    """A local TCP listener for tests of clients: each accepted connection goes to ``on_connection``
    (in the accepting thread); ``port`` is where it listens."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]

    def start(self):
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.on_connection(conn)

    def on_connection(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def close(self):
        self.sock.close()


def spawn_serve(port: int, tmp_path: Path, stderr=subprocess.DEVNULL) -> subprocess.Popen:
    """`python -m rnetkg serve` from this checkout on 127.0.0.1:PORT, its temporary files under
    tmp_path, stdout as text through a pipe."""
    env = dict(os.environ, PYTHONPATH=str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               TMPDIR=str(tmp_path))
    return subprocess.Popen([sys.executable, "-m", "rnetkg", "serve", "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.PIPE, stderr=stderr, text=True, env=env)
