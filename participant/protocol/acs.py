"""The processor's in-memory mirror of the active contract set, its key index and the
locks of pending requests (on contracts and on contract keys).

The store is the truth; this mirror is loaded from it at recovery and changed only after
the store committed the same change, by the one task that handles events. The key index
is derived: the keys of the active contracts (instances carry their key), so it is as
durable as the contracts and follows every commit. It maps a key to *all* its active
holders: at a key's maintainers' participants there is at most one (``keys``), but a
participant that only observes contracts may hold two (its maintainers' participants
approved them), and archiving one of them must not forget the other. The engine reads the
mirror synchronously (``ContractLookup``), restricted to what the submitting parties may
see: contracts one of them is a stakeholder of.
"""

from __future__ import annotations

from collections.abc import Iterable

from participant.engine import ContractId, PartyId
from participant.engine.transaction import ContractInstance, GlobalKey
from participant.store import KeyHash
from protocol.timestamp import Timestamp


def _key_of(instance: ContractInstance) -> bytes | None:
    if instance.key is None:
        return None
    return GlobalKey(instance.template_id, instance.key.key).to_bytes()


class ActiveContracts:
    """Active contracts a hosted party is a stakeholder of, by id and by key, and the
    contracts locked by pending requests."""

    def __init__(self) -> None:
        self._contracts: dict[ContractId, tuple[ContractInstance, bytes]] = {}
        self._keys: dict[bytes, set[ContractId]] = {}
        self._locks: dict[ContractId, Timestamp] = {}
        self._key_locks: dict[KeyHash, Timestamp] = {}

    # -- contracts ------------------------------------------------------------------------

    def add(self, instance: ContractInstance, data: bytes) -> None:
        self._contracts[instance.contract_id] = (instance, data)
        key = _key_of(instance)
        if key is not None:
            self._keys.setdefault(key, set()).add(instance.contract_id)

    def archive(self, contract_id: ContractId) -> None:
        found = self._contracts.pop(contract_id, None)
        if found is None:
            return
        key = _key_of(found[0])
        holders = self._keys.get(key) if key is not None else None
        if key is not None and holders is not None:
            holders.discard(contract_id)
            if not holders:
                del self._keys[key]

    def get(self, contract_id: ContractId) -> tuple[ContractInstance, bytes] | None:
        return self._contracts.get(contract_id)

    def __contains__(self, contract_id: object) -> bool:
        return contract_id in self._contracts

    def __len__(self) -> int:
        return len(self._contracts)

    def items(self) -> list[tuple[ContractInstance, bytes]]:
        return [self._contracts[c] for c in sorted(self._contracts)]

    def key_owner(self, key: GlobalKey) -> ContractId | None:
        """The active contract with ``key`` (the smallest id if, where no maintainer is
        hosted, there are several); None if the key is free here."""
        holders = self._keys.get(key.to_bytes())
        return min(holders) if holders else None

    def key_holders(self, key: GlobalKey) -> frozenset[ContractId]:
        """Every active contract with ``key`` (module docstring)."""
        return frozenset(self._keys.get(key.to_bytes(), ()))

    # -- locks ----------------------------------------------------------------------------

    def lock(self, contract_ids: Iterable[ContractId], request_id: Timestamp) -> None:
        for cid in contract_ids:
            self._locks[cid] = request_id

    def lock_keys(self, keys: Iterable[KeyHash], request_id: Timestamp) -> None:
        for key in keys:
            self._key_locks[key] = request_id

    def release(self, request_id: Timestamp) -> None:
        """Release the contract and key locks of ``request_id``."""
        for cid in [c for c, r in self._locks.items() if r == request_id]:
            del self._locks[cid]
        for key in [k for k, r in self._key_locks.items() if r == request_id]:
            del self._key_locks[key]

    def locked_by(self, contract_id: ContractId) -> Timestamp | None:
        return self._locks.get(contract_id)

    @property
    def locks(self) -> dict[ContractId, Timestamp]:
        return dict(self._locks)

    def key_locked_by(self, key: KeyHash) -> Timestamp | None:
        return self._key_locks.get(key)

    @property
    def key_locks(self) -> dict[KeyHash, Timestamp]:
        return dict(self._key_locks)

    # -- the engine's view ----------------------------------------------------------------

    def lookup_for(self, parties: Iterable[str]) -> VisibleContracts:
        return VisibleContracts(self, frozenset(PartyId(p) for p in parties))


class VisibleContracts:
    """A ``ContractLookup`` over the contracts ``parties`` are stakeholders of."""

    def __init__(self, acs: ActiveContracts, parties: frozenset[PartyId]) -> None:
        self._acs = acs
        self._parties = parties

    def lookup_contract(self, contract_id: ContractId) -> ContractInstance | None:
        found = self._acs.get(contract_id)
        if found is None or not (found[0].stakeholders & self._parties):
            return None
        return found[0]

    def lookup_key(self, key: GlobalKey) -> ContractId | None:
        visible = [c for c in self._acs.key_holders(key) if self.lookup_contract(c) is not None]
        return min(visible) if visible else None
