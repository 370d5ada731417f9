"""How wide an ``eth_getLogs`` block range may be: what an endpoint's refusal of a range
looks like, and the adaptive width the reader (and the writer's recovery search) use.

Nodes and providers bound ``eth_getLogs`` by block range, by result count, by response
size and by time, each with its own words. A range of full batches (up to 120 kB of log
data each) over 1,000 blocks can exceed any of them, and asking the same range again
fails the same way for ever. :func:`classify_logs_failure` sorts a failed call into:

* :attr:`LogsFailure.TOO_LARGE`: the endpoint refused the range or the size of the answer:
  geth, reth and Infura (``query returned more than 10000 results``, ``exceed maximum block
  range``, ``query exceeds max block range``, ``range N exceeds limit of 10000``), Erigon
  (``query block range exceeds server limit``, ``query returns too many logs``,
  ``block range too large``), Besu (``Requested range exceeds maximum RPC range limit``),
  Alchemy (``Log response size exceeded``, ``You can make eth_getLogs requests with up to a
  500 block range``), QuickNode (``eth_getLogs is limited to a 10,000 range``, HTTP 413),
  Frontier/Moonbeam (``block range is too wide``), and the generic ``limit exceeded``
  (EIP-1474 code -32005) and ``response size exceeded`` / ``response too large``;
* :attr:`LogsFailure.TIMEOUT`: the call or the server timed out (``request timed out``,
  ``query timeout exceeded``, ``context deadline exceeded``, HTTP 408/504/524, our own
  ``rpc_timeout_s``), or the answer came back truncated or broken (the connection closed
  mid-body, a body shorter than announced, JSON that does not parse);
* ``None``: anything else (endpoint unreachable, rate limited: ``rate limit``, ``too many
  requests``, HTTP 429). Those say nothing about the range, so it is kept and the call is
  retried with backoff as before.

Both kinds shrink the range. The chain provider (``sequencer_chain/provider/mapping.py``)
raises them as :class:`~sequencer_chain.errors.LogsRangeError`. Some providers name a
range that would work (``Try with this block range [0x..., 0x...]``);
:func:`suggested_width` reads it.
"""

from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass

import aiohttp
from web3.exceptions import Web3RPCError

from sequencer_chain.provider.mapping import rpc_error_message

GROWTH_DIVISOR = 4
"""After a successful read the width grows by a quarter (at least one block)."""


class LogsFailure(enum.Enum):
    """Why an ``eth_getLogs`` call failed, as far as the range is concerned."""

    TOO_LARGE = "too_large"
    TIMEOUT = "timeout"


_RATE_LIMITED = ("rate limit", "rate-limit", "ratelimit", "too many requests", "request rate")
_TOO_LARGE = (
    "more than",  # "query returned more than 10000 results"
    "too many results",
    "too many logs",
    "max results",
    "maximum results",
    "response size",
    "response too large",
    "response is too large",
    "response too big",
    "response is too big",
    "block range",
    "range limit",
    "max range",
    "maximum range",
    "exceeds limit",
    "exceeds the limit",
    "is limited to",
    "range too large",
    "range is too large",
    "too wide",
    "limit exceeded",
)
_TIMEOUT = ("timeout", "timed out", "time out", "deadline exceeded", "took too long")
_TOO_LARGE_STATUS = {413}
_TIMEOUT_STATUS = {408, 504, 524}
_HINT = re.compile(r"\[\s*(0x[0-9a-f]+)\s*,\s*(0x[0-9a-f]+)\s*\]")


def classify_message(message: str) -> LogsFailure | None:
    lowered = message.lower()
    if any(p in lowered for p in _RATE_LIMITED):
        return None
    if any(p in lowered for p in _TIMEOUT):
        return LogsFailure.TIMEOUT
    if any(p in lowered for p in _TOO_LARGE):
        return LogsFailure.TOO_LARGE
    return None


def classify_logs_failure(exc: BaseException) -> LogsFailure | None:
    """Whether a failed ``eth_getLogs`` call may succeed over a narrower range."""
    if isinstance(exc, aiohttp.ClientResponseError):
        if exc.status in _TOO_LARGE_STATUS:
            return LogsFailure.TOO_LARGE
        if exc.status in _TIMEOUT_STATUS:
            return LogsFailure.TIMEOUT
        return None
    if isinstance(exc, TimeoutError):  # ours, or aiohttp's ServerTimeoutError
        return LogsFailure.TIMEOUT
    if isinstance(
        exc, aiohttp.ClientPayloadError | aiohttp.ServerDisconnectedError | json.JSONDecodeError
    ):
        return LogsFailure.TIMEOUT  # a truncated or broken answer
    if isinstance(exc, Web3RPCError):
        return classify_message(rpc_error_message(exc))
    return None


def suggested_width(message: str) -> int | None:
    """The width of a block range the endpoint suggests in its refusal, if it names one."""
    match = _HINT.search(message.lower())
    if match is None:
        return None
    first, last = int(match.group(1), 16), int(match.group(2), 16)
    return last - first + 1 if last >= first else None


@dataclass(slots=True)
class AdaptiveRange:
    """The current width of ``eth_getLogs`` ranges: halved (or cut to the endpoint's
    suggestion) when a range fails as too large or too slow, grown by a quarter after each
    success, never below one block nor above ``maximum``. Owned by one task."""

    maximum: int
    current: int = 0
    shrinks: int = 0
    """Times the width was cut (a counter for the metrics)."""

    def __post_init__(self) -> None:
        if self.maximum < 1:
            raise ValueError(f"maximum must be >= 1, got {self.maximum}")
        if not 1 <= self.current <= self.maximum:
            self.current = self.maximum

    def shrink(self, attempted: int, suggested: int | None = None) -> int:
        """A range of ``attempted`` blocks failed: the new width (at least 1)."""
        width = max(1, attempted // 2)
        if suggested is not None and 1 <= suggested < attempted:
            width = suggested
        self.current = max(1, min(self.current, width))
        self.shrinks += 1
        return self.current

    def grow(self) -> None:
        self.current = min(self.maximum, self.current + max(1, self.current // GROWTH_DIVISOR))
