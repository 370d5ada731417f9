"""The writer with the domain's real batch format: signed requests in, decodable batches out."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from protocol.batch_format import Compression, decode_batch
from protocol.identifiers import MemberKind
from protocol.sequencer_messages import (
    Batch,
    Envelope,
    MessageId,
    SignedSubmissionRequest,
    SubmissionRequest,
)
from protocol.timestamp import Timestamp
from sequencer_chain.writer import BatchWriter, ProtocolBatchPacker, WriterConfig
from sequencer_chain.writer.packer import LengthPrefixedPacker
from tests.protocol.support import domain, member, signing_key
from tests.sequencer_chain.writer.support import MADE, landed
from tests.support.chain import DeployedInbox

P1 = member(MemberKind.PARTICIPANT, "p1")
P2 = member(MemberKind.PARTICIPANT, "p2")


def signed(i: int, payload: bytes) -> SignedSubmissionRequest:
    request = SubmissionRequest(
        domain_id=domain(),
        sender=P1,
        message_id=MessageId(f"msg-{i}"),
        batch=Batch((Envelope.of(payload, [P2]),)),
        max_sequencing_time=Timestamp(4_000_000_000_000_000),
    )
    return SignedSubmissionRequest.sign(request, signing_key("p1"))


def test_a_request_too_large_for_the_format_packs_nothing() -> None:
    assert ProtocolBatchPacker().pack([os.urandom(200)], 100, 1).count == 0
    assert not ProtocolBatchPacker().fits_alone(200, 100)


def test_fits_alone_is_a_sufficient_test_for_both_packers() -> None:
    """``fits_alone`` (asked for every incoming request instead of packing it) may say
    "not known", but never "fits" for a request that ``pack`` would refuse alone."""
    for packer in (ProtocolBatchPacker(), LengthPrefixedPacker()):
        for max_size in (100, 1_000, 120_000):
            for size in (1, 50, 81, 82, 83, 500, 982, 983, 990, 119_000, 119_001):
                if packer.fits_alone(size, max_size):
                    assert packer.pack([os.urandom(size)], max_size, 1).count == 1
        assert packer.fits_alone(500, 1_000)


async def test_signed_requests_land_once_each_in_decodable_batches(
    w3: Any, deployed: DeployedInbox, tmp_path: Path
) -> None:
    account = deployed.writers[0]
    writer = BatchWriter(
        inbox_address=deployed.inbox.address,
        account=account,
        outbox_path=tmp_path / "outbox.db",
        packer=ProtocolBatchPacker(),
        w3=w3,
        config=WriterConfig(linger_s=0.02, poll_interval_s=0.02, max_batch_size=30_000),
    )
    MADE.append(writer)
    await writer.start()
    # Half compressible, half encrypted-looking: both compression choices occur.
    requests = [signed(i, bytes(2000) if i % 2 else os.urandom(2000)) for i in range(60)]
    await asyncio.gather(
        *(writer.enqueue(r.to_bytes(), f"p1/msg-{i}".encode()) for i, r in enumerate(requests))
    )
    await writer.stop(drain=True)
    decoded = [decode_batch(e.batch) for e in await landed(deployed.inbox, account.address)]
    got = [r for batch in decoded for r in batch.requests]
    assert sorted(got, key=lambda r: r.to_bytes()) == sorted(requests, key=lambda r: r.to_bytes())
    assert {b.compression for b in decoded} >= {Compression.ZLIB}
