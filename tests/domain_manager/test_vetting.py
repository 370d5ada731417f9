"""``RequestVetting`` on a real domain (anvil, two sequencers, the domain manager): a
participant's ``VettedPackages`` is accepted (ADD, then REPLACE at serial + 1) and effective
on every node at ``effective_at``; a signature by another namespace, a wrong serial, a
participant that is not admitted, a proposal and another mapping are refused with their
codes before anything is sent."""

from __future__ import annotations

import asyncio
from pathlib import Path

import grpc
import pytest

from node_runtime.member.dm_client import DomainManagerRefusedError
from protocol.identifiers import MemberKind
from protocol.timestamp import Timestamp
from protocol.topology import (
    Operation,
    PackageId,
    ParticipantPermission,
    Serial,
    TopologyTransaction,
    VettedPackages,
    add_mapping,
    sign_transaction,
)
from tests.support.domain import (
    MemberIdentity,
    hosting_proposal,
    make_identity,
    party_of,
    running_domain,
)

pytestmark = pytest.mark.anvil

DELAY_US = 500_000
PKG_A = PackageId("a" * 64)
PKG_B = PackageId("b" * 64)


async def refused(call: object) -> DomainManagerRefusedError:
    assert asyncio.iscoroutine(call)
    with pytest.raises(DomainManagerRefusedError) as err:
        await call
    return err.value


async def test_request_vetting(tmp_path: Path) -> None:
    async with running_domain(tmp_path, topology_change_delay_us=DELAY_US) as domain:
        assert domain.dm is not None and domain.dm.topology is not None
        client = domain.member_client()
        p1 = make_identity(MemberKind.PARTICIPANT, "p1")
        p2 = make_identity(MemberKind.PARTICIPANT, "p2")
        stranger = make_identity(MemberKind.PARTICIPANT, "p3")
        await domain.onboard(p1)
        await domain.onboard(p2)

        # A participant that is not admitted: refused before the dry run.
        alone = add_mapping(VettedPackages(stranger.member, (PKG_A,)), [stranger.namespace_key])
        err = await refused(client.request_vetting(alone.encode()))
        assert (err.status, err.code) == (grpc.StatusCode.NOT_FOUND, "UNKNOWN_MEMBER")

        # Accepted: ADD at serial 1, signed by the participant's namespace.
        first = add_mapping(VettedPackages(p1.member, (PKG_A,)), [p1.namespace_key])
        done = await client.request_vetting(first.encode())
        assert done.serial == 1
        assert done.effective_at == done.sequenced_at + DELAY_US
        assert done.transaction_hash == first.hash().to_multihash()
        await domain.wait_processed(done.sequenced_at)
        for store in domain.topology_stores().values():
            before = store.snapshot_at(Timestamp(done.effective_at - 1))
            after = store.snapshot_at(Timestamp(done.effective_at))
            assert before.vetted_packages(p1.member) == frozenset()
            assert after.vetted_packages(p1.member) == {PKG_A}

        # The same transaction again: the topology's DUPLICATE, nothing sent.
        again = await refused(client.request_vetting(first.encode()))
        assert (again.status, again.code) == (grpc.StatusCode.ALREADY_EXISTS, "DUPLICATE")

        def replace(serial: int, signer: MemberIdentity) -> bytes:
            tx = TopologyTransaction(
                Operation.REPLACE, Serial(serial), VettedPackages(p1.member, (PKG_A, PKG_B))
            )
            return sign_transaction(tx, [signer.namespace_key]).encode()

        # Signed by another participant's namespace: unauthorized.
        bad = await refused(client.request_vetting(replace(2, p2)))
        assert (bad.status, bad.code) == (grpc.StatusCode.PERMISSION_DENIED, "UNAUTHORIZED")

        # REPLACE at serial 3 (expected 2): wrong serial; at 2: accepted.
        wrong = await refused(client.request_vetting(replace(3, p1)))
        assert (wrong.status, wrong.code) == (grpc.StatusCode.FAILED_PRECONDITION, "WRONG_SERIAL")
        second = await client.request_vetting(replace(2, p1))
        assert second.serial == 2
        await domain.wait_processed(second.sequenced_at)
        snapshot = domain.dm.topology.snapshot_at(Timestamp(second.effective_at))
        assert snapshot.vetted_packages(p1.member) == {PKG_A, PKG_B}

        # Shapes the call does not take.
        proposal = add_mapping(
            VettedPackages(p2.member, (PKG_A,)), [p2.namespace_key], is_proposal=True
        )
        shape = await refused(client.request_vetting(proposal.encode()))
        assert (shape.status, shape.code) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_REQUEST")
        hosting = hosting_proposal(
            party_of(p2, "bob"), [(p2.member, ParticipantPermission.SUBMISSION)], [p2.namespace_key]
        )
        other = await refused(client.request_vetting(hosting.encode()))
        assert other.code == "UNEXPECTED_MAPPING"
        garbage = await refused(client.request_vetting(b"\x00garbage"))
        assert (garbage.status, garbage.code) == (grpc.StatusCode.INVALID_ARGUMENT, "MALFORMED")
        empty = await refused(client.request_vetting(b""))
        assert empty.code == "INVALID_REQUEST"
