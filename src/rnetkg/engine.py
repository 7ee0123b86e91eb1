"""Where queries run: the embedded pyoxigraph store, rdflib's own engine, or a SPARQL 1.1 endpoint.

All three take the same query text and return rows as dicts of plain Python values.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from . import queries


class EndpointError(RuntimeError):
    """An endpoint that cannot be reached, times out or answers with an HTTP error."""


class Engine:
    name = "engine"

    def select(self, text: str, bindings: dict | None = None) -> list[dict[str, Any]]:
        raise NotImplementedError


class StoreEngine(Engine):
    name = "pyoxigraph"

    def __init__(self, store=None):
        from . import graph

        self.store = store if store is not None else graph.shared_store()

    def select(self, text, bindings=None):
        return queries.run_store(self.store, text, bindings)


class RdflibEngine(Engine):
    name = "rdflib"

    def __init__(self, g=None):
        from . import graph

        self.graph = g if g is not None else graph.load_rdflib()

    def select(self, text, bindings=None):
        return queries.run_rdflib(self.graph, text, bindings)


def _json_value(cell: dict | None) -> Any:
    if cell is None:
        return None
    if cell["type"] in ("uri", "bnode"):
        return cell["value"]
    dt = cell.get("datatype", "")
    v = cell["value"]
    if dt.endswith(("#integer", "#int", "#long")):
        return int(v)
    if dt.endswith(("#decimal", "#double", "#float")):
        return float(v)
    if dt.endswith("#boolean"):
        return v == "true"
    return v


class EndpointEngine(Engine):
    """A SPARQL 1.1 Protocol endpoint (query via POST, results as SPARQL JSON)."""

    name = "endpoint"

    def __init__(self, url: str, timeout: float = 30.0):
        parsed = urllib.parse.urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise EndpointError(f"--endpoint: {url!r} is not an http(s) URL")
        self.url = url
        self.timeout = timeout

    def select(self, text, bindings=None):
        if bindings:
            # endpoints take no substitutions: the parameters travel as a VALUES clause of RDF terms
            text = text.rstrip() + "\n" + queries.values_clause(bindings) + "\n"
        body = urllib.parse.urlencode({"query": text}).encode("utf-8")
        req = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/sparql-results+json"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                data = json.load(resp)
        except urllib.error.HTTPError as e:
            detail = e.read(300).decode("utf-8", "replace").strip().splitlines()
            raise EndpointError(f"endpoint {self.url}: HTTP {e.code} {e.reason}"
                                + (f": {detail[0]}" if detail else "")) from None
        except (socket.timeout, TimeoutError):
            raise EndpointError(f"endpoint {self.url}: no answer within {self.timeout:g} s") from None
        except urllib.error.URLError as e:
            raise EndpointError(f"endpoint {self.url}: cannot connect ({e.reason})") from None
        except (ValueError, json.JSONDecodeError):
            raise EndpointError(f"endpoint {self.url}: the answer is not SPARQL JSON results") from None
        names = data.get("head", {}).get("vars", [])
        return [{n: _json_value(b.get(n)) for n in names} for b in data.get("results", {}).get("bindings", [])]
