"""The reader catches up through an endpoint that cannot answer its widest ``eth_getLogs``:
a real anvil holding many full batches, in front of it a real HTTP JSON-RPC proxy
(``logs_proxy.py``) that refuses ranges wider than M blocks and refuses, times out or cuts
off answers larger than N bytes, and the real reader on the proxy. Before the range
adapted, the reader asked the same range for ever."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import generate_latest

from protocol.sequencer_messages import Deliver, decode_sequenced_event
from sequencer_chain.contract import InboxContract, connect
from sequencer_chain.contract.log_range import (
    AdaptiveRange,
    LogsFailure,
    classify_message,
    suggested_width,
)
from sequencer_chain.metrics import SequencerMetrics
from sequencer_chain.reader import ChainReader
from sequencer_chain.reader.chain_reader import UNREADY_AFTER_ATTEMPTS
from sequencer_chain.store import EventStore
from tests.sequencer_chain.logs_proxy import LogsProxy, Oversize
from tests.sequencer_chain.sequencer_support import (
    ALICE,
    BOB,
    Poster,
    batch_of,
    make_reader,
    open_store,
    signed_request,
    wait_until,
)
from tests.support.chain import DeployedInbox

pytestmark = pytest.mark.anvil

BATCHES = 24
PAYLOAD = 100_000
"""Random (incompressible) bytes per batch: its log is about 200 kB of hex."""
MAX_BYTES = 700_000
"""The proxy answers at most three such batches at once."""
MAX_RANGE = 64
RPC_TIMEOUT_S = 0.5
"""The reader's call timeout when the proxy stalls (for twice as long)."""
SLOW_TIMEOUT_S = 5.0
"""Otherwise: long enough that a cut-off answer fails as such, after web3's own retries."""


async def post_backlog(anvil: Any, w3: Any, deployed: DeployedInbox) -> list[bytes]:
    """BATCHES full batches for Bob, spread with empty blocks over more than MAX_RANGE blocks."""
    rng = random.Random(7)
    poster = Poster(w3, deployed.inbox, deployed.writers[0])
    payloads = []
    for i in range(BATCHES):
        payload = os.urandom(PAYLOAD)
        await poster.post(batch_of(signed_request(ALICE, f"m{i}", [(payload, [BOB.member])])))
        payloads.append(payload)
        anvil.rpc("anvil_mine", [hex(rng.randrange(2, 12))])
    head = await w3.eth.block_number
    assert head - deployed.record.deploy_block > 2 * MAX_RANGE
    return payloads


@contextlib.asynccontextmanager
async def reader_through(
    proxy: LogsProxy,
    deployed: DeployedInbox,
    tmp_path: Path,
    name: str,
    rpc_timeout_s: float = SLOW_TIMEOUT_S,
) -> AsyncIterator[tuple[ChainReader, EventStore]]:
    """A reader (its own web3 on the proxy) running as a task, over a fresh store."""
    w3 = await connect(proxy.url)
    inbox = InboxContract(w3, deployed.inbox.address)
    store = await open_store(tmp_path / f"{name}.sqlite", inbox)
    reader = make_reader(
        w3, inbox, store, deployed.record.deploy_block, confirmations=0, rpc_timeout_s=rpc_timeout_s
    )
    task = asyncio.create_task(reader.run())
    try:
        yield reader, store
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await store.close()
        await w3.provider.disconnect()


async def bob_payloads(store: EventStore) -> list[bytes]:
    out = []
    for stored in await store.read_events(BOB.member, 0):
        event = decode_sequenced_event(stored.event)
        assert isinstance(event, Deliver)
        out.append(event.batch.envelopes[0].payload)
    return out


@pytest.mark.parametrize("oversize", list(Oversize), ids=lambda o: o.value)
async def test_the_reader_catches_up_through_an_endpoint_that_refuses_wide_answers(  # noqa: PLR0917
    oversize: Oversize,
    anvil: Any,
    w3: Any,
    deployed: DeployedInbox,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    payloads = await post_backlog(anvil, w3, deployed)
    head = await w3.eth.block_number
    proxy = await LogsProxy(
        anvil.rpc_url,
        max_bytes=MAX_BYTES,
        max_range=MAX_RANGE,
        oversize=oversize,
        stall_s=2 * RPC_TIMEOUT_S,
    ).start()
    timeout_s = RPC_TIMEOUT_S if oversize is Oversize.TIMEOUT else SLOW_TIMEOUT_S
    try:
        async with reader_through(proxy, deployed, tmp_path, "events", timeout_s) as (
            reader,
            store,
        ):
            await wait_until(
                lambda: reader.cursor is not None and reader.cursor.block_number == head,
                90,
                "the reader to reach the head through the proxy",
            )
            assert await bob_payloads(store) == payloads  # every batch once, in order
            assert await store.next_counter(ALICE.member) == BATCHES  # one receipt each
            assert proxy.outcomes["range"] >= 1 and proxy.outcomes["oversize"] >= 1
            assert reader.log_range.shrinks >= 2
            assert reader.log_range.current <= reader.config.max_blocks_per_step
            assert max(proxy.answered_widths) <= MAX_RANGE
            assert reader.unreadable_block is None and reader.problem() is None
            narrowed = [r.getMessage() for r in caplog.records if "eth_getLogs of" in r.message]
            reasons = {
                Oversize.ERROR: "too_large: log response size exceeded",
                Oversize.TIMEOUT: "timeout: timeouterror",
                Oversize.TRUNCATED: "timeout: response payload is not completed",
            }
            assert any(reasons[oversize] in m.lower() for m in narrowed), narrowed
            # The events are those of a reader that asks the chain directly.
            fresh = await open_store(tmp_path / "direct.sqlite", deployed.inbox)
            direct = make_reader(
                w3, deployed.inbox, fresh, deployed.record.deploy_block, confirmations=0
            )
            while await direct.step():
                pass
            assert await fresh.all_events() == await store.all_events()
            await fresh.close()
    finally:
        await proxy.stop()


async def test_a_block_too_large_even_alone_is_a_typed_error_in_metrics_and_readiness(
    anvil: Any, w3: Any, deployed: DeployedInbox, tmp_path: Path
) -> None:
    """The endpoint cannot give even one block's logs: the reader names the block, retries
    it with backoff, shows it in its metrics and (after a few attempts) its readiness, and
    goes on once the endpoint's limit is raised."""
    poster = Poster(w3, deployed.inbox, deployed.writers[0])
    await poster.post(batch_of(signed_request(ALICE, "small", [(b"small", [BOB.member])])))
    big = os.urandom(PAYLOAD)
    receipt = await poster.post(batch_of(signed_request(ALICE, "big", [(big, [BOB.member])])))
    stuck_at = receipt["blockNumber"]
    anvil.rpc("anvil_mine", ["0x3"])
    head = await w3.eth.block_number
    proxy = await LogsProxy(anvil.rpc_url, max_bytes=50_000, max_range=MAX_RANGE).start()
    try:
        async with reader_through(proxy, deployed, tmp_path, "events") as (reader, store):
            await wait_until(
                lambda: reader.unreadable_attempts >= UNREADY_AFTER_ATTEMPTS,
                30,
                "the reader to give up on the block alone",
            )
            assert reader.unreadable_block == stuck_at
            assert reader.cursor is not None and reader.cursor.block_number == stuck_at - 1
            assert reader.log_range.current == 1
            problem = reader.problem()
            assert problem is not None and f"block {stuck_at}" in problem
            assert reader.last_unreadable is not None
            assert reader.last_unreadable.block_number == stuck_at
            metrics = SequencerMetrics(confirmations=0)
            metrics.reader = reader
            text = generate_latest(metrics.registry).decode()
            assert f"sequencer_reader_unreadable_block {float(stuck_at)}" in text
            assert "sequencer_reader_log_range_blocks 1.0" in text
            assert await bob_payloads(store) == [b"small"]

            proxy.max_bytes = 10 * PAYLOAD  # the operator raises the endpoint's limit
            await wait_until(
                lambda: reader.cursor is not None and reader.cursor.block_number == head,
                30,
                "the reader to read the block and reach the head",
            )
            assert await bob_payloads(store) == [b"small", big]
            assert reader.unreadable_block is None and reader.problem() is None
            assert reader.log_range.current > 1  # growing back
            text = generate_latest(metrics.registry).decode()
            assert "sequencer_reader_unreadable_block 0.0" in text
    finally:
        await proxy.stop()


def test_endpoint_refusals_are_told_from_other_failures() -> None:
    too_large = [
        "query returned more than 10000 results",
        "Query returned more than 10000 results. Try with this block range [0x1, 0x10].",
        "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block "
        "range and no limit on the response size",
        "query block range exceeds server limit, narrow your filter: 1000",
        "query returns too many logs, narrow your filter",
        "block range too large, max range: 1000",
        "block range is too wide (maximum 1024)",
        "range 1000000 exceeds limit of 10000",
        "eth_getLogs is limited to a 10,000 range",
        "query exceeds max results 20000, retry with the range 25766988-25775072",
        "Requested range exceeds maximum RPC range limit",
        "exceed maximum block range: 5000",
        "limit exceeded",
        "response size should not greater than 10000000 bytes",
    ]
    for message in too_large:
        assert classify_message(message) is LogsFailure.TOO_LARGE, message
    for message in ("request timed out", "query timeout exceeded", "context deadline exceeded"):
        assert classify_message(message) is LogsFailure.TIMEOUT, message
    for message in (
        "daily request count exceeded, request rate limited",
        "Too Many Requests",
        "execution reverted",
        "header not found",
    ):
        assert classify_message(message) is None, message
    hint = "Query returned more than 10000 results. Try with this block range [0x1a, 0x2f]."
    assert suggested_width(hint) == 0x2F - 0x1A + 1
    assert suggested_width("limit exceeded") is None


def test_the_width_halves_takes_a_suggestion_grows_gradually_and_stays_in_bounds() -> None:
    width = AdaptiveRange(1_000)
    assert width.current == 1_000
    assert width.shrink(1_000) == 500
    assert width.shrink(500, suggested=120) == 120
    assert width.shrink(120, suggested=5_000) == 60  # a useless suggestion: halve
    for _ in range(10):
        width.shrink(width.current)
    assert width.current == 1
    width.grow()
    assert width.current == 2
    steps = 0
    while width.current < 1_000:
        width.grow()
        steps += 1
    assert 10 < steps < 40 and width.current == 1_000
    width.grow()
    assert width.current == 1_000
