"""The writer's request budget on a real anvil (docs/sequencer-writer.md, "Request budget"):
a send asks only for the tip (once per block) besides the send itself; receipts come with
the nonce in one JSON-RPC batch per block; an idle writer reads one header per poll."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import pytest

from tests.sequencer_chain.rpc_counter import RequestCounter
from tests.sequencer_chain.writer.support import FAST, make_writer, wait_until
from tests.support.chain import DeployedInbox

pytestmark = pytest.mark.anvil

REQUESTS = 40
SMALL = dataclasses.replace(FAST, max_batch_size=1_000)
"""Batches of a few requests, so that one block carries several of them."""


async def test_sends_and_receipts_keep_to_the_budget(
    w3: Any, deployed: DeployedInbox, tmp_path: Path
) -> None:
    writer = make_writer(w3, deployed.inbox, deployed.writers[0], tmp_path / "o.sqlite", SMALL)
    await writer.start()
    counter = RequestCounter(w3)
    first = await w3.eth.block_number
    counter.take()
    await asyncio.gather(*(writer.enqueue(bytes([i]) * 300, b"k%d" % i) for i in range(REQUESTS)))
    await wait_until(lambda: writer.metrics().requests_written == REQUESTS, what="all written")
    alone = counter.alone
    posts, methods = counter.take()
    blocks = await w3.eth.block_number - first
    batches = writer.metrics().batches_written
    assert batches >= 10
    assert methods["eth_sendRawTransaction"] == batches
    assert methods["eth_blockNumber"] == 0  # a new batch takes the head the tick read
    assert methods["eth_maxPriorityFeePerGas"] <= blocks + 1  # once per block
    assert alone["eth_getTransactionReceipt"] == 0  # always in the nonce's batch
    assert alone["eth_getTransactionCount"] == 0
    # Everything but the sends: a header per poll, a nonce+receipts batch per block, a tip.
    assert posts - batches <= methods["eth_getBlockByNumber"] + 2 * (blocks + 1)

    counter.take()
    await asyncio.sleep(20 * FAST.poll_interval_s)
    posts, methods = counter.take()
    assert set(methods) == {"eth_getBlockByNumber"}
    assert posts <= 22  # one header per poll
