"""ACS commitments: a hash of the active contracts two participants share, exchanged
periodically through the sequencer, so that a divergence is found even when no request
touches the diverging contracts.

**The hash (LtHash16, as Canton uses).** The commitment must be order-independent (two
participants add contracts in different orders and batches) and incremental (a
participant updates it on every commit and archive without rehashing the whole set). A
sorted hash is not incremental; an XOR or a sum of 256-bit hashes is, but XOR cancels a
contract added twice and both fall to linear algebra or generalized-birthday attacks
(a participant could craft a set with the same sum as another). LtHash16 (Bellare and
Micciancio's additive hash with a large lattice state, as deployed by Facebook and Canton)
keeps the additivity and the security:

* each contract ``(id, bytes)`` expands to 1024 little-endian ``u16`` lanes with
  ``SHAKE-256(u32_be(ACS_COMMITMENT) ‖ enc(tag "AcsCommitmentItem" v1, str id, bytes))``;
* the state is the lane-wise sum of all contracts' lanes modulo 2^16 (removal subtracts);
* the commitment is ``H(ACS_COMMITMENT, enc(tag "AcsCommitmentState" v1, fixed2048 state))``.

A contract set is a set: add each contract once (adding twice is not idempotent; the
caller's active contract store guarantees uniqueness). The empty set's state is all zeros.

An :class:`AcsCommitment` names the sender, the counterparty and the period
``(from_time, to_time]`` of sequencer time it covers, and is signed by the sender
(:class:`SignedAcsCommitment`); a counterparty that computes another commitment for the
same period raises the mismatch with the contracts it holds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from protocol.canonical import Reader, Writer, encode
from protocol.crypto.hashing import Hash, HashPurpose, hash_bytes
from protocol.crypto.signing import Signature, SigningPrivateKey, SigningPublicKey
from protocol.errors import SignatureVerificationError
from protocol.identifiers import (
    DomainId,
    MemberId,
    MemberKind,
    member_kind,
    parse_domain_id,
    read_domain_id,
    read_member_id,
    write_domain_id,
    write_member_id,
)
from protocol.timestamp import Timestamp, read_timestamp, timestamp, write_timestamp
from protocol.transaction.errors import InvalidTreeError, MessageSignatureError
from protocol.transaction.types import (
    ContractId,
    decode_strict,
    parse_contract_id,
    write_contract_id,
)

LTHASH_LANES = 1_024
LTHASH_LANE_BITS = 16
LTHASH_STATE_SIZE = LTHASH_LANES * LTHASH_LANE_BITS // 8
MAX_COMMITMENT_SIZE = 4 * 1024

# The state is kept as two Python ints with one 16-bit lane per 32-bit slot (even and odd
# lanes apart): a lane-wise add or subtract is then one big-int operation and a mask,
# because a lane's carry or borrow stays inside its slot's spare 16 bits.
_SLOTS = LTHASH_LANES // 2
_LANE_MASK = int.from_bytes(b"\xff\xff\x00\x00" * _SLOTS, "little")
_BORROW = int.from_bytes(b"\x00\x00\x01\x00" * _SLOTS, "little")


def _expand(contract_id: ContractId, contract: bytes) -> tuple[int, int]:
    def write(w: Writer) -> None:
        w.tag("AcsCommitmentItem", 1)
        write_contract_id(w, contract_id)
        w.bytes(contract)

    h = hashlib.shake_256(int(HashPurpose.ACS_COMMITMENT).to_bytes(4, "big") + encode(write))
    lanes = int.from_bytes(h.digest(LTHASH_STATE_SIZE), "little")
    return lanes & _LANE_MASK, (lanes >> 16) & _LANE_MASK


@dataclass(slots=True)
class AcsCommitmentBuilder:
    """The running LtHash16 state of one (participant, counterparty) contract set.

    Mutable by design: one task owns it and folds in every commit and archive.
    """

    _even: int = field(default=0, repr=False)
    _odd: int = field(default=0, repr=False)

    def add(self, contract_id: ContractId, contract: bytes) -> None:
        """Fold in a contract that became active (and shared)."""
        even, odd = _expand(parse_contract_id(contract_id), contract)
        self._even = (self._even + even) & _LANE_MASK
        self._odd = (self._odd + odd) & _LANE_MASK

    def remove(self, contract_id: ContractId, contract: bytes) -> None:
        """Take out a contract that was archived (or stopped being shared)."""
        even, odd = _expand(parse_contract_id(contract_id), contract)
        self._even = ((self._even | _BORROW) - even) & _LANE_MASK
        self._odd = ((self._odd | _BORROW) - odd) & _LANE_MASK

    def state(self) -> bytes:
        """The 2048-byte LtHash16 state (1024 little-endian ``u16`` lanes)."""
        return (self._even | (self._odd << 16)).to_bytes(LTHASH_STATE_SIZE, "little")

    def commitment(self) -> Hash:
        """The commitment hash of the current set."""
        state = self.state()
        content = encode(lambda w: w.tag("AcsCommitmentState", 1).fixed(state, LTHASH_STATE_SIZE))
        return hash_bytes(HashPurpose.ACS_COMMITMENT, content)

    def copy(self) -> AcsCommitmentBuilder:
        return AcsCommitmentBuilder(self._even, self._odd)


def compute_commitment(contracts: Iterable[tuple[ContractId, bytes]]) -> Hash:
    """The commitment of a set of ``(contract id, canonical contract bytes)``, in any order.

    Raises :class:`InvalidTreeError` on a repeated contract id (a set has each once).
    """
    builder = AcsCommitmentBuilder()
    seen: set[ContractId] = set()
    for contract_id, contract in contracts:
        if contract_id in seen:
            raise InvalidTreeError("ACS commitment", contract_id, "each contract at most once")
        seen.add(contract_id)
        builder.add(contract_id, contract)
    return builder.commitment()


@dataclass(frozen=True, slots=True)
class AcsCommitment:
    """``sender``'s commitment to the contracts it shares with ``counterparty`` at the end
    of the period ``(from_time, to_time]``."""

    domain: DomainId
    sender: MemberId
    counterparty: MemberId
    from_time: Timestamp
    to_time: Timestamp
    commitment: Hash

    TAG = ("AcsCommitment", 1)

    def __post_init__(self) -> None:
        parse_domain_id(self.domain)
        for what, member in (("sender", self.sender), ("counterparty", self.counterparty)):
            if member_kind(member) is not MemberKind.PARTICIPANT:
                raise InvalidTreeError(f"commitment {what}", member, "a participant id")
        if self.sender == self.counterparty:
            raise InvalidTreeError("commitment counterparty", self.counterparty, "not the sender")
        timestamp(self.from_time)
        timestamp(self.to_time)
        if not self.from_time < self.to_time:
            raise InvalidTreeError(
                "commitment period", (self.from_time, self.to_time), "from_time < to_time"
            )
        if not isinstance(self.commitment, Hash):
            raise InvalidTreeError("commitment", self.commitment, "a Hash")

    def write(self, w: Writer) -> None:
        w.tag(*self.TAG)
        write_domain_id(w, self.domain)
        write_member_id(w, self.sender)
        write_member_id(w, self.counterparty)
        write_timestamp(w, self.from_time)
        write_timestamp(w, self.to_time)
        self.commitment.write(w)

    @classmethod
    def read(cls, r: Reader) -> AcsCommitment:
        r.expect_tag(*cls.TAG)
        domain, sender, counterparty = read_domain_id(r), read_member_id(r), read_member_id(r)
        from_time, to_time = read_timestamp(r), read_timestamp(r)
        return cls(domain, sender, counterparty, from_time, to_time, Hash.read(r))

    def to_bytes(self) -> bytes:
        return encode(self.write)


@dataclass(frozen=True, slots=True)
class SignedAcsCommitment:
    """A commitment with its sender's signature over the commitment's canonical bytes."""

    commitment: AcsCommitment
    signature: Signature

    TAG = ("SignedAcsCommitment", 1)

    @classmethod
    def sign(cls, commitment: AcsCommitment, key: SigningPrivateKey) -> SignedAcsCommitment:
        return cls(commitment, key.sign(commitment.to_bytes()))

    def verify(self, key: SigningPublicKey) -> None:
        """Raise :class:`MessageSignatureError` unless ``key`` (the sender's, from topology
        at ``to_time``) signed this commitment."""
        try:
            key.verify(self.commitment.to_bytes(), self.signature)
        except SignatureVerificationError as exc:
            raise MessageSignatureError(
                "AcsCommitment", exc.signer, exc.expected_signer, exc.detail
            ) from None

    def write(self, w: Writer) -> None:
        w.tag(*self.TAG)
        self.commitment.write(w)
        self.signature.write(w)

    @classmethod
    def read(cls, r: Reader) -> SignedAcsCommitment:
        r.expect_tag(*cls.TAG)
        return cls(AcsCommitment.read(r), Signature.read(r))

    def to_bytes(self) -> bytes:
        return encode(self.write)

    @classmethod
    def from_bytes(cls, data: bytes) -> SignedAcsCommitment:
        """Decode; raises only :class:`MalformedTransactionMessageError`."""
        return decode_strict(data, cls.read, "ACS commitment", MAX_COMMITMENT_SIZE)
