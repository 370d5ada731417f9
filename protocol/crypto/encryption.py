"""Hybrid public-key encryption of one message to one or more recipients.

Scheme (version 1), for plaintext ``m``, associated data ``ad`` and recipients ``R``:

1. A fresh random 32-byte session key ``k`` and 12-byte nonce ``n``;
   ``ciphertext = AES-256-GCM(k, n, m, aad = ad)``.
2. For each recipient public key ``P`` (X25519): a fresh ephemeral key pair ``(e, E)``,
   ``z = X25519(e, P)``, ``kek = HKDF-SHA256(ikm = z, salt = none,
   info = "chaindomain/encryption/v1" || E || P, length = 32)``, and
   ``wrapped = AES-256-GCM(kek, nonce = 0^12, k, aad = ad)``. The all-zero nonce is safe
   because each ``kek`` comes from a fresh ephemeral key and encrypts exactly once.

The associated data is bound to both layers, so a ciphertext moved to another context
(another view, another request) fails to open. A recipient finds its wrapped key by the
fingerprint of its public key. Fresh session keys mean the random payload nonce can never
repeat under one key. This is the shape of HPKE base mode (RFC 9180) with a multi-recipient
key wrap; it uses only primitives from ``cryptography``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from protocol.canonical import Reader, Writer, decode, encode
from protocol.crypto.hashing import KeyScheme, fingerprint_of
from protocol.errors import DecryptionError, InvalidKeyError, InvalidValueError, MalformedError
from protocol.identifiers import Fingerprint, read_fingerprint, write_fingerprint

X25519_KEY_SIZE = 32
SESSION_KEY_SIZE = 32
NONCE_SIZE = 12
TAG_SIZE = 16
WRAPPED_KEY_SIZE = SESSION_KEY_SIZE + TAG_SIZE
MAX_RECIPIENTS = 1024
MAX_PLAINTEXT_SIZE = 16 * 1024 * 1024
_HKDF_INFO = b"chaindomain/encryption/v1"
_ZERO_NONCE = bytes(NONCE_SIZE)


@dataclass(frozen=True, slots=True)
class EncryptionPublicKey:
    """An X25519 public key."""

    raw: bytes
    """The 32-byte RFC 7748 encoding of the key."""

    def __post_init__(self) -> None:
        if not isinstance(self.raw, bytes) or len(self.raw) != X25519_KEY_SIZE:
            raise InvalidKeyError("X25519 public", f"must be {X25519_KEY_SIZE} bytes")

    @property
    def fingerprint(self) -> Fingerprint:
        return fingerprint_of(KeyScheme.X25519, self.raw)

    def write(self, w: Writer) -> None:
        w.fixed(self.raw, X25519_KEY_SIZE)

    @classmethod
    def read(cls, r: Reader) -> EncryptionPublicKey:
        return cls(r.fixed(X25519_KEY_SIZE))


@dataclass(frozen=True, slots=True, eq=False)
class EncryptionPrivateKey:
    """An X25519 private key. Compared by identity; its repr never shows the secret."""

    _key: X25519PrivateKey = field(repr=False)
    public_key: EncryptionPublicKey = field(init=False)

    def __post_init__(self) -> None:
        raw = self._key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        object.__setattr__(self, "public_key", EncryptionPublicKey(raw))

    @classmethod
    def generate(cls) -> EncryptionPrivateKey:
        return cls(X25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, seed: bytes) -> EncryptionPrivateKey:
        """The key whose 32-byte private scalar is ``seed`` (tests, keystores)."""
        if not isinstance(seed, bytes) or len(seed) != X25519_KEY_SIZE:
            raise InvalidKeyError("X25519 private", f"seed must be {X25519_KEY_SIZE} bytes")
        return cls(X25519PrivateKey.from_private_bytes(seed))

    def seed(self) -> bytes:
        """The 32-byte private scalar. Only a keystore should need this."""
        return self._key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )

    @property
    def fingerprint(self) -> Fingerprint:
        return self.public_key.fingerprint


@dataclass(frozen=True, slots=True)
class WrappedKey:
    """The session key, encrypted to one recipient."""

    recipient: Fingerprint
    """Fingerprint of the recipient's X25519 public key."""

    ephemeral_public_key: bytes
    """The sender's fresh X25519 public key ``E`` for this recipient (32 bytes)."""

    wrapped: bytes
    """AES-256-GCM of the session key under the derived key-encryption key (48 bytes)."""

    def __post_init__(self) -> None:
        if len(self.ephemeral_public_key) != X25519_KEY_SIZE:
            raise InvalidValueError("ephemeral key", self.ephemeral_public_key, "32 bytes")
        if len(self.wrapped) != WRAPPED_KEY_SIZE:
            raise InvalidValueError("wrapped key", self.wrapped, f"{WRAPPED_KEY_SIZE} bytes")

    def write(self, w: Writer) -> None:
        write_fingerprint(w, self.recipient)
        w.fixed(self.ephemeral_public_key, X25519_KEY_SIZE)
        w.fixed(self.wrapped, WRAPPED_KEY_SIZE)

    @classmethod
    def read(cls, r: Reader) -> WrappedKey:
        return cls(read_fingerprint(r), r.fixed(X25519_KEY_SIZE), r.fixed(WRAPPED_KEY_SIZE))


@dataclass(frozen=True, slots=True)
class EncryptedMessage:
    """A plaintext encrypted to several recipients (see the module docstring)."""

    keys: tuple[WrappedKey, ...]
    """One wrapped session key per recipient, sorted by recipient fingerprint."""

    nonce: bytes
    """The 12-byte AES-GCM nonce of the payload."""

    ciphertext: bytes
    """AES-256-GCM ciphertext of the plaintext, with the 16-byte tag appended."""

    def __post_init__(self) -> None:
        if not 1 <= len(self.keys) <= MAX_RECIPIENTS:
            raise InvalidValueError("recipients", len(self.keys), f"1..{MAX_RECIPIENTS}")
        fingerprints = [k.recipient for k in self.keys]
        if fingerprints != sorted(set(fingerprints)):
            raise InvalidValueError("recipients", fingerprints, "sorted and distinct")
        if len(self.nonce) != NONCE_SIZE:
            raise InvalidValueError("nonce", self.nonce, f"{NONCE_SIZE} bytes")
        if not TAG_SIZE <= len(self.ciphertext) <= MAX_PLAINTEXT_SIZE + TAG_SIZE:
            raise InvalidValueError("ciphertext", len(self.ciphertext), "a tag and bounded size")

    def write(self, w: Writer) -> None:
        w.tag("EncryptedMessage", 1)
        w.sequence(self.keys, lambda w, k: k.write(w))
        w.fixed(self.nonce, NONCE_SIZE)
        w.bytes(self.ciphertext)

    @classmethod
    def read(cls, r: Reader) -> EncryptedMessage:
        r.expect_tag("EncryptedMessage", 1)
        keys = tuple(r.sequence(WrappedKey.read, max_count=MAX_RECIPIENTS))
        return cls(keys, r.fixed(NONCE_SIZE), r.bytes())

    def to_bytes(self) -> bytes:
        return encode(self.write)

    @classmethod
    def from_bytes(cls, data: bytes) -> EncryptedMessage:
        """Decode; raises a :class:`~protocol.errors.MalformedError` on bad input."""
        return decode(data, cls.read, "encrypted message")


def _kek(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=SESSION_KEY_SIZE,
        salt=None,
        info=_HKDF_INFO + ephemeral + recipient,
    )
    return hkdf.derive(shared)


def encrypt(
    recipients: Sequence[EncryptionPublicKey], plaintext: bytes, associated_data: bytes = b""
) -> EncryptedMessage:
    """Encrypt ``plaintext`` so that each of ``recipients`` (and no one else) can open it.

    ``associated_data`` is authenticated but not encrypted; the decryptor must pass the
    same bytes (e.g. the canonical encoding of the context the ciphertext belongs to).
    Duplicate recipients are merged.
    """
    unique = {k.fingerprint: k for k in recipients}
    if not 1 <= len(unique) <= MAX_RECIPIENTS:
        raise InvalidValueError("recipients", len(unique), f"1..{MAX_RECIPIENTS} keys")
    if len(plaintext) > MAX_PLAINTEXT_SIZE:
        raise InvalidValueError("plaintext", len(plaintext), f"at most {MAX_PLAINTEXT_SIZE}")
    session_key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(NONCE_SIZE)
    ciphertext = AESGCM(session_key).encrypt(nonce, plaintext, associated_data)
    wrapped: list[WrappedKey] = []
    for fingerprint in sorted(unique):
        recipient = unique[fingerprint]
        ephemeral = X25519PrivateKey.generate()
        eph_raw = ephemeral.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient.raw))
        kek = _kek(shared, eph_raw, recipient.raw)
        sealed = AESGCM(kek).encrypt(_ZERO_NONCE, session_key, associated_data)
        wrapped.append(WrappedKey(fingerprint, eph_raw, sealed))
    return EncryptedMessage(tuple(wrapped), nonce, ciphertext)


def decrypt(
    private_key: EncryptionPrivateKey, message: EncryptedMessage, associated_data: bytes = b""
) -> bytes:
    """Open ``message`` with ``private_key``; raise :class:`DecryptionError` if this key is
    not a recipient, or if the ciphertext, the wrapped key or ``associated_data`` differ
    from what was encrypted."""
    own = private_key.fingerprint
    entry = next((k for k in message.keys if k.recipient == own), None)
    if entry is None:
        raise DecryptionError(own, "not a recipient of this message")
    try:
        shared = private_key._key.exchange(
            X25519PublicKey.from_public_bytes(entry.ephemeral_public_key)
        )
    except ValueError as exc:  # low-order ephemeral point: all-zero shared secret
        raise DecryptionError(own, f"invalid ephemeral key: {exc}") from None
    kek = _kek(shared, entry.ephemeral_public_key, private_key.public_key.raw)
    try:
        session_key = AESGCM(kek).decrypt(_ZERO_NONCE, entry.wrapped, associated_data)
    except InvalidTag:
        raise DecryptionError(own, "wrapped session key does not authenticate") from None
    try:
        return AESGCM(session_key).decrypt(message.nonce, message.ciphertext, associated_data)
    except InvalidTag:
        raise DecryptionError(own, "ciphertext or associated data does not authenticate") from None


def decrypt_bytes(
    private_key: EncryptionPrivateKey, data: bytes, associated_data: bytes = b""
) -> bytes:
    """Decode an :class:`EncryptedMessage` and open it; any failure is a DecryptionError."""
    try:
        message = EncryptedMessage.from_bytes(data)
    except MalformedError as exc:
        raise DecryptionError(private_key.fingerprint, f"malformed: {exc}") from exc
    return decrypt(private_key, message, associated_data)
