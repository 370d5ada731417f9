"""The processor's in-memory mirror of the active contract set, its key index and the
locks of pending requests.

The store is the truth; this mirror is loaded from it at recovery and changed only after
the store committed the same change, by the one task that handles events. The engine
reads it synchronously (``ContractLookup``), restricted to what the submitting parties
may see: contracts one of them is a stakeholder of.
"""

from __future__ import annotations

from collections.abc import Iterable

from participant.engine import ContractId, PartyId
from participant.engine.transaction import ContractInstance, GlobalKey
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
        self._keys: dict[bytes, ContractId] = {}
        self._locks: dict[ContractId, Timestamp] = {}

    # -- contracts ------------------------------------------------------------------------

    def add(self, instance: ContractInstance, data: bytes) -> None:
        self._contracts[instance.contract_id] = (instance, data)
        key = _key_of(instance)
        if key is not None:
            self._keys[key] = instance.contract_id

    def archive(self, contract_id: ContractId) -> None:
        found = self._contracts.pop(contract_id, None)
        if found is None:
            return
        key = _key_of(found[0])
        if key is not None and self._keys.get(key) == contract_id:
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
        return self._keys.get(key.to_bytes())

    # -- locks ----------------------------------------------------------------------------

    def lock(self, contract_ids: Iterable[ContractId], request_id: Timestamp) -> None:
        for cid in contract_ids:
            self._locks[cid] = request_id

    def release(self, request_id: Timestamp) -> None:
        for cid in [c for c, r in self._locks.items() if r == request_id]:
            del self._locks[cid]

    def locked_by(self, contract_id: ContractId) -> Timestamp | None:
        return self._locks.get(contract_id)

    @property
    def locks(self) -> dict[ContractId, Timestamp]:
        return dict(self._locks)

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
        cid = self._acs.key_owner(key)
        if cid is None:
            return None
        return cid if self.lookup_contract(cid) is not None else None
