"""Private keys on disk, encrypted with a password.

A keystore is a JSON file (format version 1)::

    {
      "version": 1,
      "key_type": "ed25519" | "x25519",
      "fingerprint": "1220…",             // of the public key; checked after decryption
      "public_key": "<hex>",
      "kdf": "scrypt",
      "kdf_params": {"n": 131072, "r": 8, "p": 1, "salt": "<hex, 16 bytes>"},
      "cipher": "aes-256-gcm",
      "nonce": "<hex, 12 bytes>",
      "ciphertext": "<hex: the 32-byte private seed, encrypted, with the GCM tag>"
    }

The key-encryption key is ``scrypt(password, salt, n, r, p, dklen=32)``. The associated
data of the AES-GCM encryption is the canonical encoding of (version, key type,
fingerprint), so the header cannot be swapped onto another key's ciphertext. A wrong
password and an altered ciphertext are indistinguishable by design (both fail the GCM tag)
and raise :class:`~protocol.errors.WrongPasswordError`; anything else wrong with the file
raises :class:`~protocol.errors.CorruptKeystoreError`. Both name the file.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from protocol.canonical import encode
from protocol.crypto.encryption import EncryptionPrivateKey
from protocol.crypto.signing import SigningPrivateKey
from protocol.errors import CorruptKeystoreError, InvalidKeyError, KeystoreError, WrongPasswordError

KEYSTORE_VERSION = 1
SALT_SIZE = 16
NONCE_SIZE = 12
_KEY_TYPES: dict[str, type[SigningPrivateKey] | type[EncryptionPrivateKey]] = {
    "ed25519": SigningPrivateKey,
    "x25519": EncryptionPrivateKey,
}


@dataclass(frozen=True, slots=True)
class ScryptParams:
    """scrypt cost parameters. The default (n = 2**17) takes about 0.3 s and 128 MiB; tests
    may lower ``n``; loading refuses parameters outside the bounds below."""

    n: int = 2**17
    r: int = 8
    p: int = 1

    MIN_LOG2_N = 10
    MAX_LOG2_N = 20

    def check(self, path: Path) -> None:
        ok_n = isinstance(self.n, int) and self.n > 0 and self.n & (self.n - 1) == 0
        if not ok_n or not 2**self.MIN_LOG2_N <= self.n <= 2**self.MAX_LOG2_N:
            raise CorruptKeystoreError(path, f"scrypt n={self.n!r} out of bounds")
        if not (isinstance(self.r, int) and 1 <= self.r <= 32):
            raise CorruptKeystoreError(path, f"scrypt r={self.r!r} out of bounds")
        if not (isinstance(self.p, int) and 1 <= self.p <= 16):
            raise CorruptKeystoreError(path, f"scrypt p={self.p!r} out of bounds")


PrivateKey = SigningPrivateKey | EncryptionPrivateKey


def _key_type(key: PrivateKey) -> str:
    return "ed25519" if isinstance(key, SigningPrivateKey) else "x25519"


def _aad(key_type: str, fingerprint: str) -> bytes:
    return encode(lambda w: w.tag("Keystore", KEYSTORE_VERSION).str(key_type).str(fingerprint))


def _kek(password: str, salt: bytes, params: ScryptParams) -> bytes:
    return Scrypt(salt=salt, length=32, n=params.n, r=params.r, p=params.p).derive(
        password.encode("utf-8")
    )


def save_keystore(
    path: str | os.PathLike[str],
    key: PrivateKey,
    password: str,
    params: ScryptParams = ScryptParams(),
) -> Path:
    """Write ``key`` encrypted under ``password`` to ``path`` (mode 0600, atomically).
    Refuses to overwrite an existing file."""
    target = Path(path)
    if target.exists():
        raise KeystoreError(target, "file exists; refusing to overwrite a key")
    params.check(target)
    key_type = _key_type(key)
    fingerprint = key.fingerprint
    salt = os.urandom(SALT_SIZE)
    nonce = os.urandom(NONCE_SIZE)
    ciphertext = AESGCM(_kek(password, salt, params)).encrypt(
        nonce, key.seed(), _aad(key_type, fingerprint)
    )
    document = {
        "version": KEYSTORE_VERSION,
        "key_type": key_type,
        "fingerprint": fingerprint,
        "public_key": key.public_key.raw.hex(),
        "kdf": "scrypt",
        "kdf_params": {"n": params.n, "r": params.r, "p": params.p, "salt": salt.hex()},
        "cipher": "aes-256-gcm",
        "nonce": nonce.hex(),
        "ciphertext": ciphertext.hex(),
    }
    tmp = target.with_name(target.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(document, f, indent=2)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, target)
    return target


def _field(doc: dict[str, Any], name: str, kind: type, path: Path) -> Any:
    value = doc.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise CorruptKeystoreError(path, f"field {name!r} missing or not a {kind.__name__}")
    return value


def _hex(doc: dict[str, Any], name: str, size: int | None, path: Path) -> bytes:
    text = _field(doc, name, str, path)
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise CorruptKeystoreError(path, f"field {name!r} is not hex") from None
    if size is not None and len(raw) != size:
        raise CorruptKeystoreError(path, f"field {name!r} must be {size} bytes")
    return raw


def read_keystore_fingerprint(path: str | os.PathLike[str]) -> str:
    """The fingerprint a keystore declares, without decrypting it (for listings)."""
    target = Path(path)
    return str(_field(_load_json(target), "fingerprint", str, target))


def _load_json(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KeystoreError(path, "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CorruptKeystoreError(path, f"unreadable: {exc}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CorruptKeystoreError(path, f"not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise CorruptKeystoreError(path, "not a JSON object")
    return doc


def load_keystore(path: str | os.PathLike[str], password: str) -> PrivateKey:
    """Decrypt the key in ``path``: a :class:`SigningPrivateKey` for ``ed25519`` files, an
    :class:`EncryptionPrivateKey` for ``x25519``. Raises a :class:`KeystoreError` subclass."""
    target = Path(path)
    doc = _load_json(target)
    version = _field(doc, "version", int, target)
    if version != KEYSTORE_VERSION:
        raise CorruptKeystoreError(target, f"unsupported version {version}")
    key_type = _field(doc, "key_type", str, target)
    if key_type not in _KEY_TYPES:
        raise CorruptKeystoreError(target, f"unknown key_type {key_type!r}")
    if doc.get("kdf") != "scrypt" or doc.get("cipher") != "aes-256-gcm":
        raise CorruptKeystoreError(target, "unsupported kdf or cipher")
    fingerprint = _field(doc, "fingerprint", str, target)
    kdf = _field(doc, "kdf_params", dict, target)
    params = ScryptParams(
        _field(kdf, "n", int, target), _field(kdf, "r", int, target), _field(kdf, "p", int, target)
    )
    params.check(target)
    salt = _hex(kdf, "salt", SALT_SIZE, target)
    nonce = _hex(doc, "nonce", NONCE_SIZE, target)
    ciphertext = _hex(doc, "ciphertext", 48, target)
    try:
        seed = AESGCM(_kek(password, salt, params)).decrypt(
            nonce, ciphertext, _aad(key_type, fingerprint)
        )
    except InvalidTag:
        raise WrongPasswordError(target) from None
    try:
        key: PrivateKey = _KEY_TYPES[key_type].from_seed(seed)
    except InvalidKeyError as exc:
        raise CorruptKeystoreError(target, f"decrypted key invalid: {exc}") from None
    if key.fingerprint != fingerprint:
        raise CorruptKeystoreError(target, "decrypted key does not match its fingerprint")
    if key.public_key.raw.hex() != doc.get("public_key"):
        raise CorruptKeystoreError(target, "decrypted key does not match its public_key")
    return key


def load_signing_key(path: str | os.PathLike[str], password: str) -> SigningPrivateKey:
    """Like :func:`load_keystore`, but the file must hold an Ed25519 key."""
    key = load_keystore(path, password)
    if not isinstance(key, SigningPrivateKey):
        raise KeystoreError(Path(path), "holds an x25519 key, expected ed25519")
    return key


def load_encryption_key(path: str | os.PathLike[str], password: str) -> EncryptionPrivateKey:
    """Like :func:`load_keystore`, but the file must hold an X25519 key."""
    key = load_keystore(path, password)
    if not isinstance(key, EncryptionPrivateKey):
        raise KeystoreError(Path(path), "holds an ed25519 key, expected x25519")
    return key
