"""A typed async client for a chaindomain participant's Ledger API (Daml Ledger API v2).

::

    from ledger_client import CreateCommand, LedgerClient, Party

    async with LedgerClient("127.0.0.1:5011", token=token) as client:
        tx = await client.submit_and_wait_for_transaction(
            [CreateCommand(iou_template, {"issuer": Party(bank), ...})], act_as=[bank]
        )
        async for tx in client.updates([bank], begin=tx.offset):
            ...

See ``docs/ledger-client.md``. Errors: the tree in ``ledger_client._exceptions``.
"""

from ledger_client._client import LedgerClient, TlsConfig
from ledger_client._exceptions import (
    AlreadyExistsError,
    AuthenticationError,
    CallTimeoutError,
    CommandRejectedError,
    ConnectError,
    ContractNotFoundError,
    DamlAuthorizationError,
    DuplicateCommandError,
    InconsistentContractsError,
    InterpretationError,
    InvalidArgumentError,
    InvalidDeduplicationPeriodError,
    LedgerApiStatusError,
    LedgerClientError,
    NotFoundError,
    PermissionDeniedError,
    ServerCertificateError,
    ServiceUnavailableError,
    TransportError,
)
from ledger_client._timeouts import Timeout
from ledger_client._types import (
    ActiveContracts,
    ArchivedEvent,
    CanActAs,
    CanReadAs,
    Command,
    Completion,
    ConnectedDomain,
    CreateAndExerciseCommand,
    CreateCommand,
    CreatedEvent,
    ExerciseByKeyCommand,
    ExerciseCommand,
    ExercisedEvent,
    IdentityProviderAdmin,
    PackageDetails,
    ParticipantAdmin,
    PartyDetails,
    Right,
    Transaction,
    TransactionTree,
    User,
)
from ledger_client._values import ContractId, Date, Map, Party, Some, Timestamp, Unit, Variant

__all__ = [
    "ActiveContracts",
    "AlreadyExistsError",
    "ArchivedEvent",
    "AuthenticationError",
    "CallTimeoutError",
    "CanActAs",
    "CanReadAs",
    "Command",
    "CommandRejectedError",
    "Completion",
    "ConnectError",
    "ConnectedDomain",
    "ContractId",
    "ContractNotFoundError",
    "CreateAndExerciseCommand",
    "CreateCommand",
    "CreatedEvent",
    "DamlAuthorizationError",
    "Date",
    "DuplicateCommandError",
    "ExerciseByKeyCommand",
    "ExerciseCommand",
    "ExercisedEvent",
    "IdentityProviderAdmin",
    "InconsistentContractsError",
    "InterpretationError",
    "InvalidArgumentError",
    "InvalidDeduplicationPeriodError",
    "LedgerApiStatusError",
    "LedgerClient",
    "LedgerClientError",
    "Map",
    "NotFoundError",
    "PackageDetails",
    "ParticipantAdmin",
    "Party",
    "PartyDetails",
    "PermissionDeniedError",
    "Right",
    "ServerCertificateError",
    "ServiceUnavailableError",
    "Some",
    "Timeout",
    "Timestamp",
    "TlsConfig",
    "Transaction",
    "TransactionTree",
    "TransportError",
    "Unit",
    "User",
    "Variant",
]
