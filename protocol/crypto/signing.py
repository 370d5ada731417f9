"""Ed25519 protocol signatures: keys, :class:`Signature`, sign and verify.

What is signed is always the canonical encoding of a value (``protocol.canonical``), which
starts with the value's type tag, so a signature made for one message type can never be
replayed as another. Ed25519 signatures are deterministic: the same key and bytes always
give the same signature, which the golden vectors rely on.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from protocol.canonical import Reader, Writer, decode, encode
from protocol.crypto.hashing import KeyScheme, fingerprint_of
from protocol.errors import InvalidKeyError, InvalidValueError, SignatureVerificationError
from protocol.identifiers import (
    Fingerprint,
    parse_fingerprint,
    read_fingerprint,
    write_fingerprint,
)

ED25519_KEY_SIZE = 32
ED25519_SIGNATURE_SIZE = 64


@dataclass(frozen=True, slots=True)
class SigningPublicKey:
    """An Ed25519 public key."""

    raw: bytes
    """The 32-byte RFC 8032 encoding of the key."""

    _key: Ed25519PublicKey = field(init=False, repr=False, compare=False)
    _fingerprint: Fingerprint = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.raw, bytes) or len(self.raw) != ED25519_KEY_SIZE:
            raise InvalidKeyError("Ed25519 public", f"must be {ED25519_KEY_SIZE} bytes")
        try:
            key = Ed25519PublicKey.from_public_bytes(self.raw)
        except ValueError as exc:
            raise InvalidKeyError("Ed25519 public", str(exc)) from None
        object.__setattr__(self, "_key", key)
        object.__setattr__(self, "_fingerprint", fingerprint_of(KeyScheme.ED25519, self.raw))

    @property
    def fingerprint(self) -> Fingerprint:
        return self._fingerprint

    def verify(self, data: bytes, signature: Signature) -> None:
        """Raise :class:`SignatureVerificationError` unless ``signature`` by this key is
        valid for ``data``. A signature naming another signer is rejected before any
        cryptography is done."""
        own = self.fingerprint
        if signature.signer != own:
            raise SignatureVerificationError(signature.signer, own, "signed by another key")
        try:
            self._key.verify(signature.signature, data)
        except InvalidSignature:
            raise SignatureVerificationError(signature.signer, own, "invalid signature") from None

    def write(self, w: Writer) -> None:
        w.fixed(self.raw, ED25519_KEY_SIZE)

    @classmethod
    def read(cls, r: Reader) -> SigningPublicKey:
        return cls(r.fixed(ED25519_KEY_SIZE))


@dataclass(frozen=True, slots=True, eq=False)
class SigningPrivateKey:
    """An Ed25519 private key. Compared by identity; its repr never shows the secret."""

    _key: Ed25519PrivateKey = field(repr=False)
    public_key: SigningPublicKey = field(init=False)

    def __post_init__(self) -> None:
        raw = self._key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        object.__setattr__(self, "public_key", SigningPublicKey(raw))

    @classmethod
    def generate(cls) -> SigningPrivateKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, seed: bytes) -> SigningPrivateKey:
        """The key whose RFC 8032 32-byte private seed is ``seed`` (tests, keystores)."""
        if not isinstance(seed, bytes) or len(seed) != ED25519_KEY_SIZE:
            raise InvalidKeyError("Ed25519 private", f"seed must be {ED25519_KEY_SIZE} bytes")
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    def seed(self) -> bytes:
        """The 32-byte private seed. Only a keystore should need this."""
        return self._key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )

    @property
    def fingerprint(self) -> Fingerprint:
        return self.public_key.fingerprint

    def sign(self, data: bytes) -> Signature:
        """Sign ``data``, which should be a tagged canonical encoding."""
        return Signature(self.fingerprint, self._key.sign(data))


@dataclass(frozen=True, slots=True)
class Signature:
    """An Ed25519 signature, with the fingerprint of the key that made it."""

    signer: Fingerprint
    """Fingerprint of the signing key; verifiers look the key up by it."""

    signature: bytes
    """The 64-byte Ed25519 signature."""

    def __post_init__(self) -> None:
        parse_fingerprint(self.signer, "signer")
        if not isinstance(self.signature, bytes) or len(self.signature) != ED25519_SIGNATURE_SIZE:
            raise InvalidValueError(
                "signature", self.signature, f"must be {ED25519_SIGNATURE_SIZE} bytes"
            )

    def write(self, w: Writer) -> None:
        w.tag("Signature", 1)
        write_fingerprint(w, self.signer)
        w.fixed(self.signature, ED25519_SIGNATURE_SIZE)

    @classmethod
    def read(cls, r: Reader) -> Signature:
        r.expect_tag("Signature", 1)
        return cls(read_fingerprint(r), r.fixed(ED25519_SIGNATURE_SIZE))

    def to_bytes(self) -> bytes:
        """The canonical encoding, as the sequencer API carries a signature on its own
        (``AuthenticateRequest.signature``)."""
        return encode(self.write)

    @classmethod
    def from_bytes(cls, data: bytes) -> Signature:
        """Decode :meth:`to_bytes`; raises :class:`~protocol.errors.MalformedError`."""
        return decode(data, cls.read, "signature")


DEFAULT_SIGNATURE_CACHE_SIZE = 65_536


class SignatureCache:
    """Remembers signatures that verified, so that the same check is not done twice.

    A node that verified a request when it arrived need not verify the same bytes again
    when it reads them back from the chain. An entry is keyed by everything the check
    depends on: the SHA-256 of the exact signed bytes, the public key and the signature
    (signer and bytes). A hit therefore stands only for that very check; any other bytes,
    key or signature misses and is verified in full, so the cache memoises a pure function
    and never changes an answer. Only successes are stored, at most ``capacity`` of them
    (least recently stored dropped first); :meth:`verify` with ``consume`` forgets the entry
    on a hit, for a check that is expected once more and then never again.
    """

    __slots__ = ("_capacity", "_entries", "hits", "misses")

    def __init__(self, capacity: int = DEFAULT_SIGNATURE_CACHE_SIZE) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, got {capacity}")
        self._capacity = capacity
        self._entries: OrderedDict[tuple[bytes, bytes, str, bytes], None] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    @staticmethod
    def _key(
        key: SigningPublicKey, data: bytes, signature: Signature
    ) -> tuple[bytes, bytes, str, bytes]:
        return (hashlib.sha256(data).digest(), key.raw, signature.signer, signature.signature)

    def verify(
        self,
        key: SigningPublicKey,
        data: bytes,
        signature: Signature,
        *,
        consume: bool = False,
    ) -> None:
        """:meth:`SigningPublicKey.verify`, answered from the cache when this exact check
        succeeded before; raises :class:`SignatureVerificationError` like it."""
        entry = self._key(key, data, signature)
        if entry in self._entries:
            self.hits += 1
            if consume:
                del self._entries[entry]
            return
        self.misses += 1
        key.verify(data, signature)
        if not consume:
            self._entries[entry] = None
            if len(self._entries) > self._capacity:
                self._entries.popitem(last=False)
