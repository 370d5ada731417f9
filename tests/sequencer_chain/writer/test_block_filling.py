"""Batches sized to fill blocks, and batches cut when full after compression rather than
when their raw request bytes reach the batch size."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest

from protocol.identifiers import MemberKind
from protocol.sequencer_messages import (
    Batch,
    Envelope,
    MessageId,
    SignedSubmissionRequest,
    SubmissionRequest,
)
from protocol.timestamp import Timestamp
from sequencer_chain.contract import encode_submit
from sequencer_chain.provider import BlockHeader, Receipt
from sequencer_chain.writer import BatchWriter, ProtocolBatchPacker, WriterConfig
from sequencer_chain.writer.fees import block_filling_size, full_batch_gas, submit_gas_limit
from sequencer_chain.writer.slot import Slot
from sequencer_chain.writer.tx_manager import Counters, TxManager
from sequencer_chain.writer.types import WriterSeq
from tests.protocol.support import domain, member, signing_key
from tests.sequencer_chain.writer.support import MADE, landed, make_writer, requests_of
from tests.support.chain import DeployedInbox

P1 = member(MemberKind.PARTICIPANT, "p1")
P2 = member(MemberKind.PARTICIPANT, "p2")


def gas(size: int) -> int:
    return submit_gas_limit(encode_submit(0, b"\xff" * size), size)


def test_full_batch_gas_is_the_declared_limit_of_a_nonzero_batch() -> None:
    assert full_batch_gas(106_585) == gas(106_585) == 4_285_710


@pytest.mark.parametrize("block_gas", [30_000_000, 36_000_000, 60_000_000, 5_000_000])
@pytest.mark.parametrize("max_size", [120_000, 30_000])
def test_a_whole_number_of_batches_fills_the_block(block_gas: int, max_size: int) -> None:
    size = block_filling_size(block_gas, max_size)
    assert size <= max_size
    fitting = block_gas // gas(max_size)
    # One batch more than of the largest size fits, and one byte more would not.
    assert (fitting + 1) * gas(size) <= block_gas < (fitting + 1) * gas(size + 1)
    assert (fitting + 1) * gas(size) > block_gas - gas(1_000)  # at most ~1 kB left over
    assert block_gas - fitting * gas(max_size) > block_gas - (fitting + 1) * gas(size)


def test_a_block_smaller_than_one_batch_keeps_the_batch_size() -> None:
    assert block_filling_size(gas(120_000) - 1, 120_000) == 120_000


@pytest.mark.parametrize("fill_blocks", [True, False])
async def test_batches_fit_the_block_filling_size_and_a_large_request_goes_alone(
    w3: Any, deployed: DeployedInbox, tmp_path: Path, fill_blocks: bool
) -> None:
    account = deployed.writers[0]
    config = WriterConfig(linger_s=0.05, poll_interval_s=0.02, fill_blocks=fill_blocks)
    writer = make_writer(w3, deployed.inbox, account, tmp_path / "outbox.db", config)
    await writer.start()
    block_gas = int((await w3.eth.get_block("latest"))["gasLimit"])
    target = block_filling_size(block_gas, writer.max_batch_size)
    assert target < writer.max_batch_size  # a 30 M block: seven batches of ~106.6 kB
    await writer.enqueue(os.urandom(100), b"first")  # the writer has seen a block since
    await writer.stop(drain=True)
    writer = make_writer(w3, deployed.inbox, account, tmp_path / "outbox.db", config)
    await writer.start()
    large = os.urandom(target + 5_000)
    sent = [os.urandom(10_000) for _ in range(40)]
    await asyncio.gather(
        writer.enqueue(large, b"large"),
        *(writer.enqueue(r, b"%d" % i) for i, r in enumerate(sent)),
    )
    await writer.stop(drain=True)
    events = (await landed(deployed.inbox, account.address))[1:]
    assert requests_of(events) == {r: 1 for r in [large, *sent]}
    alone = [e for e in events if large in requests_of([e])]
    assert len(alone) == 1 and len(alone[0].batch) > target
    others = [len(e.batch) for e in events if e is not alone[0]]
    if fill_blocks:
        assert max(others) <= target
        assert len(requests_of(alone)) == 1  # nothing else fitted beside it below the max
    else:
        assert max(others) > target  # eleven 10 kB requests: 110 kB


def signed(i: int) -> bytes:
    request = SubmissionRequest(
        domain_id=domain(),
        sender=P1,
        message_id=MessageId(f"trickle-{i}"),
        batch=Batch((Envelope.of(os.urandom(1_024), [P2]),)),
        max_sequencing_time=Timestamp(4_000_000_000_000_000),
    )
    return SignedSubmissionRequest.sign(request, signing_key("p1")).to_bytes()


async def test_a_trickle_of_compressible_requests_makes_full_batches(
    w3: Any, deployed: DeployedInbox, tmp_path: Path
) -> None:
    """Requests arrive one by one and only fullness cuts a batch (the linger is long). The
    batch is full when its compressed bytes reach the size: after the first full batch
    the writer waits for as many request bytes as filled it, instead of cutting when the
    raw bytes reach the batch size (which left batches three quarters full)."""
    account = deployed.writers[0]
    max_size = 30_000
    config = WriterConfig(
        linger_s=5.0, poll_interval_s=0.02, max_batch_size=max_size, fill_blocks=False
    )
    writer = BatchWriter(
        inbox_address=deployed.inbox.address,
        account=account,
        outbox_path=tmp_path / "outbox.db",
        packer=ProtocolBatchPacker(),
        w3=w3,
        config=config,
    )
    MADE.append(writer)
    await writer.start()
    requests = [signed(i) for i in range(150)]
    tasks = []
    for i, request in enumerate(requests):
        tasks.append(asyncio.create_task(writer.enqueue(request, b"t%d" % i)))
        await asyncio.sleep(0.003)
    await asyncio.gather(*tasks)
    await writer.stop(drain=True, timeout_s=20)
    sizes = [len(e.batch) for e in await landed(deployed.inbox, account.address)]
    assert len(sizes) >= 4 and max(sizes) <= max_size
    assert all(s >= 0.9 * max_size for s in sizes[1:-1]), sizes


def _head(gas_limit: int, gas_used: int) -> BlockHeader:
    return BlockHeader(10, b"h" * 32, b"p" * 32, 0, 1, gas_limit, gas_used)


def _manager(head: BlockHeader) -> TxManager:
    manager = TxManager(
        None,  # type: ignore[arg-type]  # congested() makes no calls
        None,  # type: ignore[arg-type]
        chain_id=31337,
        outbox=None,  # type: ignore[arg-type]
        config=WriterConfig(),
        counters=Counters(),
        on_requeued=None,  # type: ignore[arg-type]
    )
    manager._head = head  # what the last tick saw
    return manager


def _slot(seq: int, sent_at: int, mined: bool) -> Slot:
    slot = Slot(WriterSeq(seq), b"b", b"h" * 32, 1, 1, b"c", 21_000, last_send_block=sent_at)
    if mined:
        slot.mined = Receipt(b"t" * 32, 1, sent_at + 1, b"k" * 32, 21_000, 1)
    return slot


def test_congestion_is_a_full_latest_block_or_a_batch_that_missed_one() -> None:
    batch = gas(106_585)
    roomy = _manager(_head(30_000_000, 20_000_000))
    assert not roomy.congested(batch)
    assert _manager(_head(30_000_000, 30_000_000 - batch + 1)).congested(batch)
    assert not _manager(_head(0, 0)).congested(batch)  # no block seen yet
    roomy._slots = {WriterSeq(0): _slot(0, 10, mined=False)}
    assert not roomy.congested(batch)  # sent at block 10: may still make block 11
    roomy._slots[WriterSeq(1)] = _slot(1, 9, mined=True)
    assert not roomy.congested(batch)
    roomy._slots[WriterSeq(2)] = _slot(2, 9, mined=False)
    assert roomy.congested(batch)  # sent before block 10 and not in it
