"""ledger_client: value conversion both ways and the mapping of statuses to exceptions."""

from __future__ import annotations

import decimal

import grpc
import grpc.aio
import pytest
from google.rpc import error_details_pb2, status_pb2

import ledger_client
from ledger_client import (
    ContractId,
    Date,
    Map,
    Party,
    Some,
    Timestamp,
    Unit,
    Variant,
)
from ledger_client._convert import error_from_rpc
from ledger_client._values import from_value, template_identifier, to_value


def test_values_round_trip() -> None:
    value = {
        "party": Party("alice::1220ab"),
        "cid": ContractId("00" + "1" * 64),
        "amount": decimal.Decimal("12.5"),
        "count": 3,
        "flag": True,
        "name": "x",
        "when": Timestamp(1_700_000_000_000_000),
        "day": Date(19000),
        "maybe": None,
        "some": Some(4),
        "items": [1, 2],
        "map": Map({"a": 1}),
        "choice": Variant("Left", 7),
        "unit": Unit(),
    }
    back = from_value(to_value(value))
    assert back == {**value, "some": 4}
    assert isinstance(back["party"], Party) and isinstance(back["cid"], ContractId)
    assert to_value(Party("p")).WhichOneof("sum") == "party"
    assert to_value("p").WhichOneof("sum") == "text"


def test_template_id_must_have_three_parts() -> None:
    assert template_identifier("a:B:C").entity_name == "C"
    with pytest.raises(ValueError, match="template id"):
        template_identifier("B:C")
    with pytest.raises(TypeError):
        to_value(object())


def _rpc_error(code: grpc.StatusCode, reason: str | None, **metadata: str) -> grpc.aio.AioRpcError:
    trailing = ()
    if reason is not None:
        status = status_pb2.Status(code=code.value[0], message="m")
        status.details.add().Pack(error_details_pb2.ErrorInfo(reason=reason, metadata=metadata))
        trailing = (("grpc-status-details-bin", status.SerializeToString()),)
    return grpc.aio.AioRpcError(
        code, grpc.aio.Metadata(), grpc.aio.Metadata(*trailing), details="m"
    )


@pytest.mark.parametrize(
    ("code", "reason", "expected"),
    [
        (grpc.StatusCode.NOT_FOUND, "CONTRACT_NOT_FOUND", ledger_client.ContractNotFoundError),
        (grpc.StatusCode.ALREADY_EXISTS, "DUPLICATE_COMMAND", ledger_client.DuplicateCommandError),
        (grpc.StatusCode.FAILED_PRECONDITION, "INCONSISTENT_CONTRACTS",
         ledger_client.InconsistentContractsError),
        (grpc.StatusCode.INVALID_ARGUMENT, "DAML_AUTHORIZATION_ERROR",
         ledger_client.DamlAuthorizationError),
        (grpc.StatusCode.UNAUTHENTICATED, None, ledger_client.AuthenticationError),
        (grpc.StatusCode.PERMISSION_DENIED, "PERMISSION_DENIED",
         ledger_client.PermissionDeniedError),
        (grpc.StatusCode.UNAVAILABLE, None, ledger_client.ConnectError),
        (grpc.StatusCode.DEADLINE_EXCEEDED, None, ledger_client.CallTimeoutError),
    ],
)  # fmt: skip
def test_errors_map_by_code_then_status(
    code: grpc.StatusCode, reason: str | None, expected: type[Exception]
) -> None:
    error = error_from_rpc(_rpc_error(code, reason))
    assert type(error) is expected
    assert isinstance(error, ledger_client.LedgerClientError)


def test_invalid_argument_names_the_field() -> None:
    error = error_from_rpc(
        _rpc_error(grpc.StatusCode.INVALID_ARGUMENT, "INVALID_FIELD", field="commands.act_as[0]")
    )
    assert isinstance(error, ledger_client.InvalidArgumentError)
    assert error.field == "commands.act_as[0]" and error.error_code == "INVALID_FIELD"


def test_timeout_must_be_positive() -> None:
    with pytest.raises(ValueError, match="call"):
        ledger_client.Timeout(call=0)


def test_public_face() -> None:
    assert set(ledger_client.__all__) <= set(dir(ledger_client))
    assert "LedgerClient" in ledger_client.__all__
