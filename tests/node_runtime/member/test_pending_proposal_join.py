"""A member that joins while a topology proposal is pending ends with the same topology as
every other node (``docs/topology.md`` §5, §8), on a real anvil with real nodes.

p1 proposes hosting a party on p1 and p2 (kept pending: p2's namespace has not signed);
then p3 is onboarded and starts its member runtime; then p2 sends its own proposal, which
completes the transaction. p3 was not addressed by p1's broadcast, so it must learn the
pending proposal from the history it fetches at join; otherwise it keeps p2's signature
alone pending while every other node accepts the transaction. Finally p3 restarts and
syncs its history again, which must agree with its store.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from node_runtime.member.dm_client import HostingState, OnboardingState
from protocol.identifiers import MemberKind
from protocol.timestamp import Timestamp
from protocol.topology import ParticipantPermission
from tests.support.domain import (
    RecordingHandler,
    RunningDomain,
    hosting_proposal,
    make_identity,
    party_of,
    running_domain,
)

pytestmark = pytest.mark.anvil

SUB = ParticipantPermission.SUBMISSION


def digests_at(domain: RunningDomain, at: int) -> dict[str, str]:
    stores = domain.topology_stores()
    return {
        name: s.snapshot_at(Timestamp(at)).digest().to_multihash() for name, s in stores.items()
    }


def pending_hashes(domain: RunningDomain) -> dict[str, list[str]]:
    return {
        name: [p.transaction_hash.to_multihash() for p in store.pending_proposals()]
        for name, store in domain.topology_stores().items()
    }


async def test_member_joining_during_a_pending_proposal_agrees(tmp_path: Path) -> None:
    async with running_domain(tmp_path, sequencers=2) as domain:
        p1 = make_identity(MemberKind.PARTICIPANT, "p1")
        p2 = make_identity(MemberKind.PARTICIPANT, "p2")
        p3 = make_identity(MemberKind.PARTICIPANT, "p3")
        for identity in (p1, p2):
            assert (await domain.onboard(identity)).state is OnboardingState.ONBOARDED
        await domain.connect_member("p1", p1)
        await domain.connect_member("p2", p2)
        member = domain.member_client()

        joint = party_of(p1, "joint")
        both = [(p1.member, SUB), (p2.member, SUB)]
        (first,) = await member.request_party_hosting(
            [hosting_proposal(joint, both, [p1.namespace_key], threshold=2).encode()]
        )
        assert first.state is HostingState.PROPOSED

        # p3 joins while the proposal is pending.
        status = await domain.onboard(p3)
        assert status.state is OnboardingState.ONBOARDED
        await domain.wait_processed(status.sequenced_at)
        p3_connection = await domain.connect_member("p3", p3)
        assert [p.transaction_hash.to_multihash() for p in p3_connection.topology.store
                .pending_proposals()] == [first.transaction_hash]  # fmt: skip

        (second,) = await member.request_party_hosting(
            [hosting_proposal(joint, both, [p2.namespace_key], threshold=2).encode()]
        )
        assert second.state is HostingState.EFFECTIVE
        assert second.transaction_hash == first.transaction_hash
        await domain.wait_processed(second.sequenced_at)

        assert set(domain.topology_stores()) == {"seq1", "seq2", "dm", "p1", "p2", "p3"}
        assert pending_hashes(domain) == {name: [] for name in domain.topology_stores()}
        for at in (status.sequenced_at, second.sequenced_at, second.effective_at):
            digests = digests_at(domain, at)
            assert len(set(digests.values())) == 1, (at, digests)
        snapshot = p3_connection.topology.snapshot_at(Timestamp(second.effective_at))
        assert [h.participant for h in snapshot.active_hosts(joint)] == sorted(
            [p1.member, p2.member]
        )

        # A restart syncs the whole served history again: it agrees with p3's store.
        await p3_connection.stop()
        del domain.members["p3"]
        again = await domain.connect_member("p3", p3, RecordingHandler())
        assert again.topology.store.history() == domain.topology_stores()["seq1"].history()
        assert not again.topology.store.pending_proposals()
