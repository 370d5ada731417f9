"""Explicit timeouts: every unary call has a deadline; streams may have none."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Timeout:
    """How long the client waits.

    ``call`` bounds each unary call (a gRPC deadline); ``submit_and_wait`` the calls of the
    CommandService, which last until the command completes; ``connect`` the wait for the
    channel to become ready in :meth:`LedgerClient.connect`. ``stream`` bounds a whole
    stream (``None``: until the caller stops iterating).
    """

    call: float = 10.0
    submit_and_wait: float = 60.0
    connect: float = 10.0
    stream: float | None = None

    def __post_init__(self) -> None:
        for name in ("call", "submit_and_wait", "connect"):
            if getattr(self, name) <= 0:
                raise ValueError(f"Timeout.{name} must be positive")
        if self.stream is not None and self.stream <= 0:
            raise ValueError("Timeout.stream must be positive or None")


DEFAULT_TIMEOUT = Timeout()
