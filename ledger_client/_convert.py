"""Client values ⇄ Ledger API messages, and gRPC errors → the exception tree."""

from __future__ import annotations

from collections.abc import Iterable

import grpc
import grpc.aio
from google.rpc import error_details_pb2, status_pb2

from ledger_client import _exceptions as exc
from ledger_client._types import (
    ArchivedEvent,
    CanActAs,
    CanReadAs,
    Command,
    Completion,
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
from ledger_client._values import (
    ContractId,
    Party,
    from_record,
    from_value,
    identifier_text,
    template_identifier,
    to_record,
    to_value,
)
from protocol.ledger_api.v2 import commands_pb2, completion_pb2, event_pb2
from protocol.ledger_api.v2.admin import (
    package_management_service_pb2,
    party_management_service_pb2,
    user_management_service_pb2,
)

STATUS_DETAILS_KEY = "grpc-status-details-bin"


def command_msg(command: Command) -> commands_pb2.Command:
    match command:
        case CreateCommand(template_id, arguments):
            return commands_pb2.Command(
                create=commands_pb2.CreateCommand(
                    template_id=template_identifier(template_id),
                    create_arguments=to_record(arguments),
                )
            )
        case ExerciseCommand(template_id, contract_id, choice, argument):
            return commands_pb2.Command(
                exercise=commands_pb2.ExerciseCommand(
                    template_id=template_identifier(template_id),
                    contract_id=contract_id,
                    choice=choice,
                    choice_argument=to_value(dict(argument)),
                )
            )
        case CreateAndExerciseCommand(template_id, arguments, choice, argument):
            return commands_pb2.Command(
                create_and_exercise=commands_pb2.CreateAndExerciseCommand(
                    template_id=template_identifier(template_id),
                    create_arguments=to_record(arguments),
                    choice=choice,
                    choice_argument=to_value(dict(argument)),
                )
            )
        case ExerciseByKeyCommand(template_id, key, choice, argument):
            return commands_pb2.Command(
                exercise_by_key=commands_pb2.ExerciseByKeyCommand(
                    template_id=template_identifier(template_id),
                    contract_key=to_value(key),
                    choice=choice,
                    choice_argument=to_value(dict(argument)),
                )
            )
    raise TypeError(f"not a command: {command!r}")


def _parties(values: Iterable[str]) -> tuple[Party, ...]:
    return tuple(Party(p) for p in values)


def created(e: event_pb2.CreatedEvent) -> CreatedEvent:
    return CreatedEvent(
        offset=e.offset,
        event_id=e.event_id,
        contract_id=ContractId(e.contract_id),
        template_id=identifier_text(e.template_id),
        arguments=from_record(e.create_arguments),
        signatories=_parties(e.signatories),
        observers=_parties(e.observers),
        witness_parties=_parties(e.witness_parties),
        contract_key=from_value(e.contract_key) if e.HasField("contract_key") else None,
    )


def archived(e: event_pb2.ArchivedEvent) -> ArchivedEvent:
    return ArchivedEvent(
        offset=e.offset,
        event_id=e.event_id,
        contract_id=ContractId(e.contract_id),
        template_id=identifier_text(e.template_id),
        witness_parties=_parties(e.witness_parties),
    )


def exercised(e: event_pb2.ExercisedEvent) -> ExercisedEvent:
    return ExercisedEvent(
        offset=e.offset,
        event_id=e.event_id,
        contract_id=ContractId(e.contract_id),
        template_id=identifier_text(e.template_id),
        choice=e.choice,
        argument=from_value(e.choice_argument),
        acting_parties=_parties(e.acting_parties),
        consuming=e.consuming,
        witness_parties=_parties(e.witness_parties),
        child_event_ids=tuple(e.child_event_ids),
        result=from_value(e.exercise_result),
    )


def transaction(tx: event_pb2.Transaction) -> Transaction:
    return Transaction(
        update_id=tx.update_id,
        command_id=tx.command_id,
        workflow_id=tx.workflow_id,
        offset=tx.offset,
        effective_at=tx.effective_at,
        events=tuple(
            created(e.created) if e.HasField("created") else archived(e.archived) for e in tx.events
        ),
    )


def transaction_tree(tree: event_pb2.TransactionTree) -> TransactionTree:
    events: dict[str, CreatedEvent | ExercisedEvent] = {}
    for eid, event in tree.events_by_id.items():
        events[eid] = (
            created(event.created) if event.HasField("created") else exercised(event.exercised)
        )
    return TransactionTree(
        update_id=tree.update_id,
        command_id=tree.command_id,
        workflow_id=tree.workflow_id,
        offset=tree.offset,
        effective_at=tree.effective_at,
        events_by_id=events,
        root_event_ids=tuple(tree.root_event_ids),
    )


def _error_info(status: status_pb2.Status) -> error_details_pb2.ErrorInfo | None:
    for detail in status.details:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return info
    return None


def completion(c: completion_pb2.Completion) -> Completion:
    info = _error_info(c.status)
    return Completion(
        offset=c.offset,
        command_id=c.command_id,
        submission_id=c.submission_id,
        application_id=c.application_id,
        act_as=_parties(c.act_as),
        update_id=c.update_id or None,
        status_code=c.status.code,
        error_code=info.reason if info is not None else None,
        message=c.status.message,
    )


def party_details(p: party_management_service_pb2.PartyDetails) -> PartyDetails:
    return PartyDetails(Party(p.party), p.display_name, p.is_local)


def package_details(p: package_management_service_pb2.PackageDetails) -> PackageDetails:
    return PackageDetails(
        p.package_id, p.name, p.version, p.module_name, tuple(p.template_ids), p.package_size
    )


Rights = user_management_service_pb2.Right


def right_msg(right: Right) -> user_management_service_pb2.Right:
    match right:
        case CanActAs(party):
            return Rights(can_act_as=Rights.CanActAs(party=party))
        case CanReadAs(party):
            return Rights(can_read_as=Rights.CanReadAs(party=party))
        case ParticipantAdmin():
            return Rights(participant_admin=Rights.ParticipantAdmin())
        case IdentityProviderAdmin():
            return Rights(identity_provider_admin=Rights.IdentityProviderAdmin())
    raise TypeError(f"not a right: {right!r}")


def right_of(msg: user_management_service_pb2.Right) -> Right:
    kind = msg.WhichOneof("kind")
    if kind == "can_act_as":
        return CanActAs(msg.can_act_as.party)
    if kind == "can_read_as":
        return CanReadAs(msg.can_read_as.party)
    if kind == "participant_admin":
        return ParticipantAdmin()
    return IdentityProviderAdmin()


def user_of(msg: user_management_service_pb2.User) -> User:
    return User(msg.id, msg.primary_party, msg.is_deactivated)


def error_from_rpc(error: grpc.aio.AioRpcError) -> exc.LedgerClientError:
    """The exception for a failed call: by Daml error code first, then by gRPC status."""
    code = error.code()
    message = error.details() or ""
    if code is grpc.StatusCode.DEADLINE_EXCEEDED:
        return exc.CallTimeoutError(message)
    error_code = None
    metadata: dict[str, str] = {}
    for key, value in error.trailing_metadata() or ():
        if key == STATUS_DETAILS_KEY and isinstance(value, bytes):
            info = _error_info(status_pb2.Status.FromString(value))
            if info is not None:
                error_code = info.reason
                metadata = dict(info.metadata)
    if code is grpc.StatusCode.UNAVAILABLE and error_code is None:
        return exc.ConnectError(message)
    cls = exc.BY_ERROR_CODE.get(error_code or "") or exc.BY_STATUS.get(
        code.name, exc.LedgerApiStatusError
    )
    return cls(code.name, message, error_code=error_code, metadata=metadata)


def error_from_completion(c: Completion) -> exc.LedgerApiStatusError:
    cls = exc.BY_ERROR_CODE.get(c.error_code or "", exc.CommandRejectedError)
    status = grpc.StatusCode.UNKNOWN.name
    for s in grpc.StatusCode:
        if s.value[0] == c.status_code:
            status = s.name
    return cls(status, c.message, error_code=c.error_code)
