"""The one chain edge: every JSON-RPC call of the reader, the writer and the contract
client goes through a :class:`ChainProvider`.

It owns, in one place:

* transport: one AsyncWeb3 on one keep-alive aiohttp session (:func:`connect`), with
  web3's own retries turned off, so that a call is repeated here or nowhere (web3 would
  otherwise ask a read up to five times underneath, a cut-off ``eth_getLogs`` answer
  included);
* timeouts: :class:`~sequencer_chain.provider.policy.RpcTimeouts`, one limit per attempt;
* retries: :class:`~sequencer_chain.provider.policy.RetryPolicy`, exponential backoff, only
  for calls the caller declares safe to repeat and only after a transport failure;
* error mapping: :mod:`sequencer_chain.provider.mapping`; no web3 or aiohttp exception
  leaves a provider call;
* typed results: :class:`~sequencer_chain.provider.types.BlockHeader` and
  :class:`~sequencer_chain.provider.types.Receipt`, parsed from raw answers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import aiohttp
from web3 import AsyncHTTPProvider, AsyncWeb3
from web3.types import RPCEndpoint

from sequencer_chain.errors import (
    ChainConnectionError,
    ChainError,
    ChainResponseError,
    LogsRangeError,
)
from sequencer_chain.provider.mapping import CAUGHT, is_transport, map_error, map_logs_error
from sequencer_chain.provider.policy import NO_RETRY, RetryPolicy, RpcTimeouts
from sequencer_chain.provider.types import BlockHeader, Receipt, parse_header, parse_receipt

log = logging.getLogger(__name__)

T = TypeVar("T")
GET_BLOCK = RPCEndpoint("eth_getBlockByNumber")
GET_RECEIPT = RPCEndpoint("eth_getTransactionReceipt")
RPC_TIMEOUT_S = 30.0


def endpoint_of(w3: AsyncWeb3[Any]) -> str:
    """The URL an AsyncWeb3 talks to, for error messages."""
    return str(getattr(w3.provider, "endpoint_uri", None) or w3.provider)


async def connect(rpc_url: str, timeout_s: float = RPC_TIMEOUT_S) -> AsyncWeb3[Any]:
    """An AsyncWeb3 on ``rpc_url``, checked to answer; unreachable → ChainConnectionError.

    Requests go over one keep-alive aiohttp session. web3's own default session closes the
    connection after every request (``force_close``), which doubles the CPU of a request
    (a TCP connect on both sides); a node polls several times a second, so it matters.
    web3's retry of failed requests (``exception_retry_configuration``) is off: retries
    are :class:`ChainProvider`'s alone. ``w3.provider.disconnect()`` closes the session.
    """
    provider = AsyncHTTPProvider(
        rpc_url, request_kwargs={"timeout": timeout_s}, exception_retry_configuration=None
    )
    w3 = AsyncWeb3(provider)
    await provider.cache_async_session(aiohttp.ClientSession(raise_for_status=True))
    chain = ChainProvider(w3, RpcTimeouts(timeout_s))
    try:
        await chain.call("eth_chainId", lambda: w3.eth.chain_id)
    except ChainConnectionError as exc:
        await w3.provider.disconnect()
        raise ChainConnectionError(rpc_url, exc.detail) from None
    return w3


@dataclass(frozen=True, slots=True)
class ChainProvider:
    """Calls on one AsyncWeb3 with one timeout and retry policy. Cheap: each user (the
    reader, the writer, the contract client) makes its own on an AsyncWeb3 it may share."""

    w3: AsyncWeb3[Any]
    timeouts: RpcTimeouts
    retry: RetryPolicy = NO_RETRY

    @property
    def endpoint(self) -> str:
        return endpoint_of(self.w3)

    async def call(
        self,
        method: str,
        factory: Callable[[], Awaitable[T]],
        *,
        repeatable: bool = True,
    ) -> T:
        """``await factory()`` within the timeout; a transport failure is retried under
        the policy if ``repeatable``; every failure is raised as the package's error."""
        return await self._attempts(
            method,
            factory,
            repeatable=repeatable,
            mapping=lambda exc: (map_error(exc, self.endpoint, method), is_transport(exc)),
        )

    async def _attempts(
        self,
        method: str,
        factory: Callable[[], Awaitable[T]],
        *,
        repeatable: bool,
        mapping: Callable[[BaseException], tuple[ChainError, bool]],
    ) -> T:
        retries = self.retry.retries if repeatable else 0
        delay = self.retry.backoff_start_s
        attempt = 0
        while True:
            try:
                async with asyncio.timeout(self.timeouts.call_s):
                    return await factory()
            except CAUGHT as exc:
                error, retryable = mapping(exc)
                if not retryable or attempt >= retries:
                    raise error from exc
            attempt += 1
            log.warning("%s failed (%s), retry %d in %.1fs", method, error, attempt, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.retry.backoff_max_s)

    async def request(self, method: str, params: list[Any]) -> Any:
        """The ``result`` of one raw JSON-RPC request; an error answer is a
        :class:`ChainResponseError`."""
        endpoint = RPCEndpoint(method)
        answer = await self.call(method, lambda: self.w3.provider.make_request(endpoint, params))
        if not isinstance(answer, dict) or "error" in answer:
            detail = answer.get("error") if isinstance(answer, dict) else answer
            raise ChainResponseError(self.endpoint, method, str(detail))
        return answer.get("result")

    async def header(self, block: int | Literal["latest"]) -> BlockHeader | None:
        """The header of block ``block`` (a number or ``"latest"``); None if there is none.

        One ``eth_getBlockByNumber`` request without transaction bodies. A JSON-RPC error
        or a malformed header is a :class:`ChainResponseError`."""
        tag = block if isinstance(block, str) else hex(block)
        result = await self.request(GET_BLOCK, [tag, False])
        if result is None:
            return None
        try:
            header = parse_header(result)
        except ValueError as exc:
            raise ChainResponseError(self.endpoint, GET_BLOCK, str(exc)) from None
        if isinstance(block, int) and header.number != block:
            raise ChainResponseError(
                self.endpoint, GET_BLOCK, f"asked block {block}, got {header.number}"
            )
        return header

    async def head(self) -> BlockHeader:
        """The latest block's header."""
        header = await self.header("latest")
        if header is None:
            raise ChainResponseError(self.endpoint, GET_BLOCK, "the node has no latest block")
        return header

    async def receipt(self, tx_hash: bytes) -> Receipt | None:
        """The receipt of a mined transaction; None if it is not mined (or unknown)."""
        result = await self.request(GET_RECEIPT, ["0x" + tx_hash.hex()])
        try:
            return parse_receipt(tx_hash, result)
        except (ValueError, KeyError) as exc:
            raise ChainResponseError(self.endpoint, GET_RECEIPT, str(exc)) from None

    async def logs(self, first: int, last: int, factory: Callable[[], Awaitable[T]]) -> T:
        """One ``eth_getLogs`` (by range or by block hash) for blocks ``first..last``.

        A failure a narrower range may avoid is a :class:`LogsRangeError`, raised at once
        when the range has more than one block (asking it again would fail the same way);
        every other failure, and that one for a single block, is retried under the policy,
        then raised (a :class:`ChainConnectionError` if not a range failure). A
        ``ValueError`` of ``factory``'s own (a log that does not decode) passes through."""

        def mapping(exc: BaseException) -> tuple[ChainError, bool]:
            error = map_logs_error(exc, self.endpoint, first, last)
            return error, last == first or not isinstance(error, LogsRangeError)

        return await self._attempts("eth_getLogs", factory, repeatable=True, mapping=mapping)
