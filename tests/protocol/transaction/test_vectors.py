"""Golden vectors: the canonical bytes and hashes of trees and messages never drift.

Changing them changes every root hash, view hash and signature on a running domain, so it
must be a deliberate, versioned decision: regenerate with
``REGENERATE_VECTORS=1 pytest tests/protocol/transaction/test_vectors.py`` and say why in
the commit. Encryption is randomised, so the encrypted view is checked by decoding the
stored bytes and decrypting them with the recipient's fixed key.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from protocol.timestamp import Timestamp
from protocol.transaction import (
    AcsCommitment,
    ConfirmationResponse,
    ConfirmationResult,
    EncryptedViewMessage,
    InformeeMessage,
    InformeeTree,
    LocalApprove,
    MediatorReject,
    MediatorRejectCode,
    RequestId,
    RootHashMessage,
    SignedAcsCommitment,
    SignedConfirmationResponse,
    SignedConfirmationResult,
    compute_commitment,
    decode_protocol_message,
    derive_salt,
)
from protocol.transaction.merkle import branch_hash, leaf_hash
from tests.protocol.transaction.support import (
    ALICE,
    DOMAIN,
    MEDIATOR,
    OLD_IOU,
    P1,
    P2,
    REQUEST_ID,
    encryption_key,
    sample_tree,
    signing_key,
)

VECTORS = Path(__file__).resolve().parents[2] / "vectors"


def sample_encodings() -> dict[str, bytes]:
    """Deterministic encodings of every tree and message kind (no encryption)."""
    full = sample_tree()
    root = full.root_hash()
    response = ConfirmationResponse(
        DOMAIN, RequestId(REQUEST_ID), P1, (0,), full.view((0,)).hash, LocalApprove(),
        frozenset({ALICE}), root,
    )  # fmt: skip
    result = ConfirmationResult(
        DOMAIN, RequestId(REQUEST_ID), root, MEDIATOR,
        MediatorReject(MediatorRejectCode.ROOT_HASH_MISMATCH, "root hash messages differ"),
    )  # fmt: skip
    commitment = AcsCommitment(
        DOMAIN, P1, P2, Timestamp(1_000_000), Timestamp(2_000_000),
        compute_commitment([(OLD_IOU, b"iou")]),
    )  # fmt: skip
    return {
        "full_tree": full.to_bytes(),
        "view_tree_0_0": full.view_tree((0, 0)).to_bytes(),
        "informee_tree": InformeeTree.of(full).to_bytes(),
        "informee_message": InformeeMessage.sign(InformeeTree.of(full), signing_key(P1)).to_bytes(),
        "root_hash_message": RootHashMessage.sign(DOMAIN, root, P1, signing_key(P1)).to_bytes(),
        "confirmation_response": SignedConfirmationResponse.sign(
            response, signing_key(P1)
        ).to_bytes(),
        "confirmation_result": SignedConfirmationResult.sign(
            result, signing_key(MEDIATOR)
        ).to_bytes(),
        "acs_commitment": SignedAcsCommitment.sign(commitment, signing_key(P1)).to_bytes(),
    }


def _check(name: str, actual: dict[str, str]) -> dict[str, str]:
    path = VECTORS / name
    if os.environ.get("REGENERATE_VECTORS") == "1":
        path.write_text(json.dumps(actual, indent=2, sort_keys=True) + "\n")
    expected: dict[str, str] = json.loads(path.read_text())
    assert actual == expected
    return expected


def test_merkle_primitives_match_golden_vectors() -> None:
    seed = bytes(range(32))
    salt = derive_salt(seed, (3, 2, 0))
    _check(
        "transaction_merkle.json",
        {
            "salt_seed_00..1f_path_3.2.0": salt.hex(),
            "leaf_hash_salt_above_content_abc": leaf_hash(salt, b"abc").to_multihash(),
            "branch_hash_label_x_children_leaf_leaf": branch_hash(
                "x", [leaf_hash(salt, b"abc"), leaf_hash(salt, b"abd")]
            ).to_multihash(),
        },
    )


def test_tree_hashes_match_golden_vectors() -> None:
    full = sample_tree()
    hashes = {"root_hash": full.root_hash().to_multihash()}
    for position, view in full.views():
        hashes["view_hash_" + ".".join(map(str, position))] = view.hash.to_multihash()
    _check("transaction_hashes.json", hashes)


def test_encodings_match_golden_vectors_and_decode_back() -> None:
    encodings = sample_encodings()
    _check("transaction_messages.json", {k: v.hex() for k, v in encodings.items()})
    for name, data in encodings.items():
        if name in ("full_tree", "view_tree_0_0", "informee_tree"):
            continue
        assert decode_protocol_message(data).to_bytes() == data  # type: ignore[union-attr]


def test_encrypted_view_vector_decrypts_with_the_fixed_key() -> None:
    full = sample_tree()
    path = VECTORS / "transaction_encrypted_view.json"
    if os.environ.get("REGENERATE_VECTORS") == "1":
        message = EncryptedViewMessage.encrypt(
            full.view_tree((0,)), [encryption_key(P1).public_key, encryption_key(P2).public_key]
        )
        path.write_text(json.dumps({"encrypted_view_0": message.to_bytes().hex()}, indent=2) + "\n")
    data = bytes.fromhex(json.loads(path.read_text())["encrypted_view_0"])
    message = EncryptedViewMessage.from_bytes(data)
    assert message.to_bytes() == data
    assert message.root_hash == full.root_hash()
    for member in (P1, P2):
        assert message.decrypt(encryption_key(member)) == full.view_tree((0,))
