"""uvicorn's HTTP protocol, with the read time of a request bounded.

uvicorn bounds the idle time between requests (keep-alive) but not the time a client takes to send
one: 500 connections trickling a byte now and then held the server's slots for as long as they
liked. Here a connection is closed when

- the request line and headers have not all arrived `header_timeout` seconds after the connection
  opened or the request began, or
- the body pauses for more than `body_idle_timeout` seconds between two pieces (unless the server
  itself stopped reading: flow control while the application catches up).

A JSON body must also be whole within `body_timeout` seconds (deps.read_limited_body); the stream
endpoint, which legitimately reads for as long as an export takes, is bounded by the idle time only.
"""

from __future__ import annotations

import asyncio
import logging

log = logging.getLogger("kaohe.api")

LIMITS = {"header": 10.0, "idle": 30.0}

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools is part of uvicorn[standard], which kaohe depends on
    HttpToolsProtocol = None


def configure(settings) -> None:
    """Take the limits from the settings (in each worker process, before it serves)."""
    LIMITS["header"] = settings.header_timeout_seconds
    LIMITS["idle"] = settings.body_idle_timeout_seconds


def bounded_http_protocol():
    if HttpToolsProtocol is None:
        log.warning("httptools is not installed: header and body read time are not bounded")
        return "auto"
    return BoundedHttpToolsProtocol


if HttpToolsProtocol is not None:

    class BoundedHttpToolsProtocol(HttpToolsProtocol):
        _phase = "headers"  # headers | body | idle (between requests: uvicorn's keep-alive applies)
        _timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._phase = "headers"
            self._arm(LIMITS["header"])

        def data_received(self, data: bytes) -> None:
            if self._phase == "idle":  # the next request on this connection begins
                self._phase = "headers"
                self._arm(LIMITS["header"])
            super().data_received(data)
            if self._phase == "body":
                self._arm(LIMITS["idle"])

        def on_headers_complete(self) -> None:
            super().on_headers_complete()
            self._phase = "body"
            self._arm(LIMITS["idle"])

        def on_message_complete(self) -> None:
            super().on_message_complete()
            self._phase = "idle"
            self._cancel()

        def connection_lost(self, exc) -> None:
            self._cancel()
            super().connection_lost(exc)

        def _arm(self, seconds: float) -> None:
            self._cancel()
            self._timer = self.loop.call_later(seconds, self._expired)

        def _cancel(self) -> None:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

        def _expired(self) -> None:
            self._timer = None
            if self._phase == "idle" or self.transport.is_closing():
                return
            if self._phase == "body" and self.flow is not None and self.flow.read_paused:
                self._arm(LIMITS["idle"])  # we stopped reading, not the client
                return
            log.info("closed a connection from %s: its request %s did not arrive in time",
                     self.client[0] if self.client else "?", "headers" if self._phase == "headers" else "body")
            self.transport.close()
