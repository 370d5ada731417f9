"""The state machine's decisions: serials, the authorization chain, signatures, namespaces,
duplicates and proposal merging. Each test names the exact rejection it expects."""

from __future__ import annotations

from typing import TypeVar

import pytest

from protocol.crypto import Signature
from protocol.identifiers import MemberKind, make_domain_id, make_member_id
from protocol.timestamp import Timestamp
from protocol.topology import (
    Accepted,
    DomainParameters,
    DuplicateTransactionError,
    HostingParticipant,
    InvalidSignatureError,
    MalformedTopologyError,
    MappingExistsError,
    MappingNotFoundError,
    NamespaceDelegation,
    Outcome,
    OwnerToKeyMapping,
    ParticipantPermission,
    PartyToParticipant,
    Proposed,
    Rejected,
    SerialMismatchError,
    SignedTopologyTransaction,
    TopologyProcessor,
    TopologyRejectedError,
    UnauthorizedError,
    UnknownNamespaceError,
    VettedPackages,
    WrongDomainError,
    add_mapping,
    root_certificate,
)
from protocol.topology.transactions import Operation
from tests.protocol.topology.support import (
    GENESIS_AT,
    World,
    encryption_key,
    participant,
    party,
    signing_key,
    tx,
)

E = TypeVar("E", bound=TopologyRejectedError)
T1 = Timestamp(GENESIS_AT + 10_000_000)


def accepted(outcome: Outcome) -> Accepted:
    assert isinstance(outcome, Accepted), outcome
    return outcome


def rejected(outcome: Outcome, kind: type[E]) -> E:
    assert isinstance(outcome, Rejected), outcome
    assert type(outcome.reason) is kind, outcome.reason
    assert outcome.reason.code == kind.code
    return outcome.reason  # type: ignore[return-value]


def onboard(world: World, p: TopologyProcessor, name: str, at: int = T1):  # type: ignore[no-untyped-def]
    node = participant(name)
    for signed in world.onboarding(node):
        accepted(p.process(signed, Timestamp(at)))
    return node


# -- serials ---------------------------------------------------------------------------------


def test_first_serial_must_be_one(world: World) -> None:
    p = world.processor()
    node = participant("p1")
    accepted(p.process(root_certificate(node.root), T1))
    err = rejected(
        p.process(add_mapping(node.keys_mapping(), [node.root, node.signing], serial=2), T1),
        SerialMismatchError,
    )
    assert (err.expected, err.got, err.unique_key) == (1, 2, f"OwnerToKeyMapping/{node.member}")


def test_serial_rises_by_exactly_one_across_replace_remove_and_re_add(world: World) -> None:
    p = world.processor()
    node = onboard(world, p, "p1")
    vetted = VettedPackages(node.member, ("a" * 64,))
    accepted(p.process(tx(Operation.ADD, 1, vetted, [node.root]), T1))
    newer = VettedPackages(node.member, ("a" * 64, "b" * 64))
    for wrong in (1, 3):
        err = rejected(
            p.process(tx(Operation.REPLACE, wrong, newer, [node.root]), T1), SerialMismatchError
        )
        assert (err.expected, err.got) == (2, wrong)
    accepted(p.process(tx(Operation.REPLACE, 2, newer, [node.root]), T1))
    accepted(p.process(tx(Operation.REMOVE, 3, newer, [node.root]), T1))
    # the very first ADD again is a replay; a new ADD must continue the count
    rejected(p.process(tx(Operation.ADD, 1, vetted, [node.root]), T1), DuplicateTransactionError)
    err = rejected(p.process(tx(Operation.ADD, 2, vetted, [node.root]), T1), SerialMismatchError)
    assert (err.expected, err.got) == (4, 2)
    accepted(p.process(tx(Operation.ADD, 4, vetted, [node.root]), T1))


def test_replace_and_remove_need_an_active_mapping(world: World) -> None:
    p = world.processor()
    node = onboard(world, p, "p1")
    vetted = VettedPackages(node.member, ())
    rejected(p.process(tx(Operation.REPLACE, 1, vetted, [node.root]), T1), MappingNotFoundError)
    rejected(p.process(tx(Operation.REMOVE, 1, vetted, [node.root]), T1), MappingNotFoundError)
    accepted(p.process(tx(Operation.ADD, 1, vetted, [node.root]), T1))
    other = VettedPackages(node.member, ("c" * 64,))
    err = rejected(p.process(tx(Operation.REMOVE, 2, other, [node.root]), T1), MappingNotFoundError)
    assert "active mapping's content" in err.detail


# -- duplicates ------------------------------------------------------------------------------


def test_duplicate_onboarding_is_refused(world: World) -> None:
    p = world.processor()
    node = onboard(world, p, "p1")
    fresh_keys = OwnerToKeyMapping(
        node.member, signing_key("other").public_key, encryption_key("o").public_key
    )
    err = rejected(
        p.process(add_mapping(fresh_keys, [node.root, signing_key("other")]), T1),
        MappingExistsError,
    )
    assert err.active_serial == 1
    assert err.unique_key == f"OwnerToKeyMapping/{node.member}"


def test_replaying_an_accepted_transaction_is_a_duplicate(world: World) -> None:
    p = world.processor()
    node = participant("p1")
    cert = root_certificate(node.root)
    accepted(p.process(cert, T1))
    err = rejected(p.process(cert, T1), DuplicateTransactionError)
    assert err.transaction_hash == cert.hash().to_multihash()


# -- authorization ---------------------------------------------------------------------------


def test_signature_by_an_unrelated_key_is_unauthorized(world: World) -> None:
    p = world.processor()
    node = onboard(world, p, "p1")
    stranger = signing_key("stranger")
    err = rejected(
        p.process(tx(Operation.ADD, 1, VettedPackages(node.member, ()), [stranger]), T1),
        UnauthorizedError,
    )
    assert err.signer == stranger.fingerprint


def test_signature_that_does_not_verify_is_refused(world: World) -> None:
    p = world.processor()
    node = onboard(world, p, "p1")
    good = tx(Operation.ADD, 1, VettedPackages(node.member, ()), [node.root])
    (sig,) = good.signatures
    forged = Signature(sig.signer, bytes(64))
    bad = SignedTopologyTransaction(good.transaction, frozenset({forged}))
    err = rejected(p.process(bad, T1), InvalidSignatureError)
    assert err.signer == node.root.fingerprint
    # a valid signature over another transaction does not verify here either
    other = tx(Operation.ADD, 1, VettedPackages(node.member, ("d" * 64,)), [node.root])
    moved = SignedTopologyTransaction(good.transaction, other.signatures)
    rejected(p.process(moved, T1), InvalidSignatureError)


def test_unknown_namespace(world: World) -> None:
    p = world.processor()
    node = participant("p1")  # its root certificate is never sent
    err = rejected(
        p.process(add_mapping(node.keys_mapping(), [node.root, node.signing]), T1),
        UnknownNamespaceError,
    )
    assert err.namespace == node.namespace


def test_mapping_for_another_domain(world: World) -> None:
    p = world.processor()
    other = make_domain_id("elsewhere", world.domain.split("::")[1])  # type: ignore[arg-type]
    params = DomainParameters.defaults(other)
    err = rejected(
        p.process(tx(Operation.REPLACE, 2, params, [world.domain_key]), T1), WrongDomainError
    )
    assert (err.expected, err.got) == (world.domain, other)


def test_owner_to_key_mapping_needs_proof_of_possession(world: World) -> None:
    p = world.processor()
    node = participant("p1")
    accepted(p.process(root_certificate(node.root), T1))
    without = add_mapping(node.keys_mapping(), [node.root])
    err = rejected(p.process(without, T1), UnauthorizedError)
    assert err.missing == (f"key {node.signing.fingerprint}",)


def test_authorization_chain_through_delegations_and_their_removal(world: World) -> None:
    p = world.processor()
    node = onboard(world, p, "p1")
    ns = node.namespace
    k1, k2 = signing_key("k1"), signing_key("k2")
    d1 = NamespaceDelegation(ns, k1.public_key, is_root_delegation=True)
    d2 = NamespaceDelegation(ns, k2.public_key, is_root_delegation=False)
    accepted(p.process(tx(Operation.ADD, 1, d1, [node.root]), T1))
    accepted(p.process(tx(Operation.ADD, 1, d2, [k1]), T1))  # k1 may delegate
    assert set(p.head.keys_of(ns)) == {node.root.fingerprint, k1.fingerprint, k2.fingerprint}

    # k2 (not a root delegation) signs ordinary mappings of the namespace ...
    accepted(p.process(tx(Operation.ADD, 1, VettedPackages(node.member, ()), [k2]), T1))
    # ... but no further delegation
    k3 = signing_key("k3")
    d3 = NamespaceDelegation(ns, k3.public_key, is_root_delegation=False)
    err = rejected(p.process(tx(Operation.ADD, 1, d3, [k2]), T1), UnauthorizedError)
    assert err.signer == k2.fingerprint

    # removing k1's delegation also cuts k2, which was only reachable through it
    accepted(p.process(tx(Operation.REMOVE, 2, d1, [node.root]), T1))
    assert set(p.head.keys_of(ns)) == {node.root.fingerprint}
    err = rejected(
        p.process(tx(Operation.REPLACE, 2, VettedPackages(node.member, ("e" * 64,)), [k2]), T1),
        UnauthorizedError,
    )
    assert err.signer == k2.fingerprint


def test_root_certificate_must_be_signed_by_its_own_key(world: World) -> None:
    p = world.processor()
    node = participant("p1")
    cert = root_certificate(node.root).transaction
    forged = tx(cert.operation, 1, cert.mapping, [signing_key("x")])
    err = rejected(p.process(forged, T1), UnauthorizedError)
    assert err.signer == signing_key("x").fingerprint


# -- proposals -------------------------------------------------------------------------------


def test_party_on_two_participants_merges_two_proposals(world: World) -> None:
    p = world.processor()
    p1, p2 = onboard(world, p, "p1"), onboard(world, p, "p2")
    alice = party("alice", p1)  # the party lives in p1's namespace
    hosting = PartyToParticipant(
        alice,  # type: ignore[arg-type]
        threshold=2,
        participants=(
            HostingParticipant(p2.member, ParticipantPermission.CONFIRMATION),
            HostingParticipant(p1.member, ParticipantPermission.SUBMISSION),
        ),
    )
    assert [h.participant for h in hosting.participants] == sorted([p1.member, p2.member])

    # sent as a plain transaction with only p1's signature: refused, naming what is missing
    err = rejected(p.process(tx(Operation.ADD, 1, hosting, [p1.root]), T1), UnauthorizedError)
    assert err.missing == (f"namespace {p2.namespace}",)

    first = p.process(tx(Operation.ADD, 1, hosting, [p1.root], proposal=True), T1)
    assert isinstance(first, Proposed) and first.missing == (f"namespace {p2.namespace}",)
    assert len(p.pending_proposals()) == 1
    # the same proposal again adds nothing
    rejected(
        p.process(tx(Operation.ADD, 1, hosting, [p1.root], proposal=True), T1),
        DuplicateTransactionError,
    )
    assert p.snapshot_at(Timestamp(T1 + 10_000_000)).party_hosting(alice) is None  # type: ignore[arg-type]

    second = accepted(
        p.process(tx(Operation.ADD, 1, hosting, [p2.root], proposal=True), Timestamp(T1 + 1))
    )
    assert second.record.signed.signers == {p1.root.fingerprint, p2.root.fingerprint}
    assert not second.record.signed.is_proposal
    assert p.pending_proposals() == ()
    snap = p.snapshot_at(Timestamp(T1 + 10_000_000))
    assert snap.party_hosting(alice) == hosting  # type: ignore[arg-type]
    assert [h.participant for h in snap.active_hosts(alice)] == sorted([p1.member, p2.member])  # type: ignore[arg-type]


def test_removing_a_party_needs_only_the_party_namespace(world: World) -> None:
    p = world.processor()
    p1, p2 = onboard(world, p, "p1"), onboard(world, p, "p2")
    bob = party("bob", p1)
    hosting = PartyToParticipant(
        bob, 1, (HostingParticipant(p2.member, ParticipantPermission.CONFIRMATION),)
    )  # type: ignore[arg-type]
    accepted(p.process(tx(Operation.ADD, 1, hosting, [p1.root, p2.root]), T1))
    accepted(p.process(tx(Operation.REMOVE, 2, hosting, [p1.root]), T1))


def test_stale_proposals_are_dropped_when_the_serial_moves_on(world: World) -> None:
    p = world.processor()
    p1, p2 = onboard(world, p, "p1"), onboard(world, p, "p2")
    carol = party("carol", p1)
    both = PartyToParticipant(carol, 1, (  # type: ignore[arg-type]
        HostingParticipant(p1.member, ParticipantPermission.SUBMISSION),
        HostingParticipant(p2.member, ParticipantPermission.SUBMISSION),
    ))  # fmt: skip
    only_p1 = PartyToParticipant(
        carol, 1, (HostingParticipant(p1.member, ParticipantPermission.SUBMISSION),)
    )  # type: ignore[arg-type]
    proposal = p.process(tx(Operation.ADD, 1, both, [p1.root], proposal=True), T1)
    assert isinstance(proposal, Proposed)
    done = accepted(p.process(tx(Operation.ADD, 1, only_p1, [p1.root]), T1))
    assert done.dropped_proposals == (proposal.proposal.transaction_hash,)
    assert p.pending_proposals() == ()
    err = rejected(
        p.process(tx(Operation.ADD, 1, both, [p2.root], proposal=True), T1), MappingExistsError
    )
    assert err.active_serial == 1


def test_signatures_of_a_proposal_stop_counting_when_their_key_is_cut(world: World) -> None:
    p = world.processor()
    p1, p2 = onboard(world, p, "p1"), onboard(world, p, "p2")
    k1 = signing_key("k1")
    d1 = NamespaceDelegation(p1.namespace, k1.public_key, is_root_delegation=False)
    accepted(p.process(tx(Operation.ADD, 1, d1, [p1.root]), T1))
    dave = party("dave", p1)
    hosting = PartyToParticipant(
        dave, 1, (HostingParticipant(p2.member, ParticipantPermission.SUBMISSION),)
    )  # type: ignore[arg-type]
    assert isinstance(p.process(tx(Operation.ADD, 1, hosting, [k1], proposal=True), T1), Proposed)
    accepted(p.process(tx(Operation.REMOVE, 2, d1, [p1.root]), T1))
    still = p.process(tx(Operation.ADD, 1, hosting, [p2.root], proposal=True), T1)
    assert isinstance(still, Proposed) and still.missing == (f"namespace {p1.namespace}",)


# -- malformed -------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"\x00" * 10, b"garbage" * 20])
def test_malformed_bytes_are_rejected_with_their_own_code(world: World, data: bytes) -> None:
    p = world.processor()
    outcome = p.process_bytes(data, T1)
    rejected(outcome, MalformedTopologyError)
    assert isinstance(outcome, Rejected) and outcome.transaction_hash is None


def test_sequencing_time_may_not_go_backwards(world: World) -> None:
    from protocol.topology import TopologyStoreError

    p = world.processor()
    with pytest.raises(TopologyStoreError, match="before the last processed"):
        p.process(root_certificate(participant("x").root), Timestamp(GENESIS_AT - 1))


def test_member_kind_is_checked_in_mappings() -> None:
    from protocol.errors import InvalidValueError

    mediator = make_member_id(MemberKind.MEDIATOR, "m", participant("p").namespace)
    with pytest.raises(InvalidValueError, match="must be a participant"):
        VettedPackages(mediator, ())
