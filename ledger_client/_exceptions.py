"""Exceptions of ``ledger_client``; every one derives from :class:`LedgerClientError`.

A call the server refused carries its gRPC status and, when the server sent one, Daml's
structured error code (``error_code``), message and metadata (``google.rpc.ErrorInfo``)::

    LedgerClientError
    ├── TransportError                 the call did not get an answer
    │   ├── ConnectError               UNAVAILABLE: server down, TLS handshake failed
    │   │   └── ServerCertificateError the server's certificate is refused (expired, not
    │   │                              from the trusted CA, not for this name); ``reason``
    │   └── CallTimeoutError           DEADLINE_EXCEEDED: the Timeout ran out
    └── LedgerApiStatusError           the server answered with an error status
        ├── AuthenticationError        UNAUTHENTICATED: missing, invalid or expired token
        ├── PermissionDeniedError      PERMISSION_DENIED: a right is missing
        ├── InvalidArgumentError       INVALID_FIELD / MISSING_FIELD / INVALID_ARGUMENT; ``field``
        ├── NotFoundError              NOT_FOUND
        │   └── ContractNotFoundError  CONTRACT_NOT_FOUND
        ├── AlreadyExistsError         ALREADY_EXISTS
        │   └── DuplicateCommandError  DUPLICATE_COMMAND
        ├── InvalidDeduplicationPeriodError  INVALID_DEDUPLICATION_PERIOD (FAILED_PRECONDITION):
        │                              an offset after the ledger end, a duration above the maximum
        ├── CommandRejectedError       the command was interpreted or committed and failed
        │   ├── DamlAuthorizationError DAML_AUTHORIZATION_ERROR
        │   ├── InconsistentContractsError  INCONSISTENT_CONTRACTS / _CONTRACT_KEY
        │   └── InterpretationError    DAML_INTERPRETATION_ERROR, COMMAND_PREPROCESSING_FAILED …
        └── ServiceUnavailableError    the participant cannot serve now (retry later)
"""

from __future__ import annotations

from collections.abc import Mapping


class LedgerClientError(Exception):
    """Root of every ``ledger_client`` exception."""


class TransportError(LedgerClientError):
    """No answer from the server (connection, TLS, deadline)."""


class ConnectError(TransportError):
    pass


class ServerCertificateError(ConnectError):
    """The TLS handshake failed on the server's certificate; ``reason`` is the
    verifier's own words ("certificate has expired", "unable to get local issuer
    certificate", ...)."""

    def __init__(self, target: str, reason: str) -> None:
        self.target = target
        self.reason = reason
        super().__init__(f"the server certificate of {target} is refused: {reason}")


class CallTimeoutError(TransportError):
    pass


class LedgerApiStatusError(LedgerClientError):
    """The server refused the call; ``status`` is the gRPC code name."""

    def __init__(
        self,
        status: str,
        message: str,
        *,
        error_code: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.message = message
        self.error_code = error_code
        """Daml's error code id (``CONTRACT_NOT_FOUND``, …), if the server sent one."""
        self.metadata: dict[str, str] = dict(metadata or {})
        super().__init__(f"{status}: {message}")


class AuthenticationError(LedgerApiStatusError):
    pass


class PermissionDeniedError(LedgerApiStatusError):
    pass


class InvalidArgumentError(LedgerApiStatusError):
    @property
    def field(self) -> str | None:
        """The request field the server named."""
        return self.metadata.get("field")


class NotFoundError(LedgerApiStatusError):
    pass


class ContractNotFoundError(NotFoundError):
    pass


class AlreadyExistsError(LedgerApiStatusError):
    pass


class DuplicateCommandError(AlreadyExistsError):
    pass


class InvalidDeduplicationPeriodError(LedgerApiStatusError):
    pass


class CommandRejectedError(LedgerApiStatusError):
    pass


class DamlAuthorizationError(CommandRejectedError):
    pass


class InconsistentContractsError(CommandRejectedError):
    pass


class InterpretationError(CommandRejectedError):
    pass


class ServiceUnavailableError(LedgerApiStatusError):
    pass


BY_ERROR_CODE: dict[str, type[LedgerApiStatusError]] = {
    "CONTRACT_NOT_FOUND": ContractNotFoundError,
    "DUPLICATE_COMMAND": DuplicateCommandError,
    "INVALID_DEDUPLICATION_PERIOD": InvalidDeduplicationPeriodError,
    "DAML_AUTHORIZATION_ERROR": DamlAuthorizationError,
    "INCONSISTENT_CONTRACTS": InconsistentContractsError,
    "INCONSISTENT_CONTRACT_KEY": InconsistentContractsError,
    "DAML_INTERPRETATION_ERROR": InterpretationError,
    "COMMAND_PREPROCESSING_FAILED": InterpretationError,
    "TEMPLATES_OR_INTERFACES_NOT_FOUND": InterpretationError,
    "CONTRACT_KEY_NOT_FOUND": InterpretationError,
    "DUPLICATE_CONTRACT_KEY": InterpretationError,
    "LOCAL_VERDICT_REJECTED": CommandRejectedError,
    "PACKAGE_NOT_VETTED_BY_RECIPIENTS": CommandRejectedError,
    "INVALID_FIELD": InvalidArgumentError,
    "MISSING_FIELD": InvalidArgumentError,
    "INVALID_ARGUMENT": InvalidArgumentError,
}
"""The exception class for a Daml error code (looked up before the gRPC status)."""

BY_STATUS: dict[str, type[LedgerApiStatusError]] = {
    "UNAUTHENTICATED": AuthenticationError,
    "PERMISSION_DENIED": PermissionDeniedError,
    "INVALID_ARGUMENT": InvalidArgumentError,
    "NOT_FOUND": NotFoundError,
    "ALREADY_EXISTS": AlreadyExistsError,
    "FAILED_PRECONDITION": CommandRejectedError,
    "ABORTED": CommandRejectedError,
    "UNAVAILABLE": ServiceUnavailableError,
}
