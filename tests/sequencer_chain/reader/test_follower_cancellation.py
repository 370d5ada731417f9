"""A reader task must stop when cancelled, even if an RPC answer arrives in the same loop
iteration: Python 3.11's ``asyncio.wait_for`` returns the answer and swallows the
cancellation there, which left a cancelled reader polling forever."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from sequencer_chain.errors import ChainConnectionError
from sequencer_chain.reader import ChainReader
from sequencer_chain.reader.follower import ReaderConfig
from tests.sequencer_chain.sequencer_support import DOMAIN


def bare_reader() -> ChainReader:
    unused: Any = None
    return ChainReader(
        w3=unused,
        inbox=unused,
        store=unused,
        members=unused,
        domain_id=DOMAIN,
        config=ReaderConfig(start_block=1),
    )


async def test_cancellation_wins_over_an_answer_arriving_at_the_same_time() -> None:
    reader = bare_reader()
    answer: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(reader._rpc(answer))
    await asyncio.sleep(0)  # the task now waits for the answer
    answer.set_result(7)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_rpc_timeout_becomes_a_connection_error() -> None:
    reader = bare_reader()
    reader.config = ReaderConfig(start_block=1, rpc_timeout_s=0.01)
    reader.w3 = type("W3", (), {"provider": "http://unreachable"})()
    never: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    with pytest.raises(ChainConnectionError, match="unreachable"):
        await reader._rpc(never)
