"""Sequencer messages: round trips, strict validation, signatures and tamper detection."""

from __future__ import annotations

import pytest

from protocol.canonical import encode
from protocol.errors import (
    InvalidIdentifierError,
    InvalidValueError,
    MalformedError,
    NonCanonicalError,
    SignatureVerificationError,
    TrailingBytesError,
    TruncatedInputError,
)
from protocol.identifiers import MemberKind
from protocol.sequencer_messages import (
    MAX_MESSAGE_ID_LENGTH,
    MAX_PAYLOAD_SIZE,
    MAX_SIGNED_REQUEST_SIZE,
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
    parse_message_id,
)
from protocol.timestamp import Timestamp
from tests.protocol.support import domain, member, signing_key

P1 = member(MemberKind.PARTICIPANT, "p1")
P2 = member(MemberKind.PARTICIPANT, "p2")
MED = member(MemberKind.MEDIATOR, "mediator")


def request(payload: bytes = b"hello") -> SubmissionRequest:
    return SubmissionRequest(
        domain_id=domain(),
        sender=P1,
        message_id=MessageId("msg-1"),
        batch=Batch((Envelope.of(payload, [P2, MED]), Envelope.of(b"p1 only", [P1]))),
        max_sequencing_time=Timestamp(1_700_000_000_000_000),
    )


def test_signed_request_round_trip_and_verify() -> None:
    key = signing_key("p1")
    signed = SignedSubmissionRequest.sign(request(), key)
    data = signed.to_bytes()
    decoded = SignedSubmissionRequest.from_bytes(data)
    assert decoded == signed
    decoded.verify(key.public_key)


def test_decoded_request_keeps_its_bytes_which_are_the_canonical_encoding() -> None:
    """A decoded request answers ``to_bytes`` (what signatures cover) with its input; the
    decoder accepts only canonical input, so that is what encoding the value gives."""
    key = signing_key("p1")
    signed = SignedSubmissionRequest.sign(request(), key)
    data = signed.request.to_bytes()
    decoded = SubmissionRequest.from_bytes(data)
    assert decoded.to_bytes() == data
    assert encode(decoded.write) == data
    assert decoded == signed.request and hash(decoded) == hash(signed.request)
    for i in range(len(data)):  # every one-byte change either fails or re-encodes exactly
        for delta in (1, 0x80):
            changed = data[:i] + bytes([data[i] ^ delta]) + data[i + 1 :]
            try:
                other = SubmissionRequest.from_bytes(changed)
            except MalformedError:
                continue
            assert encode(other.write) == changed


def test_tampered_request_fails_verification() -> None:
    key = signing_key("p1")
    signed = SignedSubmissionRequest.sign(request(), key)
    forged = SignedSubmissionRequest(request(b"hellO"), signed.signature)
    with pytest.raises(SignatureVerificationError):
        forged.verify(key.public_key)
    with pytest.raises(SignatureVerificationError):
        signed.verify(signing_key("p2").public_key)


def test_recipients_encoded_as_sorted_set_independent_of_input_order() -> None:
    a = Envelope.of(b"x", [P2, MED, P1])
    b = Envelope.of(b"x", [P1, P2, MED])
    assert encode(a.write) == encode(b.write)


@pytest.mark.parametrize(
    "build",
    [
        lambda: Envelope.of(b"x", []),
        lambda: Envelope(b"x" * (MAX_PAYLOAD_SIZE + 1), frozenset([P1])),
        lambda: parse_message_id(""),
        lambda: parse_message_id("a b"),
        lambda: parse_message_id("x" * (MAX_MESSAGE_ID_LENGTH + 1)),
        lambda: Deliver(SequencerCounter(-1), Timestamp(0), P1, None, Batch(())),
        lambda: Deliver(SequencerCounter(0), Timestamp(-5), P1, None, Batch(())),
        lambda: DeliverErrorReason(DeliverErrorCode.WRONG_DOMAIN, "x" * 2000),
    ],
)
def test_constructors_validate(build: object) -> None:
    with pytest.raises(InvalidValueError):
        build()  # type: ignore[operator]


def test_invalid_recipient_is_identifier_error() -> None:
    with pytest.raises(InvalidIdentifierError):
        Envelope.of(b"x", ["not-a-member"])  # type: ignore[list-item]


def test_too_large_signed_request_refused() -> None:
    key = signing_key("p1")
    big = SubmissionRequest(
        domain(),
        P1,
        MessageId("m"),
        Batch(tuple(Envelope.of(b"x" * 60_000, [P2]) for _ in range(2))),
        Timestamp(1),
    )
    with pytest.raises(InvalidValueError) as info:
        SignedSubmissionRequest.sign(big, key).to_bytes()
    assert info.value.value > MAX_SIGNED_REQUEST_SIZE  # type: ignore[operator]


def test_decoder_is_strict() -> None:
    data = SignedSubmissionRequest.sign(request(), signing_key("p1")).to_bytes()
    with pytest.raises(TrailingBytesError):
        SignedSubmissionRequest.from_bytes(data + b"\x00")
    with pytest.raises(TruncatedInputError):
        SignedSubmissionRequest.from_bytes(data[:-1])
    with pytest.raises(NonCanonicalError):
        SubmissionRequest.from_bytes(encode(lambda w: w.tag("Deliver", 1)))


def test_decoder_rejects_unsorted_recipients() -> None:
    good = encode(Envelope.of(b"x", [P1, P2]).write)
    first, second = sorted([P1, P2])
    swapped = good.replace(first.encode(), b"\x00" * len(first)).replace(
        second.encode(), first.encode()
    )
    swapped = swapped.replace(b"\x00" * len(first), second.encode())
    from protocol.canonical import decode

    with pytest.raises(NonCanonicalError):
        decode(swapped, Envelope.read)


def test_events_round_trip_and_dispatch() -> None:
    req = request()
    deliver = Deliver(
        SequencerCounter(7), Timestamp(123), P1, MessageId("msg-1"), req.batch.for_member(P2)
    )
    assert deliver.batch.envelopes == (req.batch.envelopes[0],)
    err = DeliverError(
        SequencerCounter(8),
        Timestamp(124),
        MessageId("msg-2"),
        DeliverErrorReason(DeliverErrorCode.MAX_SEQUENCING_TIME_EXCEEDED, "too late"),
    )
    assert decode_sequenced_event(deliver.to_bytes()) == deliver
    assert decode_sequenced_event(err.to_bytes()) == err
    with pytest.raises(NonCanonicalError):
        decode_sequenced_event(req.to_bytes())
    with pytest.raises(MalformedError):
        decode_sequenced_event(b"")


def test_unknown_error_code_rejected() -> None:
    err = DeliverError(
        SequencerCounter(0),
        Timestamp(0),
        MessageId("m"),
        DeliverErrorReason(DeliverErrorCode.WRONG_DOMAIN, ""),
    ).to_bytes()
    bad = err[:-6] + b"\x00\x63" + err[-4:]  # code u16 before the empty text
    with pytest.raises(InvalidValueError):
        decode_sequenced_event(bad)


def test_authentication_challenge_round_trip() -> None:
    ch = AuthenticationChallenge(
        domain(), member(MemberKind.SEQUENCER, "seq1"), P1, bytes(32), Timestamp(99)
    )
    assert AuthenticationChallenge.from_bytes(ch.to_bytes()) == ch
    with pytest.raises(InvalidValueError):
        AuthenticationChallenge(domain(), P1, P1, bytes(31), Timestamp(99))
