"""How the participant's refusals and completion statuses become Ledger API statuses."""

from __future__ import annotations

import grpc
from google.rpc import error_details_pb2

from participant.errors import (
    DuplicateCommandError,
    InvalidDeduplicationPeriodError,
    PackageNotVettedByRecipientsError,
    SubmissionBuildError,
    SubmissionTopologyError,
)
from participant.ledger_api.errors import ErrorCode, InvalidArgumentError
from participant.ledger_api.status import completion_rpc_status, error_for, rpc_status
from participant.node import completion_status
from participant.store import CompletionCode, CompletionStatus, Offset


def test_duplicate_command_is_answered_with_daml_code_message_and_context() -> None:
    refused = DuplicateCommandError(
        "alice|app|cmd-1", "cmd-1", existing_submission_id="sub-1", completion_offset=Offset(7)
    )
    error = error_for(refused)
    assert error.code is ErrorCode.DUPLICATE_COMMAND
    assert error.code.status is grpc.StatusCode.ALREADY_EXISTS
    assert str(error) == "DUPLICATE_COMMAND(a command with id 'cmd-1' was already submitted)"
    assert error.context == {
        "command_id": "cmd-1",
        "existing_submission_id": "sub-1",
        "completion_offset": "7",
    }
    in_flight = error_for(
        DuplicateCommandError("c", "cmd-2", existing_submission_id="s", completion_offset=None)
    )
    assert "completion_offset" not in in_flight.context


def test_invalid_deduplication_period_names_the_limit() -> None:
    too_long = error_for(
        InvalidDeduplicationPeriodError("too long", longest_duration_us=604_800_000_000)
    )
    assert too_long.code is ErrorCode.INVALID_DEDUPLICATION_PERIOD
    assert too_long.message == "the deduplication period is invalid: too long"
    assert too_long.context == {"longest_duration": "604800s"}
    after_end = error_for(InvalidDeduplicationPeriodError("after the end", ledger_end=12))
    assert after_end.context == {"ledger_end": "12"}


def test_package_not_vetted_by_recipients_lists_participants_and_packages() -> None:
    missing = (("PAR::p3::1220ab", "pkg-b"), ("PAR::p2::1220ab", "pkg-a"))
    error = error_for(PackageNotVettedByRecipientsError(missing))
    assert error.code is ErrorCode.PACKAGE_NOT_VETTED
    assert error.context == {
        "participants": "PAR::p2::1220ab,PAR::p3::1220ab",
        "packages": "pkg-a,pkg-b",
    }
    info = error_details_pb2.ErrorInfo()
    assert rpc_status(error).details[0].Unpack(info)
    assert info.reason == "PACKAGE_NOT_VETTED_BY_RECIPIENTS"


def test_topology_and_build_refusals_name_the_request_field() -> None:
    topology = error_for(SubmissionTopologyError("act_as", "alice is not hosted here"))
    assert isinstance(topology, InvalidArgumentError)
    assert topology.field == "act_as" and topology.code is ErrorCode.INVALID_FIELD
    built = error_for(SubmissionBuildError("request too large"))
    assert isinstance(built, InvalidArgumentError)
    assert built.field == "commands" and built.reason == "request too large"


def test_a_stored_completion_code_travels_as_its_code_id() -> None:
    stored = CompletionStatus(CompletionCode.INCONSISTENT_CONTRACTS, "gone", (("k", "v"),))
    status = completion_rpc_status(completion_status(stored))
    assert status.code == grpc.StatusCode.FAILED_PRECONDITION.value[0]
    assert status.message == "INCONSISTENT_CONTRACTS(gone)"
    info = error_details_pb2.ErrorInfo()
    assert status.details[0].Unpack(info)
    assert info.reason == "INCONSISTENT_CONTRACTS" and dict(info.metadata) == {"k": "v"}
