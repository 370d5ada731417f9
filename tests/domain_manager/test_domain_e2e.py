"""Issue #4 end to end, on a real anvil with real nodes: a domain manager, two sequencers
and the genesis mediator; two participants onboarded through the admin API (the first
under ``permissioned`` with an admin's approval); a party hosted on each participant and
one on both (two proposals merged); equal topology snapshots on every node; a revoked
participant refused from the effective time on and not before; and bad input refused with
a typed error by the admin API and with the same decision by every node."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import grpc
import pytest

from domain_manager import Policy
from node_runtime.member import SendRefusedError, SequencerClient
from node_runtime.member.dm_client import (
    DomainManagerRefusedError,
    HostingState,
    OnboardingKind,
    OnboardingState,
)
from protocol.identifiers import MemberKind
from protocol.sequencer_messages import Deliver, DeliverError, DeliverErrorCode
from protocol.timestamp import Timestamp, now
from protocol.topology import (
    TOPOLOGY_PAYLOAD_PREFIX,
    OwnerToKeyMapping,
    ParticipantPermission,
    add_mapping,
)
from sequencer_chain.chain_keys import dev_account
from sequencer_chain.contract import InboxContract, connect, send_transaction
from sequencer_chain.node import SequencerNode
from tests.sequencer_chain.sequencer_support import Party, Poster, batch_of, signed_request
from tests.support.domain import (
    MemberIdentity,
    RunningDomain,
    hosting_proposal,
    make_identity,
    onboarding_transactions,
    party_of,
    running_domain,
)

pytestmark = pytest.mark.anvil

DELAY_US = 1_500_000
SUB = ParticipantPermission.SUBMISSION


def as_party(identity: MemberIdentity) -> Party:
    return Party(identity.member, identity.signing_key)


async def own_events(node: SequencerNode, member: str) -> list[Deliver | DeliverError]:
    from protocol.sequencer_messages import decode_sequenced_event

    assert node.store is not None
    return [decode_sequenced_event(e.event) for e in await node.store.all_events([member])]


async def refused(call: object) -> DomainManagerRefusedError:
    assert asyncio.iscoroutine(call)
    with pytest.raises(DomainManagerRefusedError) as err:
        await call
    return err.value


async def test_domain_manager_end_to_end(tmp_path: Path) -> None:
    async with running_domain(
        tmp_path, policy="permissioned", topology_change_delay_us=DELAY_US
    ) as domain:
        assert domain.dm is not None and domain.dm.manager is not None
        member = domain.member_client()
        admin = domain.admin_client()
        await domain.connect_member("mediator1", domain.mediator)
        p1 = make_identity(MemberKind.PARTICIPANT, "p1")
        p2 = make_identity(MemberKind.PARTICIPANT, "p2")

        # -- onboarding: p1 under `permissioned`, waits for the admin's approval --------------
        p1_txs = [t.encode() for t in onboarding_transactions(p1)]
        pending = await member.request_onboarding(OnboardingKind.PARTICIPANT, p1_txs)
        assert pending.state is OnboardingState.PENDING and pending.member == p1.member
        assert [r.request_id for r in await admin.pending_requests()] == [pending.request_id]
        listed = {m.member: m for m in await admin.members()}
        assert listed[p1.member].state == "pending"
        # Admin calls need an admin token.
        no_token = await refused(member.approve(pending.request_id))
        assert no_token.status is grpc.StatusCode.UNAUTHENTICATED
        done = await admin.approve(pending.request_id, "known bank")
        assert done.state is OnboardingState.ONBOARDED
        assert done.effective_at == done.sequenced_at + DELAY_US
        again = await refused(admin.approve(pending.request_id))
        assert (again.status, again.code) == (grpc.StatusCode.FAILED_PRECONDITION, "INVALID_STATE")
        # p2 under `open` (the policy is the node's setting; switched here in-process).
        manager = domain.dm.manager
        manager.settings = dataclasses.replace(manager.settings, policy=Policy.OPEN)
        p2_status = await domain.onboard(p2)
        assert p2_status.state is OnboardingState.ONBOARDED
        assert (await member.onboarding_status(p2_status.request_id)).state is (
            OnboardingState.ONBOARDED
        )

        # -- party hosting: one party on each participant, one on both ----------------------
        alice, bob, joint = party_of(p1, "alice"), party_of(p2, "bob"), party_of(p1, "joint")
        (a,) = await member.request_party_hosting(
            [hosting_proposal(alice, [(p1.member, SUB)], [p1.namespace_key]).encode()]
        )
        (b,) = await member.request_party_hosting(
            [hosting_proposal(bob, [(p2.member, SUB)], [p2.namespace_key]).encode()]
        )
        assert a.state is HostingState.EFFECTIVE and b.state is HostingState.EFFECTIVE
        both = [(p1.member, SUB), (p2.member, SUB)]
        (first,) = await member.request_party_hosting(
            [hosting_proposal(joint, both, [p1.namespace_key], threshold=2).encode()]
        )
        assert first.state is HostingState.PROPOSED
        assert first.missing == (f"namespace {p2.namespace}",)
        (second,) = await member.request_party_hosting(
            [hosting_proposal(joint, both, [p2.namespace_key], threshold=2).encode()]
        )
        assert second.state is HostingState.EFFECTIVE
        assert second.transaction_hash == first.transaction_hash
        t_hosting = Timestamp(second.effective_at)
        # The participants run the member runtime from here on (once their admission is
        # effective); it syncs the topology history they missed.
        await asyncio.sleep(max(0.0, (p2_status.effective_at - now()) / 1e6))
        await domain.connect_member("p1", p1)
        await domain.connect_member("p2", p2)

        # -- bad input: a typed error from the admin API ---------------------------------------
        p3 = make_identity(MemberKind.PARTICIPANT, "p3")
        mallory = make_identity(MemberKind.PARTICIPANT, "mallory")
        forged_otk = add_mapping(
            OwnerToKeyMapping(p3.member, p3.signing_key.public_key, p3.encryption_key.public_key),
            [mallory.namespace_key, p3.signing_key],
        )
        wrong_serial = hosting_proposal(
            party_of(p1, "carol"), [(p1.member, SUB)], [p1.namespace_key], serial=2
        )
        p4 = make_identity(MemberKind.PARTICIPANT, "p4")
        unknown_ns = onboarding_transactions(p4, with_root=False)
        p1_new_keys = make_identity(MemberKind.PARTICIPANT, "p1", seed="rotated")
        p1_again = onboarding_transactions(
            dataclasses.replace(p1_new_keys, member=p1.member, namespace_key=p1.namespace_key),
            with_root=False,
        )
        malformed = TOPOLOGY_PAYLOAD_PREFIX + b"\x00\x01 not a transaction"
        cases = [
            (
                member.request_onboarding(
                    OnboardingKind.PARTICIPANT, [onboarding_transactions(p3)[0].encode(),
                                                 forged_otk.encode()]
                ),
                grpc.StatusCode.PERMISSION_DENIED, "UNAUTHORIZED",
            ),
            (
                member.request_party_hosting([wrong_serial.encode()]),
                grpc.StatusCode.FAILED_PRECONDITION, "WRONG_SERIAL",
            ),
            (
                member.request_onboarding(
                    OnboardingKind.PARTICIPANT, [t.encode() for t in unknown_ns]
                ),
                grpc.StatusCode.FAILED_PRECONDITION, "UNKNOWN_NAMESPACE",
            ),
            (
                member.request_onboarding(
                    OnboardingKind.PARTICIPANT, [t.encode() for t in p1_again]
                ),
                grpc.StatusCode.ALREADY_EXISTS, "DUPLICATE_ONBOARDING",
            ),
            (
                member.request_onboarding(OnboardingKind.PARTICIPANT, [malformed]),
                grpc.StatusCode.INVALID_ARGUMENT, "MALFORMED",
            ),
            (
                member.request_onboarding(OnboardingKind.MEDIATOR, p1_txs),
                grpc.StatusCode.INVALID_ARGUMENT, "WRONG_MEMBER_KIND",
            ),
        ]  # fmt: skip
        for call, status, code in cases:
            error = await refused(call)
            assert (error.status, error.code) == (status, code), error
        assert not [r for r in await admin.pending_requests()]

        # -- the same decision on every node: the same bad input broadcast unchecked -----------
        bad = [
            onboarding_transactions(p3)[0].encode(),  # p3's root certificate: accepted
            forged_otk.encode(),
            wrong_serial.encode(),
            unknown_ns[0].encode(),
            p1_again[0].encode(),  # p1 already has keys: an ADD of its mapping again
            malformed,
        ]
        s_bad = await manager.broadcast_raw(bad)
        await domain.wait_processed(s_bad)
        expected = ["UNAUTHORIZED", "WRONG_SERIAL", "UNKNOWN_NAMESPACE", "MAPPING_EXISTS"]
        expected.append("MALFORMED")
        stores = domain.topology_stores()
        assert set(stores) == {"seq1", "seq2", "dm", "mediator1", "p1", "p2"}
        for name, store in stores.items():
            codes = [code for at, code, _ in await store.rejections() if at == s_bad]
            assert codes == expected, name

        # -- equal snapshots on every node ---------------------------------------------------
        await assert_equal_snapshots(
            domain,
            [done.sequenced_at - 1, done.effective_at, p2_status.effective_at, t_hosting, s_bad],
        )
        snapshot = domain.dm.manager.snapshot(t_hosting)
        assert [h.participant for h in snapshot.active_hosts(joint)] == sorted(
            [p1.member, p2.member]
        )
        summary = await member.topology_snapshot(t_hosting)
        assert summary.digest == snapshot.digest().to_multihash()
        assert {alice, bob, joint} <= set(summary.parties)

        # -- revocation: refused from the effective time on, and not before -------------------
        seq = domain.sequencers[0]
        client = SequencerClient(seq.target, p2.member, p2.signing_key)
        await client.authenticate()
        try:
            revoked = await admin.revoke_participant(p2.member, "left the consortium")
            assert revoked.effective_at == revoked.sequenced_at + DELAY_US
            await client.send(signed_request(as_party(p2), "before", [(b"x", [p1.member])],
                                             domain=domain.domain))  # fmt: skip
            await asyncio.sleep(max(0.0, (revoked.effective_at - now()) / 1e6) + 0.1)
            with pytest.raises((SendRefusedError, grpc.aio.AioRpcError)):
                await client.send(signed_request(as_party(p2), "after-api", [(b"x", [p1.member])],
                                                 domain=domain.domain))  # fmt: skip
        finally:
            await client.close()
        # A request that reaches the chain directly, bypassing the API, after the effective time.
        late = signed_request(as_party(p2), "after", [(b"x", [p1.member])], domain=domain.domain)
        await post_directly(domain, batch_of(late))
        for node in domain.sequencers:
            events = await wait_events(node, p2.member, {"before", "after"})
            before, after = events["before"], events["after"]
            assert isinstance(before, Deliver) and before.timestamp < revoked.effective_at
            assert isinstance(after, DeliverError) and after.timestamp >= revoked.effective_at
            assert after.reason.code is DeliverErrorCode.UNKNOWN_SENDER
        listed = {m.member: m for m in await admin.members(revoked.effective_at)}
        assert listed[p2.member].state == "revoked" and listed[p1.member].state == "active"
        assert listed[domain.mediator.member].state == "active"
        await domain.wait_processed(revoked.sequenced_at)
        await assert_equal_snapshots(
            domain, [revoked.effective_at - 1, revoked.effective_at, now()]
        )
        audit = await domain.dm.store.audit_log() if domain.dm.store else []
        admin_actions = [a[2] for a in audit if "domain-admin" in a[1]]
        assert admin_actions == ["approve", "revoke"]


async def assert_equal_snapshots(domain: RunningDomain, times: list[int]) -> None:
    stores = domain.topology_stores()
    for t in times:
        digests = {name: s.snapshot_at(Timestamp(t)).digest() for name, s in stores.items()}
        assert len(set(digests.values())) == 1, (t, digests)


async def post_directly(domain: RunningDomain, batch: bytes) -> None:
    """Post a batch to the contract as an extra writer of its own (bypassing every API)."""
    w3 = await connect(domain.anvil.rpc_url)
    try:
        record_address = domain.sequencers[0].reader.inbox.address  # type: ignore[union-attr]
        inbox = InboxContract(w3, record_address)
        owner, outsider = dev_account(0, 31337), dev_account(8, 31337)
        data = inbox.calldata("addWriter", outsider.address)
        await send_transaction(w3, owner, to=record_address, data=data)
        await Poster(w3, inbox, outsider).post(batch)
    finally:
        await w3.provider.disconnect()


async def wait_events(
    node: SequencerNode, member: str, message_ids: set[str], timeout_s: float = 15
) -> dict[str, Deliver | DeliverError]:
    async with asyncio.timeout(timeout_s):
        while True:
            found = {
                str(e.message_id): e
                for e in await own_events(node, member)
                if e.message_id is not None and str(e.message_id) in message_ids
            }
            if set(found) == message_ids:
                return found
            await asyncio.sleep(0.05)
