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
- memory: the query slot is held until the answer has been handed to the client's connection, and
  the answer is sent in chunks, each freed once written: the front holds at most `max_concurrent`
  answers (a client that stops reading is dropped after the write stall timeout, protocol.py);
- form: a SPARQL JSON or XML answer is parsed before it is sent (an answer cut off by a failure
  in the child is never passed on with HTTP 200);
- errors are plain text, one line, with a 4xx/5xx status.
"""

from __future__ import annotations

import asyncio
import logging
import urllib.parse
import urllib.request

from . import guard
from .child import Supervisor
from .proxy import PARSE_IN_THREAD_BYTES, Limits, Proxy
from .proxy import error_response as _error

log = logging.getLogger("rnetkg.serve")

FORWARDED = ("query", "default-graph-uri", "named-graph-uri")
UI_ASSETS = {"/sparql/yasgui.min.js": "/yasgui.min.js", "/sparql/yasgui.min.css": "/yasgui.min.css",
             "/logo.svg": "/logo.svg"}


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


async def _read_body(request, limit: int) -> bytes | None:
    """The request body, or None when it exceeds ``limit`` bytes or the client went away."""
    from starlette.requests import ClientDisconnect

    size = int(request.headers.get("content-length") or 0)
    if size > limit:
        return None
    chunks, total = [], 0
    try:
        async for chunk in request.stream():
            total += len(chunk)
            if total > limit:
                return None
            chunks.append(chunk)
    except ClientDisconnect:  # gone, or cut off by the read timeout (protocol.py): nobody reads the answer
        return None
    return b"".join(chunks)


PAGE_HEADERS = {  # the page loads no script, font or frame; its one image is its map, from this server
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; "
                               "base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type, Authorization", "Access-Control-Max-Age": "600"}
MAX_FORM_BYTES = 64 << 10
MAX_PAGE_FIELDS = 100     # the page has about 20 fields
MAX_QUERY_FIELDS = 1000   # /query: query, default-graph-uri and named-graph-uri, each possibly repeated


class FormProblem(ValueError):
    """A form or query string that cannot be read: the one-line message for the HTTP 400 body."""


def form_items(text: str | bytes, max_fields: int, what: str = "the form") -> list[tuple[str, str]]:
    """An application/x-www-form-urlencoded UTF-8 text as (name, value) pairs; FormProblem naming
    what is wrong (too many fields, not UTF-8, not form-encoded)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise FormProblem(f"{what} is not UTF-8 text") from None
    n = text.count("&") + 1 if text else 0
    if n > max_fields:
        raise FormProblem(f"{what} has {n:,} fields; at most {max_fields} are read")
    try:
        return urllib.parse.parse_qsl(text, keep_blank_values=True, max_num_fields=max_fields, errors="strict")
    except (ValueError, UnicodeDecodeError):
        raise FormProblem(f"{what} is not valid application/x-www-form-urlencoded UTF-8 "
                          "(percent-escapes must encode UTF-8)") from None


def query_string_items(request, max_fields: int) -> list[tuple[str, str]]:
    """The request's query string as (name, value) pairs (FormProblem as form_items)."""
    return form_items(request.scope.get("query_string", b""), max_fields, "the query string")


UI_HEADERS = {  # the query UI: its own script and style sheet, and requests to this server only
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
                               "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
READ_ONLY = ("this endpoint is read-only: SPARQL updates and Graph Store writes are refused")


def build_app(supervisor: Supervisor, limits: Limits, assets: dict[str, tuple[bytes, str]], clinic=None,
              public_url: str = "http://127.0.0.1:7878/", feedback=None):
    """The Starlette application of `rnetkg serve` (``clinic``: a page.Clinic; loaded here when not given).

    ``public_url`` (ending in "/") is the base of every absolute link the server writes: the CDS
    cards' links and the redirect of a path with a trailing slash. The Host header is never used."""
    import contextlib

    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
    from starlette.routing import Route

    from . import cds, page
    from . import ui as ui_module

    clinic = clinic or page.Clinic.load()

    proxy = Proxy(supervisor, limits)

    async def query(request):
        try:
            params = query_string_items(request, MAX_QUERY_FIELDS)
        except FormProblem as e:
            return _error(400, str(e))
        if request.method in ("GET", "HEAD"):
            form = params
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
                    form = form_items(text, MAX_QUERY_FIELDS)
                except FormProblem as e:
                    return _error(400, str(e))
            elif ctype == "application/sparql-query":
                form = [("query", text)] + [kv for kv in params if kv[0] != "query"]
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
        # no Accept header: the Oxigraph server chooses by the query's form (SPARQL JSON for SELECT and
        # ASK, N-Quads for CONSTRUCT and DESCRIBE); "*/*" is what httpx would send anyway
        accept = request.headers.get("accept") or "*/*"
        return await proxy.forward([kv for kv in form if kv[0] in FORWARDED], accept)

    async def refuse_write(request):
        return _error(403, READ_ONLY)

    ui_files = ui_module.files()  # the page, its configuration script, the prefixes and worked queries

    async def ui(request):
        return HTMLResponse(ui_files["/sparql"][0], headers=UI_HEADERS)

    async def ui_file(request):
        body, ctype = ui_files[request.url.path]
        return Response(body, media_type=ctype, headers={**UI_HEADERS, "Cache-Control": "no-cache"})

    async def asset(request):
        found = assets.get(request.url.path)
        if found is None:
            return _error(404, "not found")
        body, ctype = found
        return Response(body, media_type=ctype, headers={"Cache-Control": "public, max-age=3600",
                                                         "X-Content-Type-Options": "nosniff"})

    async def home(request):
        if request.method == "POST":
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype != "application/x-www-form-urlencoded":
                return _error(415, "the form must be sent as application/x-www-form-urlencoded")
            body = await _read_body(request, MAX_FORM_BYTES)
            if body is None:
                return _error(413, f"the form exceeds {MAX_FORM_BYTES >> 10} KiB")
            source, what = body, "the form"
        else:
            source, what = request.scope.get("query_string", b""), "the query string"
        try:
            items = form_items(source, MAX_PAGE_FIELDS, what)
        except FormProblem as e:
            return _error(400, str(e))
        status, text = page.render(clinic, items)
        return HTMLResponse(text, status_code=status, headers=PAGE_HEADERS)

    async def map_image(request):
        try:
            items = form_items(request.scope.get("query_string", b""), MAX_PAGE_FIELDS, "the query string")
            png = await asyncio.to_thread(page.map_png, items)
        except (FormProblem, page.FormError) as e:
            return _error(400, str(e))
        return Response(png, media_type="image/png",
                        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"})

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
        base = public_url  # card links: the configured public URL or the bind address, never the Host header
        try:
            found = (cds.respond_cards(clinic, body, base) if len(body) < PARSE_IN_THREAD_BYTES // 4
                     else await asyncio.to_thread(cds.respond_cards, clinic, body, base))
        except cds.CdsError as e:
            resp = _error(e.status, str(e))
            resp.headers.update(CORS)
            return resp
        cards = [card for _, card in found]
        if feedback is not None and cards:
            kinds, version = [k for k, _ in found], clinic.context.graph_version
            feedback.issued(cards, kinds, version)   # in memory at once; written to SQLite by the store's thread
        return JSONResponse({"cards": cards}, headers=CORS)

    async def cds_feedback(request):
        from ..profile import json_value
        from .feedback import FeedbackError

        if request.method == "OPTIONS":
            return Response(status_code=204, headers=CORS)
        if request.path_params["service_id"] != cds.SERVICE_ID or feedback is None:
            return _error(404, f"no feedback endpoint for {request.path_params['service_id'][:60]!r}")
        body = await _read_body(request, 1 << 20)
        if body is None:
            return _error(413, "a feedback request exceeds 1 MiB")
        try:
            data = json_value(body.decode("utf-8-sig"))
            stored = await asyncio.to_thread(feedback.record, data)
        except (UnicodeDecodeError, ValueError):
            resp = _error(400, "the feedback body is not JSON (CDS Hooks 2.0 feedback)")
        except FeedbackError as e:
            resp = _error(e.status, str(e))
        else:
            resp = JSONResponse({"stored": stored})
        resp.headers.update(CORS)
        return resp

    @contextlib.asynccontextmanager
    async def lifespan(app):
        await proxy.open()
        try:
            yield
        finally:
            await proxy.close()
            if feedback is not None:
                feedback.close()

    async def trailing_slash(request):
        """`/query/` and the like: a redirect to the path without the slash, on the public URL."""
        path = request.url.path.rstrip("/")
        if path not in known:
            return _error(404, "not found")
        target = public_url.rstrip("/") + path
        if request.scope.get("query_string"):
            target += "?" + request.scope["query_string"].decode("ascii", "replace")
        return RedirectResponse(target, status_code=307 if request.method not in ("GET", "HEAD") else 308)

    routes = [
        Route("/", home, methods=["GET", "HEAD", "POST"]),
        Route("/map.png", map_image, methods=["GET", "HEAD"]),
        Route("/cds-services", cds_discovery, methods=["GET", "OPTIONS"]),
        Route("/cds-services/{service_id}", cds_call, methods=["POST", "OPTIONS"]),
        Route("/cds-services/{service_id}/feedback", cds_feedback, methods=["POST", "OPTIONS"]),
        Route("/query", query, methods=["GET", "POST"]),
        Route("/sparql", ui, methods=["GET", "HEAD"]),
        *(Route(path, ui_file, methods=["GET", "HEAD"]) for path in ui_files if path != "/sparql"),
        *(Route(path, asset, methods=["GET", "HEAD"]) for path in UI_ASSETS),
        Route("/update", refuse_write, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
        Route("/store", refuse_write, methods=["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"]),
    ]
    known = {r.path for r in routes if r.path != "/"}
    routes.append(Route("/{path:path}/", trailing_slash,
                        methods=["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]))
    app = Starlette(routes=routes, lifespan=lifespan)
    app.router.redirect_slashes = False  # Starlette's own redirect takes its host from the Host header
    app.state.public_url = public_url
    app.state.proxy = proxy
    app.state.clinic = clinic
    return app
