"""Key files on disk: protocol identity keys made by kind, and what a keystore shows
without its password.

A protocol keystore (``protocol.crypto.keystore``) keeps its key type, fingerprint and
public key in clear next to the encrypted private key; :func:`public_part` reads them and
checks the fingerprint against the public key. A chain keystore (Web3 Secret Storage)
keeps its address in clear: :func:`chain_address`.
"""

from __future__ import annotations

import json
from pathlib import Path

from eth_utils.address import to_checksum_address

from protocol.crypto import (
    EncryptionPrivateKey,
    EncryptionPublicKey,
    KeyScheme,
    ScryptParams,
    SigningPrivateKey,
    SigningPublicKey,
    fingerprint_of,
    save_keystore,
)
from protocol.errors import CorruptKeystoreError, InvalidKeyError, KeystoreError
from sequencer_chain.errors import KeystoreFormatError

KINDS = ("namespace", "signing", "encryption", "pair")
"""namespace: a root Ed25519 key; signing: an Ed25519 key; encryption: an X25519 key;
pair: a signing key and an encryption key."""
_SCHEMES = {"ed25519": KeyScheme.ED25519, "x25519": KeyScheme.X25519}


def create_identity_keys(
    kind: str,
    out: Path,
    password: str,
    params: ScryptParams,
    encryption_out: Path | None = None,
) -> list[Path]:
    """Make the key(s) of ``kind`` (one of :data:`KINDS`) encrypted with ``password``:
    ``out``, and ``encryption_out`` for a pair. Refuses to overwrite any file, before
    writing one. Returns the files written."""
    if kind not in KINDS:
        raise KeystoreError(out, f"unknown key kind {kind!r}; one of {KINDS}")
    if kind == "pair" and encryption_out is None:
        raise KeystoreError(out, "--kind pair needs --encryption-out")
    if not password:
        raise KeystoreError(out, "the password is empty")
    targets: list[tuple[Path, SigningPrivateKey | EncryptionPrivateKey]] = []
    if kind == "encryption":
        targets.append((out, EncryptionPrivateKey.generate()))
    else:
        targets.append((out, SigningPrivateKey.generate()))
    if kind == "pair" and encryption_out is not None:
        targets.append((encryption_out, EncryptionPrivateKey.generate()))
    for path, _ in targets:
        if path.exists():
            raise KeystoreError(path, "file exists; refusing to overwrite a key")
    for path, key in targets:
        save_keystore(path, key, password, params)
    return [path for path, _ in targets]


def public_part(path: Path) -> dict[str, str]:
    """The key type, fingerprint and public key a protocol keystore stores in clear,
    checked (``namespace`` too for an Ed25519 key, if used as a namespace's root)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KeystoreError(path, "file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptKeystoreError(path, f"unreadable: {exc}") from None
    if not isinstance(doc, dict):
        raise CorruptKeystoreError(path, "not a JSON object")
    key_type, fingerprint, public = (
        doc.get("key_type"),
        doc.get("fingerprint"),
        doc.get("public_key"),
    )
    if key_type not in _SCHEMES or not isinstance(public, str) or not isinstance(fingerprint, str):
        raise CorruptKeystoreError(path, "missing key_type, fingerprint or public_key")
    try:
        raw = bytes.fromhex(public)
        key = SigningPublicKey(raw) if key_type == "ed25519" else EncryptionPublicKey(raw)
    except (ValueError, InvalidKeyError) as exc:
        raise CorruptKeystoreError(path, f"invalid public_key: {exc}") from None
    if fingerprint_of(_SCHEMES[key_type], key.raw) != fingerprint:
        raise CorruptKeystoreError(path, "fingerprint does not match the public key")
    result = {"key_type": key_type, "fingerprint": fingerprint, "public_key": raw.hex()}
    if key_type == "ed25519":
        result["namespace"] = fingerprint
    return result


def chain_address(path: Path) -> str:
    """The checksummed address a chain keystore stores in clear."""
    try:
        data = json.loads(path.read_text())
        return to_checksum_address("0x" + data["address"].removeprefix("0x"))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise KeystoreFormatError(path, f"no readable address: {exc}") from None
