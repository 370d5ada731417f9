# ruff: noqa: N802 - servicer methods carry the gRPC method names
"""UpdateService and StateService: streams and look-ups, read-as checked per call."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable

import grpc.aio

from participant.engine import PartyId
from participant.ledger_api.backend import (
    LedgerBackend,
    Transaction,
    TransactionTree,
    Update,
)
from participant.ledger_api.convert import requests, responses
from participant.ledger_api.errors import InvalidArgumentError, UpdateNotFoundError
from participant.ledger_api.services.access import Access, stream, unary
from participant.store import Offset, UpdateId
from protocol.ledger_api.v2 import (
    state_service_pb2,
    state_service_pb2_grpc,
    update_service_pb2,
    update_service_pb2_grpc,
)


class UpdateService(update_service_pb2_grpc.UpdateServiceServicer):
    def __init__(self, backend: LedgerBackend, access: Access) -> None:
        self.backend = backend
        self.access = access

    def _range(self, request: update_service_pb2.GetUpdatesRequest) -> tuple[Offset, Offset | None]:
        begin = requests.offset(request.begin_exclusive, "begin_exclusive")
        end = None
        if request.HasField("end_inclusive"):
            end = requests.offset(request.end_inclusive, "end_inclusive")
            if end < begin:
                raise InvalidArgumentError(
                    "end_inclusive", f"{end} is before begin_exclusive {begin}"
                )
        return begin, end

    async def _updates(
        self, request: update_service_pb2.GetUpdatesRequest, *, tree: bool
    ) -> AsyncIterator[Update]:
        begin, end = self._range(request)
        update_filter = requests.update_filter(request.filter, request.HasField("filter"))
        self.access.read(update_filter.party_ids)
        async for update in self.backend.updates(begin, end, update_filter, tree=tree):
            yield update

    @stream
    async def GetUpdates(
        self, request: update_service_pb2.GetUpdatesRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[update_service_pb2.GetUpdatesResponse]:
        async for update in self._updates(request, tree=False):
            if isinstance(update, Transaction):
                yield update_service_pb2.GetUpdatesResponse(
                    transaction=responses.transaction(update)
                )

    @stream
    async def GetUpdateTrees(
        self, request: update_service_pb2.GetUpdatesRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[update_service_pb2.GetUpdateTreesResponse]:
        async for update in self._updates(request, tree=True):
            if isinstance(update, TransactionTree):
                yield update_service_pb2.GetUpdateTreesResponse(
                    transaction_tree=responses.transaction_tree(update)
                )

    def _requesting(self, values: Iterable[str]) -> frozenset[PartyId]:
        parties = frozenset(requests.parties(values, "requesting_parties", required=True))
        self.access.read(parties)
        return parties

    async def _by_id(
        self, request: update_service_pb2.GetTransactionByIdRequest, *, tree: bool
    ) -> Update:
        if not request.update_id:
            raise InvalidArgumentError("update_id", "must not be empty", missing=True)
        parties = self._requesting(request.requesting_parties)
        return await self.backend.transaction_by_id(UpdateId(request.update_id), parties, tree=tree)

    async def _by_offset(
        self, request: update_service_pb2.GetTransactionByOffsetRequest, *, tree: bool
    ) -> Update:
        if request.offset <= 0:
            raise InvalidArgumentError("offset", f"a positive offset, got {request.offset}")
        parties = self._requesting(request.requesting_parties)
        return await self.backend.transaction_by_offset(Offset(request.offset), parties, tree=tree)

    @staticmethod
    def _flat(update: Update, what: str) -> update_service_pb2.GetTransactionResponse:
        if not isinstance(update, Transaction):
            raise UpdateNotFoundError(what)
        return update_service_pb2.GetTransactionResponse(transaction=responses.transaction(update))

    @staticmethod
    def _tree(update: Update, what: str) -> update_service_pb2.GetTransactionTreeResponse:
        if not isinstance(update, TransactionTree):
            raise UpdateNotFoundError(what)
        return update_service_pb2.GetTransactionTreeResponse(
            transaction=responses.transaction_tree(update)
        )

    @unary
    async def GetTransactionById(
        self,
        request: update_service_pb2.GetTransactionByIdRequest,
        context: grpc.aio.ServicerContext,
    ) -> update_service_pb2.GetTransactionResponse:
        return self._flat(await self._by_id(request, tree=False), request.update_id)

    @unary
    async def GetTransactionTreeById(
        self,
        request: update_service_pb2.GetTransactionByIdRequest,
        context: grpc.aio.ServicerContext,
    ) -> update_service_pb2.GetTransactionTreeResponse:
        return self._tree(await self._by_id(request, tree=True), request.update_id)

    @unary
    async def GetTransactionByOffset(
        self,
        request: update_service_pb2.GetTransactionByOffsetRequest,
        context: grpc.aio.ServicerContext,
    ) -> update_service_pb2.GetTransactionResponse:
        update = await self._by_offset(request, tree=False)
        return self._flat(update, f"at offset {request.offset}")

    @unary
    async def GetTransactionTreeByOffset(
        self,
        request: update_service_pb2.GetTransactionByOffsetRequest,
        context: grpc.aio.ServicerContext,
    ) -> update_service_pb2.GetTransactionTreeResponse:
        update = await self._by_offset(request, tree=True)
        return self._tree(update, f"at offset {request.offset}")


class StateService(state_service_pb2_grpc.StateServiceServicer):
    def __init__(self, backend: LedgerBackend, access: Access) -> None:
        self.backend = backend
        self.access = access

    @stream
    async def GetActiveContracts(
        self,
        request: state_service_pb2.GetActiveContractsRequest,
        context: grpc.aio.ServicerContext,
    ) -> AsyncIterator[state_service_pb2.GetActiveContractsResponse]:
        update_filter = requests.update_filter(request.filter, request.HasField("filter"))
        at = requests.offset(request.active_at_offset, "active_at_offset")
        self.access.read(update_filter.party_ids)
        acs = await self.backend.active_contracts(update_filter, at or None)
        for contract in acs.contracts:
            yield state_service_pb2.GetActiveContractsResponse(
                active_contract=responses.active_contract(contract)
            )
        yield state_service_pb2.GetActiveContractsResponse(offset=acs.offset)

    @unary
    async def GetLedgerEnd(
        self, request: state_service_pb2.GetLedgerEndRequest, context: grpc.aio.ServicerContext
    ) -> state_service_pb2.GetLedgerEndResponse:
        return state_service_pb2.GetLedgerEndResponse(offset=await self.backend.ledger_end())

    @unary
    async def GetConnectedDomains(
        self,
        request: state_service_pb2.GetConnectedDomainsRequest,
        context: grpc.aio.ServicerContext,
    ) -> state_service_pb2.GetConnectedDomainsResponse:
        party = requests.party(request.party, "party") if request.party else None
        if party is not None:
            self.access.read([party])
        domains = await self.backend.connected_domains(party)
        return state_service_pb2.GetConnectedDomainsResponse(
            connected_domains=[
                state_service_pb2.GetConnectedDomainsResponse.ConnectedDomain(
                    domain_alias=d.domain_alias,
                    domain_id=d.domain_id,
                    permission=d.permission.value,
                )
                for d in domains
            ]
        )
