"""Errors of the Ledger API, in Daml's error-code style.

Every error a Ledger API call answers with has a stable **error code** (Daml's
self-service error codes: ``CONTRACT_NOT_FOUND``, ``DUPLICATE_COMMAND``, …) that fixes the
gRPC status code, plus a message and structured context. On the wire the code travels
as a ``google.rpc.ErrorInfo`` (``reason`` = the code, ``metadata`` = the context) inside a
``google.rpc.Status`` in the ``grpc-status-details-bin`` trailer (``status.py``); a
command completion carries the same ``google.rpc.Status``. See ``docs/ledger-api.md``.

::

    LedgerApiError                         root; every subclass has ``code`` and ``context``
    ├── InvalidArgumentError               INVALID_ARGUMENT / INVALID_FIELD / MISSING_FIELD
    ├── UserNotFoundError                  USER_NOT_FOUND (user management)
    ├── UserAlreadyExistsError             USER_ALREADY_EXISTS
    └── LedgerBackendError                 raised by a :class:`~.backend.LedgerBackend`
        ├── UpdateNotFoundError            UPDATE_NOT_FOUND
        ├── OffsetAfterLedgerEndError      OFFSET_AFTER_LEDGER_END
        ├── ParticipantPrunedError         PARTICIPANT_PRUNED_DATA_ACCESSED
        ├── PackageNotFoundError           PACKAGE_NOT_FOUND
        ├── PackageRejectedError           INVALID_PACKAGE (upload refused)
        ├── PartyAlreadyExistsError        PARTY_ALREADY_EXISTS
        ├── NotConnectedToDomainError      NOT_CONNECTED_TO_ANY_DOMAIN (UNAVAILABLE)
        └── BackendUnavailableError        SERVICE_NOT_RUNNING / PARTICIPANT_BACKPRESSURE

Interpretation failures and the participant's own refusals are *not* re-wrapped by the
backend: ``submit`` lets the engine's :class:`participant.engine.EngineError` and the
participant's :class:`participant.errors.SubmissionError` subclasses escape, and
:func:`~.status.error_for` maps them (``DAML_AUTHORIZATION_ERROR``,
``DAML_INTERPRETATION_ERROR``, ``CONTRACT_NOT_FOUND``; ``DUPLICATE_COMMAND``,
``INVALID_DEDUPLICATION_PERIOD`` (an offset after the ledger end, a duration above the
maximum), ``PACKAGE_NOT_VETTED_BY_RECIPIENTS`` (an informee participant has not vetted a
package the transaction uses), …). Rejections after a submission is in flight
(``INCONSISTENT_CONTRACTS``, ``INCONSISTENT_CONTRACT_KEY``, …) are completion statuses,
never raised.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping

import grpc


class ErrorCode(enum.Enum):
    """Daml's error codes used by this Ledger API, each with its gRPC status code."""

    def __init__(self, code_id: str, status: grpc.StatusCode) -> None:
        self.code_id = code_id
        self.status = status

    # request validation
    INVALID_ARGUMENT = ("INVALID_ARGUMENT", grpc.StatusCode.INVALID_ARGUMENT)
    INVALID_FIELD = ("INVALID_FIELD", grpc.StatusCode.INVALID_ARGUMENT)
    MISSING_FIELD = ("MISSING_FIELD", grpc.StatusCode.INVALID_ARGUMENT)
    INVALID_DEDUPLICATION_PERIOD = (
        "INVALID_DEDUPLICATION_PERIOD",
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    # authorization
    UNAUTHENTICATED = ("UNAUTHENTICATED", grpc.StatusCode.UNAUTHENTICATED)
    PERMISSION_DENIED = ("PERMISSION_DENIED", grpc.StatusCode.PERMISSION_DENIED)
    # command rejections
    CONTRACT_NOT_FOUND = ("CONTRACT_NOT_FOUND", grpc.StatusCode.NOT_FOUND)
    CONTRACT_KEY_NOT_FOUND = ("CONTRACT_KEY_NOT_FOUND", grpc.StatusCode.NOT_FOUND)
    DUPLICATE_COMMAND = ("DUPLICATE_COMMAND", grpc.StatusCode.ALREADY_EXISTS)
    DUPLICATE_CONTRACT_KEY = ("DUPLICATE_CONTRACT_KEY", grpc.StatusCode.ALREADY_EXISTS)
    INCONSISTENT_CONTRACTS = ("INCONSISTENT_CONTRACTS", grpc.StatusCode.FAILED_PRECONDITION)
    INCONSISTENT_CONTRACT_KEY = (
        "INCONSISTENT_CONTRACT_KEY",
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    DAML_AUTHORIZATION_ERROR = ("DAML_AUTHORIZATION_ERROR", grpc.StatusCode.INVALID_ARGUMENT)
    DAML_INTERPRETATION_ERROR = ("DAML_INTERPRETATION_ERROR", grpc.StatusCode.FAILED_PRECONDITION)
    COMMAND_PREPROCESSING_FAILED = (
        "COMMAND_PREPROCESSING_FAILED",
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    TEMPLATES_OR_INTERFACES_NOT_FOUND = (
        "TEMPLATES_OR_INTERFACES_NOT_FOUND",
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    PACKAGE_NOT_VETTED = ("PACKAGE_NOT_VETTED_BY_RECIPIENTS", grpc.StatusCode.FAILED_PRECONDITION)
    INTERPRETATION_TIME_EXCEEDED = ("INTERPRETATION_TIME_EXCEEDED", grpc.StatusCode.ABORTED)
    MEDIATOR_REJECTED = ("LOCAL_VERDICT_REJECTED", grpc.StatusCode.ABORTED)
    REQUEST_TIMED_OUT = ("REQUEST_TIMED_OUT", grpc.StatusCode.DEADLINE_EXCEEDED)
    # reads
    UPDATE_NOT_FOUND = ("UPDATE_NOT_FOUND", grpc.StatusCode.NOT_FOUND)
    OFFSET_AFTER_LEDGER_END = ("OFFSET_AFTER_LEDGER_END", grpc.StatusCode.OUT_OF_RANGE)
    OFFSET_OUT_OF_RANGE = ("OFFSET_OUT_OF_RANGE", grpc.StatusCode.INVALID_ARGUMENT)
    PARTICIPANT_PRUNED_DATA_ACCESSED = (
        "PARTICIPANT_PRUNED_DATA_ACCESSED",
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    # administration
    PACKAGE_NOT_FOUND = ("PACKAGE_NOT_FOUND", grpc.StatusCode.NOT_FOUND)
    INVALID_PACKAGE = ("INVALID_PACKAGE", grpc.StatusCode.INVALID_ARGUMENT)
    PARTY_ALREADY_EXISTS = ("PARTY_ALREADY_EXISTS", grpc.StatusCode.ALREADY_EXISTS)
    USER_NOT_FOUND = ("USER_NOT_FOUND", grpc.StatusCode.NOT_FOUND)
    USER_ALREADY_EXISTS = ("USER_ALREADY_EXISTS", grpc.StatusCode.ALREADY_EXISTS)
    # availability
    NOT_CONNECTED_TO_ANY_DOMAIN = ("NOT_CONNECTED_TO_ANY_DOMAIN", grpc.StatusCode.UNAVAILABLE)
    SERVICE_NOT_RUNNING = ("SERVICE_NOT_RUNNING", grpc.StatusCode.UNAVAILABLE)
    PARTICIPANT_BACKPRESSURE = ("PARTICIPANT_BACKPRESSURE", grpc.StatusCode.ABORTED)
    INTERNAL_ERROR = ("LEDGER_API_INTERNAL_ERROR", grpc.StatusCode.INTERNAL)

    @classmethod
    def by_id(cls, code_id: str) -> ErrorCode | None:
        """The code whose wire id is ``code_id`` (``None`` for one this version lacks)."""
        for code in cls:
            if code.code_id == code_id:
                return code
        return None


def _context(items: Mapping[str, object]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in items.items():
        if value is None:
            continue
        if isinstance(value, str):
            out[key] = value
        elif isinstance(value, Iterable):
            out[key] = ",".join(str(v) for v in value)
        else:
            out[key] = str(value)
    return out


class LedgerApiError(Exception):
    """Root of the Ledger API's errors: a code, a message, and context as fields."""

    code: ErrorCode = ErrorCode.INTERNAL_ERROR

    def __init__(self, message: str, **context: object) -> None:
        self.message = message
        self.context: dict[str, str] = _context(context)
        """Structured detail sent as ``ErrorInfo.metadata`` (strings only)."""
        super().__init__(f"{self.code.code_id}({message})")


class InvalidArgumentError(LedgerApiError):
    """A request field is missing or malformed; ``field`` names it (dotted path)."""

    def __init__(self, field: str, reason: str, *, missing: bool = False) -> None:
        self.field = field
        self.reason = reason
        self.code = ErrorCode.MISSING_FIELD if missing else ErrorCode.INVALID_FIELD
        what = "missing field" if missing else "invalid field"
        super().__init__(f"{what} {field}: {reason}", field=field)


class LedgerBackendError(LedgerApiError):
    """Raised by a :class:`~participant.ledger_api.backend.LedgerBackend` call."""


class UpdateNotFoundError(LedgerBackendError):
    code = ErrorCode.UPDATE_NOT_FOUND

    def __init__(self, what: str) -> None:
        self.what = what
        super().__init__(f"no visible update {what}", update=what)


class OffsetAfterLedgerEndError(LedgerBackendError):
    code = ErrorCode.OFFSET_AFTER_LEDGER_END

    def __init__(self, offset: int, ledger_end: int) -> None:
        self.offset = offset
        self.ledger_end = ledger_end
        super().__init__(
            f"offset {offset} is after the ledger end {ledger_end}",
            offset=offset,
            ledger_end=ledger_end,
        )


class ParticipantPrunedError(LedgerBackendError):
    code = ErrorCode.PARTICIPANT_PRUNED_DATA_ACCESSED

    def __init__(self, offset: int, pruned_up_to: int) -> None:
        self.offset = offset
        self.pruned_up_to = pruned_up_to
        super().__init__(
            f"offset {offset} was pruned (pruned up to {pruned_up_to})",
            offset=offset,
            pruned_up_to=pruned_up_to,
        )


class PackageNotFoundError(LedgerBackendError):
    code = ErrorCode.PACKAGE_NOT_FOUND

    def __init__(self, package_id: str) -> None:
        self.package_id = package_id
        super().__init__(f"package {package_id} not found", package_id=package_id)


class PackageRejectedError(LedgerBackendError):
    """An uploaded package source was refused (validation, evaluation); ``rule`` is the
    sandbox rule that refused it (``participant.engine.sandbox.RULES``)."""

    code = ErrorCode.INVALID_PACKAGE

    def __init__(self, reason: str, *, line: int | None = None, rule: str | None = None) -> None:
        self.reason = reason
        self.line = line
        self.rule = rule
        super().__init__(f"package refused: {reason}", reason=reason, line=line, rule=rule)


class PartyAlreadyExistsError(LedgerBackendError):
    code = ErrorCode.PARTY_ALREADY_EXISTS

    def __init__(self, party: str) -> None:
        self.party = party
        super().__init__(f"party {party} already exists", party=party)


class NotConnectedToDomainError(LedgerBackendError):
    code = ErrorCode.NOT_CONNECTED_TO_ANY_DOMAIN

    def __init__(self, detail: str = "the participant is not connected to a domain") -> None:
        super().__init__(detail)


class BackendUnavailableError(LedgerBackendError):
    """The node cannot serve now (starting, shutting down, overloaded); retryable."""

    code = ErrorCode.SERVICE_NOT_RUNNING

    def __init__(self, detail: str, *, overloaded: bool = False) -> None:
        if overloaded:
            self.code = ErrorCode.PARTICIPANT_BACKPRESSURE
        super().__init__(detail)


class UserNotFoundError(LedgerApiError):
    code = ErrorCode.USER_NOT_FOUND

    def __init__(self, user_id: str) -> None:
        self.user_id = user_id
        super().__init__(f"user '{user_id}' not found", user_id=user_id)


class UserAlreadyExistsError(LedgerApiError):
    code = ErrorCode.USER_ALREADY_EXISTS

    def __init__(self, user_id: str) -> None:
        self.user_id = user_id
        super().__init__(f"user '{user_id}' already exists", user_id=user_id)
