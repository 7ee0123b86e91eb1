"""The HTTP/1.1 connection of the web front: uvicorn's h11 protocol with two time limits it lacks.

- **Read timeout.** A request's head and body must arrive within ``read_timeout`` seconds of its
  first byte (for a new connection: of the connection itself). Past it the client gets HTTP 408 (one
  line) when no answer has begun, and the connection is closed. An idle new connection and a client
  that drips its headers or its body (slowloris) hold a connection for at most that long; idle
  kept-alive connections are closed by uvicorn's own keep-alive timeout.
- **Write stall timeout.** When a client stops reading, the transport's buffer fills and every write
  waits. If it stays full for ``stall_timeout`` seconds the connection is dropped, so an answer
  waiting for a client that does not read is freed (and its query slot with it).

Nothing here prints; events go to the `rnetkg.serve` logger.
"""

from __future__ import annotations

import asyncio
import logging

from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("rnetkg.serve")


def timeout_response(seconds: float) -> bytes:
    """The raw HTTP 408 answer of a request that did not arrive in time (one line of text)."""
    body = f"the request did not arrive within {seconds:g} s; the connection is closed\n".encode()
    return (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
            b"connection: close\r\ncontent-length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


def protocol_class(read_timeout: float, stall_timeout: float) -> type:
    """An h11 protocol class with these limits (uvicorn.Config(http=...) takes a class)."""

    class TimedH11Protocol(_Timed):
        pass

    TimedH11Protocol.read_timeout = float(read_timeout)
    TimedH11Protocol.stall_timeout = float(stall_timeout)
    return TimedH11Protocol


class _Timed(H11Protocol):
    read_timeout = 10.0
    stall_timeout = 30.0
    _read_timer: asyncio.TimerHandle | None = None
    _stall_timer: asyncio.TimerHandle | None = None

    # ------------------------------------------------------------ reading
    def _arm_read(self) -> None:
        self._disarm_read()
        self._read_timer = self.loop.call_later(self.read_timeout, self._read_timed_out)

    def _disarm_read(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _waiting_for_request(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_read()

    def data_received(self, data: bytes) -> None:
        if self._read_timer is None and self._waiting_for_request():
            self._arm_read()  # the first byte of the next request on a kept-alive connection
        super().data_received(data)
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete and not cycle.more_body:
            self._disarm_read()  # the whole request is in: the time it takes to answer is not limited here

    def on_response_complete(self) -> None:
        self._disarm_read()  # idle until the next request: uvicorn's keep-alive timeout applies
        super().on_response_complete()

    def _read_timed_out(self) -> None:
        self._read_timer = None
        if self.transport.is_closing():
            return
        cycle = self.cycle
        if cycle is None or cycle.response_complete or not cycle.response_started:
            self.transport.write(timeout_response(self.read_timeout))
        if cycle is not None and not cycle.response_complete:
            cycle.disconnected = True  # the application's reads end and its writes are dropped
            cycle.message_event.set()
        self.transport.close()

    # ------------------------------------------------------------ writing
    def pause_writing(self) -> None:
        super().pause_writing()
        if self._stall_timer is None:
            self._stall_timer = self.loop.call_later(self.stall_timeout, self._write_stalled)

    def resume_writing(self) -> None:
        if self._stall_timer is not None:
            self._stall_timer.cancel()
            self._stall_timer = None
        super().resume_writing()

    def _write_stalled(self) -> None:
        self._stall_timer = None
        if not self.transport.is_closing():
            log.info("a client read nothing for %g s; its connection is closed", self.stall_timeout)
        self.transport.abort()  # connection_lost() follows: the waiting writes end, the answer is freed

    def connection_lost(self, exc) -> None:
        self._disarm_read()
        if self._stall_timer is not None:
            self._stall_timer.cancel()
            self._stall_timer = None
        super().connection_lost(exc)
