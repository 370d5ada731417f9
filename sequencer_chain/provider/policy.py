"""How long one chain call may take and how often it is tried: explicit values, not
keyword soup. Every call through :class:`~sequencer_chain.provider.ChainProvider` uses one
:class:`RpcTimeouts` and one :class:`RetryPolicy`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RpcTimeouts:
    """Time limits of chain calls, in seconds."""

    call_s: float
    """One attempt of one call (the request, the answer, its decoding)."""

    def __post_init__(self) -> None:
        if self.call_s <= 0:
            raise ValueError(f"call_s must be > 0, got {self.call_s}")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retries of a call that failed in transport (unreachable, timed out, cut off).

    Applied only to calls that are safe to repeat (reads, and a send of the same signed
    bytes); an answer that is an error is never retried, it would come again. The pause
    doubles after each failed attempt, from ``backoff_start_s`` up to ``backoff_max_s``."""

    retries: int = 0
    """Attempts after the first (0: one attempt only)."""
    backoff_start_s: float = 0.1
    backoff_max_s: float = 5.0

    def __post_init__(self) -> None:
        if self.retries < 0:
            raise ValueError(f"retries must be >= 0, got {self.retries}")


NO_RETRY = RetryPolicy()
"""One attempt: for callers that retry a larger unit themselves (the reader's step)."""
