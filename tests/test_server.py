"""The graph served by a real Oxigraph server on 127.0.0.1, and the query library over HTTP.

One read-only server per module (rnetkg.serve.start_server on a free port), stopped by its process
id in a finalizer. Over HTTP (rnetkg.endpoint.EndpointEngine, SPARQL 1.1 Protocol) every catalogue
query that takes no profile, and compare() for several profiles, give the same answers as the
embedded pyoxigraph store; writes are refused; the UI page and its script come from the server
itself; unreachable, silent and failing endpoints are one-line errors with exit code 2.
"""

from __future__ import annotations

import html.parser
import json
import os
import queue
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pyoxigraph as ox
import pytest

from rnetkg import cli, graph, queries, serve
from rnetkg.compare import compare, compare_profiles
from rnetkg.endpoint import EndpointEngine, EndpointError
from rnetkg.engine import StoreEngine
from rnetkg.profile import parse_profile
from conftest import RawListener, free_port, spawn_serve

pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "profile-15mm-g1.json"
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy

if serve.find_oxigraph() is None:
    pytest.skip("the oxigraph server binary is not installed (pip install oxigraph)", allow_module_level=True)


@pytest.fixture(scope="module")
def server(request):
    handle = serve.start_server(f"127.0.0.1:{free_port()}")

    def stop():
        handle.stop()  # stops the front and the Oxigraph child, removes the temporary store
        assert handle.process.poll() is not None
        assert not handle.workdir.exists()

    request.addfinalizer(stop)
    return handle


@pytest.fixture(scope="module")
def http(server):
    return EndpointEngine(server.query_url, timeout=30)


@pytest.fixture(scope="module")
def embedded():
    return StoreEngine(graph.shared_store())


def post(url: str, data: dict | bytes, content_type: str = "application/x-www-form-urlencoded",
         accept: str = "*/*") -> tuple[int, bytes, str]:
    body = data if isinstance(data, bytes) else urllib.parse.urlencode(data).encode()
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": content_type, "Accept": accept})
    try:
        with DIRECT.open(req, timeout=10) as resp:
            return resp.status, resp.read(), resp.headers.get("Content-Type", "")
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers.get("Content-Type", "")


def get(url: str) -> tuple[int, bytes, str]:
    with DIRECT.open(url, timeout=10) as resp:
        return resp.status, resp.read(), resp.headers.get("Content-Type", "")


# ---------------------------------------------------------------- result comparison

def canonical(value):
    """GROUP_CONCAT order is unspecified: multi-valued " | " or space-joined cells become sets of parts."""
    if isinstance(value, str):
        if "|" in value:
            return frozenset(p.strip() for p in value.split("|"))
        if " " in value:
            return frozenset(value.split())
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def row_set(rows):
    return {tuple(sorted((k, canonical(v)) for k, v in r.items())) for r in rows}


def query_form(text: str) -> str:
    body = re.sub(r"#[^\n]*", "", text)
    m = re.search(r"\b(SELECT|CONSTRUCT|ASK|DESCRIBE)\b", body, re.I)
    return m.group(1).upper()


PLAIN_QUERIES = sorted(n for n, q in queries.catalogue().items() if not q.takes_profiles)


# ---------------------------------------------------------------- the served graph

def test_served_graph_is_the_expanded_graph(http, embedded):
    n = http.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[0]["n"]
    assert n == len(graph.shared_store())
    derived = "SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE { ?d a <https://w3id.org/rnetkg/ontology#DerivedRecommendation> }"
    assert http.select(derived)[0]["n"] == embedded.select(derived)[0]["n"] > 0
    graphs = http.select("SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")[0]["n"]
    assert graphs == 0  # layout: everything in the default graph


@pytest.mark.parametrize("name", PLAIN_QUERIES)
def test_catalogue_query_same_rows_over_http(name, server, http, embedded):
    q = queries.get(name)
    form = query_form(q.text)
    if form == "SELECT":
        local = embedded.select(q.text)
        remote = http.select(q.text)
        assert len(remote) == len(local)
        assert row_set(remote) == row_set(local)
    elif form == "CONSTRUCT":
        status, body, ctype = post(server.query_url, {"query": q.text}, accept="application/n-triples")
        assert status == 200, body[:200]
        remote = {(t.subject, t.predicate, t.object) for t in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)}
        local = {(t.subject, t.predicate, t.object) for t in graph.shared_store().query(q.text)}
        assert remote == local and remote
    elif form == "ASK":
        status, body, _ = post(server.query_url, {"query": q.text}, accept="application/sparql-results+json")
        assert status == 200
        assert json.loads(body)["boolean"] == bool(graph.shared_store().query(q.text))
    else:
        pytest.fail(f"{name}: unexpected query form {form}")


# catalogue parameters are bound inside the query text (queries.with_params: a VALUES row of RDF
# terms), so the same text runs embedded and over HTTP
PARAM_CASES = [
    ("criteria", {"guideline": "ENETS-2023"}),
    ("recommendation-details", {"guideline": "NCCN-2025"}),
    ("recommendations-by-guideline", {"guideline": "NCCN-2025", "decisionPoint": "after_local_resection"}),
    ("procedures-by-modality", {"modality": "radical_surgery"}),
    ("recommendation-source", {"rec": "<https://w3id.org/rnetkg/kg/enets-2023/rec-10-20mm>"}),
    ("silent-guidelines-for-size", {"minSize": "0", "maxSize": "5"}),
    ("silent-guidelines-for-size", {"decisionPoint": "after_local_resection"}),
    ("studies-for-risk-factor", {"factor": "rnet:LymphovascularInvasion"}),
]


@pytest.mark.parametrize("name,params", PARAM_CASES, ids=[f"{n}-{'-'.join(p)}" for n, p in PARAM_CASES])
def test_catalogue_parameters_over_http(name, params, http, embedded):
    q = queries.catalogue().get(name)
    if q is None or any(k not in q.params for k in params):
        pytest.skip(f"{name} does not take {sorted(params)}")
    text = queries.with_params(q, queries.bind_params(q, params))
    local = embedded.select(text)
    remote = http.select(text)
    assert len(remote) == len(local)
    assert row_set(remote) == row_set(local)
    assert row_set(local) != row_set(embedded.select(queries.with_params(q, {})))  # the parameter counts


def test_cli_query_over_http_prints_the_same(server, capsys):
    assert cli.main(["query", "criteria", "--format", "csv"]) == 0
    local = capsys.readouterr().out
    assert cli.main(["query", "criteria", "--format", "csv", "--endpoint", server.query_url]) == 0
    remote = capsys.readouterr().out
    assert sorted(remote.splitlines()) == sorted(local.splitlines()) and len(local.splitlines()) > 1


# ---------------------------------------------------------------- compare over HTTP

PROFILES = {
    "5mm-negative-margin-after-resection": {"size_mm": 5, "grade": "G1", "margin": "negative"},
    "15mm-g1-initial": {"size_mm": 15, "ki67_percent": 1.5, "mitoses_per_2mm2": 1,
                        "invasion_depth": "submucosa", "lymphovascular_invasion": False,
                        "lymph_nodes": "N0", "distant_metastasis": False, "margin": "not_resected"},
    "15mm-lvi": {"size_mm": 15, "grade": "G1", "lymphovascular_invasion": True, "margin": "not_resected"},
    "25mm-t2": {"size_mm": 25, "t_stage": "T2", "margin": "not_resected"},
    "metastatic": {"size_mm": 18, "grade": "G2", "distant_metastasis": True, "margin": "not_resected"},
    "8mm-indeterminate-margin-unknown-grade": {"size_mm": 8, "margin": "indeterminate"},
}


@pytest.mark.parametrize("case", list(PROFILES))
def test_compare_same_answer_over_http(case, http, embedded):
    p = parse_profile(dict(PROFILES[case]), default_id=case)
    remote = compare(p, http)
    assert remote == compare(p, embedded)
    assert {g["guideline"] for g in remote["guidelines"]} >= {"ENETS-2023", "NCCN-2025"}


def test_compare_many_profiles_in_one_request(http, embedded):
    profiles = [parse_profile(dict(d), default_id=k) for k, d in PROFILES.items()]
    assert compare_profiles(profiles, http) == compare_profiles(profiles, embedded)


def test_cli_compare_over_http_prints_the_same(server, capsys):
    assert cli.main(["compare", str(EXAMPLE), "--format", "json"]) == 0
    local = capsys.readouterr().out
    assert cli.main(["compare", str(EXAMPLE), "--format", "json", "--endpoint", server.query_url]) == 0
    assert capsys.readouterr().out == local


# ---------------------------------------------------------------- read-only

def triple_count(http) -> int:
    return http.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[0]["n"]


def test_updates_are_refused_and_data_unchanged(server, http):
    before = triple_count(http)
    update = "INSERT DATA { <urn:a> <urn:b> <urn:c> }"
    status, _, _ = post(server.update_url, {"update": update})
    assert 400 <= status < 500
    status, _, _ = post(server.update_url, update.encode(), content_type="application/sparql-update")
    assert 400 <= status < 500
    status, _, _ = post(server.query_url, {"query": update})
    assert 400 <= status < 500
    base = server.url.rstrip("/")
    status, _, _ = post(base + "/store?default", b"<urn:a> <urn:b> <urn:c> .", content_type="text/turtle")
    assert 400 <= status < 500
    with pytest.raises(EndpointError, match=r"HTTP 4\d\d"):
        http.select(update)
    assert http.select("SELECT ?o WHERE { <urn:a> <urn:b> ?o }") == []
    assert triple_count(http) == before == len(graph.shared_store())


# ---------------------------------------------------------------- the UI

class _Scripts(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.srcs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "script" and dict(attrs).get("src"):
            self.srcs.append(dict(attrs)["src"])


def test_ui_page_and_its_script_are_served_locally(server):
    assert get(server.url)[0] == 200  # / leads to the UI for now
    status, body, ctype = get(server.ui_url)
    assert status == 200 and "html" in ctype
    parser = _Scripts()
    parser.feed(body.decode("utf-8"))
    assert parser.srcs, "the UI page references no script"
    origin = urllib.parse.urlsplit(server.url)
    for src in parser.srcs:
        url = urllib.parse.urljoin(server.ui_url, src)
        assert urllib.parse.urlsplit(url).netloc == origin.netloc, f"script from elsewhere: {url}"
        status, script, ctype = get(url)
        assert status == 200 and "javascript" in ctype and len(script) > 1000


# ---------------------------------------------------------------- failures are one line, exit 2

def test_cli_compare_unreachable_endpoint(capsys):
    port = free_port()  # nothing listens there
    rc = cli.main(["compare", "--endpoint", f"http://127.0.0.1:{port}/query", str(EXAMPLE)])
    err = capsys.readouterr().err
    assert rc == 2
    assert len(err.strip().splitlines()) == 1 and "cannot connect" in err and "Traceback" not in err


class _SilentServer(RawListener):
    """Accepts connections and never answers (or, with drop=True, closes them at once)."""

    def __init__(self, drop: bool = False):
        super().__init__()
        self.drop = drop
        self.conns: list[socket.socket] = []
        self.start()

    def on_connection(self, c):
        if self.drop:
            c.recv(65536)
            c.close()
        else:
            self.conns.append(c)

    def close(self):
        for c in self.conns:
            c.close()
        super().close()


def test_silent_endpoint_times_out_in_bounded_time(capsys):
    silent = _SilentServer()
    try:
        t0 = time.monotonic()
        rc = cli.main(["query", "criteria", "--timeout", "0.5", "--endpoint",
                       f"http://127.0.0.1:{silent.port}/query"])
        elapsed = time.monotonic() - t0
    finally:
        silent.close()
    err = capsys.readouterr().err
    assert rc == 2 and elapsed < 5
    assert len(err.strip().splitlines()) == 1 and "no answer within 0.5 s" in err


def test_dropped_connection_is_an_endpoint_error():
    dropping = _SilentServer(drop=True)
    try:
        with pytest.raises(EndpointError, match="connection failed|cannot connect"):
            EndpointEngine(f"http://127.0.0.1:{dropping.port}/query", timeout=5).select("ASK {}")
    finally:
        dropping.close()


def test_http_error_is_one_line(server, capsys):
    with pytest.raises(EndpointError, match=r"HTTP 400") as exc:
        EndpointEngine(server.query_url).select("SELECT * WHERE { ?s ?p }")
    assert "\n" not in str(exc.value)
    rc = cli.main(["query", "criteria", "--endpoint", server.url.rstrip("/") + "/no-such-endpoint"])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "HTTP 404" in err


@pytest.mark.parametrize("bind", ["nonsense", "127.0.0.1:http", "127.0.0.1:70000", ":7878x"])
def test_serve_bad_bind(bind, capsys):
    assert cli.main(["serve", "--bind", bind]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "--bind" in err


def test_serve_port_in_use(server, capsys):
    port = urllib.parse.urlsplit(server.url).port
    assert cli.main(["serve", "--bind", f"127.0.0.1:{port}"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "already in use" in err


def test_serve_runs_and_stops_cleanly_on_sigterm(tmp_path):
    """`rnetkg serve` prints its addresses, answers, and on SIGTERM stops the server and cleans up."""
    port = free_port()
    proc = spawn_serve(port, tmp_path, stderr=subprocess.PIPE)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(ln) for ln in proc.stdout], daemon=True).start()
    out, server_pid = "", None
    try:
        deadline = time.monotonic() + 15
        while not out.rstrip().endswith("Ctrl-C stops the server.") and time.monotonic() < deadline:
            try:
                out += lines.get(timeout=0.2)
            except queue.Empty:
                if proc.poll() is not None:
                    break
        m = re.search(r"Oxigraph server pid (\d+)\)", out)
        server_pid = int(m.group(1)) if m else None
        assert f"http://127.0.0.1:{port}/query" in out and "default graph" in out, out + proc.stderr.read()
        assert "disagreements" in out and "qc/" not in out
        assert EndpointEngine(f"http://127.0.0.1:{port}/query").select("SELECT (1 AS ?one) {}") == [{"one": 1}]
        assert list(tmp_path.glob("rnetkg-serve-*"))
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if server_pid is not None:
            try:
                os.kill(server_pid, signal.SIGKILL)  # only if rnetkg failed to stop it
            except ProcessLookupError:
                pass
    assert not list(tmp_path.glob("rnetkg-serve-*"))  # the temporary store is gone
    with pytest.raises(EndpointError, match="cannot connect"):
        EndpointEngine(f"http://127.0.0.1:{port}/query", timeout=2).select("SELECT (1 AS ?one) {}")
