"""A SPARQL 1.1 Protocol endpoint as a query engine (`--endpoint URL`), on httpx.

Every query is a POST (form-encoded, `Accept: application/sparql-results+json`). Every failure is an
EndpointError with one line (at most 300 characters, values shortened):

- the URL and the timeout are checked when the engine is made (`http://[::1`, `--timeout inf`);
- the timeout is an overall deadline for each query: connection, sending, waiting and reading
  together. httpx bounds each network operation; a watchdog shuts the connection down when the
  deadline passes, so a reply that drips one byte at a time cannot outlast it;
- the reply is read up to a size cap (an endless reply stops there);
- the reply must be SPARQL JSON results whose variables are exactly those the query projects
  (found by parsing the same query with pyoxigraph), with well-formed cells;
- before the first query the endpoint must hold the rnetkg graph (queries/graph-check.rq): a store
  without it would answer every case "silent", with no error.

httpx is imported on first use, so commands without --endpoint do not pay for it.
"""

from __future__ import annotations

import json
import math
import socket
import threading
import urllib.parse
from typing import Any

from .engine import Engine

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_MAX_REPLY_BYTES = 256 << 20
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


from .errors import EndpointError  # noqa: E402  (unreachable, timed out, an HTTP error or a wrong answer)


def _show(value: Any, limit: int = 80) -> str:
    """A value for an error line: repr (control characters escaped), shortened."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _json_value(cell: Any) -> Any:
    if cell is None:
        return None
    if not isinstance(cell, dict) or not isinstance(cell.get("value"), str):
        raise ValueError("a cell is not a SPARQL JSON term")
    kind, v = cell.get("type"), cell["value"]
    if kind in ("uri", "bnode"):
        return v
    if kind not in ("literal", "typed-literal"):
        raise ValueError(f"unknown term type {kind!r}")
    dt = cell.get("datatype", "")
    if not isinstance(dt, str):
        raise ValueError("a datatype is not an IRI")
    if dt.endswith(("#integer", "#int", "#long")):
        return int(v)
    if dt.endswith(("#decimal", "#double", "#float")):
        return float(v)
    if dt.endswith("#boolean"):
        if v not in ("true", "false", "1", "0"):
            raise ValueError("not a boolean")
        return v in ("true", "1")
    return v


def projected_variables(text: str) -> list[str] | None:
    """The variables a SELECT query answers with, from pyoxigraph's own parser (None if it cannot tell)."""
    import pyoxigraph as ox

    try:
        result = ox.Store().query(text)
        return [v.value for v in result.variables]
    except (SyntaxError, ValueError, OSError, AttributeError, TypeError):
        return None


def json_result_rows(text: str, body: bytes, where: str) -> list[dict[str, Any]]:
    """The rows of SPARQL JSON results `body` answering the SELECT `text`: the variables must be exactly
    those the query projects, the cells well-formed; otherwise an EndpointError naming `where`."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise EndpointError(f"{where}: the answer is not SPARQL JSON results") from None
    head = data.get("head") if isinstance(data, dict) else None
    results = data.get("results") if isinstance(data, dict) else None
    names = head.get("vars") if isinstance(head, dict) else None
    if not (isinstance(names, list) and all(isinstance(n, str) for n in names) and isinstance(results, dict)
            and isinstance(results.get("bindings"), list)):
        raise EndpointError(f"{where}: the answer is not SPARQL JSON results (no head.vars or results.bindings)")
    expected = projected_variables(text)
    if expected is not None and sorted(names) != sorted(expected):
        raise EndpointError(f"{where}: the answer has the variables {_show(names, 100)}, "
                            f"the query asks for {_show(expected, 100)}")
    known = set(names)
    rows = []
    try:
        for b in results["bindings"]:
            if not isinstance(b, dict) or not known.issuperset(b):
                extra = sorted(set(b) - known) if isinstance(b, dict) else b
                raise EndpointError(f"{where}: the answer binds unexpected variables {_show(extra, 100)}")
            rows.append({n: _json_value(b.get(n)) for n in names})
    except (ValueError, TypeError, AttributeError) as e:
        raise EndpointError(f"{where}: the answer is not SPARQL JSON results ({_show(str(e), 80)})") from None
    return rows


class _Deadline:
    """Shuts the connection down when the time is up, whatever httpx is waiting for."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.fired = False
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def __enter__(self) -> "_Deadline":
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()

    def _shutdown(self) -> None:
        try:
            socket.socket.shutdown(self._sock, socket.SHUT_RDWR)
        except (OSError, TypeError):
            pass

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            if self._sock is not None:
                self._shutdown()

    def trace(self, event: str, info: dict) -> None:
        """httpcore's trace extension: learn the socket as soon as the connection exists."""
        if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            stream = info.get("return_value")
            sock = stream.get_extra_info("socket") if stream is not None else None
            if sock is not None:
                with self._lock:
                    self._sock = sock
                    if self.fired:
                        self._shutdown()


class EndpointEngine(Engine):
    """A SPARQL 1.1 Protocol endpoint (query via POST, results as SPARQL JSON)."""

    name = "endpoint"

    def __init__(self, url: str, timeout: float | None = DEFAULT_TIMEOUT_S, *,
                 max_reply_bytes: int = DEFAULT_MAX_REPLY_BYTES, verify_graph: bool = True):
        if not isinstance(url, str):
            raise EndpointError(f"--endpoint {_show(url)}: expected an http(s) URL")
        try:
            parsed = urllib.parse.urlsplit(url)
            port = parsed.port
            host = parsed.hostname
        except ValueError as e:
            raise EndpointError(f"--endpoint {_show(url)}: not a valid URL ({e})") from None
        if parsed.scheme not in ("http", "https") or not host:
            raise EndpointError(f"--endpoint {_show(url)}: expected an http(s) URL with a host, "
                                "for example http://127.0.0.1:7878/query")
        if any(ord(c) < 0x21 or c == "\x7f" for c in url):
            raise EndpointError(f"--endpoint {_show(url)}: a URL has no spaces or control characters")
        if timeout is None:
            timeout = DEFAULT_TIMEOUT_S
        if not isinstance(timeout, (int, float)) or not math.isfinite(timeout) or timeout <= 0:
            raise EndpointError(f"--timeout {_show(timeout)}: must be a positive, finite number of seconds")
        self.url = url
        self.timeout = float(timeout)
        self.max_reply_bytes = max_reply_bytes
        self.verify_graph = verify_graph
        self._direct = host in LOOPBACK_HOSTS
        self._client = None
        self._checked = False
        del port

    # -- HTTP
    def _http(self):
        import httpx

        if self._client is None:
            # one connection per query (no keep-alive): the deadline watchdog sees every socket
            self._client = httpx.Client(trust_env=not self._direct, follow_redirects=False,
                                        timeout=httpx.Timeout(self.timeout),
                                        limits=httpx.Limits(max_keepalive_connections=0))
        return self._client

    def _post(self, text: str) -> bytes:
        import httpx

        where = f"endpoint {_show(self.url, 120)}"
        client = self._http()
        with _Deadline(self.timeout) as deadline:
            try:
                request = client.build_request(
                    "POST", self.url, data={"query": text},
                    headers={"Accept": "application/sparql-results+json", "Accept-Encoding": "identity"},
                    extensions={"trace": deadline.trace})
                response = client.send(request, stream=True)
                try:
                    if response.status_code >= 400 or response.status_code < 200:
                        raise EndpointError(f"{where}: HTTP {response.status_code} "
                                            f"{response.reason_phrase}{self._detail(response)}")
                    if 300 <= response.status_code < 400:
                        raise EndpointError(f"{where}: HTTP {response.status_code} (redirect to "
                                            f"{_show(response.headers.get('location', ''), 80)}): "
                                            "give the endpoint's own URL")
                    chunks, size = [], 0
                    for chunk in response.iter_bytes():
                        size += len(chunk)
                        if size > self.max_reply_bytes:
                            raise EndpointError(f"{where}: the answer exceeds "
                                                f"{self.max_reply_bytes / (1 << 20):g} MiB; stopped reading")
                        chunks.append(chunk)
                        if deadline.fired:
                            break
                finally:
                    response.close()
            except httpx.TimeoutException:
                raise EndpointError(f"{where}: no answer within {self.timeout:g} s") from None
            except httpx.ConnectError as e:
                if deadline.fired:
                    raise EndpointError(f"{where}: no answer within {self.timeout:g} s") from None
                raise EndpointError(f"{where}: cannot connect ({_reason(e)})") from None
            except (httpx.HTTPError, OSError) as e:
                if deadline.fired:
                    raise EndpointError(f"{where}: no answer within {self.timeout:g} s") from None
                raise EndpointError(f"{where}: connection failed ({_reason(e)})") from None
            if deadline.fired:
                raise EndpointError(f"{where}: no answer within {self.timeout:g} s")
        return b"".join(chunks)

    @staticmethod
    def _detail(response) -> str:
        try:
            head = b""
            for chunk in response.iter_bytes():
                head += chunk
                if len(head) >= 300:
                    break
        except Exception:
            return ""
        lines = head[:300].decode("utf-8", "replace").strip().splitlines()
        if not lines:
            return ""
        line = "".join(c if c.isprintable() else "?" for c in lines[0])
        return ": " + (line if len(line) <= 150 else line[:149] + "…")

    # -- SPARQL JSON
    def _rows(self, text: str, body: bytes) -> list[dict[str, Any]]:
        return json_result_rows(text, body, f"endpoint {_show(self.url, 120)}")

    def _select(self, text: str) -> list[dict[str, Any]]:
        return self._rows(text, self._post(text))

    def check_graph(self) -> None:
        """EndpointError unless the endpoint holds the rnetkg graph with its derived recommendations."""
        from . import queries

        rows = self._select(queries.get("graph-check").text)
        row = rows[0] if len(rows) == 1 else {}
        where = f"endpoint {_show(self.url, 120)}"
        # EXISTS is a boolean; some engines (Virtuoso) answer it as the integer 1 or 0
        if row.get("ontology") not in (True, 1):
            raise EndpointError(f"{where}: it does not hold the rnetkg graph (no header of the ontology or of "
                                "its application module ontology/rnet-app.ttl); load "
                                "it first: `rnetkg serve --dump rnetkg.nt` (docs/serving.md)")
        if row.get("derived") not in (True, 1):
            raise EndpointError(f"{where}: it holds the rnetkg graph without the derived referral "
                                "recommendations (queries/expand-referrals.rq); load the dump "
                                "`rnetkg serve --dump rnetkg.nt` instead (docs/serving.md)")

    def select(self, text: str) -> list[dict[str, Any]]:
        if self.verify_graph and not self._checked:
            self.check_graph()
            self._checked = True
        return self._select(text)


def _reason(e: BaseException) -> str:
    text = " ".join(str(e).split()) or type(e).__name__
    return text if len(text) <= 120 else text[:119] + "…"
