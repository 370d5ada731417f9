"""Deterministic identities, a fake topology and sample trees for the transaction tests.

The sample is an Iou transfer shaped like the engine's: a root view (Alice exercises
Transfer on an Iou, observer Carol) with a subview whose informees differ (Bob's new Iou,
created by the transfer), plus a second root view (a fetch by Dave). Participants: P1
hosts Alice, P2 hosts Bob, P3 hosts Carol and Dave; P4 hosts nobody in the request.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from protocol.crypto import EncryptionPrivateKey, EncryptionPublicKey, SigningPrivateKey
from protocol.identifiers import (
    DomainId,
    MemberId,
    MemberKind,
    Namespace,
    PartyId,
    make_domain_id,
    make_member_id,
    make_party_id,
)
from protocol.timestamp import Timestamp
from protocol.topology.mappings import HostingParticipant, ParticipantPermission
from protocol.transaction import (
    ContractId,
    FullTransactionTree,
    Informee,
    InputContract,
    ViewSpec,
    build_transaction_tree,
)

NAMESPACE = Namespace("1220" + "ab" * 32)
DOMAIN: DomainId = make_domain_id("domain", NAMESPACE)
MEDIATOR: MemberId = make_member_id(MemberKind.MEDIATOR, "mediator", NAMESPACE)
P1 = make_member_id(MemberKind.PARTICIPANT, "p1", NAMESPACE)
P2 = make_member_id(MemberKind.PARTICIPANT, "p2", NAMESPACE)
P3 = make_member_id(MemberKind.PARTICIPANT, "p3", NAMESPACE)
P4 = make_member_id(MemberKind.PARTICIPANT, "p4", NAMESPACE)
ALICE: PartyId = make_party_id("Alice", NAMESPACE)
BOB: PartyId = make_party_id("Bob", NAMESPACE)
CAROL: PartyId = make_party_id("Carol", NAMESPACE)
DAVE: PartyId = make_party_id("Dave", NAMESPACE)

LEDGER_TIME = Timestamp(1_700_000_000_000_000)
MAX_SEQUENCING_TIME = Timestamp(1_700_000_060_000_000)
REQUEST_ID = Timestamp(1_700_000_001_000_000)

OLD_IOU = ContractId("00" + "11" * 32)
NEW_IOU = ContractId("00" + "22" * 32)
FETCHED = ContractId("00" + "33" * 32)

# Distinctive plaintexts: a test scans encodings for them to prove they never leak.
SECRET_CONTRACT = b"SECRET-IOU:Alice owes 1000000 EUR to Carol"
SECRET_ACTION = b"SECRET-ACTION:Transfer(newOwner=Bob)"
SECRET_CREATE = b"SECRET-CREATE:Iou(owner=Bob, amount=1000000)"
SECRET_FETCH = b"SECRET-FETCH:Dave looks at his contract"
SECRET_FETCHED = b"SECRET-CONTRACT:Dave's own contract"
SECRETS = (SECRET_CONTRACT, SECRET_ACTION, SECRET_CREATE, SECRET_FETCH, SECRET_FETCHED)


def _seed(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


def signing_key(member: MemberId) -> SigningPrivateKey:
    return SigningPrivateKey.from_seed(_seed("sign/" + member))


def encryption_key(member: MemberId) -> EncryptionPrivateKey:
    return EncryptionPrivateKey.from_seed(_seed("encrypt/" + member))


@dataclass
class FakeTopology:
    """Answers the two questions of ``privacy.TopologyLookup`` from plain dicts."""

    hosts: dict[PartyId, tuple[HostingParticipant, ...]] = field(
        default_factory=lambda: {
            ALICE: (HostingParticipant(P1, ParticipantPermission.SUBMISSION),),
            BOB: (HostingParticipant(P2, ParticipantPermission.SUBMISSION),),
            CAROL: (HostingParticipant(P3, ParticipantPermission.OBSERVATION),),
            DAVE: (HostingParticipant(P3, ParticipantPermission.CONFIRMATION),),
        }
    )
    keys: dict[MemberId, EncryptionPublicKey] = field(
        default_factory=lambda: {p: encryption_key(p).public_key for p in (P1, P2, P3, P4)}
    )

    def active_hosts(self, party: PartyId) -> tuple[HostingParticipant, ...]:
        return self.hosts.get(party, ())

    def encryption_key(self, member: MemberId) -> EncryptionPublicKey | None:
        return self.keys.get(member)


def sample_specs(amount: bytes = SECRET_CONTRACT) -> list[ViewSpec]:
    create = ViewSpec(
        informees=(Informee(BOB, 0), Informee(ALICE, 1)),
        threshold=1,
        action=SECRET_CREATE,
        created=(NEW_IOU,),
        action_seed=_seed("node/0.0"),
    )
    transfer = ViewSpec(
        informees=(Informee(ALICE, 1), Informee(CAROL, 0)),
        threshold=1,
        action=SECRET_ACTION,
        inputs=(InputContract(OLD_IOU, amount),),
        consumed=(OLD_IOU,),
        action_seed=_seed("node/0"),
        subviews=(create,),
    )
    fetch = ViewSpec(
        informees=(Informee(DAVE, 1),),
        threshold=1,
        action=SECRET_FETCH,
        inputs=(InputContract(FETCHED, SECRET_FETCHED),),
    )
    return [transfer, fetch]


def sample_tree(
    transaction_seed: bytes = b"\x07" * 32, amount: bytes = SECRET_CONTRACT
) -> FullTransactionTree:
    tree = build_transaction_tree(
        transaction_seed=transaction_seed,
        domain=DOMAIN,
        mediator=MEDIATOR,
        submitting_participant=P1,
        act_as=frozenset({ALICE}),
        application_id="iou-app",
        command_id="transfer-1",
        max_sequencing_time=MAX_SEQUENCING_TIME,
        ledger_time=LEDGER_TIME,
        workflow_id=None,
        views=sample_specs(amount),
    )
    return FullTransactionTree(tree)
