"""Incoming requests → backend values, validated field by field.

Every check names the offending field as a dotted path in the request
(``commands.commands[1].exercise.contract_id``) in an
:class:`~participant.ledger_api.errors.InvalidArgumentError`; nothing reaches the backend
before the whole request passed, so a malformed request can change no state.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable

from participant.engine import (
    Command,
    ContractId,
    CreateAndExerciseCommand,
    CreateCommand,
    ExerciseByKeyCommand,
    ExerciseCommand,
    PartyId,
    TemplateId,
)
from participant.engine.types import NAME_RE, is_contract_id, is_party, split_template_id
from participant.ledger_api.backend import (
    PartyFilter,
    SubmitRequest,
    UpdateFilter,
)
from participant.ledger_api.convert.values import identifier_text, plain_of, record_plain
from participant.ledger_api.errors import InvalidArgumentError
from participant.store import DedupDuration, DedupOffset, DedupPeriod, Offset
from protocol.identifiers import DomainId
from protocol.ledger_api.v2 import commands_pb2, event_pb2, value_pb2

MAX_COMMANDS = 100
MAX_PARTIES = 100
LEDGER_STRING_RE = re.compile(r"[A-Za-z0-9#:\-_/ ]{1,255}")
"""Daml's LedgerString: application, command, submission and workflow ids."""


def ledger_string(value: str, field: str, *, required: bool) -> str:
    if not value:
        if required:
            raise InvalidArgumentError(field, "must not be empty", missing=True)
        return ""
    if LEDGER_STRING_RE.fullmatch(value) is None:
        raise InvalidArgumentError(
            field, "1..255 of [A-Za-z0-9#:-_/ ] (Daml's LedgerString) expected"
        )
    return value


def party(value: str, field: str) -> PartyId:
    if not value:
        raise InvalidArgumentError(field, "must not be empty", missing=True)
    if not is_party(value):
        raise InvalidArgumentError(field, f"{value[:80]!r} is not a party id")
    return PartyId(value)


def parties(values: Iterable[str], field: str, *, required: bool) -> tuple[PartyId, ...]:
    out = tuple(party(v, f"{field}[{i}]") for i, v in enumerate(values))
    if required and not out:
        raise InvalidArgumentError(field, "at least one party", missing=True)
    if len(out) > MAX_PARTIES:
        raise InvalidArgumentError(field, f"at most {MAX_PARTIES} parties")
    return tuple(dict.fromkeys(out))


def offset(value: int, field: str) -> Offset:
    if value < 0:
        raise InvalidArgumentError(field, f"offsets are ≥ 0, got {value}")
    return Offset(value)


def template_id(identifier: value_pb2.Identifier, field: str, *, present: bool) -> TemplateId:
    if not present:
        raise InvalidArgumentError(field, "missing", missing=True)
    text = identifier_text(identifier)
    if split_template_id(text) is None:
        raise InvalidArgumentError(
            field, f"{text[:120]!r} is not <64-hex package id>:<module>:<template>"
        )
    return TemplateId(text)


def contract_id(value: str, field: str) -> ContractId:
    if not value:
        raise InvalidArgumentError(field, "must not be empty", missing=True)
    if not is_contract_id(value):
        raise InvalidArgumentError(field, f"{value[:80]!r} is not a contract id")
    return ContractId(value)


def choice_name(value: str, field: str) -> str:
    if not value:
        raise InvalidArgumentError(field, "must not be empty", missing=True)
    if NAME_RE.fullmatch(value) is None:
        raise InvalidArgumentError(field, f"{value[:80]!r} is not a choice name")
    return value


def choice_argument(msg: value_pb2.Value, has: bool, field: str) -> dict[str, object]:
    """A choice argument: a record (by label), or absent/unit for a choice with none."""
    if not has:
        return {}
    kind = msg.WhichOneof("sum")
    if kind == "unit":
        return {}
    if kind != "record":
        raise InvalidArgumentError(field, f"a record of the choice's parameters, got {kind}")
    return record_plain(msg.record, f"{field}.record")


def command(cmd: commands_pb2.Command, field: str) -> Command:
    kind = cmd.WhichOneof("command")
    if kind is None:
        raise InvalidArgumentError(field, "empty command", missing=True)
    where = f"{field}.{kind}"
    if kind == "create":
        c = cmd.create
        if not c.HasField("create_arguments"):
            raise InvalidArgumentError(f"{where}.create_arguments", "missing", missing=True)
        return CreateCommand(
            template_id(c.template_id, f"{where}.template_id", present=c.HasField("template_id")),
            record_plain(c.create_arguments, f"{where}.create_arguments"),
        )
    if kind == "exercise":
        e = cmd.exercise
        return ExerciseCommand(
            template_id(e.template_id, f"{where}.template_id", present=e.HasField("template_id")),
            contract_id(e.contract_id, f"{where}.contract_id"),
            choice_name(e.choice, f"{where}.choice"),
            choice_argument(
                e.choice_argument, e.HasField("choice_argument"), f"{where}.choice_argument"
            ),
        )
    if kind == "exercise_by_key":
        k = cmd.exercise_by_key
        if not k.HasField("contract_key"):
            raise InvalidArgumentError(f"{where}.contract_key", "missing", missing=True)
        return ExerciseByKeyCommand(
            template_id(k.template_id, f"{where}.template_id", present=k.HasField("template_id")),
            plain_of(k.contract_key, f"{where}.contract_key"),
            choice_name(k.choice, f"{where}.choice"),
            choice_argument(
                k.choice_argument, k.HasField("choice_argument"), f"{where}.choice_argument"
            ),
        )
    ce = cmd.create_and_exercise
    if not ce.HasField("create_arguments"):
        raise InvalidArgumentError(f"{where}.create_arguments", "missing", missing=True)
    return CreateAndExerciseCommand(
        template_id(ce.template_id, f"{where}.template_id", present=ce.HasField("template_id")),
        record_plain(ce.create_arguments, f"{where}.create_arguments"),
        choice_name(ce.choice, f"{where}.choice"),
        choice_argument(
            ce.choice_argument, ce.HasField("choice_argument"), f"{where}.choice_argument"
        ),
    )


def deduplication(msg: commands_pb2.Commands, field: str) -> DedupPeriod | None:
    kind = msg.WhichOneof("deduplication_period")
    if kind is None:
        return None
    if kind == "deduplication_offset":
        return DedupOffset(offset(msg.deduplication_offset, f"{field}.{kind}"))
    duration = msg.deduplication_duration
    seconds = duration.seconds + duration.nanos / 1e9
    if seconds < 0 or duration.nanos < 0:
        raise InvalidArgumentError(f"{field}.{kind}", "must not be negative")
    return DedupDuration(int(seconds * 1_000_000))


def submit_request(
    msg: commands_pb2.Commands, present: bool, *, application_id: str, field: str = "commands"
) -> SubmitRequest:
    """A ``Commands`` message as a :class:`SubmitRequest` (``application_id`` already
    settled against the token by the caller)."""
    if not present:
        raise InvalidArgumentError(field, "missing", missing=True)
    if not msg.commands:
        raise InvalidArgumentError(f"{field}.commands", "at least one command", missing=True)
    if len(msg.commands) > MAX_COMMANDS:
        raise InvalidArgumentError(f"{field}.commands", f"at most {MAX_COMMANDS} commands")
    command_id = ledger_string(msg.command_id, f"{field}.command_id", required=True)
    submission_id = ledger_string(msg.submission_id, f"{field}.submission_id", required=False)
    return SubmitRequest(
        act_as=parties(msg.act_as, f"{field}.act_as", required=True),
        read_as=parties(msg.read_as, f"{field}.read_as", required=False),
        application_id=ledger_string(application_id, f"{field}.application_id", required=True),
        command_id=command_id,
        submission_id=submission_id or str(uuid.uuid4()),
        workflow_id=ledger_string(msg.workflow_id, f"{field}.workflow_id", required=False),
        commands=tuple(command(c, f"{field}.commands[{i}]") for i, c in enumerate(msg.commands)),
        deduplication=deduplication(msg, field),
        domain_id=DomainId(msg.domain_id) if msg.domain_id else None,
    )


def update_filter(
    msg: event_pb2.TransactionFilter, present: bool, field: str = "filter"
) -> UpdateFilter:
    if not present or not msg.filters_by_party:
        raise InvalidArgumentError(f"{field}.filters_by_party", "at least one party", missing=True)
    if len(msg.filters_by_party) > MAX_PARTIES:
        raise InvalidArgumentError(f"{field}.filters_by_party", f"at most {MAX_PARTIES} parties")
    out: list[PartyFilter] = []
    for name in sorted(msg.filters_by_party):
        where = f"{field}.filters_by_party[{name[:80]}]"
        filters = msg.filters_by_party[name]
        templates = frozenset(
            template_id(
                t.template_id,
                f"{where}.template_filters[{i}].template_id",
                present=t.HasField("template_id"),
            )
            for i, t in enumerate(filters.template_filters)
        )
        out.append(PartyFilter(party(name, where), templates))
    return UpdateFilter(tuple(out))
