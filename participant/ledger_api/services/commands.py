# ruff: noqa: N802 - servicer methods carry the gRPC method names
"""CommandSubmissionService, CommandCompletionService and CommandService."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import grpc.aio

from participant.ledger_api.backend import (
    LedgerBackend,
    SubmitRequest,
    Transaction,
    TransactionTree,
)
from participant.ledger_api.convert import requests, responses
from participant.ledger_api.errors import ErrorCode, LedgerApiError
from participant.ledger_api.services.access import Access, stream, unary
from participant.ledger_api.status import completion_error
from participant.store import Completion, UpdateId
from protocol.ledger_api.v2 import (
    command_completion_service_pb2,
    command_completion_service_pb2_grpc,
    command_service_pb2,
    command_service_pb2_grpc,
    command_submission_service_pb2,
    command_submission_service_pb2_grpc,
    commands_pb2,
)

DEFAULT_SUBMIT_AND_WAIT_TIMEOUT_S = 60.0


class RequestTimedOutError(LedgerApiError):
    code = ErrorCode.REQUEST_TIMED_OUT

    def __init__(self, command_id: str, timeout_s: float) -> None:
        super().__init__(
            f"no completion for command '{command_id}' within {timeout_s:g}s; "
            "its outcome will still appear on the completion stream",
            command_id=command_id,
        )


def submission(
    access: Access, commands: commands_pb2.Commands, present: bool, field: str = "commands"
) -> SubmitRequest:
    """Validate and authorize a ``Commands`` message (nothing is applied on failure)."""
    if not present:
        return requests.submit_request(commands, False, application_id="", field=field)
    act_as = requests.parties(commands.act_as, f"{field}.act_as", required=True)
    read_as = requests.parties(commands.read_as, f"{field}.read_as", required=False)
    application_id = access.submit(act_as, read_as, commands.application_id, field)
    return requests.submit_request(commands, True, application_id=application_id, field=field)


class CommandSubmissionService(
    command_submission_service_pb2_grpc.CommandSubmissionServiceServicer
):
    def __init__(self, backend: LedgerBackend, access: Access) -> None:
        self.backend = backend
        self.access = access

    @unary
    async def Submit(
        self,
        request: command_submission_service_pb2.SubmitRequest,
        context: grpc.aio.ServicerContext,
    ) -> command_submission_service_pb2.SubmitResponse:
        req = submission(self.access, request.commands, request.HasField("commands"))
        await self.backend.submit(req)
        return command_submission_service_pb2.SubmitResponse()


class CommandCompletionService(
    command_completion_service_pb2_grpc.CommandCompletionServiceServicer
):
    def __init__(self, backend: LedgerBackend, access: Access) -> None:
        self.backend = backend
        self.access = access

    @stream
    async def CompletionStream(
        self,
        request: command_completion_service_pb2.CompletionStreamRequest,
        context: grpc.aio.ServicerContext,
    ) -> AsyncIterator[command_completion_service_pb2.CompletionStreamResponse]:
        parties = requests.parties(request.parties, "parties", required=True)
        begin = requests.offset(request.begin_exclusive, "begin_exclusive")
        application_id = self.access.application(request.application_id, "application_id")
        self.access.read(parties)
        completions = self.backend.completions(begin, application_id, frozenset(parties))
        async for c in completions:
            yield command_completion_service_pb2.CompletionStreamResponse(
                completion=responses.completion(c)
            )


class CommandService(command_service_pb2_grpc.CommandServiceServicer):
    """Submit, then wait on the completion stream for this submission's outcome."""

    def __init__(
        self,
        backend: LedgerBackend,
        access: Access,
        timeout_s: float = DEFAULT_SUBMIT_AND_WAIT_TIMEOUT_S,
    ) -> None:
        self.backend = backend
        self.access = access
        self.timeout_s = timeout_s

    async def _submit_and_wait(
        self, request: command_service_pb2.SubmitAndWaitRequest, context: grpc.aio.ServicerContext
    ) -> tuple[SubmitRequest, Completion]:
        req = submission(self.access, request.commands, request.HasField("commands"))
        timeout = self.timeout_s
        remaining = context.time_remaining()
        if remaining is not None:
            timeout = min(timeout, max(0.0, remaining))
        # Completions after the current end: this submission's cannot come earlier.
        begin = await self.backend.ledger_end()
        await self.backend.submit(req)
        try:
            async with asyncio.timeout(timeout):
                async for c in self.backend.completions(
                    begin, req.application_id, frozenset(req.act_as)
                ):
                    if c.command_id == req.command_id and c.submission_id == req.submission_id:
                        if not c.status.ok:
                            raise completion_error(c.status)
                        return req, c
        except TimeoutError:
            raise RequestTimedOutError(req.command_id, timeout) from None
        raise RequestTimedOutError(req.command_id, timeout)  # the stream ended early

    @unary
    async def SubmitAndWait(
        self, request: command_service_pb2.SubmitAndWaitRequest, context: grpc.aio.ServicerContext
    ) -> command_service_pb2.SubmitAndWaitResponse:
        _, completion = await self._submit_and_wait(request, context)
        return command_service_pb2.SubmitAndWaitResponse(
            update_id=completion.update_id or "", completion_offset=completion.offset
        )

    @unary
    async def SubmitAndWaitForTransaction(
        self, request: command_service_pb2.SubmitAndWaitRequest, context: grpc.aio.ServicerContext
    ) -> command_service_pb2.SubmitAndWaitForTransactionResponse:
        req, completion = await self._submit_and_wait(request, context)
        tx = await self.backend.transaction_by_id(
            UpdateId(completion.update_id or ""), frozenset(req.act_as), tree=False
        )
        out = command_service_pb2.SubmitAndWaitForTransactionResponse()
        if isinstance(tx, Transaction):
            out.transaction.CopyFrom(responses.transaction(tx))
        return out

    @unary
    async def SubmitAndWaitForTransactionTree(
        self, request: command_service_pb2.SubmitAndWaitRequest, context: grpc.aio.ServicerContext
    ) -> command_service_pb2.SubmitAndWaitForTransactionTreeResponse:
        req, completion = await self._submit_and_wait(request, context)
        tree = await self.backend.transaction_by_id(
            UpdateId(completion.update_id or ""), frozenset(req.act_as), tree=True
        )
        out = command_service_pb2.SubmitAndWaitForTransactionTreeResponse()
        if isinstance(tree, TransactionTree):
            out.transaction.CopyFrom(responses.transaction_tree(tree))
        return out
