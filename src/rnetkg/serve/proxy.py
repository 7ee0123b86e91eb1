"""The part of `rnetkg serve`'s front that forwards SPARQL queries to the Oxigraph child (app.py
routes `/query` here): a bounded number of query slots, a deadline per query, a reply limit, answers
checked for form before they are sent, and sent in chunks while the query keeps its slot (see app.py
for the whole list of limits).
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass

from .child import Supervisor

log = logging.getLogger("rnetkg.serve")

PARSE_IN_THREAD_BYTES = 1 << 20  # validate larger answers off the event loop
SEND_CHUNK = 64 << 10


@dataclass
class Limits:
    query_timeout: float = 10.0
    max_reply_bytes: int = 64 << 20
    max_request_bytes: int = 8 << 20
    max_concurrent: int = 8


class _TooLarge(Exception):
    pass


def error_response(status: int, message: str):
    from starlette.responses import PlainTextResponse

    return PlainTextResponse(" ".join(message.split()) + "\n", status_code=status)


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
        self.held_bytes = 0        # bytes of answers read from the child and not yet sent
        self.peak_held_bytes = 0

    async def open(self) -> None:
        import httpx

        n = self.limits.max_concurrent
        self.client = httpx.AsyncClient(trust_env=False, timeout=httpx.Timeout(None),
                                        limits=httpx.Limits(max_connections=n, max_keepalive_connections=n))
        self.slots = asyncio.Semaphore(n)

    async def close(self) -> None:
        if self.client is not None:
            await self.client.aclose()

    async def _fetch(self, url: str, form: list[tuple[str, str]], accept: str | None):
        headers = {"Accept": accept} if accept else {}
        req = self.client.build_request("POST", url, data=_group(form), headers=headers)
        resp = await self.client.send(req, stream=True)
        chunks: list[bytes] = []
        try:
            size = 0
            async for chunk in resp.aiter_raw():
                size += len(chunk)
                if size > self.limits.max_reply_bytes:
                    raise _TooLarge
                chunks.append(chunk)
                self.held_bytes += len(chunk)
                self.peak_held_bytes = max(self.peak_held_bytes, self.held_bytes)
            return resp.status_code, resp.headers.get("content-type", "text/plain"), chunks
        except BaseException:
            self._drop(chunks)
            raise
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

    async def forward(self, form: list[tuple[str, str]], accept: str | None):
        """The answer to one query, as an ASGI application that holds the query slot until it is sent."""
        import httpx

        limit = self.limits.query_timeout
        loop = asyncio.get_running_loop()
        try:
            await asyncio.wait_for(self.slots.acquire(), timeout=limit)
        except TimeoutError:
            return error_response(503, f"the server is busy: no query slot became free within {limit:g} s")
        handed_over = False
        try:
            for attempt in range(2):
                child = self.supervisor.child
                started = loop.time()
                try:
                    status, ctype, chunks = await asyncio.wait_for(self._fetch(child.query_url, form, accept),
                                                                   timeout=limit)
                except TimeoutError:
                    log.warning("a query overran the %g s time limit; restarting the Oxigraph server", limit)
                    self.supervisor.restart(child.generation)
                    return error_response(503, f"the query ran longer than the time limit of {limit:g} s "
                                          "and was stopped")
                except _TooLarge:
                    mib = self.limits.max_reply_bytes / (1 << 20)
                    return error_response(400, f"the answer exceeds the reply limit of {mib:g} MiB of this "
                                          "server; add a LIMIT or narrow the query")
                except httpx.TransportError:
                    # the child died (out of memory) or was restarted for another query: a query that
                    # had only just started is sent once more; one that ran for a while may be the cause
                    if attempt == 0 and loop.time() - started < min(1.0, limit / 4):
                        if await self._replaced(child, limit):
                            continue
                    break
                if status == 200:
                    body = b"".join(chunks)
                    chunks = [body]
                    ok = (_well_formed(body, ctype) if len(body) < PARSE_IN_THREAD_BYTES
                          else await asyncio.to_thread(_well_formed, body, ctype))
                    del body
                    if not ok:
                        self._drop(chunks)
                        return error_response(502, "the Oxigraph server's answer was cut off or malformed")
                handed_over = True
                return _Answer(self, status, ctype, chunks)
            return error_response(502, "the Oxigraph server stopped while answering (the query may need "
                                  "more memory than the server's limit)")
        finally:
            if not handed_over:
                self.slots.release()

    def _drop(self, chunks: list[bytes]) -> None:
        self.held_bytes -= sum(len(c) for c in chunks)
        chunks.clear()


class _Answer:
    """The child's answer to one query, sent in chunks of SEND_CHUNK bytes; each part is freed once it
    is handed to the connection (which waits while the client's buffer is full), and the query slot is
    released when the whole answer is out or the client is gone."""

    def __init__(self, proxy: Proxy, status: int, ctype: str, chunks: list[bytes]):
        self.proxy, self.status, self.ctype, self.chunks = proxy, status, ctype, chunks

    async def __call__(self, scope, receive, send) -> None:
        proxy, chunks = self.proxy, self.chunks
        try:
            size = sum(len(c) for c in chunks)
            await send({"type": "http.response.start", "status": self.status,
                        "headers": [(b"content-type", self.ctype.encode("latin-1", "replace")),
                                    (b"content-length", str(size).encode())]})
            if scope.get("method") == "HEAD":
                await send({"type": "http.response.body", "body": b""})
                return
            chunks.reverse()
            while chunks:
                part = chunks.pop()
                for i in range(0, len(part), SEND_CHUNK):
                    piece = part[i:i + SEND_CHUNK]
                    last = not chunks and i + SEND_CHUNK >= len(part)
                    await send({"type": "http.response.body", "body": piece, "more_body": not last})
                    proxy.held_bytes -= len(piece)
                del part
            if size == 0:
                await send({"type": "http.response.body", "body": b""})
        finally:
            proxy._drop(chunks)
            proxy.slots.release()


def _group(form: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, v in form:
        out.setdefault(k, []).append(v)
    return out
