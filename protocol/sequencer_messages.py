"""What members send to the sequencer and what it delivers back (Canton's sequencer API).

A member sends a :class:`SignedSubmissionRequest`; every sequencer node derives, from the
chain alone, the same :data:`SequencedEvent` stream for every member: a :class:`Deliver`
to each recipient (with only the envelopes addressed to it, and the ``message_id`` only in
the sender's own receipt) or a :class:`DeliverError` to the sender alone.

Size bounds (every field is bounded, so a decoder never allocates more than the input
justifies):

==================================  ===========  ==================================================
constant                            value        meaning
==================================  ===========  ==================================================
``MAX_MESSAGE_ID_LENGTH``           128          printable ASCII characters of a message id
``MAX_PAYLOAD_SIZE``                118_000      bytes of one envelope payload
``MAX_RECIPIENTS``                  1_024        members in one envelope's recipient set
``MAX_ENVELOPES``                   1_024        envelopes in one batch
``MAX_SIGNED_REQUEST_SIZE``         119_000      encoded signed submission request; one always
                                                 fits a 120_000-byte on-chain batch on its own
``MAX_ERROR_MESSAGE_LENGTH``        1_024        characters of a DeliverError's text
==================================  ===========  ==================================================

Sequenced events are **not signed by the sequencer**. Their authority is the chain: every
event is a deterministic function of the ordering contract's public log, any member can
re-derive it, and two sequencer nodes must give byte-identical streams, which per-node
signatures would break. Members reach sequencers over authenticated gRPC; everything a
member must prove to another member (confirmations, verdicts, topology) is signed by that
member inside the payload.

A :class:`SubmissionRequest` names its domain so that a signed request cannot be replayed
on another domain where the sender holds the same key. Within one domain, replay is bounded
by ``max_sequencing_time`` (past it, a request yields only a DeliverError) together with
deduplication of ``(sender, message_id)`` until then.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NewType

from protocol.canonical import MAX_U64, Reader, Writer, decode, encode
from protocol.crypto.hashing import Hash, HashPurpose, hash_bytes
from protocol.crypto.signing import (
    Signature,
    SignatureCache,
    SigningPrivateKey,
    SigningPublicKey,
)
from protocol.errors import InvalidValueError, NonCanonicalError
from protocol.identifiers import (
    DomainId,
    MemberId,
    parse_domain_id,
    parse_member_id,
    read_domain_id,
    read_member_id,
    write_domain_id,
    write_member_id,
)
from protocol.timestamp import Timestamp, read_timestamp, timestamp, write_timestamp

MAX_MESSAGE_ID_LENGTH = 128
MAX_PAYLOAD_SIZE = 118_000
MAX_RECIPIENTS = 1_024
MAX_ENVELOPES = 1_024
MAX_SIGNED_REQUEST_SIZE = 119_000
MAX_ERROR_MESSAGE_LENGTH = 1_024
AUTH_NONCE_SIZE = 32

MessageId = NewType("MessageId", str)
"""Chosen by the sender, unique per sender within the deduplication window:
1..128 printable ASCII characters (0x21-0x7e)."""

SequencerCounter = NewType("SequencerCounter", int)
"""Position of an event in one member's stream: 0, 1, 2, ... with no gaps (``u64``)."""


def parse_message_id(text: str) -> MessageId:
    if not isinstance(text, str):
        raise InvalidValueError("message id", text, "must be a str")
    if not 1 <= len(text) <= MAX_MESSAGE_ID_LENGTH:
        raise InvalidValueError("message id", text, f"must be 1..{MAX_MESSAGE_ID_LENGTH} chars")
    if not all("\x21" <= c <= "\x7e" for c in text):
        raise InvalidValueError("message id", text, "must be printable ASCII without spaces")
    return MessageId(text)


def sequencer_counter(value: int) -> SequencerCounter:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_U64:
        raise InvalidValueError("sequencer counter", value, "must be an int in [0, 2**64)")
    return SequencerCounter(value)


def _check_timestamp(what: str, value: object) -> None:
    try:
        timestamp(value)  # type: ignore[arg-type]
    except InvalidValueError as exc:
        raise InvalidValueError(what, value, exc.rule) from None


@dataclass(frozen=True, slots=True)
class Envelope:
    """An opaque payload and the members it is addressed to."""

    payload: bytes
    """Opaque to the sequencer; encrypted by the sender wherever it carries ledger data."""

    recipients: frozenset[MemberId]
    """The members that receive this envelope; never empty."""

    def __post_init__(self) -> None:
        if not isinstance(self.payload, bytes) or len(self.payload) > MAX_PAYLOAD_SIZE:
            raise InvalidValueError(
                "envelope payload", type(self.payload), f"bytes of at most {MAX_PAYLOAD_SIZE}"
            )
        if not isinstance(self.recipients, frozenset):
            raise InvalidValueError("recipients", self.recipients, "must be a frozenset")
        if not 1 <= len(self.recipients) <= MAX_RECIPIENTS:
            raise InvalidValueError(
                "recipients", len(self.recipients), f"must have 1..{MAX_RECIPIENTS} members"
            )
        for member in self.recipients:
            parse_member_id(member)

    @classmethod
    def of(cls, payload: bytes, recipients: Iterable[MemberId]) -> Envelope:
        return cls(payload, frozenset(recipients))

    def write(self, w: Writer) -> None:
        w.bytes(self.payload)
        w.set(self.recipients, write_member_id)

    @classmethod
    def read(cls, r: Reader) -> Envelope:
        payload = r.bytes()
        return cls(payload, frozenset(r.set(read_member_id, max_count=MAX_RECIPIENTS)))


@dataclass(frozen=True, slots=True)
class Batch:
    """Envelopes sent together. May be empty (a request with no envelopes serves as a time
    proof: the sender's receipt carries the sequencing time)."""

    envelopes: tuple[Envelope, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.envelopes, tuple):
            raise InvalidValueError("batch", self.envelopes, "envelopes must be a tuple")
        if len(self.envelopes) > MAX_ENVELOPES:
            raise InvalidValueError("batch", len(self.envelopes), f"at most {MAX_ENVELOPES}")

    @property
    def all_recipients(self) -> frozenset[MemberId]:
        return frozenset().union(*(e.recipients for e in self.envelopes))

    def for_member(self, member: MemberId) -> Batch:
        """The envelopes addressed to ``member``, in order, with their full recipient sets."""
        return Batch(tuple(e for e in self.envelopes if member in e.recipients))

    def write(self, w: Writer) -> None:
        w.sequence(self.envelopes, lambda w, e: e.write(w))

    @classmethod
    def read(cls, r: Reader) -> Batch:
        return cls(tuple(r.sequence(Envelope.read, max_count=MAX_ENVELOPES)))


@dataclass(frozen=True, slots=True)
class SubmissionRequest:
    """A member's request to sequence a batch."""

    domain_id: DomainId
    """The domain this request is for; a sequencer of another domain rejects it."""

    sender: MemberId
    """The member sending, whose protocol key signs the request."""

    message_id: MessageId
    """Sender-chosen id, echoed only in the sender's receipt (Deliver or DeliverError)."""

    batch: Batch
    """The envelopes to deliver."""

    max_sequencing_time: Timestamp
    """If the request is sequenced after this time, it yields a DeliverError instead."""

    _encoding: bytes | None = field(default=None, init=False, repr=False, compare=False)
    """The canonical bytes, kept once known: what the signature covers, asked for at
    every verification. A decoded request keeps its input, which is its canonical
    encoding because the decoder accepts nothing else (``protocol.canonical``)."""

    TAG = ("SubmissionRequest", 1)

    def __post_init__(self) -> None:
        parse_domain_id(self.domain_id)
        parse_member_id(self.sender)
        parse_message_id(self.message_id)
        if not isinstance(self.batch, Batch):
            raise InvalidValueError("batch", self.batch, "must be a Batch")
        _check_timestamp("max_sequencing_time", self.max_sequencing_time)

    def write(self, w: Writer) -> None:
        w.tag(*self.TAG)
        write_domain_id(w, self.domain_id)
        write_member_id(w, self.sender)
        w.str(self.message_id)
        self.batch.write(w)
        write_timestamp(w, self.max_sequencing_time)

    @classmethod
    def read(cls, r: Reader) -> SubmissionRequest:
        r.expect_tag(*cls.TAG)
        return cls(
            domain_id=read_domain_id(r),
            sender=read_member_id(r),
            message_id=parse_message_id(r.str()),
            batch=Batch.read(r),
            max_sequencing_time=read_timestamp(r),
        )

    def to_bytes(self) -> bytes:
        """The canonical encoding; what the sender signs."""
        if self._encoding is None:
            object.__setattr__(self, "_encoding", encode(self.write))
        assert self._encoding is not None  # set just above
        return self._encoding

    @classmethod
    def from_bytes(cls, data: bytes) -> SubmissionRequest:
        request = decode(data, cls.read, "submission request")
        object.__setattr__(request, "_encoding", bytes(data))
        return request

    def hash(self) -> Hash:
        return hash_bytes(HashPurpose.SUBMISSION_REQUEST, self.to_bytes())


@dataclass(frozen=True, slots=True)
class SignedSubmissionRequest:
    """A submission request with the sender's Ed25519 signature over its canonical bytes.

    Encoding: tag, then the request's canonical bytes as ``bytes``, then the signature.
    The whole encoding is at most ``MAX_SIGNED_REQUEST_SIZE`` bytes.
    """

    request: SubmissionRequest
    signature: Signature

    TAG = ("SignedSubmissionRequest", 1)

    @classmethod
    def sign(cls, request: SubmissionRequest, key: SigningPrivateKey) -> SignedSubmissionRequest:
        return cls(request, key.sign(request.to_bytes()))

    def verify(
        self, key: SigningPublicKey, cache: SignatureCache | None = None, *, consume: bool = False
    ) -> None:
        """Raise :class:`~protocol.errors.SignatureVerificationError` unless ``key`` (one of
        the sender's keys, looked up by ``signature.signer``) signed this request.

        With a ``cache``, a check that already succeeded for these exact bytes, key and
        signature is not repeated (:class:`~protocol.crypto.signing.SignatureCache`);
        ``consume`` forgets it on a hit."""
        if cache is None:
            key.verify(self.request.to_bytes(), self.signature)
        else:
            cache.verify(key, self.request.to_bytes(), self.signature, consume=consume)

    def write(self, w: Writer) -> None:
        w.tag(*self.TAG)
        w.bytes(self.request.to_bytes())
        self.signature.write(w)

    @classmethod
    def read(cls, r: Reader) -> SignedSubmissionRequest:
        start = r.offset
        r.expect_tag(*cls.TAG)
        request = SubmissionRequest.from_bytes(r.bytes())
        signed = cls(request, Signature.read(r))
        if r.offset - start > MAX_SIGNED_REQUEST_SIZE:
            raise NonCanonicalError(
                "signed submission request",
                f"{r.offset - start} bytes exceed {MAX_SIGNED_REQUEST_SIZE}",
                start,
            )
        return signed

    def to_bytes(self) -> bytes:
        data = encode(self.write)
        if len(data) > MAX_SIGNED_REQUEST_SIZE:
            raise InvalidValueError(
                "signed submission request", len(data), f"at most {MAX_SIGNED_REQUEST_SIZE} bytes"
            )
        return data

    @classmethod
    def from_bytes(cls, data: bytes) -> SignedSubmissionRequest:
        return decode(data, cls.read, "signed submission request")


class DeliverErrorCode(enum.IntEnum):
    """Why a sequenced request was not delivered. Append only; never renumber."""

    MAX_SEQUENCING_TIME_EXCEEDED = 1
    """Sequenced after the request's ``max_sequencing_time``."""
    INVALID_SIGNATURE = 2
    """The signature does not verify under a key of the sender at the sequencing time."""
    UNKNOWN_SENDER = 3
    """The sender is not an active member at the sequencing time."""
    UNKNOWN_RECIPIENTS = 4
    """Some recipient is not an active member at the sequencing time."""
    DUPLICATE_MESSAGE_ID = 5
    """``(sender, message_id)`` was already sequenced within the deduplication window."""
    WRONG_DOMAIN = 6
    """The request names another domain."""


@dataclass(frozen=True, slots=True)
class DeliverErrorReason:
    """A typed code and a human-readable text (the text is informative, never parsed)."""

    code: DeliverErrorCode
    message: str

    def __post_init__(self) -> None:
        if not isinstance(self.code, DeliverErrorCode):
            raise InvalidValueError("deliver error code", self.code, "a DeliverErrorCode")
        if not isinstance(self.message, str) or len(self.message) > MAX_ERROR_MESSAGE_LENGTH:
            raise InvalidValueError(
                "deliver error message", self.message, f"at most {MAX_ERROR_MESSAGE_LENGTH} chars"
            )

    def write(self, w: Writer) -> None:
        w.u16(self.code)
        w.str(self.message)

    @classmethod
    def read(cls, r: Reader) -> DeliverErrorReason:
        raw = r.u16()
        try:
            code = DeliverErrorCode(raw)
        except ValueError:
            raise InvalidValueError("deliver error code", raw, "a known code") from None
        return cls(code, r.str())


@dataclass(frozen=True, slots=True)
class Deliver:
    """A sequenced batch, as delivered to one member."""

    counter: SequencerCounter
    """This event's position in the member's stream."""

    timestamp: Timestamp
    """The sequencing time; strictly increasing along the whole domain's order."""

    sender: MemberId
    """Who sent the request (its signature was verified by the sequencer)."""

    message_id: MessageId | None
    """The sender's message id, present only in the sender's own receipt."""

    batch: Batch
    """Only the envelopes addressed to this member (empty in a receipt to a sender that is
    not itself a recipient)."""

    TAG = ("Deliver", 1)

    def __post_init__(self) -> None:
        sequencer_counter(self.counter)
        _check_timestamp("timestamp", self.timestamp)
        parse_member_id(self.sender)
        if self.message_id is not None:
            parse_message_id(self.message_id)
        if not isinstance(self.batch, Batch):
            raise InvalidValueError("batch", self.batch, "must be a Batch")

    def write(self, w: Writer) -> None:
        w.tag(*self.TAG)
        w.u64(self.counter)
        write_timestamp(w, self.timestamp)
        write_member_id(w, self.sender)
        w.optional(self.message_id, Writer.str)
        self.batch.write(w)

    @classmethod
    def read(cls, r: Reader) -> Deliver:
        r.expect_tag(*cls.TAG)
        return cls(
            counter=SequencerCounter(r.u64()),
            timestamp=read_timestamp(r),
            sender=read_member_id(r),
            message_id=r.optional(lambda r: parse_message_id(r.str())),
            batch=Batch.read(r),
        )

    def to_bytes(self) -> bytes:
        return encode(self.write)


@dataclass(frozen=True, slots=True)
class DeliverError:
    """The receipt of a request that was sequenced but not delivered; to the sender only."""

    counter: SequencerCounter
    timestamp: Timestamp
    message_id: MessageId
    reason: DeliverErrorReason

    TAG = ("DeliverError", 1)

    def __post_init__(self) -> None:
        sequencer_counter(self.counter)
        _check_timestamp("timestamp", self.timestamp)
        parse_message_id(self.message_id)
        if not isinstance(self.reason, DeliverErrorReason):
            raise InvalidValueError("reason", self.reason, "must be a DeliverErrorReason")

    def write(self, w: Writer) -> None:
        w.tag(*self.TAG)
        w.u64(self.counter)
        write_timestamp(w, self.timestamp)
        w.str(self.message_id)
        self.reason.write(w)

    @classmethod
    def read(cls, r: Reader) -> DeliverError:
        r.expect_tag(*cls.TAG)
        return cls(
            counter=SequencerCounter(r.u64()),
            timestamp=read_timestamp(r),
            message_id=parse_message_id(r.str()),
            reason=DeliverErrorReason.read(r),
        )

    def to_bytes(self) -> bytes:
        return encode(self.write)


SequencedEvent = Deliver | DeliverError
"""One event of a member's stream."""


def encode_sequenced_event(event: SequencedEvent) -> bytes:
    return event.to_bytes()


def decode_sequenced_event(data: bytes) -> SequencedEvent:
    """Decode a Deliver or a DeliverError (told apart by their tags); raises a
    :class:`~protocol.errors.MalformedError` on anything else."""
    name = Reader(data, "sequenced event").str()
    if name == Deliver.TAG[0]:
        return decode(data, Deliver.read, "sequenced event")
    if name == DeliverError.TAG[0]:
        return decode(data, DeliverError.read, "sequenced event")
    raise NonCanonicalError("sequenced event", f"unknown event tag {name!r}", 0)


@dataclass(frozen=True, slots=True)
class AuthenticationChallenge:
    """What a member signs to prove possession of its key to a sequencer node.

    The sequencer issues a fresh random nonce with a short expiry; the member returns its
    signature over the canonical bytes. Naming the domain and the sequencer keeps a
    signature from being replayed to another node or domain.
    """

    domain_id: DomainId
    sequencer: MemberId
    """The sequencer node that issued the challenge."""
    member: MemberId
    """The member that must sign."""
    nonce: bytes
    """32 random bytes chosen by the sequencer."""
    expires_at: Timestamp
    """After this time the sequencer refuses the signed challenge."""

    TAG = ("AuthenticationChallenge", 1)

    def __post_init__(self) -> None:
        parse_domain_id(self.domain_id)
        parse_member_id(self.sequencer)
        parse_member_id(self.member)
        if not isinstance(self.nonce, bytes) or len(self.nonce) != AUTH_NONCE_SIZE:
            raise InvalidValueError("nonce", self.nonce, f"must be {AUTH_NONCE_SIZE} bytes")
        _check_timestamp("expires_at", self.expires_at)

    def write(self, w: Writer) -> None:
        w.tag(*self.TAG)
        write_domain_id(w, self.domain_id)
        write_member_id(w, self.sequencer)
        write_member_id(w, self.member)
        w.fixed(self.nonce, AUTH_NONCE_SIZE)
        write_timestamp(w, self.expires_at)

    @classmethod
    def read(cls, r: Reader) -> AuthenticationChallenge:
        r.expect_tag(*cls.TAG)
        return cls(
            read_domain_id(r),
            read_member_id(r),
            read_member_id(r),
            r.fixed(AUTH_NONCE_SIZE),
            read_timestamp(r),
        )

    def to_bytes(self) -> bytes:
        return encode(self.write)

    @classmethod
    def from_bytes(cls, data: bytes) -> AuthenticationChallenge:
        return decode(data, cls.read, "authentication challenge")
