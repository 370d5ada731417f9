"""Shared cryptography: purpose-tagged hashing, Ed25519 signatures, hybrid X25519
encryption, and password-encrypted keystores. Nodes use only these names."""

from protocol.crypto.encryption import (
    EncryptedMessage,
    EncryptionPrivateKey,
    EncryptionPublicKey,
    WrappedKey,
    decrypt,
    decrypt_bytes,
    encrypt,
)
from protocol.crypto.hashing import Hash, HashPurpose, KeyScheme, fingerprint_of, hash_bytes
from protocol.crypto.keystore import (
    ScryptParams,
    load_encryption_key,
    load_keystore,
    load_signing_key,
    read_keystore_fingerprint,
    save_keystore,
)
from protocol.crypto.signing import (
    Signature,
    SignatureCache,
    SigningPrivateKey,
    SigningPublicKey,
)

__all__ = [
    "EncryptedMessage",
    "EncryptionPrivateKey",
    "EncryptionPublicKey",
    "Hash",
    "HashPurpose",
    "KeyScheme",
    "ScryptParams",
    "Signature",
    "SignatureCache",
    "SigningPrivateKey",
    "SigningPublicKey",
    "WrappedKey",
    "decrypt",
    "decrypt_bytes",
    "encrypt",
    "fingerprint_of",
    "hash_bytes",
    "load_encryption_key",
    "load_keystore",
    "load_signing_key",
    "read_keystore_fingerprint",
    "save_keystore",
]
