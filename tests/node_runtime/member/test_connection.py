"""MemberConnection against real sequencer nodes on anvil: subscription with a persisted
counter, resume after stop, failover, handler crash re-delivery, time proofs."""

from __future__ import annotations

import pytest

from node_runtime.member import HandlerError, MemberConnection
from protocol.sequencer_messages import Deliver, Envelope
from protocol.timestamp import now
from tests.node_runtime.member.conftest import MemberDomain, Recorder

pytestmark = pytest.mark.anvil


async def send_to(conn: MemberConnection, recipient: str, *payloads: bytes) -> None:
    for payload in payloads:
        await conn.send([Envelope.of(payload, [recipient])])  # type: ignore[list-item]


def contiguous(recorder: Recorder) -> bool:
    return recorder.counters == list(range(len(recorder.counters)))


async def test_subscribe_and_resume_after_stop_loses_and_repeats_nothing(
    member_domain: MemberDomain,
) -> None:
    d = member_domain
    await d.start_sequencer(1)
    sender_rec, rec = Recorder(), Recorder()
    sender = d.connection(d.p1, sender_rec)
    receiver = d.connection(d.p2, rec)
    await sender.start()
    await receiver.start()
    await send_to(sender, d.p2.member, b"m1", b"m2")
    await rec.wait_for(lambda r: len(r.payloads()) == 2, what="m1, m2")
    assert receiver.connected and await receiver.wait_connected() == d.endpoints[0]
    await receiver.stop()

    await send_to(sender, d.p2.member, b"m3", b"m4")
    await sender_rec.wait_for(lambda r: len(r.events) == 4, what="receipts")
    again = d.connection(d.p2, rec)  # same data dir, same durable view
    await again.start()
    await rec.wait_for(lambda r: len(r.payloads()) == 4, what="m3, m4 after restart")
    assert rec.payloads() == [b"m1", b"m2", b"m3", b"m4"]
    assert contiguous(rec)
    await again.topology.wait_for_time(rec.events[-1].timestamp)  # counter persisted
    assert again.counter_store.position.next_counter == 4
    # Receipts carry the message ids the sender was given.
    assert all(isinstance(e, Deliver) and e.message_id for e in sender_rec.events)


async def test_failover_to_the_other_sequencer(member_domain: MemberDomain) -> None:
    d = member_domain
    first = await d.start_sequencer(1)
    await d.start_sequencer(2)
    sender_rec, rec = Recorder(), Recorder()
    sender = d.connection(d.p1, sender_rec)
    receiver = d.connection(d.p2, rec)
    await sender.start()
    await receiver.start()
    assert await receiver.wait_connected() == first.target
    await send_to(sender, d.p2.member, b"before")
    await rec.wait_for(lambda r: len(r.events) == 1, what="before")

    await first.stop()
    await send_to(sender, d.p2.member, b"after-1", b"after-2")  # fails over to seq2
    await rec.wait_for(lambda r: len(r.events) == 3, what="events after failover")
    assert rec.payloads() == [b"before", b"after-1", b"after-2"]
    assert contiguous(rec)
    assert receiver.endpoint == d.endpoints[1]


async def test_handler_crash_redelivers_the_event_after_restart(
    member_domain: MemberDomain,
) -> None:
    d = member_domain
    await d.start_sequencer(1)
    sender = d.connection(d.p1, Recorder())
    await sender.start()
    crashing = Recorder(fail_on=1)
    receiver = d.connection(d.p2, crashing)
    await receiver.start()
    await send_to(sender, d.p2.member, b"a", b"b", b"c")
    with pytest.raises(HandlerError) as failed:
        await receiver.wait()
    assert failed.value.counter == 1
    assert crashing.payloads() == [b"a"]
    assert not await _ready(receiver)
    await receiver.stop()

    crashing.fail_on = None
    again = d.connection(d.p2, crashing)
    await again.start()
    await crashing.wait_for(lambda r: len(r.events) == 3, what="b and c re-delivered")
    assert crashing.payloads() == [b"a", b"b", b"c"]
    assert contiguous(crashing)


async def _ready(conn: MemberConnection) -> bool:
    return await conn.readiness_check().check() is None


async def test_time_proof_returns_the_receipt_time(member_domain: MemberDomain) -> None:
    d = member_domain
    await d.start_sequencer(1)
    rec = Recorder()
    conn = d.connection(d.mediator, rec)
    await conn.start()
    before = now()
    t = await conn.time_proof(timeout_s=20)
    assert t >= before - 5_000_000
    (receipt,) = rec.events
    assert isinstance(receipt, Deliver) and receipt.timestamp == t
    assert receipt.batch.envelopes == ()
    assert conn.topology.last_event_timestamp == t
    assert await conn.topology.wait_for_time(t) == t
    t2 = await conn.time_proof(timeout_s=20)
    assert t2 > t
    assert await _ready(conn)
