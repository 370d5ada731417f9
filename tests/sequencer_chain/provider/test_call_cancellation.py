"""A chain call must stop when cancelled, even if an RPC answer arrives in the same loop
iteration: Python 3.11's ``asyncio.wait_for`` returns the answer and swallows the
cancellation there, which left a cancelled reader polling forever."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from sequencer_chain.errors import ChainConnectionError
from sequencer_chain.provider import ChainProvider, RetryPolicy, RpcTimeouts


def provider(timeout_s: float = 10.0, retries: int = 0) -> ChainProvider:
    w3: Any = type("W3", (), {"provider": "http://unreachable"})()
    return ChainProvider(w3, RpcTimeouts(timeout_s), RetryPolicy(retries, backoff_start_s=0.01))


async def test_cancellation_wins_over_an_answer_arriving_at_the_same_time() -> None:
    answer: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(provider().call("eth_blockNumber", lambda: answer))
    await asyncio.sleep(0)  # the task now waits for the answer
    answer.set_result(7)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_rpc_timeout_becomes_a_connection_error() -> None:
    never: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    with pytest.raises(ChainConnectionError, match="unreachable"):
        await provider(timeout_s=0.01).call("eth_blockNumber", lambda: never)
