"""Where queries run: the embedded pyoxigraph store, rdflib's own engine, or a SPARQL 1.1 endpoint.

All three take the same query text and return rows as dicts of plain Python values.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Callable

from . import queries
from .errors import EndpointError


# facts read once from the shipped graph, shared by every engine on the process-wide store
_SHARED_STORE_CACHE: dict[str, Any] = {}


class Engine:
    name = "engine"

    def select(self, text: str) -> list[dict[str, Any]]:
        """Run a SELECT whose parameters and profiles are already bound (queries.with_params/with_profiles)."""
        raise NotImplementedError

    def _cache(self) -> dict[str, Any]:
        return self.__dict__.setdefault("_rnetkg_cache", {})

    def cached(self, key: str, build: Callable[["Engine"], Any]) -> Any:
        """``build(self)`` once per engine (once per process for the shipped graph's store)."""
        cache = self._cache()
        if key not in cache:
            cache[key] = build(self)
        return cache[key]


class StoreEngine(Engine):
    name = "pyoxigraph"

    def __init__(self, store=None):
        from . import graph

        self.store = store if store is not None else graph.shared_store()

    def select(self, text):
        return queries.run_store(self.store, text)

    def _cache(self):
        from . import graph

        return _SHARED_STORE_CACHE if self.store is graph.shared_store() else super()._cache()


class RdflibEngine(Engine):
    name = "rdflib"

    def __init__(self, g=None):
        from . import graph

        self.graph = g if g is not None else graph.load_rdflib()

    def select(self, text):
        return queries.run_rdflib(self.graph, text)


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
        return v in ("true", "1")  # Virtuoso writes booleans as 1/0
    return v


LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")

# a local server is reached directly, whatever http_proxy says; other hosts follow the environment
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_READ_CHUNK = 1 << 16


class EndpointEngine(Engine):
    """A SPARQL 1.1 Protocol endpoint (query via POST, results as SPARQL JSON).

    Every failure (refused or dropped connection, no answer within the timeout, an HTTP error, an
    answer that is not SPARQL JSON results) is an EndpointError with a one-line message. The timeout
    bounds the connection, each read, and the whole answer.
    """

    name = "endpoint"

    def __init__(self, url: str, timeout: float = 30.0):
        parsed = urllib.parse.urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise EndpointError(f"--endpoint: {url!r} is not an http(s) URL")
        if timeout is None:
            timeout = 30.0
        if timeout <= 0:
            raise EndpointError(f"--timeout: {timeout!r} must be a positive number of seconds")
        self.url = url
        self.timeout = timeout
        self._open = _DIRECT.open if parsed.hostname in LOOPBACK_HOSTS else urllib.request.urlopen

    def select(self, text):
        body = urllib.parse.urlencode({"query": text}).encode("utf-8")
        req = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/sparql-results+json"})
        deadline = time.monotonic() + self.timeout
        try:
            with self._open(req, timeout=self.timeout) as resp:
                chunks = []
                while chunk := resp.read(_READ_CHUNK):
                    chunks.append(chunk)
                    if time.monotonic() > deadline:
                        raise TimeoutError
            data = json.loads(b"".join(chunks))
        except urllib.error.HTTPError as e:
            try:
                detail = e.read(300).decode("utf-8", "replace").strip().splitlines()
            except (OSError, http.client.HTTPException):
                detail = []
            raise EndpointError(f"endpoint {self.url}: HTTP {e.code} {e.reason}"
                                + (f": {detail[0]}" if detail else "")) from None
        except (socket.timeout, TimeoutError):
            raise EndpointError(f"endpoint {self.url}: no answer within {self.timeout:g} s") from None
        except urllib.error.URLError as e:
            if isinstance(e.reason, (socket.timeout, TimeoutError)):
                raise EndpointError(f"endpoint {self.url}: no answer within {self.timeout:g} s") from None
            raise EndpointError(f"endpoint {self.url}: cannot connect ({e.reason})") from None
        except (http.client.HTTPException, OSError) as e:
            # the connection was dropped or the answer was not HTTP
            reason = str(e) or type(e).__name__
            raise EndpointError(f"endpoint {self.url}: connection failed ({reason})") from None
        except (ValueError, json.JSONDecodeError):
            raise EndpointError(f"endpoint {self.url}: the answer is not SPARQL JSON results") from None
        if not isinstance(data, dict) or not isinstance(data.get("head"), dict):
            raise EndpointError(f"endpoint {self.url}: the answer is not SPARQL JSON results")
        names = data["head"].get("vars", [])
        try:
            return [{n: _json_value(b.get(n)) for n in names}
                    for b in data.get("results", {}).get("bindings", [])]
        except (AttributeError, KeyError, TypeError, ValueError):
            raise EndpointError(f"endpoint {self.url}: the answer is not SPARQL JSON results") from None
