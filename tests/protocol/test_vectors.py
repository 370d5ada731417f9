"""Golden vectors: the canonical bytes of the sequencer messages and the on-chain batch.

Every sequencer node and member must produce and accept exactly these bytes, so a change
here is a protocol change: regenerate with
``REGENERATE_VECTORS=1 pytest tests/protocol/test_vectors.py`` and say why in the commit.
Keys come from fixed seeds (tests/protocol/support.py); Ed25519 is deterministic, so the
signatures are fixed too. Encryption is randomized, so its vector is a fixed ciphertext
that must keep decrypting to the fixed plaintext.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from protocol.batch_format import Compression, decode_batch, encode_batch
from protocol.crypto import EncryptedMessage, HashPurpose, Signature, decrypt, encrypt, hash_bytes
from protocol.identifiers import MemberKind
from protocol.sequencer_messages import (
    AuthenticationChallenge,
    Batch,
    Deliver,
    DeliverError,
    DeliverErrorCode,
    DeliverErrorReason,
    Envelope,
    MessageId,
    SequencerCounter,
    SignedSubmissionRequest,
    SubmissionRequest,
    decode_sequenced_event,
)
from protocol.timestamp import Timestamp
from tests.protocol.support import domain, encryption_key, member, signing_key

VECTORS = Path(__file__).parents[1] / "vectors" / "protocol_sequencer_messages.json"
ENCRYPTION_VECTOR = Path(__file__).parents[1] / "vectors" / "protocol_encryption.json"

P1 = member(MemberKind.PARTICIPANT, "p1")
P2 = member(MemberKind.PARTICIPANT, "p2")
MED = member(MemberKind.MEDIATOR, "mediator")
SEQ = member(MemberKind.SEQUENCER, "seq1")
TS = Timestamp(1_700_000_000_000_000)


def request() -> SubmissionRequest:
    return SubmissionRequest(
        domain_id=domain(),
        sender=P1,
        message_id=MessageId("msg-0001"),
        batch=Batch(
            (
                Envelope.of(b"\x01\x02\x03 view for p2 and mediator", [P2, MED]),
                Envelope.of(b"root hash message", [P2]),
            )
        ),
        max_sequencing_time=Timestamp(TS + 30_000_000),
    )


def compute() -> dict[str, str]:
    req = request()
    signed = SignedSubmissionRequest.sign(req, signing_key("p1"))
    deliver = Deliver(SequencerCounter(41), Timestamp(TS + 1), P1, None, req.batch.for_member(P2))
    receipt = Deliver(SequencerCounter(3), Timestamp(TS + 1), P1, req.message_id, Batch(()))
    error = DeliverError(
        SequencerCounter(4),
        Timestamp(TS + 2),
        MessageId("msg-0002"),
        DeliverErrorReason(DeliverErrorCode.MAX_SEQUENCING_TIME_EXCEEDED, "sequenced too late"),
    )
    challenge = AuthenticationChallenge(domain(), SEQ, P1, bytes(range(32)), Timestamp(TS + 60))
    return {
        "member_p1": P1,
        "domain": domain(),
        "submission_request": req.to_bytes().hex(),
        "submission_request_hash": req.hash().to_multihash(),
        "signed_submission_request": signed.to_bytes().hex(),
        "deliver_to_p2": deliver.to_bytes().hex(),
        "deliver_receipt_to_p1": receipt.to_bytes().hex(),
        "deliver_error": error.to_bytes().hex(),
        "authentication_challenge": challenge.to_bytes().hex(),
        "challenge_signature": encode_signature(signing_key("p1").sign(challenge.to_bytes())),
        "batch_uncompressed": encode_batch(TS, [signed.to_bytes()], Compression.NONE).hex(),
        "batch_zlib": encode_batch(TS, [signed.to_bytes()] * 2, Compression.ZLIB).hex(),
        "hash_purpose_sequenced_event_of_abc": hash_bytes(
            HashPurpose.SEQUENCED_EVENT, b"abc"
        ).to_multihash(),
    }


def encode_signature(sig: Signature) -> str:
    from protocol.canonical import encode

    return encode(sig.write).hex()


def _load(path: Path) -> dict[str, str]:
    data: dict[str, str] = json.loads(path.read_text())
    return data


def test_sequencer_message_vectors() -> None:
    actual = compute()
    if os.environ.get("REGENERATE_VECTORS"):
        VECTORS.write_text(json.dumps(actual, indent=2, sort_keys=True) + "\n")
    expected = _load(VECTORS)
    assert actual == expected


def test_vectors_decode_back() -> None:
    v = _load(VECTORS)
    signed = SignedSubmissionRequest.from_bytes(bytes.fromhex(v["signed_submission_request"]))
    assert signed.request == request()
    signed.verify(signing_key("p1").public_key)
    for name in ("deliver_to_p2", "deliver_receipt_to_p1", "deliver_error"):
        data = bytes.fromhex(v[name])
        assert decode_sequenced_event(data).to_bytes() == data
    for name in ("batch_uncompressed", "batch_zlib"):
        batch = decode_batch(bytes.fromhex(v[name]))
        assert batch.proposed_timestamp == TS
        assert all(r == signed for r in batch.requests)


def test_encryption_vector_still_decrypts() -> None:
    key = encryption_key("p2")
    if os.environ.get("REGENERATE_VECTORS"):
        msg = encrypt([key.public_key, encryption_key("mediator").public_key], b"view", b"ad")
        ENCRYPTION_VECTOR.write_text(
            json.dumps(
                {
                    "plaintext": b"view".hex(),
                    "associated_data": b"ad".hex(),
                    "message": msg.to_bytes().hex(),
                },
                indent=2,
            )
            + "\n"
        )
    v = _load(ENCRYPTION_VECTOR)
    msg = EncryptedMessage.from_bytes(bytes.fromhex(v["message"]))
    ad = bytes.fromhex(v["associated_data"])
    assert decrypt(key, msg, ad) == bytes.fromhex(v["plaintext"])
    assert decrypt(encryption_key("mediator"), msg, ad) == bytes.fromhex(v["plaintext"])
