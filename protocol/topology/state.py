"""The topology head state: what every accepted transaction so far has made of the domain,
and who may sign for each namespace.

Validation of a new transaction uses this *head* state — every transaction accepted before
it in sequencing order, whether or not it is effective yet — never a snapshot at some
time. Because all members process the same sequence, they hold the same head state.

The authorization chain of a namespace ``N`` (Canton's authorization graph) is computed, not
stored: start from ``N``'s root key (present while its root certificate is active) and
repeatedly admit the target key of every active NamespaceDelegation of ``N`` that carries a
signature by a key already admitted *with delegation rights*; a key gains delegation rights
when it is the root key or when a delegation admitting it has ``is_root_delegation``. So
removing a delegation also de-authorizes every key that was only reachable through it, and
the result does not depend on the order of anything but the set of active delegations.

This module owns no I/O and no clock: it is a pure fold over accepted transactions.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from protocol.crypto.signing import SigningPublicKey
from protocol.identifiers import Fingerprint, Namespace
from protocol.timestamp import Timestamp
from protocol.topology.mappings import NamespaceDelegation, TopologyMapping, UniqueKey
from protocol.topology.transactions import Operation, Serial, SignedTopologyTransaction


@dataclass(frozen=True, slots=True)
class StoredTransaction:
    """An accepted transaction with its place in the domain's history."""

    position: int
    """0-based index in acceptance (= sequencing) order."""
    sequenced_at: Timestamp
    effective_at: Timestamp
    """``max(sequenced_at + topology change delay, previous effective_at)``."""
    signed: SignedTopologyTransaction
    """The transaction with the signatures that authorized it at acceptance."""

    @property
    def operation(self) -> Operation:
        return self.signed.transaction.operation

    @property
    def mapping(self) -> TopologyMapping:
        return self.signed.transaction.mapping

    @property
    def unique_key(self) -> UniqueKey:
        return self.signed.transaction.unique_key


@dataclass(frozen=True, slots=True)
class ProposalRecord:
    """A broadcast that left its transaction pending (a ``Proposed`` outcome), kept so that a
    member joining while the transaction is pending can replay it (``docs/topology.md`` §8).

    A member that replays the accepted history alone would hold none of the signatures
    collected so far, and would keep the completing proposal pending while every other
    node accepts the transaction."""

    position: int
    """The number of transactions accepted before it: it is replayed after accepted
    position ``position - 1`` and before accepted position ``position``."""
    sequenced_at: Timestamp
    signed: SignedTopologyTransaction
    """The transaction as it was broadcast (its own signatures, not the merged ones)."""


@dataclass(frozen=True, slots=True)
class AuthorizedKey:
    """A key authorized for a namespace by the delegation chain."""

    key: SigningPublicKey
    can_delegate: bool
    """May also sign NamespaceDelegations of the namespace."""


def namespace_keys(
    namespace: Namespace, delegations: list[tuple[NamespaceDelegation, frozenset[Fingerprint]]]
) -> dict[Fingerprint, AuthorizedKey]:
    """The keys authorized for ``namespace``, given its active delegations and their signers.

    Empty when the root certificate is not among ``delegations`` (the namespace is unknown).
    """
    root = next((d for d, _ in delegations if d.is_root_certificate), None)
    if root is None:
        return {}
    keys = {root.target_key.fingerprint: AuthorizedKey(root.target_key, True)}
    changed = True
    while changed:  # fixpoint: at most one pass per delegation
        changed = False
        for delegation, signers in delegations:
            fp = delegation.target_key.fingerprint
            current = keys.get(fp)
            if current is not None and (current.can_delegate or not delegation.is_root_delegation):
                continue
            if any(s in keys and keys[s].can_delegate for s in signers):
                keys[fp] = AuthorizedKey(delegation.target_key, delegation.is_root_delegation)
                changed = True
    return keys


class TopologyState:
    """The head state: the active transaction per unique key, serials, and the keys of
    every namespace. Mutated only by :meth:`apply`, in acceptance order."""

    __slots__ = ("_accepted_hashes", "_active", "_delegations", "_key_cache", "_serials")

    def __init__(self) -> None:
        self._active: dict[UniqueKey, StoredTransaction] = {}
        self._serials: dict[UniqueKey, Serial] = {}
        self._accepted_hashes: set[bytes] = set()
        self._delegations: dict[Namespace, dict[UniqueKey, StoredTransaction]] = {}
        self._key_cache: dict[Namespace, dict[Fingerprint, AuthorizedKey]] = {}

    def apply(self, record: StoredTransaction) -> None:
        """Fold an accepted transaction into the state (no validation here)."""
        tx = record.signed.transaction
        key = tx.unique_key
        self._serials[key] = tx.serial
        self._accepted_hashes.add(tx.hash().digest)
        if tx.operation is Operation.REMOVE:
            self._active.pop(key, None)
        else:
            self._active[key] = record
        if isinstance(tx.mapping, NamespaceDelegation):
            ns = tx.mapping.namespace
            bucket = self._delegations.setdefault(ns, {})
            if tx.operation is Operation.REMOVE:
                bucket.pop(key, None)
            else:
                bucket[key] = record
            self._key_cache.pop(ns, None)

    def active(self, key: UniqueKey) -> StoredTransaction | None:
        return self._active.get(key)

    def last_serial(self, key: UniqueKey) -> Serial | None:
        """The serial of the key's last accepted transaction (also after a REMOVE)."""
        return self._serials.get(key)

    def expected_serial(self, key: UniqueKey) -> Serial:
        return Serial(self._serials.get(key, 0) + 1)

    def was_accepted(self, transaction_hash: bytes) -> bool:
        return transaction_hash in self._accepted_hashes

    def is_known_namespace(self, namespace: Namespace) -> bool:
        return bool(self.keys_of(namespace))

    def keys_of(self, namespace: Namespace) -> dict[Fingerprint, AuthorizedKey]:
        """The keys the delegation chain authorizes for ``namespace`` (see module doc)."""
        cached = self._key_cache.get(namespace)
        if cached is None:
            bucket = self._delegations.get(namespace, {})
            pairs = []
            for unique_key in sorted(bucket):
                record = bucket[unique_key]
                mapping = record.mapping
                if isinstance(mapping, NamespaceDelegation):  # always, by construction
                    pairs.append((mapping, record.signed.signers))
            cached = namespace_keys(namespace, pairs)
            self._key_cache[namespace] = cached
        return cached

    def active_records(self) -> Iterator[StoredTransaction]:
        """The active transactions, in unique-key order."""
        for key in sorted(self._active):
            yield self._active[key]
