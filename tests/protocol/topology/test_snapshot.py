"""Effective times and what a snapshot answers."""

from __future__ import annotations

from dataclasses import replace

import pytest

from protocol.timestamp import Micros, Timestamp
from protocol.topology import (
    Accepted,
    Admission,
    HostingParticipant,
    ParticipantPermission,
    PartyToParticipant,
    TopologySnapshot,
    VettedPackages,
)
from protocol.topology.transactions import Operation
from tests.protocol.topology.support import DELAY, GENESIS_AT, World, participant, party, tx

T1 = GENESIS_AT + 10_000_000


def test_genesis_is_effective_at_the_genesis_time(world: World) -> None:
    p = world.processor()
    before, at = p.snapshot_at(Timestamp(GENESIS_AT - 1)), p.snapshot_at(GENESIS_AT)
    assert before.records == () and before.domain_parameters() is None
    assert at.domain_parameters() == world.parameters
    state = at.sequencer_state()
    assert state is not None
    assert [at.sequencer_writer(s.member) for s in world.sequencers] == [
        "0x" + "01" * 20,
        "0x" + "02" * 20,
    ]
    mediators = at.mediator_state()
    assert mediators is not None and mediators.mediators == (world.mediator.member,)
    assert all(at.is_active(n.member) for n in [*world.sequencers, world.mediator])


def test_revocation_is_visible_from_its_effective_time_on_and_not_before(world: World) -> None:
    p = world.processor()
    node = participant("p1")
    for signed in world.onboarding(node):
        assert isinstance(p.process(signed, Timestamp(T1)), Accepted)
    admitted_at = T1 + DELAY
    assert not p.snapshot_at(Timestamp(admitted_at - 1)).is_known(node.member)
    assert p.snapshot_at(Timestamp(admitted_at)).is_active(node.member)

    revoke_seq = T1 + 5_000_000
    revocation = world.permission(node, admission=Admission.REVOKED, serial=2, op=Operation.REPLACE)
    outcome = p.process(revocation, Timestamp(revoke_seq))
    assert isinstance(outcome, Accepted)
    assert (outcome.record.sequenced_at, outcome.record.effective_at) == (
        revoke_seq,
        revoke_seq + DELAY,
    )

    just_before = p.snapshot_at(Timestamp(revoke_seq + DELAY - 1))
    assert just_before.is_active(node.member)
    assert just_before.participant_permission(node.member) is ParticipantPermission.SUBMISSION
    assert just_before.revoked_participants() == ()

    from_then = p.snapshot_at(Timestamp(revoke_seq + DELAY))
    assert not from_then.is_active(node.member)
    assert from_then.is_known(node.member)  # keys stay known to verify its history
    assert from_then.participant_permission(node.member) is None
    assert from_then.revoked_participants() == (node.member,)


def test_a_delay_change_applies_after_the_old_delay(world: World) -> None:
    p = world.processor()
    faster = replace(world.parameters, topology_change_delay=Micros(100))
    change = p.process(tx(Operation.REPLACE, 2, faster, [world.domain_key]), Timestamp(T1))
    assert isinstance(change, Accepted) and change.record.effective_at == T1 + DELAY

    # sequenced while the old delay is still in force, but after the change was sequenced
    node = participant("p1")
    (cert, *_rest) = node.identity()
    early = p.process(cert, Timestamp(T1 + DELAY - 1))
    assert isinstance(early, Accepted) and early.record.effective_at == T1 + 2 * DELAY - 1

    # sequenced once the new delay is in force: the new delay would give an earlier
    # effective time than the previous transaction's, so it is held back to keep order
    late = p.process(_rest[0], Timestamp(T1 + DELAY))
    assert isinstance(late, Accepted) and late.record.effective_at == T1 + 2 * DELAY - 1
    later = p.process(world.permission(node), Timestamp(T1 + 2 * DELAY))
    assert isinstance(later, Accepted) and later.record.effective_at == T1 + 2 * DELAY + 100


def test_hosting_vetting_and_active_hosts(world: World) -> None:
    p = world.processor()
    p1, p2 = participant("p1"), participant("p2")
    for node in (p1, p2):
        for signed in world.onboarding(node):
            assert isinstance(p.process(signed, Timestamp(T1)), Accepted)
    alice = party("alice", p1)
    hosting = PartyToParticipant(alice, 1, (  # type: ignore[arg-type]
        HostingParticipant(p1.member, ParticipantPermission.SUBMISSION),
        HostingParticipant(p2.member, ParticipantPermission.OBSERVATION),
    ))  # fmt: skip
    vetted = VettedPackages(p1.member, ("a" * 64,))
    for signed in (
        tx(Operation.ADD, 1, hosting, [p1.root, p2.root]),
        tx(Operation.ADD, 1, vetted, [p1.root]),
        world.permission(p1, ParticipantPermission.CONFIRMATION, serial=2, op=Operation.REPLACE),
    ):
        assert isinstance(p.process(signed, Timestamp(T1 + 1)), Accepted)
    snap = p.snapshot_at(Timestamp(T1 + 1 + DELAY))
    assert snap.party_hosting(alice) == hosting  # type: ignore[arg-type]
    # p1 hosts with SUBMISSION but the domain only grants it CONFIRMATION now
    assert snap.active_hosts(alice) == (  # type: ignore[arg-type]
        HostingParticipant(p1.member, ParticipantPermission.CONFIRMATION),
        HostingParticipant(p2.member, ParticipantPermission.OBSERVATION),
    )
    assert snap.parties_hosted_by(p2.member) == (alice,)
    assert snap.vetted_packages(p1.member) == {"a" * 64}
    assert snap.vetted_packages(p2.member) == frozenset()
    signing = snap.signing_key(p1.member)
    assert signing is not None and signing == p1.signing.public_key
    assert snap.encryption_key(p1.member) == p1.encryption.public_key
    assert snap.members() == tuple(sorted(snap.members()))


def test_snapshots_are_values(world: World) -> None:
    a, b = world.processor(), world.processor()
    t = Timestamp(GENESIS_AT + 5)
    assert a.snapshot_at(t) == b.snapshot_at(t)
    assert a.snapshot_at(t).digest() == b.snapshot_at(t).digest()
    assert (
        a.snapshot_at(t).digest() != a.snapshot_at(Timestamp(t + 1)).digest()
    )  # time is part of it


def test_times_between_two_effective_times_share_one_fold(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = world.processor()
    node = participant("p1")
    for signed in world.onboarding(node):
        assert isinstance(p.process(signed, Timestamp(T1)), Accepted)
    history = p.history()
    builds: list[Timestamp] = []
    real_build = TopologySnapshot.build.__func__  # type: ignore[attr-defined]

    def counting_build(cls: type[TopologySnapshot], domain, timestamp, records):  # type: ignore[no-untyped-def]
        builds.append(timestamp)
        return real_build(cls, domain, timestamp, records)

    monkeypatch.setattr(TopologySnapshot, "build", classmethod(counting_build))
    times = [GENESIS_AT + i for i in range(0, 2 * DELAY, DELAY // 7)] + [T1 + DELAY + 5]
    for t in map(Timestamp, times):
        got = p.snapshot_at(t)
        fresh = real_build(TopologySnapshot, world.domain, t, history)
        # the re-stamped fold is the snapshot a full fold at t gives, answers included
        assert got == fresh and got.digest() == fresh.digest() and got.timestamp == t
        assert got.is_active(node.member) == fresh.is_active(node.member)
    # one fold per distinct set of effective transactions, not one per time asked
    assert len(builds) == 2
