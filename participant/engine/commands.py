"""Commands, the contract lookup interface, and the submission a command arrives in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from participant.engine.transaction import ContractInstance, GlobalKey
from participant.engine.types import ContractId, TemplateId
from participant.engine.values import RecordValue

Argument = RecordValue | Mapping[str, object]
"""A record argument: a ledger value, or plain Python data checked against the declared
type (field names as keys; records as mappings; variants as ``{"tag": .., "value": ..}``;
Decimal as ``Decimal``/``str``/``int``; Time and Date as ``int`` micros / days)."""


@dataclass(frozen=True, slots=True)
class CreateCommand:
    template_id: TemplateId
    argument: Argument


@dataclass(frozen=True, slots=True)
class ExerciseCommand:
    template_id: TemplateId
    contract_id: ContractId
    choice: str
    argument: Argument = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CreateAndExerciseCommand:
    template_id: TemplateId
    create_argument: Argument
    choice: str
    choice_argument: Argument = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ExerciseByKeyCommand:
    template_id: TemplateId
    key: object
    """The key as a ledger value or as plain data of the template's key type."""
    choice: str
    argument: Argument = field(default_factory=dict)


Command = CreateCommand | ExerciseCommand | CreateAndExerciseCommand | ExerciseByKeyCommand


class ContractLookup(Protocol):
    """What the engine may read from the ledger: the caller's view of active contracts.

    The participant implements it over its active contract store, answering only for
    contracts visible to the submission's ``act_as ∪ read_as`` parties. The engine calls
    it synchronously, so the caller prefetches (or serves from memory) what it needs.
    """

    def lookup_contract(self, contract_id: ContractId) -> ContractInstance | None:
        """The active contract with this id, or ``None``."""
        ...

    def lookup_key(self, key: GlobalKey) -> ContractId | None:
        """The active contract with this key, or ``None``."""
        ...
