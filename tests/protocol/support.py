"""Deterministic keys and identities for the protocol tests and golden vectors."""

from __future__ import annotations

import hashlib

from protocol.crypto import EncryptionPrivateKey, SigningPrivateKey
from protocol.identifiers import (
    DomainId,
    MemberId,
    MemberKind,
    Namespace,
    make_domain_id,
    make_member_id,
    parse_namespace,
)


def seed(label: str) -> bytes:
    """A fixed 32-byte seed derived from ``label``."""
    return hashlib.sha256(b"chaindomain-test-seed:" + label.encode()).digest()


def signing_key(label: str) -> SigningPrivateKey:
    return SigningPrivateKey.from_seed(seed(label))


def encryption_key(label: str) -> EncryptionPrivateKey:
    return EncryptionPrivateKey.from_seed(seed("x25519:" + label))


def namespace(label: str) -> Namespace:
    return parse_namespace(signing_key(label).fingerprint)


def member(kind: MemberKind, name: str) -> MemberId:
    return make_member_id(kind, name, namespace(name))


def domain() -> DomainId:
    return make_domain_id("testdomain", namespace("domain-owner"))
