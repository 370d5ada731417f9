"""Hashing, Ed25519 signatures, hybrid encryption and keystores: behaviour and tampering."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from protocol.crypto import (
    EncryptedMessage,
    Hash,
    HashPurpose,
    KeyScheme,
    ScryptParams,
    Signature,
    SignatureCache,
    SigningPrivateKey,
    SigningPublicKey,
    decrypt,
    decrypt_bytes,
    encrypt,
    fingerprint_of,
    hash_bytes,
    load_encryption_key,
    load_keystore,
    load_signing_key,
    save_keystore,
)
from protocol.errors import (
    CorruptKeystoreError,
    DecryptionError,
    InvalidKeyError,
    InvalidValueError,
    KeystoreError,
    SignatureVerificationError,
    WrongPasswordError,
)
from tests.protocol.support import encryption_key, signing_key

FAST = ScryptParams(n=2**10)


def test_hash_purpose_separates() -> None:
    a = hash_bytes(HashPurpose.SUBMISSION_REQUEST, b"x")
    b = hash_bytes(HashPurpose.SEQUENCED_EVENT, b"x")
    assert a != b
    assert Hash.from_multihash(a.to_multihash()) == a
    # sha256(u32_be(2) || "x")
    import hashlib

    assert a.digest == hashlib.sha256(b"\x00\x00\x00\x02x").digest()


def test_fingerprint_commits_to_scheme() -> None:
    raw = bytes(range(32))
    assert fingerprint_of(KeyScheme.ED25519, raw) != fingerprint_of(KeyScheme.X25519, raw)


def test_sign_verify_and_tamper() -> None:
    key = signing_key("alice")
    sig = key.sign(b"message")
    assert sig.signer == key.fingerprint
    key.public_key.verify(b"message", sig)
    assert key.sign(b"message") == sig  # deterministic
    with pytest.raises(SignatureVerificationError) as info:
        key.public_key.verify(b"messagf", sig)
    assert info.value.detail == "invalid signature"
    flipped = Signature(sig.signer, bytes([sig.signature[0] ^ 1]) + sig.signature[1:])
    with pytest.raises(SignatureVerificationError):
        key.public_key.verify(b"message", flipped)


def test_verify_refuses_other_signer_before_crypto() -> None:
    alice, bob = signing_key("alice"), signing_key("bob")
    sig = bob.sign(b"m")
    with pytest.raises(SignatureVerificationError) as info:
        alice.public_key.verify(b"m", sig)
    assert info.value.signer == bob.fingerprint
    assert info.value.expected_signer == alice.fingerprint


def test_invalid_keys_and_signatures() -> None:
    with pytest.raises(InvalidKeyError):
        SigningPublicKey(b"\x00" * 31)
    with pytest.raises(InvalidKeyError):
        SigningPrivateKey.from_seed(b"short")
    with pytest.raises(InvalidValueError):
        Signature(signing_key("a").fingerprint, b"\x00" * 63)


def test_encrypt_to_many_recipients() -> None:
    keys = [encryption_key(n) for n in ("a", "b", "c")]
    msg = encrypt([k.public_key for k in keys[:2]], b"secret view", b"context")
    for k in keys[:2]:
        assert decrypt(k, msg, b"context") == b"secret view"
    with pytest.raises(DecryptionError) as info:
        decrypt(keys[2], msg, b"context")
    assert info.value.recipient == keys[2].fingerprint
    assert "not a recipient" in info.value.detail
    assert EncryptedMessage.from_bytes(msg.to_bytes()) == msg
    assert b"secret view" not in msg.to_bytes()


def test_encryption_is_randomized_per_message() -> None:
    k = encryption_key("a")
    one, two = encrypt([k.public_key], b"p"), encrypt([k.public_key], b"p")
    assert one.ciphertext != two.ciphertext
    assert one.keys[0].wrapped != two.keys[0].wrapped


def test_decrypt_detects_tampering_and_wrong_context() -> None:
    k = encryption_key("a")
    msg = encrypt([k.public_key], b"payload", b"ad")
    with pytest.raises(DecryptionError):
        decrypt(k, msg, b"other ad")
    bad_ct = EncryptedMessage(
        msg.keys, msg.nonce, bytes([msg.ciphertext[0] ^ 1]) + msg.ciphertext[1:]
    )
    with pytest.raises(DecryptionError):
        decrypt(k, bad_ct, b"ad")
    wk = msg.keys[0]
    bad_key = type(wk)(wk.recipient, wk.ephemeral_public_key, bytes(48))
    with pytest.raises(DecryptionError):
        decrypt(k, EncryptedMessage((bad_key,), msg.nonce, msg.ciphertext), b"ad")
    with pytest.raises(DecryptionError):
        decrypt_bytes(k, msg.to_bytes()[:-1], b"ad")


def test_keystore_round_trip(tmp_path: Path) -> None:
    key = signing_key("alice")
    path = save_keystore(tmp_path / "k.json", key, "pw", FAST)
    assert os.stat(path).st_mode & 0o777 == 0o600
    doc = json.loads(path.read_text())
    assert doc["version"] == 1 and doc["fingerprint"] == key.fingerprint
    assert key.seed().hex() not in path.read_text()
    loaded = load_signing_key(path, "pw")
    assert loaded.seed() == key.seed()
    enc = encryption_key("alice")
    p2 = save_keystore(tmp_path / "e.json", enc, "pw", FAST)
    assert load_encryption_key(p2, "pw").public_key == enc.public_key
    with pytest.raises(KeystoreError):
        load_signing_key(p2, "pw")
    with pytest.raises(KeystoreError):
        save_keystore(path, key, "pw", FAST)


def test_keystore_wrong_password_names_file(tmp_path: Path) -> None:
    path = save_keystore(tmp_path / "k.json", signing_key("a"), "pw", FAST)
    with pytest.raises(WrongPasswordError) as info:
        load_keystore(path, "nope")
    assert info.value.path == path


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        # the header is associated data: swapping it fails authentication
        (lambda d: d.update(fingerprint=signing_key("other").fingerprint), WrongPasswordError),
        (lambda d: d.update(version=2), CorruptKeystoreError),
        (lambda d: d.update(nonce="zz"), CorruptKeystoreError),
        (lambda d: d["kdf_params"].update(n=3), CorruptKeystoreError),
        (lambda d: d.update(key_type="rsa"), CorruptKeystoreError),
        (lambda d: d.pop("ciphertext"), CorruptKeystoreError),
        (lambda d: d.update(public_key="00" * 32), CorruptKeystoreError),
    ],
)
def test_keystore_corruption_is_typed(
    tmp_path: Path, edit: Callable[[dict[str, Any]], object], expected: type[KeystoreError]
) -> None:
    path = save_keystore(tmp_path / "k.json", signing_key("a"), "pw", FAST)
    doc = json.loads(path.read_text())
    edit(doc)
    path.write_text(json.dumps(doc))
    with pytest.raises(expected) as info:
        load_keystore(path, "pw")
    assert info.value.path == path


def test_keystore_not_json(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    path.write_text("{not json")
    with pytest.raises(CorruptKeystoreError) as info:
        load_keystore(path, "pw")
    assert info.value.path == path
    with pytest.raises(KeystoreError, match="not found"):
        load_keystore(tmp_path / "missing.json", "pw")


def test_signature_cache_remembers_only_the_exact_successful_check() -> None:
    key = signing_key("alice")
    data = b"\x00\x03abc" + b"x" * 100
    sig = key.sign(data)
    cache = SignatureCache()
    cache.verify(key.public_key, data, sig)
    cache.verify(key.public_key, data, sig)
    assert (cache.misses, cache.hits, len(cache)) == (1, 1, 1)
    other_bytes = Signature(sig.signer, bytes([sig.signature[0] ^ 1]) + sig.signature[1:])
    for bad_data, bad_sig in ((data + b"!", sig), (data, other_bytes)):
        with pytest.raises(SignatureVerificationError):
            cache.verify(key.public_key, bad_data, bad_sig)
    with pytest.raises(SignatureVerificationError):
        cache.verify(signing_key("bob").public_key, data, sig)
    assert (cache.hits, len(cache)) == (1, 1)  # failures are never stored


def test_signature_cache_consume_and_capacity() -> None:
    key = signing_key("alice")
    items = [(bytes([i]) * 10, key.sign(bytes([i]) * 10)) for i in range(5)]
    cache = SignatureCache(capacity=3)
    for data, sig in items:
        cache.verify(key.public_key, data, sig)
    assert len(cache) == 3  # the two oldest were dropped
    data, sig = items[4]
    cache.verify(key.public_key, data, sig, consume=True)
    assert (cache.hits, len(cache)) == (1, 2)
    cache.verify(key.public_key, data, sig, consume=True)  # verified in full again
    assert (cache.hits, cache.misses, len(cache)) == (1, 6, 2)
    data, sig = items[0]
    cache.verify(key.public_key, data, sig)  # dropped earlier: a miss, verified
    assert cache.misses == 7
    with pytest.raises(ValueError, match="capacity"):
        SignatureCache(capacity=0)
