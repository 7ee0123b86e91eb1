"""Regression tests for issue 25, the web server of `rnetkg serve` (items 3, 4, 20, 26-29, 31) and a
property test over page requests.

One small in-process server per module on 127.0.0.1 with short limits (read timeout 2 s, write stall
timeout 3 s, two query slots); every connection goes to loopback addresses only.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from htmlpage import parse
from rnetkg import cli, serve
from rnetkg.fields import FIELDS
from rnetkg.serve import cds
from rnetkg.serve.app import MAX_PAGE_FIELDS
from conftest import free_port, spawn_serve

pytestmark = pytest.mark.server

READ_TIMEOUT = 2.0
STALL_TIMEOUT = 3.0
MAX_CONCURRENT = 2
BIG = "SELECT * WHERE { ?s ?p ?o . ?a ?b ?c } LIMIT 25000"  # megabytes of SPARQL JSON

if serve.find_oxigraph() is None:
    pytest.skip("the oxigraph server binary is not installed (pip install oxigraph)", allow_module_level=True)


@pytest.fixture(scope="module")
def server(request):
    handle = serve.start_server(f"127.0.0.1:{free_port()}", query_timeout=5, max_reply_mb=32,
                                max_concurrent=MAX_CONCURRENT, read_timeout=READ_TIMEOUT,
                                stall_timeout=STALL_TIMEOUT)
    request.addfinalizer(handle.stop)
    return handle


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, trust_env=False, timeout=30) as c:
        yield c


def port_of(server) -> int:
    return urllib.parse.urlsplit(server.url).port


def one_line(r: httpx.Response, status: int) -> str:
    assert r.status_code == status, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("text/plain")
    assert r.text.endswith("\n") and r.text.count("\n") == 1 and len(r.text) <= 300, r.text
    return r.text


def read_all(sock: socket.socket, timeout: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and when it closed (monotonic)."""
    sock.settimeout(timeout)
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data, time.monotonic()
        data += chunk


# ---------------------------------------------------------------- item 3: idle and slow connections

def test_issue25_idle_connections_neither_block_requests_nor_stay_open(server, client):
    idle = [socket.create_connection(("127.0.0.1", port_of(server)), timeout=10) for _ in range(300)]
    try:
        t0 = time.monotonic()
        r = client.get("/query", params={"query": "ASK {}"}, headers={"Accept": "application/sparql-results+json"})
        assert r.status_code == 200 and r.json()["boolean"] is True  # not 503 "concurrency limit"
        assert time.monotonic() - t0 < 2
        closed_at = []
        for sock in idle[:20]:
            data, when = read_all(sock, READ_TIMEOUT + 5)
            assert data.startswith(b"HTTP/1.1 408 ")
            assert data.endswith(b"the request did not arrive within 2 s; the connection is closed\n")
            closed_at.append(when - t0)
        assert max(closed_at) < READ_TIMEOUT + 2
    finally:
        for sock in idle:
            sock.close()


@pytest.mark.parametrize("head, drip", [
    (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n", b"X-a: b\r\n"),                       # headers one byte at a time
    (b"POST /query HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
     b"Content-Length: 1000\r\n\r\nquery=", b"ASK%7B%7D"),                           # a body one byte at a time
    (b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
     b"Content-Length: 1000\r\n\r\nsize_mm=", b"15"),
], ids=["headers", "query-body", "form-body"])
def test_issue25_slowloris_is_cut_off_at_the_read_timeout(server, head, drip):
    sock = socket.create_connection(("127.0.0.1", port_of(server)), timeout=10)
    try:
        t0 = time.monotonic()
        sock.sendall(head)
        try:
            for _ in range(40):  # 0.25 s per byte: 10 s if nothing stopped it
                for b in drip:
                    sock.sendall(bytes([b]))
                    time.sleep(0.25)
        except OSError:  # the server closed the connection
            pass
        data, when = read_all(sock, 10)
    finally:
        sock.close()
    assert when - t0 < READ_TIMEOUT + 1.5
    status = data.split(b"\r\n", 1)[0]
    assert status == b"HTTP/1.1 408 Request Timeout", data[:200]
    assert data.endswith(b"the connection is closed\n")


def test_issue25_a_slow_request_within_the_timeout_is_answered(server):
    sock = socket.create_connection(("127.0.0.1", port_of(server)), timeout=10)
    try:
        for piece in (b"GET /query?query=ASK%7B%7D HTTP/1.1\r\n", b"Host: 127.0.0.1\r\n",
                      b"Accept: application/sparql-results+json\r\n", b"Connection: close\r\n", b"\r\n"):
            sock.sendall(piece)
            time.sleep(0.2)
        data, _ = read_all(sock, 10)
    finally:
        sock.close()
    assert data.startswith(b"HTTP/1.1 200 ") and data.endswith(b'"boolean":true}')


# ---------------------------------------------------------------- item 4: slow readers

def test_issue25_slow_readers_cannot_make_the_front_hold_answers_without_bound(server, client):
    r = client.post("/query", data={"query": BIG}, headers={"Accept": "application/sparql-results+json"})
    size = len(r.content)
    assert size > 8 << 20  # larger than what the kernel buffers of a loopback connection take
    proxy_app = server._server.config.app
    proxy = proxy_app.state.proxy
    proxy.peak_held_bytes = proxy.held_bytes
    readers = []
    body = urllib.parse.urlencode({"query": BIG}).encode()
    t0 = time.monotonic()
    for _ in range(8):  # more slow readers than query slots
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a client that reads nothing
        sock.connect(("127.0.0.1", port_of(server)))
        sock.sendall(b"POST /query HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/sparql-results+json\r\n"
                     b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: "
                     + str(len(body)).encode() + b"\r\n\r\n" + body)
        readers.append(sock)
    try:
        time.sleep(1.5)
        # the answers being sent hold the query slots: at most MAX_CONCURRENT answers are in memory
        assert proxy.peak_held_bytes <= MAX_CONCURRENT * size, (proxy.peak_held_bytes, size)
        assert proxy.slots.locked()
        # the stalled readers are dropped after the stall timeout, and the slots come back
        r = client.post("/query", data={"query": "ASK {}"}, headers={"Accept": "application/sparql-results+json"})
        assert r.status_code in (200, 503)
        deadline = time.monotonic() + 4 * STALL_TIMEOUT + 10
        while proxy.held_bytes > 0 or proxy.slots.locked():
            assert time.monotonic() < deadline, (proxy.held_bytes, proxy.slots.locked())
            time.sleep(0.2)
        assert proxy.peak_held_bytes <= MAX_CONCURRENT * size
        r = client.post("/query", data={"query": "ASK {}"}, headers={"Accept": "application/sparql-results+json"})
        assert r.status_code == 200 and r.json()["boolean"] is True
    finally:
        for sock in readers:
            sock.close()
    assert time.monotonic() - t0 < 28


def test_issue25_a_large_answer_arrives_whole_and_frees_its_memory(server, client):
    proxy = server._server.config.app.state.proxy
    r = client.post("/query", data={"query": BIG}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200 and int(r.headers["content-length"]) == len(r.content)
    assert len(r.json()["results"]["bindings"]) == 25000
    assert proxy.held_bytes == 0 and not proxy.slots.locked()


# ---------------------------------------------------------------- item 20: a clean stop

@pytest.mark.slow
def test_issue20_stop_while_a_request_is_still_arriving_prints_no_traceback(tmp_path):
    """uvicorn cancels requests still running 3 s after a stop; that is no error and prints nothing."""
    port = free_port()
    proc = spawn_serve(port, tmp_path, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while "Ctrl-C stops the server." not in proc.stdout.readline():
            assert time.monotonic() < deadline and proc.poll() is None
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                     b"Content-Length: 100\r\n\r\nsize_mm=1")  # the rest of the body never comes
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(20)
        err = proc.stderr.read()
        sock.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert code == 0
    assert "Traceback" not in err and "CancelledError" not in err and "Invalid file descriptor" not in err, err


def test_issue20_stop_leaves_the_listening_socket_to_a_running_loop():
    """handle.stop() closes the listening socket only once the web loop has ended, and asks the loop
    itself, not Thread.is_alive(): on Python < 3.13 a signal that interrupts Thread.join() (Ctrl-C
    during handle.wait()) marks the thread stopped while it still runs."""
    from rnetkg.serve.server import ServerHandle

    class InterruptedThread:  # what a thread looks like after a signal interrupted its join()
        def join(self, timeout=None):
            pass

        def is_alive(self):
            return False

    class Sock:
        closed = False

        def close(self):
            self.closed = True

    class Supervisor:
        def stop(self):
            pass

    def handle(sock):
        return ServerHandle(url="", query_url="", cds_url="", update_url="", ui_url="",
                            workdir=Path("/nonexistent-rnetkg-test"), binary="", limits=None,
                            supervisor=Supervisor(), _thread=InterruptedThread(), _sock=sock)

    running = handle(Sock())
    running.stop(timeout=0.01)
    assert not running._sock.closed  # the loop still runs: uvicorn closes the socket itself
    ended = handle(Sock())
    ended._done.set()
    ended.stop(timeout=0.01)
    assert ended._sock.closed


def test_issue20_requests_cancelled_by_the_stop_are_not_logged_as_errors():
    """uvicorn logs "Exception in ASGI application" with the traceback of the CancelledError of each
    request it cancels at the end of its graceful-shutdown time; the server drops those records only."""
    import asyncio
    import logging

    from rnetkg.serve.server import _quiet_shutdown_cancellations

    _quiet_shutdown_cancellations()
    _quiet_shutdown_cancellations()  # once is enough: no second filter
    logger = logging.getLogger("uvicorn.error")
    assert len(logger.filters) == 1

    def record(exc):
        return logging.LogRecord("uvicorn.error", logging.ERROR, __file__, 1, "Exception in ASGI application\n",
                                 None, (type(exc), exc, None) if exc else None)

    assert not logger.filter(record(asyncio.CancelledError("Task cancelled, timeout graceful shutdown exceeded")))
    assert logger.filter(record(ValueError("a real error")))
    assert logger.filter(record(None))


# ---------------------------------------------------------------- items 26 and 27: the protocol

@pytest.mark.parametrize("query, ctype", [
    ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 3", "application/n-quads"),
    ("DESCRIBE ?s WHERE { ?s a ?t } LIMIT 1", "application/n-quads"),
    ("SELECT ?s WHERE { ?s a ?t } LIMIT 1", "application/sparql-results+json"),
    ("ASK {}", "application/sparql-results+json"),
])
def test_issue26_no_accept_header_gets_the_servers_default_for_the_query_form(server, query, ctype):
    for method in ("GET", "POST"):
        with httpx.Client(trust_env=False, timeout=30) as c:
            req = (c.build_request("GET", server.query_url, params={"query": query}) if method == "GET" else
                   c.build_request("POST", server.query_url, data={"query": query}))
            del req.headers["accept"]
            r = c.send(req)
        assert r.status_code == 200, (method, r.status_code, r.text[:200])
        assert r.headers["content-type"].startswith(ctype)
        if "n-quads" in ctype:
            assert r.text.count(" .\n") >= 1 and r.text.startswith(("<", "_:"))


def test_issue26_an_explicit_accept_is_still_honoured(client):
    r = client.get("/query", params={"query": "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 2"},
                   headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    r = client.get("/query", params={"query": "SELECT ?s WHERE { ?s ?p ?o } LIMIT 2"}, headers={"Accept": "text/csv"})
    assert r.status_code == 200 and r.text.splitlines()[0] == "s"


def test_issue27_head_query_answers_like_get_without_a_body(client):
    get = client.get("/query", params={"query": "ASK {}"}, headers={"Accept": "application/sparql-results+json"})
    head = client.head("/query", params={"query": "ASK {}"}, headers={"Accept": "application/sparql-results+json"})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["content-length"] == str(len(get.content))
    assert client.head("/query").status_code == 400  # no query: the same refusal as GET


# ---------------------------------------------------------------- items 28 and 29: forms and query strings

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_issue28_a_form_with_too_many_fields_says_so(client):
    body = "&".join(f"f{i}=1" for i in range(150))
    text = one_line(client.post("/", content=body, headers=FORM), 400)
    assert text == "the form has 150 fields; at most 100 are read\n"
    text = one_line(client.post("/query", content="&".join(f"f{i}=1" for i in range(1500)), headers=FORM), 400)
    assert text == "the form has 1,500 fields; at most 1000 are read\n"
    text = one_line(client.post("/", content="size_mm=%FF", headers=FORM), 400)
    assert "not valid application/x-www-form-urlencoded UTF-8" in text


def test_issue29_thousands_of_unknown_parameters_get_one_short_message(client):
    r = client.get("/?" + "&".join(f"u{i}=1" for i in range(3000)))
    assert one_line(r, 400) == "the query string has 3,000 fields; at most 100 are read\n"
    r = client.get("/query?" + "&".join(f"u{i}=1" for i in range(3000)))
    assert one_line(r, 400) == "the query string has 3,000 fields; at most 1000 are read\n"


def test_issue29_unknown_fields_within_the_limit_are_one_message(client):
    empty = client.get("/")
    r = client.get("/", params=[(f"unknown{i}", "x" * 150) for i in range(MAX_PAGE_FIELDS - 2)]
                   + [("size_mm", "15"), ("size_mm", "16")])
    assert r.status_code == 400
    messages = [e.text for e in parse(r.text).find("div", id="errors").find_all("li")]
    assert len(messages) == 2, messages
    assert any(m.startswith(f"unknown0 and {MAX_PAGE_FIELDS - 3} more: unknown fields; allowed fields: id, size_mm")
               for m in messages), messages
    assert len(r.content) < len(empty.content) + 4000


# ---------------------------------------------------------------- item 31: --public-url

@pytest.mark.parametrize("url, base", [
    ("https://rnet.example.org", "https://rnet.example.org/"),
    ("HTTP://Rnet.Example.org:8443/kg", "http://rnet.example.org:8443/kg/"),
    ("http://[::1]:7878/", "http://[::1]:7878/"),
])
def test_issue31_public_url_is_normalised(url, base):
    assert serve.parse_public_url(url) == base


@pytest.mark.parametrize("url, message", [
    ("ftp://rnet.example.org/", "must start with http:// or https://"),
    ("rnet.example.org", "must start with http:// or https://"),
    ("https:///path", "names no host"),
    ("https://rnet.example.org/?a=1", "must have no query (?...) or fragment (#...)"),
    ("https://rnet.example.org/#top", "must have no query (?...) or fragment (#...)"),
    ("https://user:pw@rnet.example.org/", "must not hold a user name or password"),
    ("https://rnet.example.org:99999/", "not a URL"),
    ("https://rnet.example.org/a b", "spaces and control characters are not allowed"),
])
def test_issue31_bad_public_url_is_one_line_exit_2(url, message, capsys):
    code = cli.main(["serve", "--bind", f"127.0.0.1:{free_port()}", "--public-url", url])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.startswith("rnetkg: ") and "--public-url" in err and message in err, err
    assert err.count("\n") == 1 and len(err) <= 301 and "Traceback" not in err


def test_issue31_redirect_and_card_links_ignore_the_host_header(server):
    with httpx.Client(trust_env=False, timeout=30, follow_redirects=False) as c:
        r = c.get(server.url + "query/?query=ASK%7B%7D", headers={"Host": "evil.example"})
        assert r.status_code == 308
        assert r.headers["location"] == server.query_url + "?query=ASK%7B%7D"
        req = cds.request_for_profile({"size_mm": 15, "grade": "G1", "margin": "not_resected"}, "p1")
        r = c.post(server.cds_url + "/" + cds.SERVICE_ID, json=req, headers={"Host": "evil.example"})
    assert r.status_code == 200
    links = [link["url"] for card in r.json()["cards"] for link in card.get("links", [])]
    assert links and all(u.startswith(server.url + "?") for u in links), links
    assert server.public_url == server.url


def test_issue31_public_url_is_the_base_of_every_link():
    from starlette.testclient import TestClient

    from rnetkg.serve.app import Limits, build_app

    base = "https://rnet.example.org/kg/"
    app = build_app(None, Limits(), {}, public_url=base)
    with TestClient(app, base_url="http://evil.example") as c:
        r = c.get("/sparql/?x=1", follow_redirects=False)
        assert r.status_code == 308 and r.headers["location"] == base + "sparql?x=1"
        r = c.post("/query/", follow_redirects=False)
        assert r.status_code == 307 and r.headers["location"] == base + "query"
        assert c.get("/nothing/", follow_redirects=False).status_code == 404
        req = cds.request_for_profile({"size_mm": 15, "grade": "G1", "margin": "not_resected"}, "p1")
        r = c.post("/cds-services/" + cds.SERVICE_ID, json=req)
    cards = r.json()["cards"]
    assert cards and all(card["source"]["url"].startswith(base + "?") for card in cards)
    assert all(link["url"].startswith(base + "?size_mm=15") for card in cards for link in card["links"])


# ---------------------------------------------------------------- property: any page request

NAMES = st.sampled_from(sorted(FIELDS)) | st.text(max_size=12)
VALUES = st.sampled_from(["", "15", "G1", "true", "not_resected", "1e400", "-0", "nan"]) | st.text(max_size=40)
PAIRS = st.lists(st.tuples(NAMES, VALUES), max_size=30)
RAW = st.binary(max_size=300)


def check_answer(r: httpx.Response) -> None:
    assert 200 <= r.status_code < 500, (r.status_code, r.text[:300])
    ctype = r.headers.get("content-type", "")
    if ctype.startswith("text/plain"):
        assert r.text.endswith("\n") and r.text.count("\n") == 1 and len(r.text) <= 300, r.text
    else:
        assert ctype.startswith("text/html")
        if r.status_code >= 400:  # the form again, with at most one message per field and one for the rest
            messages = [e.text for e in parse(r.text).find("div", id="errors").find_all("li")]
            assert 1 <= len(messages) <= len(FIELDS) + 1, messages
            assert all(len(m) <= 400 for m in messages), messages
            assert len(r.content) < 400_000


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(pairs=PAIRS, raw=RAW, how=st.sampled_from(["get", "post", "raw-get", "raw-post"]))
def test_issue25_any_page_request_is_an_answer_or_one_message_never_500(client, pairs, raw, how):
    if how == "get":
        r = client.get("/?" + urllib.parse.urlencode(pairs))
    elif how == "post":
        r = client.post("/", content=urllib.parse.urlencode(pairs), headers=FORM)
    elif how == "raw-get":
        r = client.get("/?" + urllib.parse.quote(raw, safe="=&;%+"))
    else:
        r = client.post("/", content=raw, headers=FORM)
    check_answer(r)
