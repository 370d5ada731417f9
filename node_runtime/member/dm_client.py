"""A typed async client of the domain manager's admin API (``DomainManagerAdmin``).

Members use it to ask for onboarding, party hosting and package vetting (no token: the transactions'
signatures authorize them); operators and the CLI use it for the admin calls (a bearer
token with admin rights). Every call has a deadline (:class:`DmClientTimeouts`). A refusal
raises :class:`DomainManagerRefusedError` carrying the gRPC status and the stable error
code (``docs/domain-manager.md`` §5); a transport failure raises
:class:`DomainManagerUnavailableError`::

    DomainManagerClientError
    ├── DomainManagerRefusedError       the domain manager answered with a refusal
    └── DomainManagerUnavailableError   no answer (UNAVAILABLE, DEADLINE_EXCEEDED, ...)
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar

import grpc

from node_runtime.logs import trace_metadata
from protocol.tls import ClientTls, diagnose_server, open_channel
from protocol.v1 import domain_manager_pb2 as pb
from protocol.v1 import domain_manager_pb2_grpc as pb_grpc

ERROR_CODE_METADATA_KEY = "chaindomain-error-code"
T = TypeVar("T")


class DomainManagerClientError(Exception):
    """Root of the client's errors."""


class DomainManagerRefusedError(DomainManagerClientError):
    """A refusal: ``status`` is the gRPC status, ``code`` the stable error code."""

    def __init__(self, status: grpc.StatusCode, code: str, message: str) -> None:
        self.status = status
        self.code = code
        self.message = message
        super().__init__(f"{status.name} {code}: {message}")


class DomainManagerUnavailableError(DomainManagerClientError):
    def __init__(self, target: str, detail: str) -> None:
        self.target = target
        super().__init__(f"domain manager at {target} unavailable: {detail}")


_UNAVAILABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}


@dataclass(frozen=True, slots=True)
class DmClientTimeouts:
    """Deadlines, in seconds. Calls that change the topology wait for sequencing."""

    read_s: float = 10.0
    change_s: float = 60.0


class OnboardingKind(enum.Enum):
    PARTICIPANT = pb.ONBOARDING_KIND_PARTICIPANT
    MEDIATOR = pb.ONBOARDING_KIND_MEDIATOR


class OnboardingState(enum.Enum):
    PENDING = pb.ONBOARDING_STATE_PENDING
    APPROVED = pb.ONBOARDING_STATE_APPROVED
    REJECTED = pb.ONBOARDING_STATE_REJECTED
    ONBOARDED = pb.ONBOARDING_STATE_ONBOARDED


class HostingState(enum.Enum):
    PROPOSED = pb.HOSTING_STATE_PROPOSED
    EFFECTIVE = pb.HOSTING_STATE_EFFECTIVE


@dataclass(frozen=True, slots=True)
class OnboardingStatus:
    request_id: str
    member: str
    kind: OnboardingKind
    state: OnboardingState
    sequenced_at: int
    """Microseconds; 0 until sequenced."""
    effective_at: int
    reason: str
    created_at: int

    @classmethod
    def from_pb(cls, m: pb.OnboardingStatus) -> OnboardingStatus:
        return cls(
            m.request_id,
            m.member,
            OnboardingKind(m.kind),
            OnboardingState(m.state),
            m.sequenced_at,
            m.effective_at,
            m.reason,
            m.created_at,
        )


@dataclass(frozen=True, slots=True)
class TopologyChange:
    transaction_hash: str
    serial: int
    sequenced_at: int
    effective_at: int


@dataclass(frozen=True, slots=True)
class HostingOutcome:
    party: str
    transaction_hash: str
    state: HostingState
    missing: tuple[str, ...]
    sequenced_at: int
    effective_at: int


@dataclass(frozen=True, slots=True)
class MemberInfo:
    member: str
    kind: str
    state: str
    permission: str
    signing_key_fingerprint: str
    encryption_key_fingerprint: str
    parties: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TopologySummary:
    at: int
    digest: str
    transactions: int
    active_members: tuple[str, ...]
    revoked_participants: tuple[str, ...]
    parties: tuple[str, ...]
    last_sequenced_at: int


class DomainManagerClient:
    """A connection to one domain manager's admin endpoint."""

    def __init__(
        self,
        target: str,
        *,
        token: str | None = None,
        timeouts: DmClientTimeouts | None = None,
        tls: ClientTls | None = None,
    ) -> None:
        self.target = target
        self.tls = tls
        self.token = token
        self.timeouts = timeouts or DmClientTimeouts()
        self._channel = open_channel(target, tls)
        self._stub = pb_grpc.DomainManagerAdminStub(self._channel)  # type: ignore[no-untyped-call]

    async def close(self) -> None:
        await self._channel.close()

    async def __aenter__(self) -> DomainManagerClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def _metadata(self) -> tuple[tuple[str, str], ...]:
        """The bearer token, and the caller's trace id (``node_runtime.logs``) if bound."""
        auth = (("authorization", f"Bearer {self.token}"),) if self.token else ()
        return (*auth, *trace_metadata())

    async def _call(
        self, method: Callable[..., Awaitable[T]], request: Any, deadline_s: float
    ) -> T:
        try:
            return await method(request, timeout=deadline_s, metadata=self._metadata())
        except grpc.aio.AioRpcError as exc:
            status = exc.code()
            if status in _UNAVAILABLE:
                detail = str(exc.details())
                if self.tls is not None:
                    # Say which certificate is refused rather than "handshake failed".
                    untrusted = await diagnose_server(self.target, self.tls)
                    detail = str(untrusted) if untrusted is not None else detail
                raise DomainManagerUnavailableError(self.target, detail) from None
            code = status.name
            for key, value in exc.trailing_metadata() or ():
                if key == ERROR_CODE_METADATA_KEY:
                    code = value if isinstance(value, str) else value.decode()
            raise DomainManagerRefusedError(status, code, str(exc.details())) from None

    # -- member calls ---------------------------------------------------------------------------

    async def request_onboarding(
        self, kind: OnboardingKind, transactions: Iterable[bytes], permission: int = 0
    ) -> OnboardingStatus:
        """``transactions``: encoded SignedTopologyTransactions signed by the member."""
        request = pb.RequestOnboardingRequest(
            kind=kind.value, transactions=list(transactions), permission=permission
        )
        reply = await self._call(self._stub.RequestOnboarding, request, self.timeouts.change_s)
        return OnboardingStatus.from_pb(reply)

    async def onboarding_status(self, request_id: str) -> OnboardingStatus:
        request = pb.GetOnboardingStatusRequest(request_id=request_id)
        reply = await self._call(self._stub.GetOnboardingStatus, request, self.timeouts.read_s)
        return OnboardingStatus.from_pb(reply)

    async def request_party_hosting(self, transactions: Iterable[bytes]) -> list[HostingOutcome]:
        request = pb.RequestPartyHostingRequest(transactions=list(transactions))
        reply = await self._call(self._stub.RequestPartyHosting, request, self.timeouts.change_s)
        return [
            HostingOutcome(
                o.party,
                o.transaction_hash,
                HostingState(o.state),
                tuple(o.missing),
                o.sequenced_at,
                o.effective_at,
            )
            for o in reply.outcomes
        ]

    async def request_vetting(self, transaction: bytes) -> TopologyChange:
        """``transaction``: an encoded SignedTopologyTransaction of the participant's
        ``VettedPackages``, fully signed by its namespace. Returns once sequenced."""
        request = pb.RequestVettingRequest(transaction=transaction)
        reply = await self._call(self._stub.RequestVetting, request, self.timeouts.change_s)
        return TopologyChange(
            reply.transaction_hash, reply.serial, reply.sequenced_at, reply.effective_at
        )

    async def topology_snapshot(self, at: int = 0) -> TopologySummary:
        request = pb.GetTopologySnapshotRequest(at=at)
        r = await self._call(self._stub.GetTopologySnapshot, request, self.timeouts.read_s)
        return TopologySummary(
            r.at,
            r.digest,
            r.transactions,
            tuple(r.active_members),
            tuple(r.revoked_participants),
            tuple(r.parties),
            r.last_sequenced_at,
        )

    # -- admin calls ----------------------------------------------------------------------------

    async def pending_requests(self) -> list[OnboardingStatus]:
        request = pb.ListPendingRequestsRequest()
        reply = await self._call(self._stub.ListPendingRequests, request, self.timeouts.read_s)
        return [OnboardingStatus.from_pb(r) for r in reply.requests]

    async def approve(self, request_id: str, reason: str = "") -> OnboardingStatus:
        request = pb.DecideOnboardingRequest(request_id=request_id, reason=reason)
        reply = await self._call(self._stub.ApproveOnboarding, request, self.timeouts.change_s)
        return OnboardingStatus.from_pb(reply)

    async def reject(self, request_id: str, reason: str = "") -> OnboardingStatus:
        request = pb.DecideOnboardingRequest(request_id=request_id, reason=reason)
        reply = await self._call(self._stub.RejectOnboarding, request, self.timeouts.read_s)
        return OnboardingStatus.from_pb(reply)

    async def members(self, at: int = 0) -> list[MemberInfo]:
        request = pb.ListMembersRequest(at=at)
        reply = await self._call(self._stub.ListMembers, request, self.timeouts.read_s)
        return [
            MemberInfo(
                m.member,
                m.kind,
                m.state,
                m.permission,
                m.signing_key_fingerprint,
                m.encryption_key_fingerprint,
                tuple(m.parties),
            )
            for m in reply.members
        ]

    async def revoke_participant(self, participant: str, reason: str = "") -> TopologyChange:
        request = pb.RevokeParticipantRequest(participant=participant, reason=reason)
        reply = await self._call(self._stub.RevokeParticipant, request, self.timeouts.change_s)
        return TopologyChange(
            reply.transaction_hash, reply.serial, reply.sequenced_at, reply.effective_at
        )

    async def set_domain_parameters(self, changes: Mapping[str, int]) -> TopologyChange:
        """``changes``: field names of ``SetDomainParametersRequest`` (e.g.
        ``topology_change_delay_us``) to new values; the others are kept."""
        try:
            request = pb.SetDomainParametersRequest(**changes)
        except (ValueError, TypeError) as exc:
            raise DomainManagerRefusedError(
                grpc.StatusCode.INVALID_ARGUMENT, "INVALID_REQUEST", str(exc)
            ) from None
        reply = await self._call(self._stub.SetDomainParameters, request, self.timeouts.change_s)
        return TopologyChange(
            reply.transaction_hash, reply.serial, reply.sequenced_at, reply.effective_at
        )
