"""Regression tests for issue 13 (the server): every query bounded in time, memory and size, no
federation, well-formed errors, and no Oxigraph child left behind.

Each test starts its own small `rnetkg serve` (in-process or as a command) on 127.0.0.1 with short
limits; every connection goes to loopback addresses only.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from rnetkg import serve
from rnetkg.serve import guard
from rnetkg.serve.server import WORKDIR_PREFIX, _remove_stale_workdirs
from conftest import RawListener, free_port, spawn_serve

pytestmark = pytest.mark.server

DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))
CROSS_PRODUCT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
SORT_HOG = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?a ?i LIMIT 1"
SMALL = "SELECT (COUNT(*) AS ?n) WHERE { ?s a ?t }"

if serve.find_oxigraph() is None:
    pytest.skip("the oxigraph server binary is not installed (pip install oxigraph)", allow_module_level=True)


def request(url: str, query: str | None = None, *, data: bytes | None = None, method: str = "POST",
            content_type: str = "application/x-www-form-urlencoded",
            accept: str = "application/sparql-results+json", timeout: float = 30) -> tuple[int, bytes, str]:
    if query is not None:
        data = urllib.parse.urlencode({"query": query}).encode()
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": content_type, "Accept": accept})
    try:
        with DIRECT.open(req, timeout=timeout) as resp:
            return resp.status, resp.read(), resp.headers.get("Content-Type", "")
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers.get("Content-Type", "")


def assert_one_line_error(status: int, body: bytes, ctype: str, code: int | tuple[int, ...]):
    codes = code if isinstance(code, tuple) else (code,)
    assert status in codes, (status, body[:300])
    text = body.decode("utf-8")
    assert ctype.startswith("text/plain") and text.endswith("\n") and "\n" not in text[:-1], text
    assert 0 < len(text) <= 300


@pytest.fixture(scope="module")
def server():
    handle = serve.start_server(f"127.0.0.1:{free_port()}", query_timeout=2, memory_limit_mb=1024, max_reply_mb=1)
    yield handle
    handle.stop()
    assert handle.process.poll() is not None


class Listener(RawListener):
    """A local TCP listener that records every connection made to it (the target of a SERVICE)."""

    def __init__(self):
        super().__init__()
        self.connections = 0
        self.start()

    def on_connection(self, c):
        self.connections += 1
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\nContent-Length: 46\r\n\r\n"
                  b'{"head":{"vars":["s"]},"results":{"bindings":[]}}'[:46])
        c.close()


# ---------------------------------------------------------------- no federation

def service_queries(port: int) -> list[str]:
    target = f"<http://127.0.0.1:{port}/sparql>"
    return [
        f"SELECT * WHERE {{ SERVICE {target} {{ ?s ?p ?o }} }}",
        f"select * where {{ service silent {target} {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ \\u0053ERVICE {target} {{ ?s ?p ?o }} }}",               # code point escape
        f"SELECT * WHERE {{ \\U00000053\\u0045RVICE {target} {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ # a comment }}\n SERVICE {target} {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ ?a ?b ?c FILTER(?a<'x>') SERVICE {target} {{ ?s ?p ?o }} }}",  # '<' not an IRI
        f"PREFIX t: <http://127.0.0.1:{port}/> SELECT * WHERE {{ {{ SELECT * {{ SERVICE t:sparql {{ ?s ?p ?o }} }} }} }}",
        f"SELECT * WHERE {{ BIND({target} AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
    ]


def test_service_never_reaches_a_local_listener(server):
    listener = Listener()
    try:
        for q in service_queries(listener.port):
            status, body, ctype = request(server.query_url, q)
            assert_one_line_error(status, body, ctype, 400)
            assert "SERVICE" in body.decode()
            status, body, ctype = request(server.query_url + "?" + urllib.parse.urlencode({"query": q}),
                                          method="GET")
            assert status == 400
        time.sleep(0.2)
        assert listener.connections == 0
    finally:
        listener.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the seccomp filter is Linux-only")
def test_the_oxigraph_child_itself_cannot_connect(server):
    """Defence in depth: a SERVICE sent past the front, straight to the child, still reaches nothing."""
    assert server.sandboxed
    listener = Listener()
    try:
        child = server.supervisor.child
        q = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{listener.port}/sparql> {{ ?s ?p ?o }} }}"
        status, body, _ = request(child.query_url, q)
        assert status != 200 or b"Permission denied" in body  # connect() refused by the filter
        time.sleep(0.2)
        assert listener.connections == 0
    finally:
        listener.close()


def test_the_word_service_elsewhere_is_not_refused(server):
    q = ('SELECT ?x WHERE { BIND("a SERVICE in a string" AS ?x) '
         'FILTER(?x != <http://example.org/service>) } # service in a comment')
    status, body, _ = request(server.query_url, q)
    assert status == 200, body
    assert json.loads(body)["results"]["bindings"][0]["x"]["value"] == "a SERVICE in a string"


def test_guard_is_fast_for_ordinary_queries():
    assert not guard.mentions_service(CROSS_PRODUCT)
    assert guard.mentions_service("\\u0073ervice")
    with pytest.raises(guard.QueryRefused):
        guard.check_query("SELECT * { SERVICE <http://x/> { ?s ?p ?o } }")
    guard.check_query("SELECT * { ?s <http://x/service> ?o }")


# ---------------------------------------------------------------- time, memory and size

def test_cross_product_is_cut_off_while_another_client_gets_answers(server):
    answers: list[int] = []
    stop = threading.Event()

    def other_client():
        while not stop.is_set():
            answers.append(request(server.query_url, SMALL, timeout=10)[0])
            time.sleep(0.05)

    t = threading.Thread(target=other_client)
    t.start()
    try:
        t0 = time.monotonic()
        status, body, ctype = request(server.query_url, CROSS_PRODUCT, timeout=30)
        elapsed = time.monotonic() - t0
    finally:
        stop.set()
        t.join(15)
    assert_one_line_error(status, body, ctype, 503)
    assert "time limit of 2 s" in body.decode()
    assert elapsed < 2 + 3  # the limit, the restart, scheduling slack
    assert len(answers) >= 5 and set(answers) == {200}, answers
    assert request(server.query_url, SMALL)[0] == 200


def test_a_query_that_outgrows_the_memory_limit_is_stopped_and_the_server_goes_on(server):
    status, body, ctype = request(server.query_url, SORT_HOG, timeout=30)
    assert_one_line_error(status, body, ctype, (502, 503))
    deadline = time.monotonic() + 10
    while request(server.query_url, SMALL)[0] != 200:
        assert time.monotonic() < deadline, "the server did not come back"
        time.sleep(0.1)
    assert server.process.poll() is None


def test_reply_cap_refuses_instead_of_cutting_off(server):
    status, body, ctype = request(server.query_url, "SELECT * WHERE { ?s ?p ?o }")
    assert_one_line_error(status, body, ctype, 400)
    assert "reply limit of 1 MiB" in body.decode()
    status, body, _ = request(server.query_url, "SELECT * WHERE { ?s ?p ?o } LIMIT 10")
    assert status == 200 and len(json.loads(body)["results"]["bindings"]) == 10


# ---------------------------------------------------------------- the protocol and its refusals

def test_protocol_forms_and_refusals(server):
    q = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    status, body, _ = request(server.query_url + "?" + urllib.parse.urlencode({"query": q}), method="GET")
    assert status == 200 and int(json.loads(body)["results"]["bindings"][0]["n"]["value"]) > 1000
    status, body2, _ = request(server.query_url, data=q.encode(), content_type="application/sparql-query")
    assert status == 200 and body2 == body
    status, body, ctype = request(server.query_url, accept="text/csv", query=q)
    assert status == 200 and ctype.startswith("text/csv") and body.splitlines()[0] == b"n"
    cases = [
        (dict(data=b"update=INSERT+DATA+%7B%3Ca%3E+%3Cb%3E+%3Cc%3E%7D"), 403),
        (dict(data=b"INSERT DATA { <a> <b> <c> }", content_type="application/sparql-update"), 403),
        (dict(data=b"query=ASK%7B%7D&query=ASK%7B%7D"), 400),
        (dict(data=b"nothing=here"), 400),
        (dict(data=b"ASK {}", content_type="text/plain"), 415),
        (dict(data=b"query=" + b"%FF"), 400),
    ]
    for kwargs, code in cases:
        assert_one_line_error(*request(server.query_url, **kwargs), code)
    # a body over the request limit is refused from its Content-Length, before it is read
    conn = http.client.HTTPConnection("127.0.0.1", urllib.parse.urlsplit(server.url).port, timeout=10)
    conn.putrequest("POST", "/query")
    conn.putheader("Content-Type", "application/x-www-form-urlencoded")
    conn.putheader("Content-Length", str(9 << 20))
    conn.endheaders()
    resp = conn.getresponse()
    assert_one_line_error(resp.status, resp.read(), resp.headers.get("Content-Type", ""), 413)
    conn.close()
    for path in ("/update", "/store?default"):
        assert_one_line_error(*request(server.url.rstrip("/") + path, data=b"<a> <b> <c> .",
                                       content_type="text/turtle"), 403)
    status, body, ctype = request(server.query_url, "SELECT * WHERE { ?s ?p }")
    assert status == 400 and ctype.startswith("text/plain")


# ---------------------------------------------------------------- no child left behind

def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return not re.search(r"^State:\s+Z", state, re.M)


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
def test_child_dies_with_rnetkg_serve_even_on_sigkill(tmp_path):
    port = free_port()
    proc = spawn_serve(port, tmp_path)
    child_pid = None
    try:
        out = ""
        deadline = time.monotonic() + 30
        while "Oxigraph server pid" not in out and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            out += line
        child_pid = int(re.search(r"Oxigraph server pid (\d+)", out).group(1))
        assert _alive(child_pid)
        proc.kill()  # SIGKILL: no clean-up code runs in rnetkg serve
        proc.wait(10)
        deadline = time.monotonic() + 5
        while _alive(child_pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(child_pid), "the Oxigraph child outlived rnetkg serve"
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if child_pid is not None and _alive(child_pid):
            os.kill(child_pid, signal.SIGKILL)
    # the folder it left is removed by the next start (its owner is gone)
    left = list(tmp_path.glob(WORKDIR_PREFIX + "*"))
    assert left
    old_tmp = os.environ.get("TMPDIR")
    import tempfile

    os.environ["TMPDIR"], tempfile.tempdir = str(tmp_path), None
    try:
        _remove_stale_workdirs()
    finally:
        if old_tmp is None:
            os.environ.pop("TMPDIR")
        else:
            os.environ["TMPDIR"] = old_tmp
        tempfile.tempdir = None
    assert not any(p.exists() for p in left)
