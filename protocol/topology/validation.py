"""The decision on one signed topology transaction against the head state.

:func:`validate` is a pure function of (head state, pending proposal of the same hash,
incoming signed transaction, domain). It runs these checks in this order and raises the
first failure, so every node reports the same reason:

1. ``WRONG_DOMAIN``        a domain-scoped mapping names another domain;
2. ``DUPLICATE``           the transaction hash was accepted before (replay);
3. ``MAPPING_EXISTS``      ADD while the unique key is active (duplicate onboarding);
   ``MAPPING_NOT_FOUND``   REPLACE/REMOVE of an inactive key, or REMOVE of other content;
4. ``WRONG_SERIAL``        serial is not last serial + 1 (1 for a new key);
5. ``UNKNOWN_NAMESPACE``   a required namespace has no active root certificate (checked in
                           namespace order);
6. ``UNAUTHORIZED``        a new signature's signer is neither authorized for a required
                           namespace (with delegation rights, for a NamespaceDelegation) nor
                           a required proof-of-possession key;
   ``INVALID_SIGNATURE``   a new signature does not verify (signatures checked in signer order);
7. ``DUPLICATE``           a proposal that adds no signature to the pending one;
8. ``UNAUTHORIZED``        not fully authorized and not a proposal.

Otherwise the merged signatures either fully authorize the transaction (:class:`Accept`)
or it stays pending (:class:`Propose`). Signatures accumulated on a pending proposal are
re-counted against the current head state every time, so a signer whose delegation was
removed meanwhile no longer counts; the accepted transaction keeps only the signatures
that counted, which makes replaying the history reach the same decisions.
"""

from __future__ import annotations

from dataclasses import dataclass

from protocol.crypto.signing import Signature, SigningPublicKey
from protocol.errors import SignatureVerificationError
from protocol.identifiers import DomainId, Fingerprint
from protocol.topology.errors import (
    DuplicateTransactionError,
    InvalidSignatureError,
    MalformedTopologyError,
    MappingExistsError,
    MappingNotFoundError,
    SerialMismatchError,
    UnauthorizedError,
    UnknownNamespaceError,
    WrongDomainError,
)
from protocol.topology.mappings import RequiredAuthorization, mapping_domain
from protocol.topology.state import TopologyState
from protocol.topology.transactions import MAX_SIGNATURES, Operation, SignedTopologyTransaction


@dataclass(frozen=True, slots=True)
class Accept:
    """Fully authorized: the transaction takes effect."""

    signed: SignedTopologyTransaction
    """With only the signatures that count, ``is_proposal`` False."""


@dataclass(frozen=True, slots=True)
class Propose:
    """Valid so far but not fully authorized: kept pending."""

    signed: SignedTopologyTransaction
    """All signatures collected so far, ``is_proposal`` True."""
    missing: tuple[str, ...]
    """Namespaces and proof-of-possession keys still without a signature, sorted."""


Decision = Accept | Propose


def required_authorization(signed: SignedTopologyTransaction) -> RequiredAuthorization:
    tx = signed.transaction
    return tx.mapping.required_authorization(tx.operation is Operation.REMOVE)


def _signer_keys(
    state: TopologyState, required: RequiredAuthorization, signed: SignedTopologyTransaction
) -> dict[Fingerprint, SigningPublicKey]:
    """Every key whose signature counts for this transaction, by fingerprint."""
    keys: dict[Fingerprint, SigningPublicKey] = {}
    for namespace in sorted(required.namespaces):
        for fp, authorized in state.keys_of(namespace).items():
            if authorized.can_delegate or not required.delegation:
                keys[fp] = authorized.key
    for pop in _proof_keys(signed):
        keys[pop.fingerprint] = pop
    return keys


def _proof_keys(signed: SignedTopologyTransaction) -> list[SigningPublicKey]:
    """Keys that must sign themselves (root certificates, owner-to-key signing keys)."""
    required = required_authorization(signed)
    mapping = signed.transaction.mapping
    candidates = [getattr(mapping, "target_key", None), getattr(mapping, "signing_key", None)]
    return [
        k for k in candidates if isinstance(k, SigningPublicKey) and k.fingerprint in required.keys
    ]


def missing_authorizations(
    state: TopologyState, signed: SignedTopologyTransaction
) -> tuple[str, ...]:
    """What is still unsigned, given ``signed``'s signatures and the head state."""
    required = required_authorization(signed)
    signers = signed.signers
    missing: list[str] = []
    for namespace in sorted(required.namespaces):
        ok = any(
            fp in signers and (a.can_delegate or not required.delegation)
            for fp, a in state.keys_of(namespace).items()
        )
        if not ok:
            missing.append(f"namespace {namespace}")
    missing.extend(f"key {fp}" for fp in sorted(required.keys) if fp not in signers)
    return tuple(missing)


def validate(
    state: TopologyState,
    signed: SignedTopologyTransaction,
    domain: DomainId,
    pending: SignedTopologyTransaction | None = None,
) -> Decision:
    """Decide on ``signed`` (see the module docstring); raise a
    :class:`~protocol.topology.errors.TopologyRejectedError` to refuse it.

    ``pending`` is the proposal already held for the same transaction hash, if any.
    """
    tx = signed.transaction
    tx_hash = tx.hash()
    hash_text = tx_hash.to_multihash()
    key = tx.unique_key

    named = mapping_domain(tx.mapping)
    if named is not None and named != domain:
        raise WrongDomainError(domain, named)

    if state.was_accepted(tx_hash.digest):
        raise DuplicateTransactionError(hash_text, "already accepted")

    active = state.active(key)
    if tx.operation is Operation.ADD and active is not None:
        raise MappingExistsError(key, active.signed.transaction.serial)
    if tx.operation is not Operation.ADD:
        if active is None:
            raise MappingNotFoundError(key, f"{tx.operation.name} of a key that is not active")
        if tx.operation is Operation.REMOVE and active.mapping != tx.mapping:
            raise MappingNotFoundError(key, "REMOVE must name the active mapping's content")

    expected = state.expected_serial(key)
    if tx.serial != expected:
        raise SerialMismatchError(key, expected, tx.serial)

    required = required_authorization(signed)
    for namespace in sorted(required.namespaces):
        if not state.is_known_namespace(namespace):
            raise UnknownNamespaceError(namespace)

    known = pending.signers if pending is not None else frozenset()
    keys = _signer_keys(state, required, signed)
    data = tx.encode()
    new: list[Signature] = sorted(
        (s for s in signed.signatures if s.signer not in known), key=lambda s: s.signer
    )
    for signature in new:
        public = keys.get(signature.signer)
        if public is None:
            raise UnauthorizedError(hash_text, signer=signature.signer)
        try:
            public.verify(data, signature)
        except SignatureVerificationError:
            raise InvalidSignatureError(signature.signer, hash_text) from None

    if pending is not None and not new:
        raise DuplicateTransactionError(hash_text, "the pending proposal has these signatures")

    merged_signatures = frozenset(new) | (
        pending.signatures if pending is not None else frozenset()
    )
    if len(merged_signatures) > MAX_SIGNATURES:
        raise MalformedTopologyError(
            "topology proposal", f"merging would exceed {MAX_SIGNATURES} signatures"
        )
    merged = SignedTopologyTransaction(tx, merged_signatures, is_proposal=True)
    missing = missing_authorizations(state, merged)
    if not missing:
        counting = frozenset(s for s in merged_signatures if s.signer in keys)
        return Accept(SignedTopologyTransaction(tx, counting, is_proposal=False))
    if not signed.is_proposal and pending is None:
        raise UnauthorizedError(hash_text, missing=missing)
    return Propose(merged, missing)
