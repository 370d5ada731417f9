"""Malformed requests: INVALID_ARGUMENT naming the field, nothing applied, server unharmed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import grpc.aio
import pytest
from google.rpc import error_details_pb2, status_pb2

from participant.ledger_api import LedgerApiServer
from protocol.ledger_api.v2 import (
    command_service_pb2,
    command_service_pb2_grpc,
    commands_pb2,
    event_pb2,
    state_service_pb2,
    state_service_pb2_grpc,
    update_service_pb2,
    update_service_pb2_grpc,
    value_pb2,
)
from tests.support.auth import ALICE
from tests.support.ledger_backend import FakeLedgerBackend

PKG = "a" * 64


@pytest.fixture
async def channel(server: LedgerApiServer) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as ch:
        yield ch


def error_info(error: grpc.aio.AioRpcError) -> error_details_pb2.ErrorInfo:
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            info = error_details_pb2.ErrorInfo()
            assert status.details[0].Unpack(info)
            assert status.code == error.code().value[0]
            return info
    raise AssertionError("no grpc-status-details-bin trailer")


def create(**overrides: object) -> commands_pb2.Command:
    args = value_pb2.Record(
        fields=[value_pb2.RecordField(label="owner", value=value_pb2.Value(party=ALICE))]
    )
    cmd = commands_pb2.CreateCommand(
        template_id=value_pb2.Identifier(package_id=PKG, module_name="Iou", entity_name="Iou"),
        create_arguments=args,
    )
    for key, value in overrides.items():
        if value is None:
            cmd.ClearField(key)
        else:
            getattr(cmd, key).CopyFrom(value)
    return commands_pb2.Command(create=cmd)


def commands(*cmds: commands_pb2.Command, **fields: object) -> commands_pb2.Commands:
    base: dict[str, object] = {
        "application_id": "app",
        "command_id": "cmd-1",
        "act_as": [ALICE],
        "commands": list(cmds) or [create()],
    }
    base.update(fields)
    return commands_pb2.Commands(**base)  # type: ignore[arg-type]


BAD_NUMERIC = value_pb2.Record(
    fields=[value_pb2.RecordField(label="amount", value=value_pb2.Value(numeric="1e5"))]
)
UNLABELLED = value_pb2.Record(fields=[value_pb2.RecordField(value=value_pb2.Value(text="x"))])

CASES = [
    (command_service_pb2.SubmitAndWaitRequest(), "commands", "MISSING_FIELD"),
    (
        command_service_pb2.SubmitAndWaitRequest(commands=commands(command_id="")),
        "commands.command_id",
        "MISSING_FIELD",
    ),
    (
        command_service_pb2.SubmitAndWaitRequest(commands=commands(act_as=["not a party!"])),
        "commands.act_as[0]",
        "INVALID_FIELD",
    ),
    (
        command_service_pb2.SubmitAndWaitRequest(commands=commands(act_as=[])),
        "commands.act_as",
        "MISSING_FIELD",
    ),
    (
        command_service_pb2.SubmitAndWaitRequest(
            commands=commands(
                create(template_id=value_pb2.Identifier(package_id="zz", entity_name="Iou"))
            )
        ),
        "commands.commands[0].create.template_id",
        "INVALID_FIELD",
    ),
    (
        command_service_pb2.SubmitAndWaitRequest(
            commands=commands(create(create_arguments=BAD_NUMERIC))
        ),
        "commands.commands[0].create.create_arguments.fields[0].value",
        "INVALID_FIELD",
    ),
    (
        command_service_pb2.SubmitAndWaitRequest(
            commands=commands(create(create_arguments=UNLABELLED))
        ),
        "commands.commands[0].create.create_arguments.fields[0].label",
        "INVALID_FIELD",
    ),
    (
        command_service_pb2.SubmitAndWaitRequest(
            commands=commands(
                commands_pb2.Command(
                    exercise=commands_pb2.ExerciseCommand(
                        template_id=value_pb2.Identifier(
                            package_id=PKG, module_name="Iou", entity_name="Iou"
                        ),
                        contract_id="nope",
                        choice="Transfer",
                    )
                )
            )
        ),
        "commands.commands[0].exercise.contract_id",
        "INVALID_FIELD",
    ),
    (
        command_service_pb2.SubmitAndWaitRequest(commands=commands(commands_pb2.Command())),
        "commands.commands[0]",
        "MISSING_FIELD",
    ),
]


@pytest.mark.parametrize(("request_msg", "field", "code"), CASES)
async def test_invalid_submission_names_the_field(
    channel: grpc.aio.Channel,
    backend: FakeLedgerBackend,
    request_msg: command_service_pb2.SubmitAndWaitRequest,
    field: str,
    code: str,
) -> None:
    stub = command_service_pb2_grpc.CommandServiceStub(channel)
    end = await backend.ledger_end()
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.SubmitAndWait(request_msg, timeout=5)
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    info = error_info(caught.value)
    assert info.reason == code
    assert info.metadata["field"] == field
    assert field in (caught.value.details() or "")
    # nothing was submitted or applied
    assert backend.submissions == 0 and await backend.ledger_end() == end


async def test_invalid_stream_requests(channel: grpc.aio.Channel) -> None:
    updates = update_service_pb2_grpc.UpdateServiceStub(channel)
    state = state_service_pb2_grpc.StateServiceStub(channel)
    alice_filter = event_pb2.TransactionFilter()
    alice_filter.filters_by_party[ALICE].SetInParent()
    cases = [
        (updates.GetUpdates(update_service_pb2.GetUpdatesRequest(), timeout=5),
         "filter.filters_by_party"),
        (updates.GetUpdates(update_service_pb2.GetUpdatesRequest(
            begin_exclusive=5, end_inclusive=2, filter=alice_filter), timeout=5),
         "end_inclusive"),
        (updates.GetUpdates(update_service_pb2.GetUpdatesRequest(
            begin_exclusive=-1, filter=alice_filter), timeout=5),
         "begin_exclusive"),
        (state.GetActiveContracts(state_service_pb2.GetActiveContractsRequest(), timeout=5),
         "filter.filters_by_party"),
    ]  # fmt: skip
    for call, field in cases:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            async for _ in call:
                pass
        assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT, field
        assert error_info(caught.value).metadata["field"] == field

    # a begin offset after the ledger end is OUT_OF_RANGE with Daml's code
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for _ in updates.GetUpdates(
            update_service_pb2.GetUpdatesRequest(begin_exclusive=99, filter=alice_filter),
            timeout=5,
        ):
            pass
    assert caught.value.code() is grpc.StatusCode.OUT_OF_RANGE
    assert error_info(caught.value).reason == "OFFSET_AFTER_LEDGER_END"


async def test_garbage_bytes_do_not_crash_the_server(channel: grpc.aio.Channel) -> None:
    raw = channel.unary_unary("/com.daml.ledger.api.v2.CommandService/SubmitAndWait")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await raw(b"\xff\xff\xff\x07garbage", timeout=5)
    assert caught.value.code() in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN)
    ledger_end = state_service_pb2_grpc.StateServiceStub(channel).GetLedgerEnd
    reply = await ledger_end(state_service_pb2.GetLedgerEndRequest(), timeout=5)
    assert reply.offset == 0
