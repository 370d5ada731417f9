"""ACS commitments: order independence, sensitivity, incrementality, signatures."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.canonical import Writer
from protocol.crypto.hashing import HashPurpose
from protocol.timestamp import Timestamp
from protocol.transaction import (
    AcsCommitment,
    AcsCommitmentBuilder,
    ContractId,
    InvalidTreeError,
    MessageSignatureError,
    SignedAcsCommitment,
    compute_commitment,
)
from protocol.transaction.commitments import LTHASH_LANES, LTHASH_STATE_SIZE
from protocol.transaction.types import write_contract_id
from tests.protocol.transaction.support import DOMAIN, P1, P2, signing_key

CONTRACTS = [(ContractId(f"00{i:064x}"), f"contract {i}".encode()) for i in range(20)]


def reference_state(contracts: list[tuple[ContractId, bytes]]) -> bytes:
    """LtHash16 written the slow, obvious way: 1024 u16 lanes added mod 2**16."""
    lanes = [0] * LTHASH_LANES
    for cid, data in contracts:
        w = Writer().tag("AcsCommitmentItem", 1)
        write_contract_id(w, cid)
        item = bytes(w.bytes(data))
        prefix = int(HashPurpose.ACS_COMMITMENT).to_bytes(4, "big")
        expanded = hashlib.shake_256(prefix + item).digest(LTHASH_STATE_SIZE)
        for i in range(LTHASH_LANES):
            lanes[i] = (lanes[i] + int.from_bytes(expanded[2 * i : 2 * i + 2], "little")) % 65536
    return b"".join(v.to_bytes(2, "little") for v in lanes)


def test_state_matches_the_reference_lane_arithmetic() -> None:
    builder = AcsCommitmentBuilder()
    for cid, data in CONTRACTS:
        builder.add(cid, data)
    assert builder.state() == reference_state(CONTRACTS)


@settings(max_examples=30, deadline=None)
@given(st.permutations(CONTRACTS))
def test_commitment_is_order_independent(order: list[tuple[ContractId, bytes]]) -> None:
    assert compute_commitment(order) == compute_commitment(CONTRACTS)


@pytest.mark.parametrize("index", range(0, 20, 3))
def test_commitment_changes_when_any_contract_changes(index: int) -> None:
    base = compute_commitment(CONTRACTS)
    cid, data = CONTRACTS[index]
    changed_bytes = [*CONTRACTS[:index], (cid, data + b"!"), *CONTRACTS[index + 1 :]]
    changed_id = [*CONTRACTS[:index], (ContractId(cid + "0"), data), *CONTRACTS[index + 1 :]]
    removed = CONTRACTS[:index] + CONTRACTS[index + 1 :]
    results = {compute_commitment(x) for x in (changed_bytes, changed_id, removed)}
    assert base not in results and len(results) == 3


def test_builder_is_incremental() -> None:
    builder = AcsCommitmentBuilder()
    empty = builder.commitment()
    for cid, data in CONTRACTS:
        builder.add(cid, data)
    assert builder.commitment() == compute_commitment(CONTRACTS)
    snapshot = builder.copy()
    for cid, data in CONTRACTS[:5]:
        builder.remove(cid, data)
    assert builder.commitment() == compute_commitment(CONTRACTS[5:])
    assert snapshot.commitment() == compute_commitment(CONTRACTS)
    for cid, data in CONTRACTS[5:]:
        builder.remove(cid, data)
    assert builder.commitment() == empty and builder.state() == bytes(LTHASH_STATE_SIZE)


def test_duplicate_contract_is_rejected() -> None:
    with pytest.raises(InvalidTreeError):
        compute_commitment([CONTRACTS[0], CONTRACTS[0]])


def test_signed_commitment_round_trips_and_rejects_tampering() -> None:
    commitment = AcsCommitment(
        DOMAIN, P1, P2, Timestamp(1_000_000), Timestamp(2_000_000), compute_commitment(CONTRACTS)
    )
    signed = SignedAcsCommitment.sign(commitment, signing_key(P1))
    signed.verify(signing_key(P1).public_key)
    assert SignedAcsCommitment.from_bytes(signed.to_bytes()) == signed
    other = dataclasses.replace(commitment, commitment=compute_commitment(CONTRACTS[1:]))
    with pytest.raises(MessageSignatureError):
        dataclasses.replace(signed, commitment=other).verify(signing_key(P1).public_key)
    with pytest.raises(InvalidTreeError):
        dataclasses.replace(commitment, to_time=Timestamp(1_000_000))
    with pytest.raises(InvalidTreeError):
        dataclasses.replace(commitment, counterparty=P1)
