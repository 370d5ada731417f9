"""Deterministic identities and transaction builders for the topology tests."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from protocol.crypto import EncryptionPrivateKey, SigningPrivateKey
from protocol.identifiers import (
    DomainId,
    MemberId,
    MemberKind,
    Namespace,
    make_domain_id,
    make_member_id,
    make_party_id,
)
from protocol.timestamp import Micros, Timestamp
from protocol.topology import (
    Admission,
    DomainParameters,
    Genesis,
    OwnerToKeyMapping,
    ParticipantDomainPermission,
    ParticipantPermission,
    SequencerWriter,
    SignedTopologyTransaction,
    TopologyMapping,
    TopologyProcessor,
    TopologyTransaction,
    add_mapping,
    build_genesis,
    parse_chain_address,
    root_certificate,
    sign_transaction,
)
from protocol.topology.transactions import Operation, Serial

GENESIS_AT = Timestamp(1_700_000_000_000_000)
DELAY = Micros(1_000_000)


def signing_key(label: str) -> SigningPrivateKey:
    return SigningPrivateKey.from_seed(hashlib.sha256(b"sign/" + label.encode()).digest())


def encryption_key(label: str) -> EncryptionPrivateKey:
    return EncryptionPrivateKey.from_seed(hashlib.sha256(b"enc/" + label.encode()).digest())


def namespace_of(key: SigningPrivateKey) -> Namespace:
    return Namespace(key.fingerprint)


def tx(
    op: Operation,
    serial: int,
    mapping: TopologyMapping,
    keys: Iterable[SigningPrivateKey],
    proposal: bool = False,
) -> SignedTopologyTransaction:
    return sign_transaction(TopologyTransaction(op, Serial(serial), mapping), keys, proposal)


@dataclass(frozen=True)
class Node:
    """A member with its own namespace (root key), protocol signing and encryption keys."""

    member: MemberId
    root: SigningPrivateKey
    signing: SigningPrivateKey
    encryption: EncryptionPrivateKey

    @property
    def namespace(self) -> Namespace:
        return namespace_of(self.root)

    def keys_mapping(self) -> OwnerToKeyMapping:
        return OwnerToKeyMapping(self.member, self.signing.public_key, self.encryption.public_key)

    def identity(self) -> list[SignedTopologyTransaction]:
        """Root certificate and owner-to-key mapping (signed by root and signing key)."""
        return [
            root_certificate(self.root),
            add_mapping(self.keys_mapping(), [self.root, self.signing]),
        ]


def node(kind: MemberKind, name: str) -> Node:
    root = signing_key(f"{name}/root")
    return Node(
        make_member_id(kind, name, namespace_of(root)),
        root,
        signing_key(f"{name}/protocol"),
        encryption_key(name),
    )


class World:
    """A domain with two sequencers, a mediator, and helpers for participants."""

    def __init__(self, delay: int = DELAY) -> None:
        self.domain_key = signing_key("domain/root")
        self.domain: DomainId = make_domain_id("dom", namespace_of(self.domain_key))
        self.sequencers = [node(MemberKind.SEQUENCER, f"seq{i}") for i in (1, 2)]
        self.mediator = node(MemberKind.MEDIATOR, "med1")
        self.parameters = DomainParameters(
            self.domain,
            participant_response_timeout=Micros(30_000_000),
            mediator_reaction_timeout=Micros(30_000_000),
            ledger_time_record_time_tolerance=Micros(60_000_000),
            topology_change_delay=Micros(delay),
            max_request_size=119_000,
            confirmation_depth=2,
        )

    def genesis(self) -> Genesis:
        members: list[SignedTopologyTransaction] = []
        for n in [*self.sequencers, self.mediator]:
            members.extend(n.identity())
        writers = [
            SequencerWriter(s.member, parse_chain_address("0x" + f"{i + 1:02x}" * 20))
            for i, s in enumerate(self.sequencers)
        ]
        return build_genesis(
            self.domain_key,
            "dom",
            sequencers=writers,
            mediators=[self.mediator.member],
            parameters=self.parameters,
            member_transactions=members,
            at=GENESIS_AT,
        )

    def processor(self) -> TopologyProcessor:
        p = TopologyProcessor(self.domain)
        for signed in self.genesis().transactions:
            outcome = p.process(signed, GENESIS_AT)
            assert type(outcome).__name__ == "Accepted", outcome
        return p

    def permission(
        self,
        participant: Node,
        permission: ParticipantPermission = ParticipantPermission.SUBMISSION,
        admission: Admission = Admission.ADMITTED,
        serial: int = 1,
        op: Operation = Operation.ADD,
    ) -> SignedTopologyTransaction:
        mapping = ParticipantDomainPermission(
            self.domain, participant.member, permission, admission
        )
        return tx(op, serial, mapping, [self.domain_key])

    def onboarding(self, participant: Node) -> list[SignedTopologyTransaction]:
        return [*participant.identity(), self.permission(participant)]


def participant(name: str) -> Node:
    return node(MemberKind.PARTICIPANT, name)


def party(name: str, owner: Node) -> str:
    return make_party_id(name, owner.namespace)


def run(p: TopologyProcessor, txs: Sequence[SignedTopologyTransaction], at: int) -> list[object]:
    return [p.process(t, Timestamp(at)) for t in txs]
