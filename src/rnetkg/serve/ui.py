"""The SPARQL query UI of `rnetkg serve` (`/sparql`): Oxigraph's YASGUI build, served by the server
itself and configured for this graph.

- The endpoint is this server's `/query`, always: an `endpoint` in a shared link
  (`/sparql#query=...&endpoint=...`) or in the browser's local storage is ignored, the endpoint field is
  hidden, and nothing is kept in local storage (YASGUI's persistence is off). The page's
  Content-Security-Policy (app.UI_HEADERS) lets it connect to its own server only.
- The prefixes offered while typing are the project's namespaces (namespaces.PREFIXES), served at
  `/sparql/prefixes.json` in place of YASQE's default, prefix.cc.
- The worked queries of docs/data-model.md open as tabs, ready to run; without the docs (an installed
  wheel) the catalogue queries that take no profile do.

Nothing is loaded from outside the server. The configuration script is a file of its own
(`/sparql/rnetkg-ui.js`): the page has no inline script, so the policy needs no 'unsafe-inline' for
scripts. The page's data (endpoint, tabs) travel in a JSON block the script reads.
"""

from __future__ import annotations

import html
import json
import re
from functools import lru_cache

from ..namespaces import PREFIXES

ENDPOINT_PATH = "/query"
CONFIG_PATH = "/sparql/rnetkg-ui.js"
PREFIXES_PATH = "/sparql/prefixes.json"
TAB_NAME_CHARS = 48

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>rnetkg: SPARQL query UI</title>
  <link href="/sparql/yasgui.min.css" rel="stylesheet" type="text/css">
  <link rel="icon" type="image/svg+xml" href="/logo.svg">
  <style>
    /* the endpoint is fixed to this server's /query: no endpoint field */
    .yasgui .controlbar .autocompleteWrapper {{ display: none; }}
    header {{ font: 14px/1.4 system-ui, sans-serif; margin: 0.5em 1em; }}
  </style>
</head>
<body>
<header>rnetkg SPARQL query UI: queries go to this server's <code>{endpoint}</code> (read-only).
  The tabs hold the worked queries of the data-model guide; <a href="/">clinician page</a>.</header>
<div id="yasgui"></div>
<script type="application/json" id="rnetkg-ui-data">{data}</script>
<script src="/sparql/yasgui.min.js"></script>
<script src="{config}"></script>
</body>
</html>
"""

CONFIG_JS = r"""// rnetkg: YASGUI configured for this server (see src/rnetkg/serve/ui.py)
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("rnetkg-ui-data").textContent);
  var endpoint = new URL(data.endpoint, window.location.href).href;
  function pinned(tab) {  // any tab, from a shared link included, queries this server's endpoint
    tab.requestConfig = Object.assign({}, tab.requestConfig || {}, { endpoint: endpoint, method: "POST" });
    return tab;
  }
  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    persistenceId: null,            // nothing kept in local storage
    autoAddOnInit: false,
    copyEndpointOnNewTab: false,
    populateFromUrl: pinned,
    requestConfig: { endpoint: endpoint, method: "POST" },
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; }, keys: [] },
    yasqe: { prefixCcApi: new URL(data.prefixes, window.location.href).href, value: data.tabs[0].query }
  });
  function pin(id) {
    var tab = yasgui.getTab(id);
    if (tab && tab.getEndpoint() !== endpoint) { tab.setEndpoint(endpoint); }
  }
  var fromLink = yasgui.persistentConfig.getTabs().length > 0;
  data.tabs.forEach(function (t, i) {
    yasgui.addTab(!fromLink && i === 0, pinned({ name: t.name, yasqe: { value: t.query } }));
  });
  yasgui.persistentConfig.getTabs().forEach(pin);
  yasgui.on("tabAdd", function (y, id) { pin(id); });
  yasgui.on("tabSelect", function (y, id) { pin(id); });
  yasgui.on("query", function (y, tab) { pin(tab.getId()); });
  window.rnetkgYasgui = yasgui;
})();
"""


def _tab_name(title: str) -> str:
    title = " ".join(title.split())
    return title if len(title) <= TAB_NAME_CHARS else title[: TAB_NAME_CHARS - 1].rstrip() + "…"


_WORKED = re.compile(r"^### (?P<title>.+?)\n(?P<body>.*?)(?=^### |^## |\Z)", re.S | re.M)
_SPARQL_BLOCK = re.compile(r"^```sparql\n(?P<query>.*?)^```", re.S | re.M)


def worked_queries(markdown: str) -> list[tuple[str, str]]:
    """(title, query) for each `### ` heading of the "Worked queries" section with a ```sparql block."""
    start = markdown.find("\n## Worked queries")
    if start < 0:
        return []
    section = markdown[start + 1:]
    following = section.find("\n## ", 3)
    if following >= 0:
        section = section[: following + 1]
    out = []
    for m in _WORKED.finditer(section):
        block = _SPARQL_BLOCK.search(m.group("body"))
        if block:
            out.append((m.group("title").strip(), block.group("query")))
    return out


def tabs() -> list[dict[str, str]]:
    """The UI's tabs: the worked queries of docs/data-model.md, or (no docs) the catalogue queries
    that take no profile."""
    from .. import paths, queries

    root = paths.checkout_root()
    guide = root / "docs" / "data-model.md" if root is not None else None
    found = worked_queries(guide.read_text(encoding="utf-8")) if guide is not None and guide.is_file() else []
    if found:
        return [{"name": _tab_name(title), "query": text} for title, text in found]
    return [{"name": name, "query": q.text} for name, q in queries.catalogue().items()
            if not q.is_qc and not q.takes_profiles]


def prefixes() -> dict[str, str]:
    """The prefixes offered while typing (YASQE's prefix autocompletion): the project's namespaces."""
    return dict(PREFIXES)


@lru_cache(maxsize=1)
def data() -> dict:
    """What the page gives its script: the endpoint, where the prefixes are, the tabs."""
    return {"endpoint": ENDPOINT_PATH, "prefixes": PREFIXES_PATH, "tabs": tabs()}


@lru_cache(maxsize=1)
def files() -> dict[str, tuple[bytes, str]]:
    """path -> (body, content type) for the UI's own files: the page, its script, the prefixes."""
    blob = json.dumps(data(), ensure_ascii=True).replace("<", "\\u003c").replace(">", "\\u003e")
    page = PAGE.format(endpoint=html.escape(ENDPOINT_PATH), data=blob, config=CONFIG_PATH)
    return {
        "/sparql": (page.encode(), "text/html; charset=utf-8"),
        CONFIG_PATH: (CONFIG_JS.encode(), "text/javascript; charset=utf-8"),
        PREFIXES_PATH: (json.dumps(prefixes(), indent=1).encode(), "application/json"),
    }
