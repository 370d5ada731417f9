"""The member's topology: topology broadcasts reach every active member (whatever the
domain manager named), a member onboarded after genesis fetches the history it missed and
then receives its events, and members and sequencers hold equal snapshots at equal times."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from node_runtime.member import MemberConnection, SequencerClient
from protocol.identifiers import MemberKind
from protocol.sequencer_messages import Deliver, Envelope, SequencedEvent, decode_sequenced_event
from protocol.timestamp import MICROS_PER_SECOND, Timestamp, now
from protocol.topology import (
    Admission,
    ParticipantPermission,
    SignedTopologyTransaction,
    StoredTransaction,
    encode_stored_transaction,
)
from sequencer_chain.node import SequencerNode
from tests.node_runtime.member.conftest import MemberDomain, Recorder
from tests.support.domain import hosting_proposal, make_identity, party_of
from tests.support.topology import admission, participant_onboarding

pytestmark = pytest.mark.anvil

SUB = ParticipantPermission.SUBMISSION


def broadcast_from(dm: str) -> object:
    def found(r: Recorder) -> bool:
        return any(isinstance(e, Deliver) and e.sender == dm for e in r.events)

    return found


def dm_events(rec: Recorder, dm: str) -> list[Deliver]:
    return [e for e in rec.events if isinstance(e, Deliver) and e.sender == dm]


async def broadcast(
    dm: MemberConnection, rec: Recorder, message_id: str, txs: list[SignedTopologyTransaction]
) -> Timestamp:
    """Send ``txs`` as the domain manager does: addressed to itself only. Returns the
    sequencing time of the receipt."""
    await dm.send([Envelope.of(t.encode(), [dm.member_id]) for t in txs], message_id=message_id)
    await rec.wait_for(
        lambda r: any(isinstance(e, Deliver) and e.message_id == message_id for e in r.events),
        what=f"receipt of {message_id}",
    )
    (receipt,) = [e for e in rec.events if isinstance(e, Deliver) and e.message_id == message_id]
    return receipt.timestamp


async def stream_of(node: SequencerNode, member: str) -> list[bytes]:
    assert node.store is not None
    return [e.event for e in await node.store.all_events([member])]  # type: ignore[list-item]


async def test_member_onboarded_after_genesis_gets_history_then_its_events(
    member_domain: MemberDomain,
) -> None:
    d = member_domain
    seq1 = await d.start_sequencer(1)
    seq2 = await d.start_sequencer(2)
    dm_rec, p1_rec = Recorder(), Recorder()
    dm = d.connection(d.dm, dm_rec)
    p1 = d.connection(d.p1, p1_rec)
    await dm.start()
    await p1.start()
    await p1.wait_connected()

    newbie = make_identity(MemberKind.PARTICIPANT, "newbie")
    onboarding = participant_onboarding(d.domain, newbie, d.domain_key)
    s = await broadcast(dm, dm_rec, "onboard", onboarding)

    # P1 was not named, yet it received the broadcast (it is active at s) and processed it.
    await p1_rec.wait_for(broadcast_from(d.dm.member), what="broadcast at p1")  # type: ignore[arg-type]
    (seen,) = dm_events(p1_rec, d.dm.member)
    assert seen.timestamp == s and seen.message_id is None
    assert [e.payload for e in seen.batch.envelopes] == [t.encode() for t in onboarding]
    assert all(e.recipients == {d.dm.member} for e in seen.batch.envelopes)
    await p1.topology.wait_for_time(s)
    assert p1.topology.snapshot_at(s).is_active(newbie.member)
    assert not p1.topology.snapshot_at(Timestamp(s - 1)).is_active(newbie.member)

    # The newcomer starts after its activation: history first, then its own events.
    newbie_rec = Recorder()
    late = d.connection(newbie, newbie_rec)
    await late.start()
    assert late.topology.snapshot_at(s).is_active(newbie.member)
    assert seq1.topology is not None and seq2.topology is not None
    assert late.topology.history() == seq1.topology.history(s)
    await p1.send([Envelope.of(b"welcome", [newbie.member])])
    await newbie_rec.wait_for(lambda r: r.payloads() == [b"welcome"], what="welcome")

    # A later broadcast reaches the newcomer too, and changes its topology.
    revoke = admission(d.domain, d.p2.member, d.domain_key, Admission.REVOKED, serial=2)
    r = await broadcast(dm, dm_rec, "revoke-p2", [revoke])
    await newbie_rec.wait_for(broadcast_from(d.dm.member), what="broadcast at newbie")  # type: ignore[arg-type]
    for member in (dm, p1, late):
        await member.topology.wait_for_time(r)
    assert not late.topology.snapshot_at(r).is_active(d.p2.member)
    assert late.topology.snapshot_at(Timestamp(r - 1)).is_active(d.p2.member)

    # Equal snapshots everywhere at equal times; identical streams from both sequencers.
    for node in (seq1, seq2):
        await derived(node, r)
    for t in (d.genesis.timestamp, s - 1, s, r - 1, r):
        at = Timestamp(t)
        views = {
            "seq1": seq1.topology,
            "seq2": seq2.topology,
            "dm": dm.topology,
            "p1": p1.topology,
            "newbie": late.topology,
        }
        digests = {name: x.snapshot_at(at).digest() for name, x in views.items()}
        assert len(set(digests.values())) == 1, f"snapshots differ at {t} ({s}, {r}): {digests}"
    for member in (d.p1.member, newbie.member, d.dm.member, d.mediator.member):
        a, b = await stream_of(seq1, member), await stream_of(seq2, member)
        assert a == b and a, member
    # The mediator, never connected, has both broadcasts in its stream.
    mediator_events = [decode_sequenced_event(e) for e in await stream_of(seq1, d.mediator.member)]
    assert [e.timestamp for e in mediator_events if _from(e, d.dm.member)] == [s, r]


async def derived(node: SequencerNode, at: Timestamp, timeout_s: float = 20) -> None:
    """Until ``node`` has derived every request sequenced at or before ``at``."""
    assert node.store is not None
    async with asyncio.timeout(timeout_s):
        while True:
            changed = node.store.changed()
            cursor = await node.store.cursor()
            if cursor is not None and (cursor.last_timestamp or 0) >= at:
                return
            await changed.wait()


def _from(event: SequencedEvent, sender: str) -> bool:
    return isinstance(event, Deliver) and event.sender == sender


async def test_topology_history_is_paged_and_bounded_by_the_watermark(
    member_domain: MemberDomain,
) -> None:
    d = member_domain
    seq = await d.start_sequencer(1)
    assert seq.topology is not None
    genesis_size = len(d.genesis.transactions)
    async with SequencerClient(seq.target, d.p1.member, d.p1.signing_key) as client:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await client.get_topology_history_page(None, 0)
        assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
        await client.authenticate()
        page, _, watermark, more = await client.get_topology_history_page(None, 0, max_entries=3)
        assert [r.position for r in page] == [0, 1, 2] and more
        assert watermark >= d.genesis.timestamp
        records, _ = await client.get_topology_history()
        assert [r.position for r in records] == list(range(genesis_size))
        assert all(isinstance(r, StoredTransaction) for r in records)  # nothing pending
        assert [encode_stored_transaction(r) for r in records] == [  # type: ignore[arg-type]
            encode_stored_transaction(r) for r in seq.topology.history()
        ]
        tail, _, _, more = await client.get_topology_history_page(None, genesis_size - 1)
        assert [r.position for r in tail] == [genesis_size - 1] and not more
        # Asked beyond what the node has derived: the watermark says how far it answered.
        far = Timestamp(now() + 3_600 * MICROS_PER_SECOND)
        _, _, bounded, _ = await client.get_topology_history_page(far, 0)
        assert bounded < far
        # Before genesis time nothing was sequenced.
        before, _, _, _ = await client.get_topology_history_page(Timestamp(1), 0)
        assert before == [] or all(r.sequenced_at <= 1 for r in before)


async def test_pending_proposals_are_paged_after_the_transactions(
    member_domain: MemberDomain,
) -> None:
    """Three hosting proposals by p1, each waiting for p2: the history pages the
    transactions, then the proposal records (``from_proposal``), and a bound before a
    proposal leaves it out."""
    d = member_domain
    seq = await d.start_sequencer(1)
    assert seq.topology is not None
    dm_rec = Recorder()
    dm = d.connection(d.dm, dm_rec)
    await dm.start()
    hosts = [(d.p1.member, SUB), (d.p2.member, SUB)]
    proposals = [
        hosting_proposal(party_of(d.p1, name), hosts, [d.p1.namespace_key], threshold=2)
        for name in ("a", "b", "c")
    ]
    s1 = await broadcast(dm, dm_rec, "first", proposals[:1])
    s2 = await broadcast(dm, dm_rec, "rest", proposals[1:])
    await derived(seq, s2)
    genesis_size = len(d.genesis.transactions)
    last = genesis_size - 1
    async with SequencerClient(seq.target, d.p1.member, d.p1.signing_key) as client:
        await client.authenticate()
        page, extra, _, more = await client.get_topology_history_page(s2, last, max_entries=2)
        assert [r.position for r in page] == [last] and len(extra) == 1 and more
        page, rest, _, more = await client.get_topology_history_page(
            s2, last + 1, max_entries=2, from_proposal=1
        )
        assert page == [] and len(rest) == 2 and not more
        records = [*extra, *rest]
        assert [r.signed for r in records] == proposals
        assert [(r.position, r.sequenced_at) for r in records] == [
            (genesis_size, s1),
            (genesis_size, s2),
            (genesis_size, s2),
        ]
        entries, _ = await client.get_topology_history(s2, last)
        assert entries == [seq.topology.history()[last], *records]
        bounded, _ = await client.get_topology_history(Timestamp(s2 - 1), last)
        assert [type(e).__name__ for e in bounded] == ["StoredTransaction", "ProposalRecord"]
