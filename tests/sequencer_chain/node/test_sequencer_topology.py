"""Sequencer nodes whose members come from topology: started from a genesis topology file,
they accept its members and refuse others; topology transactions the domain manager sends
through the sequencer are processed by every sequencer at their sequencing time and take
effect at sequencing time + topology change delay (onboarding and revocation)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc
import pytest

from node_runtime.member import SendRefusedError, SequencerClient
from protocol.crypto import EncryptionPrivateKey
from protocol.crypto.signing import SigningPrivateKey
from protocol.identifiers import MemberId, MemberKind, Namespace, make_member_id
from protocol.sequencer_messages import (
    Deliver,
    DeliverError,
    DeliverErrorCode,
    SequencedEvent,
    decode_sequenced_event,
)
from protocol.timestamp import Micros, Timestamp, now
from protocol.topology import (
    Admission,
    DomainParameters,
    Genesis,
    OwnerToKeyMapping,
    ParticipantDomainPermission,
    ParticipantPermission,
    SequencerWriter,
    SignedTopologyTransaction,
    TopologyTransaction,
    add_mapping,
    build_genesis,
    parse_chain_address,
    root_certificate,
    sign_transaction,
    write_genesis,
)
from protocol.topology.transactions import Operation, Serial
from protocol.v1 import sequencer_pb2 as pb
from sequencer_chain.anvil import ManagedAnvil
from sequencer_chain.chain_keys import dev_account
from sequencer_chain.config import load_node_config
from sequencer_chain.contract import send_transaction
from sequencer_chain.node import SequencerNode
from tests.sequencer_chain.sequencer_support import (
    ALICE,
    BOB,
    DOMAIN,
    DORMANT,
    MALLORY,
    OWNER_KEY,
    SEQ1,
    Party,
    Poster,
    batch_of,
    make_party,
    signed_request,
    wait_until,
)
from tests.support.chain import DeployedInbox

pytestmark = pytest.mark.anvil

DELAY_US = 3_000_000
DM = Party(
    make_member_id(MemberKind.DOMAIN_MANAGER, "dm", Namespace(OWNER_KEY.fingerprint)),
    SigningPrivateKey.from_seed(b"\x21" * 32),
)
MED = make_party("med1", 0x22, MemberKind.MEDIATOR)
NEWBIE = make_party("newbie", 0x23)
SEQ_NAMES = ("seqa", "seqb")
E = pb.SendAsyncError


def seq_member(name: str) -> MemberId:
    return MemberId(SEQ1.member.replace("seq1", name))


def enc(member: str) -> EncryptionPrivateKey:
    return EncryptionPrivateKey.from_seed(hashlib.sha256(member.encode()).digest())


def identity(
    party: Party, root: SigningPrivateKey | None = None
) -> list[SignedTopologyTransaction]:
    """Root certificate (when the member owns its namespace) and owner-to-key mapping."""
    root_key = root or party.key
    otk = OwnerToKeyMapping(party.member, party.key.public_key, enc(party.member).public_key)
    certs = [] if root is not None else [root_certificate(party.key)]
    return [
        *certs,
        add_mapping(
            otk, {root_key.fingerprint: root_key, party.key.fingerprint: party.key}.values()
        ),
    ]


def permission(party: Party, admission: Admission, serial: int) -> SignedTopologyTransaction:
    mapping = ParticipantDomainPermission(
        DOMAIN, party.member, ParticipantPermission.SUBMISSION, admission
    )
    op = Operation.ADD if serial == 1 else Operation.REPLACE
    return sign_transaction(TopologyTransaction(op, Serial(serial), mapping), [OWNER_KEY])


def make_genesis() -> Genesis:
    members: list[SignedTopologyTransaction] = [root_certificate(SEQ1.key)]
    writers = []
    for i, name in enumerate(SEQ_NAMES, start=1):
        seq = Party(seq_member(name), SEQ1.key)
        members += identity(seq, root=SEQ1.key)
        address = dev_account(i, 31337).address.lower()
        writers.append(SequencerWriter(seq.member, parse_chain_address(address)))
    members += identity(MED) + identity(DM, root=OWNER_KEY)
    for p in (ALICE, BOB):
        members += [*identity(p), permission(p, Admission.ADMITTED, 1)]
    members += identity(DORMANT)  # known (keys) but never admitted
    params = DomainParameters(
        DOMAIN,
        participant_response_timeout=Micros(30_000_000),
        mediator_reaction_timeout=Micros(30_000_000),
        ledger_time_record_time_tolerance=Micros(60_000_000),
        topology_change_delay=Micros(DELAY_US),
        max_request_size=119_000,
        confirmation_depth=1,
    )
    return build_genesis(
        OWNER_KEY,
        "test-domain",
        sequencers=writers,
        mediators=[MED.member],
        parameters=params,
        member_transactions=members,
    )


NodeFactory = Callable[..., Awaitable[SequencerNode]]


@pytest.fixture
async def make_topology_node(
    tmp_path: Path, anvil: ManagedAnvil, deployed: DeployedInbox
) -> AsyncIterator[NodeFactory]:
    made: list[SequencerNode] = []
    deployed.record.save(tmp_path / "inbox.json")
    write_genesis(tmp_path / "genesis.json", make_genesis())

    async def factory(name: str, dev_key_index: int) -> SequencerNode:
        config = tmp_path / f"{name}.toml"
        config.write_text(
            f"""
[node]
sequencer_id = "{seq_member(name)}"
data_dir = "{name}"

[domain]
domain_id = "{DOMAIN}"
genesis_file = "genesis.json"

[chain]
rpc_url = "{anvil.rpc_url}"
deployment = "inbox.json"
confirmations = 1
poll_interval_s = 0.1
linger_s = 0.02

[chain.account]
dev_key_index = {dev_key_index}
"""
        )
        node = SequencerNode(load_node_config(config))
        made.append(node)
        await node.start()
        return node

    yield factory
    for node in made:
        await node.stop()


async def client_for(node: SequencerNode, party: Party) -> SequencerClient:
    client = SequencerClient(node.target, party.member, party.key)
    await client.authenticate()
    return client


async def next_event(stream: AsyncIterator[SequencedEvent], timeout_s: float = 20) -> Any:
    return await asyncio.wait_for(anext(stream), timeout_s)


async def test_node_from_genesis_accepts_its_members_and_refuses_others(
    make_topology_node: NodeFactory,
) -> None:
    node = await make_topology_node("seqa", 1)
    alice, bob = await client_for(node, ALICE), await client_for(node, BOB)
    stream = bob.subscribe(0)
    await alice.send(signed_request(ALICE, "m1", [(b"hello", [BOB.member])]))
    event = await next_event(stream)
    assert isinstance(event, Deliver) and event.batch.envelopes[0].payload == b"hello"
    for outsider in (MALLORY, DORMANT):  # unknown; known but not admitted
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await client_for(node, outsider)
        assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
        with pytest.raises(SendRefusedError) as refused:
            await alice.send(
                signed_request(ALICE, f"to-{outsider.member}", [(b"x", [outsider.member])])
            )
        assert refused.value.code == E.SEND_ASYNC_ERROR_UNKNOWN_RECIPIENT
    # A request signed by a key the sender does not have.
    with pytest.raises(SendRefusedError) as refused:
        await alice.send(signed_request(ALICE, "forged", [(b"x", [BOB.member])], signer=BOB.key))
    assert refused.value.code == E.SEND_ASYNC_ERROR_BAD_SIGNATURE
    assert node.topology is not None
    assert node.topology.member(ALICE.member, now()) is not None


async def broadcast(
    dm: SequencerClient,
    dm_stream: AsyncIterator[SequencedEvent],
    node: SequencerNode,
    message_id: str,
    txs: list[SignedTopologyTransaction],
) -> Timestamp:
    """Send topology transactions to every active member; return their sequencing time."""
    assert node.topology is not None
    snapshot = node.topology.snapshot_at(now())
    recipients = [m for m in snapshot.members() if snapshot.is_active(m) and m != DM.member]
    await dm.send(signed_request(DM, message_id, [(t.encode(), recipients) for t in txs]))
    receipt = await next_event(dm_stream)
    assert isinstance(receipt, Deliver) and receipt.message_id == message_id
    return receipt.timestamp


async def own_events(node: SequencerNode, member: MemberId) -> list[Any]:
    assert node.store is not None
    return [decode_sequenced_event(e.event) for e in await node.store.all_events([member])]


async def test_topology_through_the_sequencer_onboards_and_revokes_at_effective_time(
    make_topology_node: NodeFactory, deployed: DeployedInbox
) -> None:
    node_a = await make_topology_node("seqa", 1)
    node_b = await make_topology_node("seqb", 2)
    dm = await client_for(node_a, DM)
    dm_stream = dm.subscribe(0)

    # Onboarding: NEWBIE's keys and admission, sequenced at s, effective at s + delay.
    onboard = [*identity(NEWBIE), permission(NEWBIE, Admission.ADMITTED, 1)]
    s = await broadcast(dm, dm_stream, node_a, "onboard", onboard)
    effective = s + DELAY_US
    assert now() < effective - 1_000_000, "the test needs time before the effective time"
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await client_for(node_a, NEWBIE)
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    # A request posted to the chain directly, bypassing the API, before the effective time.
    outsider = dev_account(3, 31337)  # a writer of its own, not shared with a node
    add = deployed.inbox.calldata("addWriter", outsider.address)
    await send_transaction(deployed.inbox.w3, deployed.owner, to=deployed.record.address, data=add)
    poster = Poster(deployed.inbox.w3, deployed.inbox, outsider)
    # NEWBIE has no key before the effective time, so the request cannot be its own: it is
    # dropped (derivation rule 4), and NEWBIE's stream does not even begin.
    early = signed_request(NEWBIE, "early", [(b"too soon", [BOB.member])])
    marker = signed_request(BOB, "after-early", [(b"marker", [BOB.member])])
    await poster.post(batch_of(early, marker))

    async def marker_derived() -> list[Any]:
        return [e for e in await own_events(node_a, BOB.member) if e.message_id == "after-early"]

    await wait_until(marker_derived, timeout_s=10, what="early request derived")
    (marked,) = await marker_derived()
    assert marked.timestamp < effective
    assert await own_events(node_a, NEWBIE.member) == []
    assert not any(
        e.batch.envelopes[0].payload == b"too soon"
        for e in await own_events(node_a, BOB.member)
        if isinstance(e, Deliver) and e.batch.envelopes
    )

    await asyncio.sleep((effective - now()) / 1e6 + 0.2)
    newbie = await client_for(node_a, NEWBIE)
    newbie_stream = newbie.subscribe(0)
    await newbie.send(signed_request(NEWBIE, "welcome", [(b"hi", [BOB.member])]))
    receipt = await next_event(newbie_stream)
    assert isinstance(receipt, Deliver) and receipt.timestamp >= effective
    assert receipt.counter == 0 and receipt.message_id == "welcome"

    # Revocation of ALICE: her submissions are sequenced until the effective time.
    alice = await client_for(node_a, ALICE)
    r = await broadcast(dm, dm_stream, node_a, "revoke", [permission(ALICE, Admission.REVOKED, 2)])
    revoked_at = r + DELAY_US
    await alice.send(signed_request(ALICE, "still-ok", [(b"before", [BOB.member])]))

    async def still_ok() -> list[Any]:
        return [e for e in await own_events(node_a, ALICE.member) if e.message_id == "still-ok"]

    await wait_until(still_ok, timeout_s=10, what="request before the revocation derived")
    (before,) = await still_ok()
    assert isinstance(before, Deliver) and before.timestamp < revoked_at
    await asyncio.sleep((revoked_at - now()) / 1e6 + 0.2)
    # Her token no longer works for SendAsync: she is not an active member any more.
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await alice.send(signed_request(ALICE, "too-late", [(b"after", [BOB.member])]))
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "no longer an active member" in str(err.value.details())
    late = signed_request(ALICE, "late-raw", [(b"after", [BOB.member])])
    receipt_block = await poster.post(batch_of(late))
    assert receipt_block["status"] == 1

    def late_derived(node: SequencerNode) -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            return any(
                isinstance(e, DeliverError) and e.message_id == "late-raw"
                for e in await own_events(node, ALICE.member)
            )

        return check

    for node in (node_a, node_b):
        await wait_until(late_derived(node), timeout_s=10, what="late request derived")
        (late_event,) = [
            e for e in await own_events(node, ALICE.member) if e.message_id == "late-raw"
        ]
        assert late_event.timestamp >= revoked_at
        assert late_event.reason.code is DeliverErrorCode.UNKNOWN_SENDER

    # Both sequencers hold the same topology at the same times.
    assert node_a.topology is not None and node_b.topology is not None
    for t in (s - 1, s, effective - 1, effective, r, revoked_at, now()):
        a = node_a.topology.snapshot_at(Timestamp(t))
        b = node_b.topology.snapshot_at(Timestamp(t))
        assert a.digest() == b.digest()
    assert node_a.topology.snapshot_at(Timestamp(effective)).is_active(NEWBIE.member)
    assert not node_a.topology.snapshot_at(Timestamp(effective - 1)).is_active(NEWBIE.member)
    assert node_a.topology.snapshot_at(Timestamp(revoked_at - 1)).is_active(ALICE.member)
    assert not node_b.topology.snapshot_at(Timestamp(revoked_at)).is_active(ALICE.member)
