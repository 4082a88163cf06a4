"""The HTTP server's connections: h11 with a deadline for each request's headers.

uvicorn closes a connection that stays idle after a response (``timeout_keep_alive``),
but not one that is opened and never sends a request, nor one that sends its headers a
byte at a time: a few hundred such clients hold the service's sockets forever. Here a
request's headers must be complete within ``header_seconds`` of the connection opening,
or of the previous response; the body has its own limit in the app (``serve.body``).

h11 is chosen over uvicorn's automatic pick so that the server behaves the same
wherever it runs, and for its bound on the size of the headers.
"""

from __future__ import annotations

import asyncio
import logging

from uvicorn.protocols.http.h11_impl import H11Protocol

# uvicorn's own default for h11, stated here as the service's limit on a request's headers.
MAX_HEADER_BYTES = 16 * 1024

log = logging.getLogger("upgradeflow.serve")


class HeaderDeadlineProtocol(H11Protocol):
    """H11Protocol that closes a connection whose next request's headers are late."""

    header_seconds: float = 10.0

    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._expect_headers()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._expect_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        super().connection_lost(exc)

    def _expect_headers(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        if not self.transport.is_closing():
            self._deadline = self.loop.call_later(self.header_seconds, self._cut_off, self.cycle)

    def _cut_off(self, cycle: object) -> None:
        # Still the cycle the deadline was set after, and it is over (or there was none):
        # no request has started since.
        waiting = self.cycle is cycle and (cycle is None or self.cycle.response_complete)
        if waiting and not self.transport.is_closing():
            reason = f"no request headers within {self.header_seconds:g} s"
            log.info("connection closed", extra={"fields": {"client": self.client, "reason": reason}})
            self.transport.close()


def with_header_deadline(seconds: float) -> type[HeaderDeadlineProtocol]:
    """The protocol class for ``uvicorn.run(http=...)`` with a ``seconds`` header deadline."""
    return type("HeaderDeadlineProtocol", (HeaderDeadlineProtocol,), {"header_seconds": seconds})
