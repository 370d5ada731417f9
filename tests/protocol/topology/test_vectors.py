"""Golden vectors: the canonical bytes and hashes of topology transactions never drift.

Every member must hash and verify the same bytes, so a change here is a protocol change:
regenerate with ``REGENERATE_VECTORS=1 pytest tests/protocol/topology/test_vectors.py`` and
say why in the commit.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from protocol.timestamp import Timestamp
from protocol.topology import (
    ProposalRecord,
    StoredTransaction,
    decode_proposal_record,
    decode_signed_topology_transaction,
    decode_stored_transaction,
    encode_proposal_record,
    encode_stored_transaction,
)
from protocol.topology.transactions import Operation
from tests.protocol.topology.support import World, signing_key, tx
from tests.protocol.topology.test_encoding import all_mappings

VECTORS = Path(__file__).parents[2] / "vectors" / "topology_transactions.json"


def compute() -> dict[str, dict[str, str]]:
    world = World()
    out: dict[str, dict[str, str]] = {}
    ops = [Operation.ADD, Operation.REPLACE, Operation.REMOVE]
    for i, mapping in enumerate(all_mappings(world)):
        op = ops[i % 3] if type(mapping).__name__ != "DomainParameters" else Operation.REPLACE
        signed = tx(op, i + 1, mapping, [signing_key("a"), signing_key("b")], proposal=i % 2 == 0)
        out[type(mapping).__name__] = {
            "transaction": signed.transaction.encode().hex(),
            "hash": signed.hash().to_multihash(),
            "signed": signed.encode().hex(),
        }
    genesis = world.genesis()
    out["Genesis"] = {"hash": genesis.hash().to_multihash()}
    # The history records GetTopologyHistory serves (docs/topology.md §8).
    party = all_mappings(world)[3]  # PartyToParticipant
    proposal = tx(Operation.ADD, 1, party, [signing_key("a")], proposal=True)
    accepted = tx(Operation.ADD, 1, party, [signing_key("a"), signing_key("b")])
    stored = StoredTransaction(
        7, Timestamp(1_700_000_000_000_001), Timestamp(1_700_000_000_250_001), accepted
    )
    out["StoredTransaction"] = {"encoded": encode_stored_transaction(stored).hex()}
    record = ProposalRecord(7, Timestamp(1_700_000_000_000_000), proposal)
    out["TopologyProposalRecord"] = {"encoded": encode_proposal_record(record).hex()}
    return out


def test_topology_vectors() -> None:
    actual = compute()
    if os.environ.get("REGENERATE_VECTORS"):
        VECTORS.write_text(json.dumps(actual, indent=2, sort_keys=True) + "\n")
    expected = json.loads(VECTORS.read_text())
    assert actual == expected
    stored = decode_stored_transaction(bytes.fromhex(expected["StoredTransaction"]["encoded"]))
    assert encode_stored_transaction(stored).hex() == expected["StoredTransaction"]["encoded"]
    record = bytes.fromhex(expected["TopologyProposalRecord"]["encoded"])
    assert encode_proposal_record(decode_proposal_record(record)) == record
    for name, entry in expected.items():
        if "signed" in entry:
            decoded = decode_signed_topology_transaction(bytes.fromhex(entry["signed"]))
            assert decoded.hash().to_multihash() == entry["hash"], name
