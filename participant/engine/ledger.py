"""An in-memory ledger: active contracts and key index, committing transactions.

It implements :class:`~participant.engine.commands.ContractLookup` and is what tests,
the demo and benchmarks use to run packages end to end without a participant node. The
participant's real active contract store implements the same interface.
"""

from __future__ import annotations

from participant.engine.errors import ContractNotActiveError, DuplicateKeyError
from participant.engine.transaction import (
    ContractInstance,
    CreateNode,
    ExerciseNode,
    GlobalKey,
    Transaction,
)
from participant.engine.types import ContractId
from participant.engine.values import show_value


class InMemoryLedger:
    """Active contracts by id and by key. ``commit`` applies a transaction's effects."""

    def __init__(self) -> None:
        self.active: dict[ContractId, ContractInstance] = {}
        self._keys: dict[bytes, ContractId] = {}

    def lookup_contract(self, contract_id: ContractId) -> ContractInstance | None:
        return self.active.get(contract_id)

    def lookup_key(self, key: GlobalKey) -> ContractId | None:
        return self._keys.get(key.to_bytes())

    def commit(self, transaction: Transaction) -> None:
        """Apply creates and archives in order, re-checking activeness and keys."""
        for node in transaction.nodes():
            if isinstance(node, CreateNode):
                if node.key is not None:
                    key = GlobalKey(node.template_id, node.key.key).to_bytes()
                    if key in self._keys:
                        existing = self._keys[key]
                        raise DuplicateKeyError(node.template_id, show_value(node.key.key),
                                                existing)  # fmt: skip
                    self._keys[key] = node.contract_id
                self.active[node.contract_id] = node.instance()
            elif isinstance(node, ExerciseNode) and node.consuming:
                instance = self.active.pop(node.contract_id, None)
                if instance is None:
                    raise ContractNotActiveError(node.contract_id, node.template_id, None)
                if instance.key is not None:
                    self._keys.pop(GlobalKey(instance.template_id, instance.key.key).to_bytes())

    def contracts_of(self, template_id: str) -> list[ContractInstance]:
        return [c for c in self.active.values() if c.template_id == template_id]
