"""Issue 25 item 1 and issue 23 item 4: the SPARQL query UI at `/sparql`, configured for this graph.

The endpoint is this server's `/query` whatever a shared link or local storage says; the page sends a
strict Content-Security-Policy; the prefixes offered are the project's namespaces; the worked queries
of docs/data-model.md open as tabs; nothing is fetched from outside the server. The browser test
drives Debian's chromium (as tests/test_clinic_browser.py does) and reads the page's own network
requests from the browser's performance log; every connection goes to 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
import urllib.parse
from pathlib import Path

import httpx
import pytest

from htmlpage import parse
from rnetkg import serve
from rnetkg.namespaces import PREFIXES
from rnetkg.serve import ui
from conftest import RawListener, free_port

pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("RNETKG_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("RNETKG_CHROMEDRIVER", "/usr/bin/chromedriver")

if serve.find_oxigraph() is None:
    pytest.skip("the oxigraph server binary is not installed (pip install oxigraph)", allow_module_level=True)


@pytest.fixture(scope="module")
def server(request):
    handle = serve.start_server(f"127.0.0.1:{free_port()}")
    request.addfinalizer(handle.stop)
    return handle


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, trust_env=False, timeout=30) as c:
        yield c


def page_data(text: str) -> dict:
    found = re.search(r'<script type="application/json" id="rnetkg-ui-data">(.*?)</script>', text, re.S)
    return json.loads(found.group(1))


def test_issue25_sparql_ui_sends_a_strict_content_security_policy(client):
    r = client.get("/sparql")
    assert r.status_code == 200
    policy = dict(part.strip().split(" ", 1) for part in r.headers["content-security-policy"].split(";"))
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"          # no inline script, no eval, no other host
    assert policy["connect-src"] == "'self'"         # queries reach this server only
    assert policy["frame-ancestors"] == "'none'" and policy["base-uri"] == "'none'"
    assert r.headers["x-content-type-options"] == "nosniff"
    doc = parse(r.text)
    scripts = doc.find_all("script")
    assert [s.attrs.get("src") for s in scripts if "src" in s.attrs] == ["/sparql/yasgui.min.js", ui.CONFIG_PATH]
    inline = [s for s in scripts if "src" not in s.attrs]
    assert [s.attrs.get("type") for s in inline] == ["application/json"]  # data, never run
    for e in doc.iter():
        for attr in ("src", "href"):
            assert not e.attrs.get(attr, "/").startswith(("http:", "https:", "//")), e.attrs
    assert client.get(ui.CONFIG_PATH).headers["content-security-policy"] == r.headers["content-security-policy"]


def test_issue25_sparql_ui_endpoint_is_fixed_to_query(client):
    data = page_data(client.get("/sparql").text)
    assert data["endpoint"] == "/query"
    script = client.get(ui.CONFIG_PATH).text
    # a tab from a shared link gets this endpoint; nothing is kept in local storage
    assert "populateFromUrl: pinned" in script and "persistenceId: null" in script
    assert "copyEndpointOnNewTab: false" in script


def test_issue23_sparql_ui_has_the_project_prefixes_and_no_prefix_service(client):
    data = page_data(client.get("/sparql").text)
    assert data["prefixes"] == ui.PREFIXES_PATH
    r = client.get(ui.PREFIXES_PATH)
    assert r.status_code == 200 and r.json() == PREFIXES
    assert r.json()["rnet"] == "https://w3id.org/rnetkg/ontology#"
    assert "prefixCcApi" in client.get(ui.CONFIG_PATH).text  # YASQE's default (prefix.cc) replaced


def test_issue23_sparql_ui_tabs_are_the_worked_queries_of_the_data_model_guide(client):
    guide = (ROOT / "docs" / "data-model.md").read_text(encoding="utf-8")
    worked = ui.worked_queries(guide)
    assert len(worked) >= 4
    assert worked[0][0].startswith("1. Which local-excision procedures")
    tabs = page_data(client.get("/sparql").text)["tabs"]
    assert [t["query"] for t in tabs] == [q for _, q in worked]
    assert all(t["query"].startswith("PREFIX rnet: <https://w3id.org/rnetkg/ontology#>") for t in tabs)
    assert tabs[2]["name"] == "3. What each guideline counts as a risk factor"
    assert all(len(t["name"]) <= ui.TAB_NAME_CHARS for t in tabs)


def test_issue23_worked_queries_read_only_their_own_section():
    text = ("# Guide\n\n### Not here\n```sparql\nASK {}\n```\n\n## Worked queries\n\n### 1. One\n\nwords\n\n"
            "```sparql\nSELECT * { ?s ?p ?o }\n```\n\n| table |\n\n### 2. No query\n\ntext only\n\n"
            "## Later\n\n### Elsewhere\n```sparql\nASK { ?a ?b ?c }\n```\n")
    assert ui.worked_queries(text) == [("1. One", "SELECT * { ?s ?p ?o }\n")]
    assert ui.worked_queries("# nothing\n") == []


# ---------------------------------------------------------------- in a real browser

def _missing(why: str):
    if os.environ.get("CI"):
        pytest.fail(f"{why} (CI is set: .ci/run installs Debian's chromium and chromium-driver)")
    pytest.skip(why)


@pytest.fixture(scope="module")
def browser():
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            _missing(f"{path} not found: apt-get install chromium chromium-driver")
    try:
        from selenium import webdriver
    except ImportError:
        _missing("selenium is not installed (pip install -e '.[test]')")
    from selenium.webdriver.chrome.service import Service

    profile_dir = tempfile.mkdtemp(prefix="rnetkg-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--no-first-run",
                "--disable-sync", "--disable-extensions", "--window-size=1280,900", f"--user-data-dir={profile_dir}"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile_dir, ignore_errors=True)


class Elsewhere(RawListener):
    """Another server on this machine: the UI must never connect to it."""

    def __init__(self):
        super().__init__()
        self.connections = 0
        self.start()

    def on_connection(self, conn):
        self.connections += 1
        conn.close()


def _tabs(driver) -> list[list[str]]:
    return driver.execute_script(
        "var y = window.rnetkgYasgui; if (!y) { return null; }"
        "return y.persistentConfig.getTabs().map(function (id) { var t = y.getTab(id);"
        " return [t.getName(), t.getEndpoint()]; });")


def _wait(driver, script: str, timeout: float = 15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for: {script}")


def _requests(driver) -> list[str]:
    out = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            out.append(message["params"]["request"]["url"])
    return out


@pytest.mark.browser
@pytest.mark.slow
def test_issue25_a_shared_link_cannot_point_the_ui_at_another_server(server, browser):
    other = Elsewhere()
    try:
        origin = server.url.rstrip("/")
        browser.get_log("performance")  # start with an empty log
        link = (server.ui_url + "#query=" + urllib.parse.quote("SELECT ?s WHERE { ?s a ?t } LIMIT 3")
                + "&endpoint=" + urllib.parse.quote(f"http://127.0.0.1:{other.port}/sparql"))
        browser.get(link)
        _wait(browser, "return window.rnetkgYasgui && window.rnetkgYasgui.persistentConfig.getTabs().length > 4")
        tabs = _tabs(browser)
        assert {endpoint for _, endpoint in tabs} == {server.query_url}
        assert [name for name, _ in tabs][1:] == [t["name"] for t in ui.data()["tabs"]]
        browser.execute_script("window.rnetkgYasgui.getTab().query()")
        _wait(browser, "return document.querySelectorAll('.yasr table tbody tr').length === 3")
        browser.execute_script("window.rnetkgYasgui.selectTabId(window.rnetkgYasgui.persistentConfig.getTabs()[3]);"
                               "window.rnetkgYasgui.getTab().query()")
        rows = _wait(browser, "var r = document.querySelectorAll('.tabPanel.active .yasr table tbody tr');"
                              "return r.length > 1 ? r.length : 0")
        assert rows > 1  # worked query 3 runs as it stands
        stored = browser.execute_script("return JSON.stringify(window.localStorage)")
        assert str(other.port) not in stored and "endpoint" not in stored
        # a later visit without the link: the endpoint is still this server's
        browser.get(server.ui_url)
        _wait(browser, "return window.rnetkgYasgui && window.rnetkgYasgui.persistentConfig.getTabs().length > 0")
        assert {endpoint for _, endpoint in _tabs(browser)} == {server.query_url}
        pages = [u for u in _requests(browser) if u.startswith(("http:", "https:", "ws:", "wss:"))]
        assert pages and all(u.startswith(origin + "/") for u in pages), pages
        assert f"{origin}/query" in pages and f"{origin}{ui.PREFIXES_PATH}" in pages
        errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, errors  # nothing blocked by the page's policy
        time.sleep(0.2)
        assert other.connections == 0
    finally:
        other.close()
