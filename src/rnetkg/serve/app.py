"""The web front of `rnetkg serve` (Starlette): one address for the SPARQL endpoint, its UI, the
clinician page (`/`, page.py) and the CDS Hooks service (`/cds-services`, cds.py).

`/query` implements the SPARQL 1.1 Protocol query operation (GET `?query=`, POST form-encoded, POST
`application/sparql-query`) and forwards each query to the Oxigraph child, after guard.check_query
(no SERVICE). Every answer is bounded and well-formed:

- time: a deadline per query here; past it the child is killed and started again (about 0.3 s: the
  store is already on disk), and the other queries that had only just started on it are sent once
  more to the new child (see child.py for why Oxigraph's own --timeout-s is not used);
- size: the answer is read into memory up to the reply limit, then sent; past the limit the query
  is refused (400), so a client never receives a cut-off answer with HTTP 200;
- form: a SPARQL JSON or XML answer is parsed before it is sent (an answer cut off by a failure
  in the child is never passed on with HTTP 200);
- errors are plain text, one line, with a 4xx/5xx status.
"""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.parse
import urllib.request
from dataclasses import dataclass

from . import guard
from .child import Supervisor
from .ui import UI_PAGE

log = logging.getLogger("rnetkg.serve")

PARSE_IN_THREAD_BYTES = 1 << 20  # validate larger answers off the event loop
FORWARDED = ("query", "default-graph-uri", "named-graph-uri")
UI_ASSETS = {"/sparql/yasgui.min.js": "/yasgui.min.js", "/sparql/yasgui.min.css": "/yasgui.min.css",
             "/logo.svg": "/logo.svg"}


@dataclass
class Limits:
    query_timeout: float = 10.0
    max_reply_bytes: int = 64 << 20
    max_request_bytes: int = 8 << 20
    max_concurrent: int = 8


class _TooLarge(Exception):
    pass


def _error(status: int, message: str):
    from starlette.responses import PlainTextResponse

    return PlainTextResponse(" ".join(message.split()) + "\n", status_code=status)


def fetch_ui_assets(base: str) -> dict[str, tuple[bytes, str]]:
    """The UI's script, style sheet and logo, read once from the Oxigraph child (served from memory)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    assets = {}
    for path, upstream in UI_ASSETS.items():
        try:
            with opener.open(base + upstream, timeout=10) as resp:
                assets[path] = (resp.read(), resp.headers.get("Content-Type", "application/octet-stream"))
        except OSError as e:
            log.warning("the query UI asset %s could not be read from the Oxigraph server: %s", upstream, e)
    return assets


def _well_formed(body: bytes, content_type: str) -> bool:
    ctype = content_type.split(";")[0].strip().lower()
    if ctype in ("application/sparql-results+json", "application/json"):
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            return False
        return isinstance(data, dict) and "head" in data
    if ctype in ("application/sparql-results+xml", "application/xml"):
        import xml.parsers.expat

        parser = xml.parsers.expat.ParserCreate()
        try:
            parser.Parse(body, True)
        except xml.parsers.expat.ExpatError:
            return False
    return True


class Proxy:
    """Forwards SPARQL queries to the supervised Oxigraph child within the limits."""

    def __init__(self, supervisor: Supervisor, limits: Limits):
        self.supervisor = supervisor
        self.limits = limits
        self.client = None
        self.slots: asyncio.Semaphore | None = None

    async def open(self) -> None:
        import httpx

        n = self.limits.max_concurrent
        self.client = httpx.AsyncClient(trust_env=False, timeout=httpx.Timeout(None),
                                        limits=httpx.Limits(max_connections=n, max_keepalive_connections=n))
        self.slots = asyncio.Semaphore(n)

    async def close(self) -> None:
        if self.client is not None:
            await self.client.aclose()

    async def _fetch(self, url: str, form: list[tuple[str, str]], accept: str):
        req = self.client.build_request("POST", url, data=_group(form), headers={"Accept": accept})
        resp = await self.client.send(req, stream=True)
        try:
            chunks, size = [], 0
            async for chunk in resp.aiter_raw():
                size += len(chunk)
                if size > self.limits.max_reply_bytes:
                    raise _TooLarge
                chunks.append(chunk)
            return resp.status_code, resp.headers.get("content-type", "text/plain"), b"".join(chunks)
        finally:
            await resp.aclose()

    async def _replaced(self, child, limit: float) -> bool:
        """After a failed connection: wait until `child` is replaced by a running one (restart it if it died)."""
        loop = asyncio.get_running_loop()
        until = loop.time() + 1.0
        while child.running and self.supervisor.child is child and loop.time() < until:
            await asyncio.sleep(0.02)  # a dying child closes its socket before it exits
        if self.supervisor.child is not child:
            return True
        if child.running:
            return False
        try:
            await asyncio.wait_for(asyncio.wrap_future(self.supervisor.restart(child.generation)), timeout=limit)
        except Exception:
            return False
        return True

    async def forward(self, form: list[tuple[str, str]], accept: str):
        import httpx
        from starlette.responses import Response

        limit = self.limits.query_timeout
        loop = asyncio.get_running_loop()
        try:
            await asyncio.wait_for(self.slots.acquire(), timeout=limit)
        except TimeoutError:
            return _error(503, f"the server is busy: no query slot became free within {limit:g} s")
        try:
            for attempt in range(2):
                child = self.supervisor.child
                started = loop.time()
                try:
                    status, ctype, body = await asyncio.wait_for(self._fetch(child.query_url, form, accept),
                                                                 timeout=limit)
                except TimeoutError:
                    log.warning("a query overran the %g s time limit; restarting the Oxigraph server", limit)
                    self.supervisor.restart(child.generation)
                    return _error(503, f"the query ran longer than the time limit of {limit:g} s and was stopped")
                except _TooLarge:
                    mib = self.limits.max_reply_bytes / (1 << 20)
                    return _error(400, f"the answer exceeds the reply limit of {mib:g} MiB of this server; "
                                  "add a LIMIT or narrow the query")
                except httpx.TransportError:
                    # the child died (out of memory) or was restarted for another query: a query that
                    # had only just started is sent once more; one that ran for a while may be the cause
                    if attempt == 0 and loop.time() - started < min(1.0, limit / 4):
                        if await self._replaced(child, limit):
                            continue
                    break
                if status == 200:
                    ok = (_well_formed(body, ctype) if len(body) < PARSE_IN_THREAD_BYTES
                          else await asyncio.to_thread(_well_formed, body, ctype))
                    if not ok:
                        return _error(502, "the Oxigraph server's answer was cut off or malformed")
                return Response(body, status_code=status, media_type=None, headers={"Content-Type": ctype})
            return _error(502, "the Oxigraph server stopped while answering (the query may need more "
                          "memory than the server's limit)")
        finally:
            self.slots.release()


def _group(form: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, v in form:
        out.setdefault(k, []).append(v)
    return out


async def _read_body(request, limit: int) -> bytes | None:
    size = int(request.headers.get("content-length") or 0)
    if size > limit:
        return None
    chunks, total = [], 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


PAGE_HEADERS = {  # the page loads nothing: no script, no image, no font, no frame
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                               "base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type, Authorization", "Access-Control-Max-Age": "600"}
MAX_FORM_BYTES = 64 << 10


def _form_items(body: bytes) -> list[tuple[str, str]]:
    """An application/x-www-form-urlencoded UTF-8 body as (name, value) pairs; ValueError when it is not."""
    return urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=100, errors="strict")


READ_ONLY = ("this endpoint is read-only: SPARQL updates and Graph Store writes are refused")


def build_app(supervisor: Supervisor, limits: Limits, assets: dict[str, tuple[bytes, str]], clinic=None):
    """The Starlette application of `rnetkg serve` (``clinic``: a page.Clinic; loaded here when not given)."""
    import contextlib

    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse, JSONResponse, Response
    from starlette.routing import Route

    from . import cds, page

    clinic = clinic or page.Clinic.load()

    proxy = Proxy(supervisor, limits)

    async def query(request):
        if request.method == "GET":
            form = list(request.query_params.multi_items())
        else:
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            body = await _read_body(request, limits.max_request_bytes)
            if body is None:
                return _error(413, f"the request exceeds {limits.max_request_bytes >> 20} MiB")
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                return _error(400, "the request body is not UTF-8 text")
            if ctype == "application/x-www-form-urlencoded":
                try:
                    form = urllib.parse.parse_qsl(text, keep_blank_values=True, max_num_fields=1000,
                                                  errors="strict")
                except (ValueError, UnicodeDecodeError):
                    return _error(400, "the form is not valid application/x-www-form-urlencoded UTF-8")
            elif ctype == "application/sparql-query":
                form = [("query", text)] + [kv for kv in request.query_params.multi_items() if kv[0] != "query"]
            elif ctype == "application/sparql-update":
                return _error(403, READ_ONLY)
            else:
                return _error(415, "Content-Type must be application/x-www-form-urlencoded or "
                              "application/sparql-query")
        if any(k in ("update", "using-graph-uri", "using-named-graph-uri") for k, _ in form):
            return _error(403, READ_ONLY)
        texts = [v for k, v in form if k == "query"]
        if len(texts) != 1:
            return _error(400, "give exactly one `query` parameter (SPARQL 1.1 Protocol)")
        try:
            if guard.mentions_service(texts[0]):
                await asyncio.to_thread(guard.check_query, texts[0])
        except guard.QueryRefused as e:
            return _error(400, str(e))
        accept = request.headers.get("accept") or "application/sparql-results+json"
        return await proxy.forward([kv for kv in form if kv[0] in FORWARDED], accept)

    async def refuse_write(request):
        return _error(403, READ_ONLY)

    async def ui(request):
        return HTMLResponse(UI_PAGE)

    async def asset(request):
        found = assets.get(request.url.path)
        if found is None:
            return _error(404, "not found")
        body, ctype = found
        return Response(body, media_type=ctype, headers={"Cache-Control": "public, max-age=3600"})

    async def home(request):
        if request.method == "POST":
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype != "application/x-www-form-urlencoded":
                return _error(415, "the form must be sent as application/x-www-form-urlencoded")
            body = await _read_body(request, MAX_FORM_BYTES)
            if body is None:
                return _error(413, f"the form exceeds {MAX_FORM_BYTES >> 10} KiB")
            try:
                items = _form_items(body)
            except (ValueError, UnicodeDecodeError):
                return _error(400, "the form is not valid application/x-www-form-urlencoded UTF-8")
        else:
            items = list(request.query_params.multi_items())
        status, text = page.render(clinic, items)
        return HTMLResponse(text, status_code=status, headers=PAGE_HEADERS)

    async def cds_discovery(request):
        if request.method == "OPTIONS":
            return Response(status_code=204, headers=CORS)
        return JSONResponse(cds.discovery(clinic.model.guideline_keys, clinic.context), headers=CORS)

    async def cds_call(request):
        if request.method == "OPTIONS":
            return Response(status_code=204, headers=CORS)
        if request.path_params["service_id"] != cds.SERVICE_ID:
            return _error(404, f"no CDS service {request.path_params['service_id'][:60]!r}; "
                          f"this server has {cds.SERVICE_ID!r} (GET /cds-services)")
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/json" and not ctype.endswith("+json"):
            return _error(415, "a CDS Hooks request is JSON: Content-Type must be application/json")
        body = await _read_body(request, limits.max_request_bytes)
        if body is None:
            return _error(413, f"the request exceeds {limits.max_request_bytes >> 20} MiB")
        base = str(request.base_url)
        try:
            result = (cds.respond(clinic, body, base) if len(body) < PARSE_IN_THREAD_BYTES // 4
                      else await asyncio.to_thread(cds.respond, clinic, body, base))
        except cds.CdsError as e:
            resp = _error(e.status, str(e))
            resp.headers.update(CORS)
            return resp
        return JSONResponse(result, headers=CORS)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        await proxy.open()
        try:
            yield
        finally:
            await proxy.close()

    routes = [
        Route("/", home, methods=["GET", "HEAD", "POST"]),
        Route("/cds-services", cds_discovery, methods=["GET", "OPTIONS"]),
        Route("/cds-services/{service_id}", cds_call, methods=["POST", "OPTIONS"]),
        Route("/query", query, methods=["GET", "POST"]),
        Route("/sparql", ui, methods=["GET", "HEAD"]),
        *(Route(path, asset, methods=["GET", "HEAD"]) for path in UI_ASSETS),
        Route("/update", refuse_write, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
        Route("/store", refuse_write, methods=["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.proxy = proxy
    app.state.clinic = clinic
    return app
