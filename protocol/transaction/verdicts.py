"""Confirmation responses (step 2) and the mediator's verdict (step 3).

A confirming participant sends one :class:`ConfirmationResponse` per view it confirms, for
the confirming parties it hosts in that view, signed (:class:`SignedConfirmationResponse`).
A request it cannot even parse (a view it cannot decrypt or decode, a root hash that does
not match) gets one ``LocalReject(MALFORMED | ROOT_HASH_MISMATCH)`` response without a
view, naming every confirming party it hosts in the request as far as it knows them.

The mediator decides per request, against the topology at the request time:

* **Approve** when every view's threshold is reached by approving confirming parties;
* **Reject** as soon as a rejection makes some view's threshold unreachable; the verdict
  lists the rejections that caused it, per participant;
* **MediatorReject** for a request the mediator itself finds invalid (a malformed or
  unsigned informee message, a wrong confirmation policy, inconsistent root hashes);
* **Timeout** when the participant response timeout passes (in sequencer time) first.

It sends one :class:`SignedConfirmationResult` to every informee participant. Responses
and results name the domain, the request id (the request's sequencing timestamp) and the
root hash, so none can be replayed for another request. Reject codes are stable numbers
(``docs/transaction-protocol.md`` lists them); append only, never renumber.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from protocol.canonical import Reader, Writer, encode
from protocol.crypto.hashing import Hash, HashPurpose, hash_bytes
from protocol.crypto.signing import Signature, SigningPrivateKey, SigningPublicKey
from protocol.errors import SignatureVerificationError
from protocol.identifiers import (
    DomainId,
    MemberId,
    MemberKind,
    PartyId,
    member_kind,
    parse_domain_id,
    parse_party_id,
    read_domain_id,
    read_member_id,
    read_party_id,
    write_domain_id,
    write_member_id,
    write_party_id,
)
from protocol.transaction.errors import (
    InvalidTreeError,
    MalformedTransactionMessageError,
    MessageSignatureError,
)
from protocol.transaction.types import (
    RequestId,
    RootHash,
    ViewHash,
    ViewPosition,
    decode_strict,
    read_enum,
    read_request_id,
    read_root_hash,
    read_view_hash,
    read_view_position,
    view_position,
    write_request_id,
    write_view_position,
)

MAX_REASON_LENGTH = 1_024
MAX_CONFIRMING_PARTIES = 1_024
MAX_REJECT_REASONS = 1_024
MAX_RESPONSE_SIZE = 256 * 1024
MAX_RESULT_SIZE = 1024 * 1024


class LocalRejectCode(enum.IntEnum):
    """Why a participant rejects a view. Append only; never renumber."""

    MALFORMED = 1
    """A view that cannot be decrypted or decoded, or breaks a structural rule."""
    ROOT_HASH_MISMATCH = 2
    """A view that does not belong to the request's root hash (or the request's root hash
    messages disagree): contents other than what the mediator saw."""
    MODEL_CONFORMANCE = 3
    """Re-interpretation of the action gives another result than the view states."""
    AUTHORIZATION = 4
    """An action lacks the authorization of a required authorizer (forged authority)."""
    CONTRACT_NOT_ACTIVE = 5
    """An input contract is unknown, archived, or not the contract the view states."""
    CONTRACT_LOCKED = 6
    """An input contract is locked by an earlier pending request (pessimistic rejection)."""
    KEY_CONFLICT = 7
    """A contract key lookup or creation disagrees with the key state."""
    LEDGER_TIME_OUT_OF_BOUNDS = 8
    """The ledger time is too far from the request's sequencing time."""
    PACKAGE_NOT_VETTED = 9
    """The action uses a package this participant has not vetted."""
    TOPOLOGY = 10
    """Informees, hosting or the confirmation policy disagree with the topology."""


class MediatorRejectCode(enum.IntEnum):
    """Why the mediator rejects a request on its own. Append only; never renumber."""

    MALFORMED_REQUEST = 1
    """The informee message cannot be decoded, or its tree breaks a rule."""
    INVALID_SIGNATURE = 2
    """The informee or root hash message is not signed by the submitting participant."""
    ROOT_HASH_MISMATCH = 3
    """Root hash messages missing, or not matching the informee tree."""
    WRONG_CONFIRMATION_POLICY = 4
    """Informee weights or thresholds differ from those the topology gives."""
    INVALID_SUBMITTER = 5
    """The submitting participant may not submit for the act-as parties."""
    MAX_SEQUENCING_TIME_EXCEEDED = 6
    """The request was sequenced after its ``max_sequencing_time``."""


def _reason(text: str) -> str:
    if not isinstance(text, str) or len(text) > MAX_REASON_LENGTH:
        raise InvalidTreeError("reason", text, f"a str of at most {MAX_REASON_LENGTH} chars")
    return text


def _verify(message: str, key: SigningPublicKey, content: bytes, signature: Signature) -> None:
    try:
        key.verify(content, signature)
    except SignatureVerificationError as exc:
        raise MessageSignatureError(message, exc.signer, exc.expected_signer, exc.detail) from None


# -- local verdicts -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LocalApprove:
    """The participant approves the view for its confirming parties."""


@dataclass(frozen=True, slots=True)
class LocalReject:
    """The participant rejects. Responses and verdicts are written to the chain in clear,
    so ``reason`` holds no ledger data: only the code's fixed phrase and the view position
    (``docs/transaction-protocol.md`` §7, "What a reason may contain"). What the check
    found stays with the rejecting participant."""

    code: LocalRejectCode
    reason: str

    def __post_init__(self) -> None:
        if not isinstance(self.code, LocalRejectCode):
            raise InvalidTreeError("local reject code", self.code, "a LocalRejectCode")
        _reason(self.reason)

    def write(self, w: Writer) -> None:
        w.u8(self.code).str(self.reason)

    @classmethod
    def read(cls, r: Reader) -> LocalReject:
        return cls(read_enum(r, LocalRejectCode, "local reject code"), r.str())


LocalVerdict = LocalApprove | LocalReject

_APPROVE = 1
_REJECT = 2
_MEDIATOR_REJECT = 3
_TIMEOUT = 4


def _write_local_verdict(w: Writer, verdict: LocalVerdict) -> None:
    if isinstance(verdict, LocalApprove):
        w.u8(_APPROVE)
    else:
        w.u8(_REJECT)
        verdict.write(w)


def _read_local_verdict(r: Reader) -> LocalVerdict:
    start = r.offset
    kind = r.u8()
    if kind == _APPROVE:
        return LocalApprove()
    if kind == _REJECT:
        return LocalReject.read(r)
    raise MalformedTransactionMessageError(r.what, f"unknown local verdict {kind}", start)


# -- responses ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConfirmationResponse:
    """A participant's answer for one view of one request (module docstring)."""

    domain: DomainId
    request_id: RequestId
    sender: MemberId
    """The confirming participant; must be the signer."""
    view_position: ViewPosition | None
    """The view answered; None only for a MALFORMED/ROOT_HASH_MISMATCH rejection."""
    view_hash: ViewHash | None
    """The hash of that view; present exactly when ``view_position`` is."""
    verdict: LocalVerdict
    confirming_parties: frozenset[PartyId]
    """The parties hosted by ``sender`` on whose behalf it answers."""
    root_hash: RootHash

    TAG = ("ConfirmationResponse", 1)

    def __post_init__(self) -> None:
        parse_domain_id(self.domain)
        if member_kind(self.sender) is not MemberKind.PARTICIPANT:
            raise InvalidTreeError("response sender", self.sender, "a participant id")
        if (self.view_position is None) != (self.view_hash is None):
            raise InvalidTreeError("response view", self.view_position, "position with hash")
        if self.view_position is not None:
            view_position(self.view_position)
        if not isinstance(self.verdict, LocalApprove | LocalReject):
            raise InvalidTreeError("local verdict", self.verdict, "LocalApprove or LocalReject")
        if self.view_position is None and not (
            isinstance(self.verdict, LocalReject)
            and self.verdict.code in (LocalRejectCode.MALFORMED, LocalRejectCode.ROOT_HASH_MISMATCH)
        ):
            raise InvalidTreeError(
                "response view", None, "only MALFORMED/ROOT_HASH_MISMATCH may omit the view"
            )
        parties = self.confirming_parties
        if not isinstance(parties, frozenset) or len(parties) > MAX_CONFIRMING_PARTIES:
            raise InvalidTreeError("confirming parties", parties, "a bounded frozenset")
        if self.view_position is not None and not parties:
            raise InvalidTreeError("confirming parties", parties, "non-empty for a view")
        for party in parties:
            parse_party_id(party)

    def write(self, w: Writer) -> None:
        w.tag(*self.TAG)
        write_domain_id(w, self.domain)
        write_request_id(w, self.request_id)
        write_member_id(w, self.sender)
        w.optional(self.view_position, write_view_position)
        w.optional(self.view_hash, lambda w_, h: h.write(w_))
        _write_local_verdict(w, self.verdict)
        w.set(self.confirming_parties, write_party_id)
        self.root_hash.write(w)

    @classmethod
    def read(cls, r: Reader) -> ConfirmationResponse:
        r.expect_tag(*cls.TAG)
        domain, request_id, sender = read_domain_id(r), read_request_id(r), read_member_id(r)
        position = r.optional(read_view_position)
        view_hash = r.optional(read_view_hash)
        verdict = _read_local_verdict(r)
        parties = frozenset(r.set(read_party_id, max_count=MAX_CONFIRMING_PARTIES))
        return cls(
            domain, request_id, sender, position, view_hash, verdict, parties, read_root_hash(r)
        )

    def to_bytes(self) -> bytes:
        return encode(self.write)

    def hash(self) -> Hash:
        return hash_bytes(HashPurpose.CONFIRMATION_RESPONSE, self.to_bytes())


@dataclass(frozen=True, slots=True)
class SignedConfirmationResponse:
    """A response with its sender's signature over the response's canonical bytes."""

    response: ConfirmationResponse
    signature: Signature

    TAG = ("SignedConfirmationResponse", 1)

    @classmethod
    def sign(
        cls, response: ConfirmationResponse, key: SigningPrivateKey
    ) -> SignedConfirmationResponse:
        return cls(response, key.sign(response.to_bytes()))

    def verify(self, key: SigningPublicKey) -> None:
        """Raise :class:`MessageSignatureError` unless ``key`` (``response.sender``'s signing
        key from topology at the request time) signed this response."""
        _verify("ConfirmationResponse", key, self.response.to_bytes(), self.signature)

    def write(self, w: Writer) -> None:
        w.tag(*self.TAG)
        self.response.write(w)
        self.signature.write(w)

    @classmethod
    def read(cls, r: Reader) -> SignedConfirmationResponse:
        r.expect_tag(*cls.TAG)
        return cls(ConfirmationResponse.read(r), Signature.read(r))

    def to_bytes(self) -> bytes:
        return encode(self.write)

    @classmethod
    def from_bytes(cls, data: bytes) -> SignedConfirmationResponse:
        """Decode; raises only :class:`MalformedTransactionMessageError`."""
        return decode_strict(data, cls.read, "confirmation response", MAX_RESPONSE_SIZE)


# -- verdicts -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Approve:
    """Every view reached its threshold: commit."""


@dataclass(frozen=True, slots=True)
class RejectReason:
    """One participant's rejection, as the mediator received it."""

    participant: MemberId
    parties: frozenset[PartyId]
    reject: LocalReject

    def __post_init__(self) -> None:
        if member_kind(self.participant) is not MemberKind.PARTICIPANT:
            raise InvalidTreeError("rejecting participant", self.participant, "a participant")
        if not isinstance(self.parties, frozenset) or len(self.parties) > MAX_CONFIRMING_PARTIES:
            raise InvalidTreeError("rejecting parties", self.parties, "a bounded frozenset")
        for party in self.parties:
            parse_party_id(party)

    def write(self, w: Writer) -> None:
        write_member_id(w, self.participant)
        w.set(self.parties, write_party_id)
        self.reject.write(w)

    @classmethod
    def read(cls, r: Reader) -> RejectReason:
        participant = read_member_id(r)
        parties = frozenset(r.set(read_party_id, max_count=MAX_CONFIRMING_PARTIES))
        return cls(participant, parties, LocalReject.read(r))


@dataclass(frozen=True, slots=True)
class Reject:
    """Some view can no longer reach its threshold: roll back. ``reasons`` are the
    rejections that decided it, sorted by participant."""

    reasons: tuple[RejectReason, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.reasons, tuple) or not 1 <= len(self.reasons) <= MAX_REJECT_REASONS:
            raise InvalidTreeError("reject reasons", self.reasons, f"1..{MAX_REJECT_REASONS}")
        participants = [r.participant for r in self.reasons]
        if participants != sorted(participants):
            raise InvalidTreeError("reject reasons", participants, "sorted by participant")


@dataclass(frozen=True, slots=True)
class MediatorReject:
    """The mediator found the request itself invalid: roll back. ``reason`` is public:
    the code's fixed phrase (and a view position), never what failed."""

    code: MediatorRejectCode
    reason: str

    def __post_init__(self) -> None:
        if not isinstance(self.code, MediatorRejectCode):
            raise InvalidTreeError("mediator reject code", self.code, "a MediatorRejectCode")
        _reason(self.reason)


@dataclass(frozen=True, slots=True)
class Timeout:
    """The participant response timeout passed before a decision: roll back."""


Verdict = Approve | Reject | MediatorReject | Timeout


def _write_verdict(w: Writer, verdict: Verdict) -> None:
    if isinstance(verdict, Approve):
        w.u8(_APPROVE)
    elif isinstance(verdict, Reject):
        w.u8(_REJECT).sequence(verdict.reasons, lambda w_, r: r.write(w_))
    elif isinstance(verdict, MediatorReject):
        w.u8(_MEDIATOR_REJECT).u8(verdict.code).str(verdict.reason)
    else:
        w.u8(_TIMEOUT)


def _read_verdict(r: Reader) -> Verdict:
    start = r.offset
    kind = r.u8()
    if kind == _APPROVE:
        return Approve()
    if kind == _REJECT:
        return Reject(tuple(r.sequence(RejectReason.read, max_count=MAX_REJECT_REASONS)))
    if kind == _MEDIATOR_REJECT:
        return MediatorReject(read_enum(r, MediatorRejectCode, "mediator reject code"), r.str())
    if kind == _TIMEOUT:
        return Timeout()
    raise MalformedTransactionMessageError(r.what, f"unknown verdict {kind}", start)


@dataclass(frozen=True, slots=True)
class ConfirmationResult:
    """The mediator's verdict on one request."""

    domain: DomainId
    request_id: RequestId
    root_hash: RootHash
    mediator: MemberId
    """The deciding mediator; must be the signer."""
    verdict: Verdict

    TAG = ("ConfirmationResult", 1)

    def __post_init__(self) -> None:
        parse_domain_id(self.domain)
        if member_kind(self.mediator) is not MemberKind.MEDIATOR:
            raise InvalidTreeError("mediator", self.mediator, "a mediator id")
        if not isinstance(self.verdict, Approve | Reject | MediatorReject | Timeout):
            raise InvalidTreeError("verdict", self.verdict, "a Verdict")

    @property
    def is_approved(self) -> bool:
        return isinstance(self.verdict, Approve)

    def write(self, w: Writer) -> None:
        w.tag(*self.TAG)
        write_domain_id(w, self.domain)
        write_request_id(w, self.request_id)
        self.root_hash.write(w)
        write_member_id(w, self.mediator)
        _write_verdict(w, self.verdict)

    @classmethod
    def read(cls, r: Reader) -> ConfirmationResult:
        r.expect_tag(*cls.TAG)
        domain, request_id, root_hash = read_domain_id(r), read_request_id(r), read_root_hash(r)
        return cls(domain, request_id, root_hash, read_member_id(r), _read_verdict(r))

    def to_bytes(self) -> bytes:
        return encode(self.write)

    def hash(self) -> Hash:
        return hash_bytes(HashPurpose.MEDIATOR_VERDICT, self.to_bytes())


@dataclass(frozen=True, slots=True)
class SignedConfirmationResult:
    """The verdict with the mediator's signature: Canton's ``ConfirmationResultMessage``."""

    result: ConfirmationResult
    signature: Signature

    TAG = ("SignedConfirmationResult", 1)

    @classmethod
    def sign(cls, result: ConfirmationResult, key: SigningPrivateKey) -> SignedConfirmationResult:
        return cls(result, key.sign(result.to_bytes()))

    def verify(self, key: SigningPublicKey) -> None:
        """Raise :class:`MessageSignatureError` unless ``key`` (``result.mediator``'s signing
        key from topology at the request time) signed this verdict."""
        _verify("ConfirmationResult", key, self.result.to_bytes(), self.signature)

    def write(self, w: Writer) -> None:
        w.tag(*self.TAG)
        self.result.write(w)
        self.signature.write(w)

    @classmethod
    def read(cls, r: Reader) -> SignedConfirmationResult:
        r.expect_tag(*cls.TAG)
        return cls(ConfirmationResult.read(r), Signature.read(r))

    def to_bytes(self) -> bytes:
        return encode(self.write)

    @classmethod
    def from_bytes(cls, data: bytes) -> SignedConfirmationResult:
        """Decode; raises only :class:`MalformedTransactionMessageError`."""
        return decode_strict(data, cls.read, "confirmation result", MAX_RESULT_SIZE)
