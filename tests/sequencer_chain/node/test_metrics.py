"""The sequencer's operations endpoint: /livez, /readyz and the #8 metrics (lag behind the
chain head, batches and bytes written, gas spent, pending requests) after real traffic."""

from __future__ import annotations

import asyncio
import os

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from node_runtime.member import SequencerClient
from tests.sequencer_chain.node.conftest import NodeFactory
from tests.sequencer_chain.sequencer_support import ALICE, BOB, signed_request

pytestmark = pytest.mark.anvil


async def scrape(url: str) -> dict[str, float]:
    async with aiohttp.ClientSession() as session, session.get(f"{url}/metrics") as reply:
        assert reply.status == 200
        text = await reply.text()
    return {s.name: s.value for f in text_string_to_metric_families(text) for s in f.samples}


async def test_ops_endpoint_serves_health_and_sequencer_metrics(make_node: NodeFactory) -> None:
    node = await make_node("seqm", dev_key_index=1)
    assert node.ops is not None
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{node.ops.url}/livez") as reply:
            assert reply.status == 200
        for _ in range(100):
            async with session.get(f"{node.ops.url}/readyz") as reply:
                if reply.status == 200:
                    break
            await asyncio.sleep(0.05)
        assert reply.status == 200

    before = await scrape(node.ops.url)
    assert before["sequencer_batches_written_total"] == 0
    assert before["sequencer_pending_requests"] == 0

    alice = SequencerClient(node.target, ALICE.member, ALICE.key)
    await alice.authenticate()
    for i in range(3):
        await alice.send(signed_request(ALICE, f"m{i}", [(os.urandom(200), [BOB.member])]))
    async with asyncio.timeout(30):
        while (after := await scrape(node.ops.url))["sequencer_requests_written_total"] < 3:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        # The head sample and the reader move on as blocks come; wait for both. The head is
        # sampled every 2 s, so a scrape may show the reader past a stale sample for a while.
        while (
            "sequencer_head_lag_blocks" not in after
            or after["sequencer_chain_head_block"] < after["sequencer_reader_block"]
        ):
            await asyncio.sleep(0.05)
            after = await scrape(node.ops.url)
    await alice.close()

    assert after["sequencer_requests_accepted_total"] == 3
    assert after["sequencer_batches_written_total"] >= 1
    assert after["sequencer_bytes_written_total"] >= 3 * 200
    assert after["sequencer_gas_spent_total"] > 21_000 * after["sequencer_batches_written_total"]
    assert after["sequencer_pending_requests"] == 0
    assert after["sequencer_in_flight_batches"] == 0
    assert after["sequencer_fee_cap_hits_total"] == 0
    assert after["sequencer_reader_log_range_blocks"] == 1_000  # nothing refused: the maximum
    assert after["sequencer_reader_log_range_shrinks_total"] == 0
    assert after["sequencer_reader_unreadable_block"] == 0
    assert after["sequencer_chain_head_block"] >= after["sequencer_reader_block"]
    assert 0 <= after["sequencer_head_lag_blocks"] <= after["sequencer_chain_head_block"]


async def test_lag_counts_blocks_behind_head_minus_confirmations(make_node: NodeFactory) -> None:
    node = await make_node("seql", dev_key_index=1, confirmations=1)
    assert node.reader is not None and node.reader.cursor is not None
    reader_block = node.reader.cursor.block_number
    node.metrics.chain_head = reader_block + 1 + 5
    assert node.metrics.lag_blocks() == 5
    node.metrics.chain_head = reader_block
    assert node.metrics.lag_blocks() == 0
