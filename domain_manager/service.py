"""The ``DomainManagerAdmin`` gRPC service: protobuf in, :class:`DomainManager` calls, protobuf
out, and every :class:`RequestRefusedError` as a gRPC status with its stable code in the
trailing metadata ``chaindomain-error-code`` (``docs/domain-manager.md`` §5).

Admin calls check ``require_admin`` on the rights the ``auth`` interceptor resolved; member
calls are public (the interceptor lets them through) and are authorized by the signatures
on the transactions they carry.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, TypeVar

import grpc

from auth import current_auth, current_rights, require_admin
from domain_manager.errors import InvalidRequestError, RequestRefusedError
from domain_manager.manager import DomainManager
from domain_manager.types import (
    ChangeResult,
    HostingState,
    OnboardingKind,
    OnboardingRequest,
    OnboardingState,
)
from protocol.timestamp import Timestamp
from protocol.topology import ParticipantPermission
from protocol.v1 import domain_manager_pb2 as pb
from protocol.v1 import domain_manager_pb2_grpc as pb_grpc

log = logging.getLogger(__name__)

ERROR_CODE_METADATA_KEY = "chaindomain-error-code"
SERVICE_NAME = pb.DESCRIPTOR.services_by_name["DomainManagerAdmin"].full_name
MEMBER_METHODS = frozenset(
    f"/{SERVICE_NAME}/{m}"
    for m in (
        "RequestOnboarding",
        "GetOnboardingStatus",
        "RequestPartyHosting",
        "RequestVetting",
        "GetTopologySnapshot",
    )
)
"""Calls authorized by the members' signatures, not by a token."""

STATUS_OF_CODE: dict[str, grpc.StatusCode] = {
    "INVALID_REQUEST": grpc.StatusCode.INVALID_ARGUMENT,
    "WRONG_MEMBER_KIND": grpc.StatusCode.INVALID_ARGUMENT,
    "UNEXPECTED_MAPPING": grpc.StatusCode.INVALID_ARGUMENT,
    "MALFORMED": grpc.StatusCode.INVALID_ARGUMENT,
    "WRONG_DOMAIN": grpc.StatusCode.INVALID_ARGUMENT,
    "UNAUTHORIZED": grpc.StatusCode.PERMISSION_DENIED,
    "INVALID_SIGNATURE": grpc.StatusCode.PERMISSION_DENIED,
    "WRONG_SERIAL": grpc.StatusCode.FAILED_PRECONDITION,
    "UNKNOWN_NAMESPACE": grpc.StatusCode.FAILED_PRECONDITION,
    "MAPPING_NOT_FOUND": grpc.StatusCode.FAILED_PRECONDITION,
    "INVALID_STATE": grpc.StatusCode.FAILED_PRECONDITION,
    "MAPPING_EXISTS": grpc.StatusCode.ALREADY_EXISTS,
    "DUPLICATE": grpc.StatusCode.ALREADY_EXISTS,
    "DUPLICATE_ONBOARDING": grpc.StatusCode.ALREADY_EXISTS,
    "UNKNOWN_REQUEST": grpc.StatusCode.NOT_FOUND,
    "UNKNOWN_MEMBER": grpc.StatusCode.NOT_FOUND,
    "NOT_SEQUENCED": grpc.StatusCode.UNAVAILABLE,
    "SEND_REFUSED": grpc.StatusCode.UNAVAILABLE,
}
"""Every other code (a change refused at sequencing time) is ABORTED."""

KIND_TO_PB = {
    OnboardingKind.PARTICIPANT: pb.ONBOARDING_KIND_PARTICIPANT,
    OnboardingKind.MEDIATOR: pb.ONBOARDING_KIND_MEDIATOR,
}
KIND_FROM_PB = {v: k for k, v in KIND_TO_PB.items()}
STATE_TO_PB = {
    OnboardingState.PENDING: pb.ONBOARDING_STATE_PENDING,
    OnboardingState.APPROVED: pb.ONBOARDING_STATE_APPROVED,
    OnboardingState.REJECTED: pb.ONBOARDING_STATE_REJECTED,
    OnboardingState.ONBOARDED: pb.ONBOARDING_STATE_ONBOARDED,
}
HOSTING_TO_PB = {
    HostingState.PROPOSED: pb.HOSTING_STATE_PROPOSED,
    HostingState.EFFECTIVE: pb.HOSTING_STATE_EFFECTIVE,
}
PARAMETER_FIELDS_PB = {
    "participant_response_timeout_us": "participant_response_timeout",
    "mediator_reaction_timeout_us": "mediator_reaction_timeout",
    "ledger_time_record_time_tolerance_us": "ledger_time_record_time_tolerance",
    "topology_change_delay_us": "topology_change_delay",
    "max_request_size": "max_request_size",
    "confirmation_depth": "confirmation_depth",
}

T = TypeVar("T")


def status_for(code: str) -> grpc.StatusCode:
    return STATUS_OF_CODE.get(code, grpc.StatusCode.ABORTED)


async def _refuse(context: grpc.aio.ServicerContext, exc: RequestRefusedError) -> NoReturn:
    status = status_for(exc.code)
    log.info("refused: %s %s", exc.code, exc)
    context.set_trailing_metadata(((ERROR_CODE_METADATA_KEY, exc.code),))
    await context.abort(status, str(exc))
    raise AssertionError("unreachable: abort raises")  # pragma: no cover


async def _call(context: grpc.aio.ServicerContext, work: Callable[[], Awaitable[T]]) -> T:
    try:
        return await work()
    except RequestRefusedError as exc:
        await _refuse(context, exc)


def _actor() -> str:
    require_admin(current_rights())
    return current_auth().claims.subject


def _ts(value: int | None) -> int:
    return 0 if value is None else int(value)


def status_to_pb(request: OnboardingRequest) -> pb.OnboardingStatus:
    return pb.OnboardingStatus(
        request_id=request.request_id,
        member=request.member,
        kind=KIND_TO_PB[request.kind],
        state=STATE_TO_PB[request.state],
        sequenced_at=_ts(request.sequenced_at),
        effective_at=_ts(request.effective_at),
        reason=request.reason,
        created_at=request.created_at,
    )


def change_to_pb(result: ChangeResult) -> pb.TopologyChangeResult:
    return pb.TopologyChangeResult(
        transaction_hash=result.transaction_hash,
        sequenced_at=result.sequenced_at,
        effective_at=result.effective_at,
        serial=result.serial,
    )


class DomainManagerAdminService(pb_grpc.DomainManagerAdminServicer):
    """The servicer; one per node."""

    def __init__(self, manager: DomainManager) -> None:
        self.manager = manager

    # -- member calls --------------------------------------------------------------------------

    async def RequestOnboarding(  # noqa: N802 (gRPC method name)
        self, request: pb.RequestOnboardingRequest, context: grpc.aio.ServicerContext
    ) -> pb.OnboardingStatus:
        async def work() -> pb.OnboardingStatus:
            kind = KIND_FROM_PB.get(request.kind)
            if kind is None:
                raise InvalidRequestError("kind", "must be PARTICIPANT or MEDIATOR")
            try:
                permission = ParticipantPermission(request.permission or 3)
            except ValueError:
                raise InvalidRequestError(
                    "permission", f"{request.permission} is not 1, 2 or 3"
                ) from None
            result = await self.manager.request_onboarding(
                kind, list(request.transactions), permission
            )
            return status_to_pb(result)

        return await _call(context, work)

    async def GetOnboardingStatus(  # noqa: N802 (gRPC method name)
        self, request: pb.GetOnboardingStatusRequest, context: grpc.aio.ServicerContext
    ) -> pb.OnboardingStatus:
        async def work() -> pb.OnboardingStatus:
            return status_to_pb(await self.manager.onboarding_status(request.request_id))

        return await _call(context, work)

    async def RequestPartyHosting(  # noqa: N802 (gRPC method name)
        self, request: pb.RequestPartyHostingRequest, context: grpc.aio.ServicerContext
    ) -> pb.PartyHostingResult:
        async def work() -> pb.PartyHostingResult:
            outcomes = await self.manager.request_party_hosting(list(request.transactions))
            return pb.PartyHostingResult(
                outcomes=[
                    pb.PartyHostingOutcome(
                        party=o.party,
                        transaction_hash=o.transaction_hash,
                        state=HOSTING_TO_PB[o.state],
                        missing=list(o.missing),
                        sequenced_at=o.sequenced_at,
                        effective_at=_ts(o.effective_at),
                    )
                    for o in outcomes
                ]
            )

        return await _call(context, work)

    async def RequestVetting(  # noqa: N802 (gRPC method name)
        self, request: pb.RequestVettingRequest, context: grpc.aio.ServicerContext
    ) -> pb.TopologyChangeResult:
        async def work() -> pb.TopologyChangeResult:
            if not request.transaction:
                raise InvalidRequestError("transaction", "missing")
            return change_to_pb(await self.manager.request_vetting(request.transaction))

        return await _call(context, work)

    async def GetTopologySnapshot(  # noqa: N802 (gRPC method name)
        self, request: pb.GetTopologySnapshotRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetTopologySnapshotResponse:
        snapshot = self.manager.snapshot(Timestamp(request.at) if request.at else None)
        active = [m for m in snapshot.members() if snapshot.is_active(m)]
        parties = sorted({p for m in active for p in snapshot.parties_hosted_by(m)})
        return pb.GetTopologySnapshotResponse(
            at=snapshot.timestamp,
            digest=snapshot.digest().to_multihash(),
            transactions=len(snapshot.records),
            active_members=active,
            revoked_participants=list(snapshot.revoked_participants()),
            parties=parties,
            last_sequenced_at=_ts(self.manager.topology.last_sequenced_at),
        )

    # -- admin calls -----------------------------------------------------------------------------

    async def ListPendingRequests(  # noqa: N802 (gRPC method name)
        self, request: pb.ListPendingRequestsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListPendingRequestsResponse:
        _actor()
        pending = await self.manager.pending_requests()
        return pb.ListPendingRequestsResponse(requests=[status_to_pb(r) for r in pending])

    async def ApproveOnboarding(  # noqa: N802 (gRPC method name)
        self, request: pb.DecideOnboardingRequest, context: grpc.aio.ServicerContext
    ) -> pb.OnboardingStatus:
        actor = _actor()

        async def work() -> pb.OnboardingStatus:
            return status_to_pb(
                await self.manager.approve(request.request_id, actor, request.reason)
            )

        return await _call(context, work)

    async def RejectOnboarding(  # noqa: N802 (gRPC method name)
        self, request: pb.DecideOnboardingRequest, context: grpc.aio.ServicerContext
    ) -> pb.OnboardingStatus:
        actor = _actor()

        async def work() -> pb.OnboardingStatus:
            return status_to_pb(
                await self.manager.reject(request.request_id, actor, request.reason)
            )

        return await _call(context, work)

    async def ListMembers(  # noqa: N802 (gRPC method name)
        self, request: pb.ListMembersRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListMembersResponse:
        _actor()
        at = Timestamp(request.at) if request.at else None
        snapshot_at = self.manager.snapshot(at).timestamp
        entries = await self.manager.list_members(Timestamp(snapshot_at))
        return pb.ListMembersResponse(
            at=snapshot_at,
            members=[
                pb.MemberInfo(
                    member=e.member,
                    kind=e.kind,
                    state=e.state,
                    permission="" if e.permission is None else e.permission.name.lower(),
                    signing_key_fingerprint=e.signing_key_fingerprint,
                    encryption_key_fingerprint=e.encryption_key_fingerprint,
                    parties=list(e.parties),
                )
                for e in entries
            ],
        )

    async def RevokeParticipant(  # noqa: N802 (gRPC method name)
        self, request: pb.RevokeParticipantRequest, context: grpc.aio.ServicerContext
    ) -> pb.TopologyChangeResult:
        actor = _actor()

        async def work() -> pb.TopologyChangeResult:
            result = await self.manager.revoke_participant(
                request.participant, actor, request.reason
            )
            return change_to_pb(result)

        return await _call(context, work)

    async def SetDomainParameters(  # noqa: N802 (gRPC method name)
        self, request: pb.SetDomainParametersRequest, context: grpc.aio.ServicerContext
    ) -> pb.TopologyChangeResult:
        actor = _actor()

        async def work() -> pb.TopologyChangeResult:
            changes: dict[str, Any] = {
                name: int(getattr(request, field))
                for field, name in PARAMETER_FIELDS_PB.items()
                if request.HasField(field)
            }
            return change_to_pb(await self.manager.set_domain_parameters(changes, actor))

        return await _call(context, work)
