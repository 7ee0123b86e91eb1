"""Regression tests for issue 13 (the endpoint client, `--endpoint URL`): every reply is bounded and
checked. Small HTTP servers on 127.0.0.1 play misbehaving endpoints: one that drips its reply, one
that never stops, one with unexpected variables, one without the rnetkg graph (a real Oxigraph
server on an empty store)."""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

from rnetkg import cli, serve
from rnetkg.endpoint import EndpointEngine, EndpointError
from conftest import RawListener

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "profile-15mm-g1.json"
GRAPH_OK = b'{"head":{"vars":["ontology","derived"]},"results":{"bindings":[{"ontology":{"type":"literal",' \
           b'"value":"true","datatype":"http://www.w3.org/2001/XMLSchema#boolean"},"derived":{"type":"literal",' \
           b'"value":"true","datatype":"http://www.w3.org/2001/XMLSchema#boolean"}}]}}'


class FakeEndpoint(RawListener):
    """Answers the graph check correctly, then every other query with `behaviour(conn)`."""

    def __init__(self, behaviour):
        super().__init__()
        self.behaviour = behaviour
        self.url = f"http://127.0.0.1:{self.port}/query"
        self.stop = threading.Event()
        self.start()

    def on_connection(self, conn):
        threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        try:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            head, _, body = data.partition(b"\r\n\r\n")
            length = int(next(ln.split(b":")[1] for ln in head.split(b"\r\n") if ln.lower().startswith(b"content-length")))
            while len(body) < length:
                body += conn.recv(65536)
            query = urllib.parse.parse_qs(body.decode())["query"][0]
            if "?ontology ?derived" in query:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
                             b"Content-Length: %d\r\n\r\n" % len(GRAPH_OK) + GRAPH_OK)
            else:
                self.behaviour(conn, self.stop)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self):
        self.stop.set()
        super().close()


def drip(conn, stop):
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\nContent-Length: 100000\r\n\r\n")
    while not stop.is_set():
        conn.sendall(b" ")
        time.sleep(0.5)


def drip_headers(conn, stop):
    for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 1000:
        if stop.is_set():
            return
        conn.sendall(bytes([byte]))
        time.sleep(0.5)


def endless(conn, stop):
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n\r\n"
                 b'{"head":{"vars":["x"]},"results":{"bindings":[')
    chunk = b'{"x":{"type":"literal","value":"' + b"y" * 60000 + b'"}},'
    while not stop.is_set():
        conn.sendall(chunk)


def unexpected_variables(conn, stop):
    body = json.dumps({"head": {"vars": ["surprise"]}, "results": {"bindings": [
        {"surprise": {"type": "literal", "value": "1"}}]}}).encode()
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\nContent-Length: %d\r\n\r\n"
                 % len(body) + body)


def extra_binding(conn, stop):
    body = json.dumps({"head": {"vars": ["one"]}, "results": {"bindings": [
        {"one": {"type": "literal", "value": "1"}, "two": {"type": "literal", "value": "2"}}]}}).encode()
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\nContent-Length: %d\r\n\r\n"
                 % len(body) + body)


@pytest.mark.parametrize("behaviour", [drip, drip_headers], ids=["body", "headers"])
def test_dripping_reply_fails_at_the_timeout(behaviour):
    fake = FakeEndpoint(behaviour)
    try:
        engine = EndpointEngine(fake.url, timeout=1.5)
        t0 = time.monotonic()
        with pytest.raises(EndpointError, match=r"no answer within 1\.5 s") as exc:
            engine.select("SELECT (1 AS ?one) {}")
        elapsed = time.monotonic() - t0
    finally:
        fake.close()
    assert 1.4 < elapsed < 2.5, elapsed
    assert "\n" not in str(exc.value)


def test_endless_reply_stops_at_the_size_cap():
    fake = FakeEndpoint(endless)
    try:
        engine = EndpointEngine(fake.url, timeout=20, max_reply_bytes=4 << 20)
        t0 = time.monotonic()
        with pytest.raises(EndpointError, match="exceeds 4 MiB"):
            engine.select("SELECT ?x {}")
        assert time.monotonic() - t0 < 10
    finally:
        fake.close()


@pytest.mark.parametrize("behaviour,match", [(unexpected_variables, r"variables \['surprise'\].*asks for \['one'\]"),
                                             (extra_binding, r"unexpected variables \['two'\]")])
def test_unexpected_variables_are_one_line(behaviour, match, capsys):
    fake = FakeEndpoint(behaviour)
    try:
        with pytest.raises(EndpointError, match=match):
            EndpointEngine(fake.url, timeout=5).select("SELECT (1 AS ?one) {}")
        rc = cli.main(["compare", str(EXAMPLE), "--endpoint", fake.url, "--timeout", "5"])
    finally:
        fake.close()
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err and len(err) <= 300


@pytest.mark.parametrize("url", ["http://[::1", "http://[::1]:99999/query", "ftp://example.org/sparql",
                                 "http:///query", "http://exa mple.org/", "not a url\x1b[31m"])
def test_malformed_endpoint_url_is_one_line(url, capsys):
    rc = cli.main(["compare", str(EXAMPLE), "--endpoint", url])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "--endpoint" in err
    assert "\x1b" not in err and "Traceback" not in err


@pytest.mark.parametrize("timeout", ["inf", "nan", "-1", "0", "-inf"])
def test_bad_timeout_is_one_line(timeout, capsys):
    rc = cli.main(["query", "criteria", "--endpoint", "http://127.0.0.1:9/query", f"--timeout={timeout}"])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "--timeout" in err and "positive, finite" in err


@pytest.mark.server
@pytest.mark.skipif(serve.find_oxigraph() is None, reason="the oxigraph server binary is not installed")
def test_endpoint_without_the_graph_is_refused(capsys):
    """A real SPARQL endpoint on an empty store: one line, exit 2, not eight confident 'silent' answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([serve.find_oxigraph(), "serve", "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/query"
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        rc = cli.main(["compare", str(EXAMPLE), "--endpoint", url])
        captured = capsys.readouterr()
        assert rc == 2 and captured.out == ""
        assert len(captured.err.strip().splitlines()) == 1 and "does not hold the rnetkg graph" in captured.err
        import urllib.request

        def insert_header(iri: str) -> None:
            update = f"INSERT DATA {{ <{iri}> a <http://www.w3.org/2002/07/owl#Ontology> }}"
            urllib.request.build_opener(urllib.request.ProxyHandler({})).open(urllib.request.Request(
                f"http://127.0.0.1:{port}/update", data=update.encode(),
                headers={"Content-Type": "application/sparql-update"}), timeout=10).close()

        # the ontology header without its application module (no keys, no modality bits): refused too
        insert_header("https://w3id.org/rnetkg/ontology")
        with pytest.raises(EndpointError, match="no header of the ontology or of its application module"):
            EndpointEngine(url, timeout=10).select("SELECT (1 AS ?one) {}")
        # both headers, without the derived recommendations
        insert_header("https://w3id.org/rnetkg/ontology/app")
        with pytest.raises(EndpointError, match="without the derived referral recommendations"):
            EndpointEngine(url, timeout=10).select("SELECT (1 AS ?one) {}")
    finally:
        proc.terminate()
        proc.wait(10)
