"""The client's values: commands to send and what the ledger answers, as frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ledger_client._values import ContractId, Party

# --- commands ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateCommand:
    template_id: str
    """``<package id>:<module>:<Template>``."""
    arguments: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ExerciseCommand:
    template_id: str
    contract_id: str
    choice: str
    argument: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CreateAndExerciseCommand:
    template_id: str
    arguments: dict[str, Any]
    choice: str
    argument: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ExerciseByKeyCommand:
    template_id: str
    key: Any
    choice: str
    argument: dict[str, Any] = field(default_factory=dict)


Command = CreateCommand | ExerciseCommand | CreateAndExerciseCommand | ExerciseByKeyCommand


# --- events -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreatedEvent:
    offset: int
    event_id: str
    contract_id: ContractId
    template_id: str
    arguments: dict[str, Any]
    signatories: tuple[Party, ...]
    observers: tuple[Party, ...]
    witness_parties: tuple[Party, ...]
    contract_key: Any = None


@dataclass(frozen=True, slots=True)
class ArchivedEvent:
    offset: int
    event_id: str
    contract_id: ContractId
    template_id: str
    witness_parties: tuple[Party, ...]


@dataclass(frozen=True, slots=True)
class ExercisedEvent:
    offset: int
    event_id: str
    contract_id: ContractId
    template_id: str
    choice: str
    argument: Any
    acting_parties: tuple[Party, ...]
    consuming: bool
    witness_parties: tuple[Party, ...]
    child_event_ids: tuple[str, ...]
    result: Any


@dataclass(frozen=True, slots=True)
class Transaction:
    update_id: str
    command_id: str
    workflow_id: str
    offset: int
    effective_at: int
    events: tuple[CreatedEvent | ArchivedEvent, ...]

    @property
    def created(self) -> tuple[CreatedEvent, ...]:
        return tuple(e for e in self.events if isinstance(e, CreatedEvent))

    @property
    def archived(self) -> tuple[ArchivedEvent, ...]:
        return tuple(e for e in self.events if isinstance(e, ArchivedEvent))


@dataclass(frozen=True, slots=True)
class TransactionTree:
    update_id: str
    command_id: str
    workflow_id: str
    offset: int
    effective_at: int
    events_by_id: dict[str, CreatedEvent | ExercisedEvent]
    root_event_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Completion:
    offset: int
    command_id: str
    submission_id: str
    application_id: str
    act_as: tuple[Party, ...]
    update_id: str | None
    """Set when the command committed."""
    status_code: int
    """0 for success, else the gRPC status code of the rejection."""
    error_code: str | None
    message: str

    @property
    def ok(self) -> bool:
        return self.status_code == 0


@dataclass(frozen=True, slots=True)
class ActiveContracts:
    offset: int
    """The offset the snapshot is valid at: continue with ``updates(begin=offset)``."""
    contracts: tuple[CreatedEvent, ...]


@dataclass(frozen=True, slots=True)
class PartyDetails:
    party: Party
    display_name: str
    is_local: bool


@dataclass(frozen=True, slots=True)
class PackageDetails:
    package_id: str
    name: str
    version: str
    module: str
    template_ids: tuple[str, ...]
    size: int


@dataclass(frozen=True, slots=True)
class ConnectedDomain:
    domain_alias: str
    domain_id: str
    permission: str


# --- users ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class User:
    user_id: str
    primary_party: str = ""
    is_deactivated: bool = False


@dataclass(frozen=True, slots=True)
class CanActAs:
    party: str


@dataclass(frozen=True, slots=True)
class CanReadAs:
    party: str


@dataclass(frozen=True, slots=True)
class ParticipantAdmin:
    pass


@dataclass(frozen=True, slots=True)
class IdentityProviderAdmin:
    pass


Right = CanActAs | CanReadAs | ParticipantAdmin | IdentityProviderAdmin
