"""How an error becomes a gRPC status in Daml's style, and back.

Every refusal is answered with the error code's gRPC status code, a message
``<CODE_ID>(<message>)``, and a ``google.rpc.Status`` in the ``grpc-status-details-bin``
trailer whose details hold one ``google.rpc.ErrorInfo``:

==========  ==============================================================
field       value
==========  ==============================================================
reason      the error code id, e.g. ``CONTRACT_NOT_FOUND``
domain      ``chaindomain.ledger_api``
metadata    the error's context (``field``, ``contract_ids``, ``command_id``, …)
==========  ==============================================================

:func:`error_for` turns anything a service method may meet — a
:class:`~.errors.LedgerApiError`, an engine error, a submission the participant refused
(:class:`participant.errors.SubmissionError`), an :class:`auth.AuthError` — into a
:class:`~.errors.LedgerApiError`; an unexpected exception becomes an opaque
``LEDGER_API_INTERNAL_ERROR`` (details only in the server log). The same
``google.rpc.Status`` is what a rejected command's completion carries.
"""

from __future__ import annotations

import logging
from typing import NoReturn

import grpc
import grpc.aio
from google.rpc import error_details_pb2, status_pb2

from auth import AuthError, PermissionDeniedError, grpc_status_for
from participant import engine
from participant.errors import (
    DuplicateCommandError,
    InvalidDeduplicationPeriodError,
    PackageNotVettedByRecipientsError,
    SubmissionBuildError,
    SubmissionError,
    SubmissionTopologyError,
)
from participant.ledger_api.errors import ErrorCode, InvalidArgumentError, LedgerApiError
from participant.store import CompletionStatus

log = logging.getLogger(__name__)

ERROR_DOMAIN = "chaindomain.ledger_api"
STATUS_DETAILS_KEY = "grpc-status-details-bin"


class _MappedError(LedgerApiError):
    """A foreign error (engine, auth) seen as a Ledger API error."""

    def __init__(self, code: ErrorCode, message: str, **context: object) -> None:
        self.code = code
        super().__init__(message, **context)


def _engine_error(exc: engine.EngineError) -> LedgerApiError:
    code = ErrorCode.DAML_INTERPRETATION_ERROR
    context: dict[str, object] = {}
    match exc:
        case engine.AuthorizationError():
            code = ErrorCode.DAML_AUTHORIZATION_ERROR
        case engine.ContractNotFoundError() | engine.ContractNotActiveError():
            code = ErrorCode.CONTRACT_NOT_FOUND
            context["contract_ids"] = exc.contract_id
        case engine.KeyNotFoundError():
            code = ErrorCode.CONTRACT_KEY_NOT_FOUND
            context["template_id"] = exc.template_id
        case engine.DuplicateKeyError():
            code = ErrorCode.DUPLICATE_CONTRACT_KEY
            context["template_id"] = exc.template_id
        case engine.UnknownTemplateError() | engine.PackageNotFoundError():
            code = ErrorCode.TEMPLATES_OR_INTERFACES_NOT_FOUND
        case engine.TypeMismatchError():
            code = ErrorCode.COMMAND_PREPROCESSING_FAILED
        case engine.PackageNotVettedError():
            code = ErrorCode.PACKAGE_NOT_VETTED
        case engine.PackageValidationError():
            code = ErrorCode.INVALID_PACKAGE
            context["line"] = exc.line
            context["rule"] = exc.rule
    return _MappedError(code, str(exc), **context)


def _submission_error(exc: SubmissionError) -> LedgerApiError | None:
    """A submission the participant refused before sending, as Daml reports it."""
    match exc:
        case DuplicateCommandError():
            return _MappedError(
                ErrorCode.DUPLICATE_COMMAND,
                f"a command with id '{exc.command_id}' was already submitted",
                command_id=exc.command_id,
                existing_submission_id=exc.existing_submission_id,
                completion_offset=exc.completion_offset,
            )
        case InvalidDeduplicationPeriodError():
            longest = exc.longest_duration_us
            return _MappedError(
                ErrorCode.INVALID_DEDUPLICATION_PERIOD,
                f"the deduplication period is invalid: {exc.reason}",
                ledger_end=exc.ledger_end,
                longest_duration=None if longest is None else f"{longest / 1_000_000:g}s",
            )
        case PackageNotVettedByRecipientsError():
            return _MappedError(
                ErrorCode.PACKAGE_NOT_VETTED,
                str(exc),
                participants=sorted({p for p, _ in exc.missing}),
                packages=sorted({pkg for _, pkg in exc.missing}),
            )
        case SubmissionTopologyError():
            return InvalidArgumentError("act_as", f"{exc.what}: {exc.detail}")
        case SubmissionBuildError():
            return InvalidArgumentError("commands", exc.detail)
    return None


def error_for(exc: BaseException) -> LedgerApiError:
    """``exc`` as a Ledger API error (see the module docstring)."""
    if isinstance(exc, LedgerApiError):
        return exc
    if isinstance(exc, engine.EngineError):
        return _engine_error(exc)
    if isinstance(exc, SubmissionError) and (refused := _submission_error(exc)) is not None:
        return refused
    if isinstance(exc, AuthError):
        status = grpc_status_for(exc)
        if isinstance(exc, PermissionDeniedError):
            return _MappedError(
                ErrorCode.PERMISSION_DENIED, exc.public_message, missing=exc.missing
            )
        if status is grpc.StatusCode.UNAUTHENTICATED:
            return _MappedError(ErrorCode.UNAUTHENTICATED, exc.public_message)
        if status is grpc.StatusCode.UNAVAILABLE:
            return _MappedError(ErrorCode.SERVICE_NOT_RUNNING, exc.public_message)
    log.exception("unexpected error in a Ledger API call", exc_info=exc)
    return _MappedError(ErrorCode.INTERNAL_ERROR, "internal error; see the participant's log")


def rpc_status(error: LedgerApiError) -> status_pb2.Status:
    """The ``google.rpc.Status`` of ``error``, with its ``ErrorInfo``."""
    info = error_details_pb2.ErrorInfo(
        reason=error.code.code_id, domain=ERROR_DOMAIN, metadata=error.context
    )
    status = status_pb2.Status(code=error.code.status.value[0], message=str(error))
    status.details.add().Pack(info)
    return status


def completion_status_of(error: LedgerApiError) -> CompletionStatus:
    """A rejection as a completion carries it (what backends publish for async failures)."""
    return CompletionStatus(error.code.code_id, error.message, tuple(sorted(error.context.items())))


def completion_rpc_status(status: CompletionStatus) -> status_pb2.Status:
    """The ``google.rpc.Status`` of a completion: code 0 for success."""
    if status.ok:
        return status_pb2.Status(code=0)
    code = ErrorCode.by_id(status.code or "") or ErrorCode.INTERNAL_ERROR
    out = status_pb2.Status(code=code.status.value[0], message=f"{status.code}({status.message})")
    out.details.add().Pack(
        error_details_pb2.ErrorInfo(
            reason=status.code, domain=ERROR_DOMAIN, metadata=dict(status.context)
        )
    )
    return out


def completion_error(status: CompletionStatus) -> LedgerApiError:
    """A rejected completion as the error SubmitAndWait answers with."""
    code = ErrorCode.by_id(status.code or "") or ErrorCode.INTERNAL_ERROR
    return _MappedError(code, status.message, **dict(status.context))


async def abort(context: grpc.aio.ServicerContext, exc: BaseException) -> NoReturn:
    """End the call with ``exc``'s status and details (never returns)."""
    error = error_for(exc)
    log.info(
        "call refused",
        extra={"code": error.code.code_id, "status": error.code.status.name, "error": str(error)},
    )
    await context.abort(
        error.code.status,
        str(error),
        trailing_metadata=((STATUS_DETAILS_KEY, rpc_status(error).SerializeToString()),),
    )
    raise AssertionError("unreachable: abort raises")  # pragma: no cover
