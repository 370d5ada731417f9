"""The keys of a domain's members: made and saved as keystores, and the topology
transactions that tie them to a member id.

A member has a namespace (root) key, whose fingerprint is its namespace, a signing key and
an encryption key. Several members may share one namespace (the sequencers share
``sequencers-namespace``; the domain manager uses the domain's key), so the root key is
either made with the member or given.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from protocol.crypto import EncryptionPrivateKey, ScryptParams, SigningPrivateKey, save_keystore
from protocol.identifiers import MemberId
from protocol.topology import (
    OwnerToKeyMapping,
    SignedTopologyTransaction,
    add_mapping,
    root_certificate,
)


@dataclass(frozen=True, slots=True)
class Identity:
    """A member's private keys."""

    namespace: SigningPrivateKey
    signing: SigningPrivateKey
    encryption: EncryptionPrivateKey


def new_identity(
    files: tuple[Path, Path, Path],
    password: str,
    params: ScryptParams,
    root: SigningPrivateKey | None = None,
) -> Identity:
    """Make a member's keys and save them to ``files`` (namespace, signing, encryption),
    encrypted with ``password``. ``root`` given: the member shares that namespace, and
    ``files[0]`` (its keystore, saved by whoever made it) is not written."""
    namespace = root or SigningPrivateKey.generate()
    signing, encryption = SigningPrivateKey.generate(), EncryptionPrivateKey.generate()
    if root is None:
        save_keystore(files[0], namespace, password, params)
    save_keystore(files[1], signing, password, params)
    save_keystore(files[2], encryption, password, params)
    return Identity(namespace, signing, encryption)


def member_transactions(
    member: MemberId,
    root: SigningPrivateKey,
    signing: SigningPrivateKey,
    encryption: EncryptionPrivateKey,
    with_root: bool = True,
) -> list[SignedTopologyTransaction]:
    """A member's onboarding transactions: root certificate and OwnerToKeyMapping."""
    otk = OwnerToKeyMapping(member, signing.public_key, encryption.public_key)
    signers = {root.fingerprint: root, signing.fingerprint: signing}
    return [*([root_certificate(root)] if with_root else []), add_mapping(otk, signers.values())]
