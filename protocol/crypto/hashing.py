"""Purpose-tagged SHA-256 hashing (Canton's ``HashPurpose``) and the multihash text form.

A hash is ``sha256(u32_be(purpose) || content)``: the purpose prefix makes hashes taken for
different reasons distinct even over identical bytes, so a hash computed for one use can
never be substituted for another. Purposes are append-only: a number, once assigned, is
never reused or renumbered (other components add theirs here).

The text form is a multihash: ``"1220"`` (sha2-256, 32 bytes) followed by the lowercase hex
digest, which is also the form of :data:`~protocol.identifiers.Fingerprint`.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass

from protocol.canonical import Reader, Writer
from protocol.errors import InvalidValueError
from protocol.identifiers import MULTIHASH_SHA256_PREFIX, Fingerprint, parse_fingerprint

HASH_SIZE = 32


class HashPurpose(enum.IntEnum):
    """Why a hash is taken. Append only; never renumber."""

    PUBLIC_KEY_FINGERPRINT = 1
    SUBMISSION_REQUEST = 2
    SEQUENCED_EVENT = 3
    DOMAIN_ID = 4
    AUTHENTICATION_CHALLENGE = 5
    TOPOLOGY_TRANSACTION = 6
    MERKLE_LEAF = 7
    MERKLE_NODE = 8
    VIEW = 9
    ROOT_HASH = 10
    CONFIRMATION_RESPONSE = 11
    MEDIATOR_VERDICT = 12
    ACS_COMMITMENT = 13
    PACKAGE = 14
    CONTRACT_ID = 15
    SALT = 16
    CONTRACT_KEY = 17


@dataclass(frozen=True, slots=True)
class Hash:
    """A SHA-256 digest taken for a known purpose."""

    digest: bytes
    """The 32 raw digest bytes."""

    def __post_init__(self) -> None:
        if not isinstance(self.digest, bytes) or len(self.digest) != HASH_SIZE:
            raise InvalidValueError("hash", self.digest, f"digest must be {HASH_SIZE} bytes")

    def to_multihash(self) -> str:
        """``"1220"`` followed by the lowercase hex digest."""
        return MULTIHASH_SHA256_PREFIX + self.digest.hex()

    @classmethod
    def from_multihash(cls, text: str) -> Hash:
        """Parse the multihash text form; raises :class:`InvalidIdentifierError`."""
        checked = parse_fingerprint(text, "hash")
        return cls(bytes.fromhex(checked[len(MULTIHASH_SHA256_PREFIX) :]))

    def write(self, w: Writer) -> None:
        w.fixed(self.digest, HASH_SIZE)

    @classmethod
    def read(cls, r: Reader) -> Hash:
        return cls(r.fixed(HASH_SIZE))


def hash_bytes(purpose: HashPurpose, content: bytes) -> Hash:
    """``sha256(u32_be(purpose) || content)``. Hash one canonical encoding, never a
    concatenation of several (that would be ambiguous); encode a record instead."""
    h = hashlib.sha256(int(purpose).to_bytes(4, "big"))
    h.update(content)
    return Hash(h.digest())


class KeyScheme(enum.IntEnum):
    """The algorithm of a public key; part of what its fingerprint commits to."""

    ED25519 = 1
    X25519 = 2


def fingerprint_of(scheme: KeyScheme, public_key: bytes) -> Fingerprint:
    """The fingerprint of a raw public key: the multihash of
    ``hash(PUBLIC_KEY_FINGERPRINT, u8(scheme) || raw_key)``.

    Committing to the scheme keeps an Ed25519 key and an X25519 key with equal bytes from
    sharing a fingerprint.
    """
    return Fingerprint(
        hash_bytes(HashPurpose.PUBLIC_KEY_FINGERPRINT, bytes([scheme]) + public_key).to_multihash()
    )
