"""Canonical encoding of topology transactions: round trips, one encoding per value, and
strict decoding that raises only MalformedTopologyError on any input."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.canonical import Writer, encode
from protocol.identifiers import MemberKind, make_member_id
from protocol.timestamp import Micros
from protocol.topology import (
    Admission,
    DomainParameters,
    HostingParticipant,
    MalformedTopologyError,
    MediatorDomainState,
    NamespaceDelegation,
    ParticipantDomainPermission,
    ParticipantPermission,
    PartyToParticipant,
    SequencerDomainState,
    SequencerWriter,
    SignedTopologyTransaction,
    TopologyMapping,
    TopologyTransaction,
    VettedPackages,
    decode_signed_topology_transaction,
    decode_topology_transaction,
    parse_chain_address,
)
from protocol.topology.transactions import Operation, Serial
from tests.protocol.topology.support import World, participant, party, signing_key, tx


def all_mappings(world: World) -> list[TopologyMapping]:
    p1, p2 = participant("p1"), participant("p2")
    return [
        NamespaceDelegation(p1.namespace, signing_key("k1").public_key, is_root_delegation=False),
        p1.keys_mapping(),
        ParticipantDomainPermission(
            world.domain, p1.member, ParticipantPermission.CONFIRMATION, Admission.REVOKED
        ),
        PartyToParticipant(party("alice", p1), 1, (  # type: ignore[arg-type]
            HostingParticipant(p1.member, ParticipantPermission.SUBMISSION),
            HostingParticipant(p2.member, ParticipantPermission.OBSERVATION),
        )),
        MediatorDomainState(world.domain, 1, (world.mediator.member,)),
        SequencerDomainState(world.domain, (
            SequencerWriter(world.sequencers[1].member, parse_chain_address("0x" + "AB" * 20)),
            SequencerWriter(world.sequencers[0].member, parse_chain_address("0x" + "cd" * 20)),
        )),
        VettedPackages(p1.member, ("f" * 64, "0" * 64)),
        world.parameters,
    ]  # fmt: skip


@pytest.mark.parametrize("index", range(8))
def test_every_mapping_round_trips(world: World, index: int) -> None:
    mapping = all_mappings(world)[index]
    signed = tx(Operation.ADD, 7, mapping, [signing_key("a"), signing_key("b")], proposal=True)
    data = signed.encode()
    assert decode_signed_topology_transaction(data) == signed
    assert decode_topology_transaction(signed.transaction.encode()) == signed.transaction
    # every collection is normalised, so construction order does not change the bytes
    assert decode_signed_topology_transaction(data).encode() == data


def test_collections_are_sorted_on_construction(world: World) -> None:
    seq = all_mappings(world)[5]
    assert isinstance(seq, SequencerDomainState)
    assert [s.sequencer for s in seq.sequencers] == sorted(s.sequencer for s in seq.sequencers)
    assert seq.sequencers[1].writer == "0x" + "ab" * 20  # lowercase canonical form


def test_unsorted_collection_on_the_wire_is_non_canonical(world: World) -> None:
    vetted = VettedPackages(participant("p1").member, ("0" * 64, "f" * 64))
    good = TopologyTransaction(Operation.ADD, Serial(1), vetted).encode()
    swapped = (
        good.replace(b"0" * 64, b"X" * 64)
        .replace(b"f" * 64, b"0" * 64)
        .replace(b"X" * 64, b"f" * 64)
    )
    with pytest.raises(MalformedTopologyError, match="not strictly sorted"):
        decode_topology_transaction(swapped)


def test_trailing_bytes_and_unknown_codes(world: World) -> None:
    signed = tx(Operation.ADD, 1, world.parameters, [world.domain_key])
    with pytest.raises(MalformedTopologyError, match="trailing"):
        decode_signed_topology_transaction(signed.encode() + b"\x00")
    raw = signed.transaction.encode()
    head = len(encode(lambda w: w.tag("TopologyTransaction", 1)))
    with pytest.raises(MalformedTopologyError, match="unknown operation 9"):
        decode_topology_transaction(raw[:head] + b"\x09" + raw[head + 1 :])
    with pytest.raises(MalformedTopologyError, match="unknown mapping code 99"):
        decode_topology_transaction(raw[: head + 5] + b"\x63" + raw[head + 6 :])
    with pytest.raises(MalformedTopologyError, match="serial"):
        decode_topology_transaction(raw[: head + 1] + b"\x00\x00\x00\x00" + raw[head + 5 :])


def test_rule_violations_inside_valid_bytes_are_malformed(world: World) -> None:
    p1 = participant("p1")
    # threshold 2 with one confirming participant, written by hand
    w = Writer().tag("TopologyTransaction", 1).u8(1).u32(1).u8(4)
    w.str(party("eve", p1)).u32(2)
    w.sequence(
        [HostingParticipant(p1.member, ParticipantPermission.SUBMISSION)], lambda w_, h: h.write(w_)
    )
    with pytest.raises(MalformedTopologyError, match="confirmation threshold"):
        decode_topology_transaction(bytes(w))
    # REMOVE of domain parameters
    removal = Writer().tag("TopologyTransaction", 1).u8(3).u32(2).u8(8)
    world.parameters.write(removal)
    with pytest.raises(MalformedTopologyError, match="cannot be removed"):
        decode_topology_transaction(bytes(removal))


def test_duplicate_signers_are_refused(world: World) -> None:
    from protocol.errors import InvalidValueError

    signed = tx(Operation.ADD, 1, world.parameters, [world.domain_key])
    other = tx(Operation.ADD, 1, DomainParameters.defaults(world.domain), [world.domain_key])
    with pytest.raises(InvalidValueError, match="one per signer"):
        SignedTopologyTransaction(signed.transaction, signed.signatures | other.signatures)


def test_member_kind_on_the_wire_is_checked(world: World) -> None:
    mediator = make_member_id(MemberKind.MEDIATOR, "m1", participant("p").namespace)
    w = Writer().tag("TopologyTransaction", 1).u8(1).u32(1).u8(7).str(mediator).u32(0)
    with pytest.raises(MalformedTopologyError, match="must be a participant"):
        decode_topology_transaction(bytes(w))


def test_negative_durations_are_refused(world: World) -> None:
    from protocol.errors import InvalidValueError

    with pytest.raises(InvalidValueError, match="topology change delay"):
        DomainParameters(world.domain, Micros(1), Micros(1), Micros(0), Micros(-1), 1, 0)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=600))
def test_random_bytes_raise_only_the_typed_error(data: bytes) -> None:
    for decode in (decode_signed_topology_transaction, decode_topology_transaction):
        with contextlib.suppress(MalformedTopologyError):
            decode(data)


_WORLD = World()
_VALID = [tx(Operation.ADD, 3, m, [signing_key("a")]).encode() for m in all_mappings(_WORLD)]


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(_VALID), st.data())
def test_mutated_valid_bytes_raise_only_the_typed_error(valid: bytes, data: st.DataObject) -> None:
    position = data.draw(st.integers(0, len(valid) - 1))
    replacement = data.draw(st.binary(min_size=0, max_size=8))
    mutated = valid[:position] + replacement + valid[position + 1 :]
    try:
        decoded = decode_signed_topology_transaction(mutated)
    except MalformedTopologyError:
        return
    assert decoded.encode() == mutated  # anything that decodes is canonical
