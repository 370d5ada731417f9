"""``LedgerClient``: one channel to a participant's Ledger API, typed and async.

Every call sends ``authorization: Bearer <token>`` (the token is a string or a
zero-argument callable, asked before each call so that a refreshed token is used), has a
deadline from the :class:`Timeout`, and raises from the tree in ``_exceptions`` —
never a raw ``grpc`` error.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import grpc
import grpc.aio

from ledger_client import _convert as conv
from ledger_client._exceptions import ConnectError, ServerCertificateError
from ledger_client._timeouts import DEFAULT_TIMEOUT, Timeout
from ledger_client._types import (
    ActiveContracts,
    Command,
    Completion,
    ConnectedDomain,
    PackageDetails,
    PartyDetails,
    Right,
    Transaction,
    TransactionTree,
    User,
)
from ledger_client._values import template_identifier
from protocol.errors import TlsFileError
from protocol.ledger_api.v2 import (
    command_completion_service_pb2 as completion_pb,
)
from protocol.ledger_api.v2 import (
    command_completion_service_pb2_grpc as completion_grpc,
)
from protocol.ledger_api.v2 import (
    command_service_pb2 as command_pb,
)
from protocol.ledger_api.v2 import (
    command_service_pb2_grpc as command_grpc,
)
from protocol.ledger_api.v2 import (
    command_submission_service_pb2 as submission_pb,
)
from protocol.ledger_api.v2 import (
    command_submission_service_pb2_grpc as submission_grpc,
)
from protocol.ledger_api.v2 import (
    commands_pb2,
    event_pb2,
    package_service_pb2,
    package_service_pb2_grpc,
    state_service_pb2,
    state_service_pb2_grpc,
    update_service_pb2,
    update_service_pb2_grpc,
    version_service_pb2,
    version_service_pb2_grpc,
)
from protocol.ledger_api.v2.admin import (
    package_management_service_pb2 as package_admin_pb,
)
from protocol.ledger_api.v2.admin import (
    package_management_service_pb2_grpc as package_admin_grpc,
)
from protocol.ledger_api.v2.admin import (
    party_management_service_pb2 as party_pb,
)
from protocol.ledger_api.v2.admin import (
    party_management_service_pb2_grpc as party_grpc,
)
from protocol.ledger_api.v2.admin import (
    user_management_service_pb2 as user_pb,
)
from protocol.ledger_api.v2.admin import (
    user_management_service_pb2_grpc as user_grpc,
)
from protocol.tls import ClientTls, diagnose_server, open_channel

T = TypeVar("T")
Token = str | Callable[[], str] | None


TlsConfig = ClientTls
"""Client TLS: the CA bundle that signed the server's certificate, and optionally the
client's own certificate and key for mutual TLS (PEM files); ``server_name`` overrides
the name checked against the server certificate."""


def _filter(
    parties: Iterable[str], templates: Mapping[str, Iterable[str]] | Iterable[str] | None
) -> event_pb2.TransactionFilter:
    """A filter for ``parties``; ``templates`` for all of them, or per party."""
    out = event_pb2.TransactionFilter()
    for party in parties:
        wanted: Iterable[str] = ()
        if isinstance(templates, Mapping):
            wanted = templates.get(party, ())
        elif templates is not None:
            wanted = templates
        filters = out.filters_by_party[party]
        for template_id in wanted:
            filters.template_filters.add(template_id=template_identifier(template_id))
    return out


class LedgerClient:
    """A connection to one participant's Ledger API; use ``async with``."""

    def __init__(
        self,
        target: str,
        *,
        token: Token = None,
        tls: TlsConfig | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        application_id: str = "",
    ) -> None:
        self.target = target
        self.timeout = timeout
        self.application_id = application_id
        """Used when a call gives none (the token may fix it instead)."""
        self._token = token
        self.tls = tls
        try:
            self._channel = open_channel(
                target, tls, [("grpc.max_receive_message_length", 8 * 1024 * 1024)]
            )
        except TlsFileError as error:
            raise ConnectError(str(error)) from None
        ch = self._channel
        self._submission = submission_grpc.CommandSubmissionServiceStub(ch)  # type: ignore[no-untyped-call]
        self._completion = completion_grpc.CommandCompletionServiceStub(ch)  # type: ignore[no-untyped-call]
        self._command = command_grpc.CommandServiceStub(ch)  # type: ignore[no-untyped-call]
        self._updates = update_service_pb2_grpc.UpdateServiceStub(ch)  # type: ignore[no-untyped-call]
        self._state = state_service_pb2_grpc.StateServiceStub(ch)  # type: ignore[no-untyped-call]
        self._packages = package_service_pb2_grpc.PackageServiceStub(ch)  # type: ignore[no-untyped-call]
        self._version = version_service_pb2_grpc.VersionServiceStub(ch)  # type: ignore[no-untyped-call]
        self._parties = party_grpc.PartyManagementServiceStub(ch)  # type: ignore[no-untyped-call]
        self._package_admin = package_admin_grpc.PackageManagementServiceStub(ch)  # type: ignore[no-untyped-call]
        self._users = user_grpc.UserManagementServiceStub(ch)  # type: ignore[no-untyped-call]

    @classmethod
    async def connect(cls, target: str, **kwargs: Any) -> LedgerClient:
        """A client whose channel is ready (``ConnectError`` after ``Timeout.connect``)."""
        client = cls(target, **kwargs)
        try:
            async with asyncio.timeout(client.timeout.connect):
                await client._channel.channel_ready()
        except TimeoutError:
            await client.aclose()
            await client._raise_if_untrusted()
            raise ConnectError(
                f"no connection to {target} within {client.timeout.connect:g}s"
            ) from None
        return client

    async def _raise_if_untrusted(self) -> None:
        """A :class:`ServerCertificateError` if the server's certificate is what failed."""
        if self.tls is None:
            return
        untrusted = await diagnose_server(self.target, self.tls, self.timeout.connect)
        if untrusted is not None:
            raise ServerCertificateError(self.target, untrusted.reason)

    async def aclose(self) -> None:
        await self._channel.close()

    async def __aenter__(self) -> LedgerClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # --- plumbing ---------------------------------------------------------------------

    def _metadata(self) -> tuple[tuple[str, str], ...]:
        token = self._token() if callable(self._token) else self._token
        return (("authorization", f"Bearer {token}"),) if token else ()

    async def _call(self, method: Any, request: Any, deadline_s: float | None = None) -> Any:
        try:
            return await method(
                request, timeout=deadline_s or self.timeout.call, metadata=self._metadata()
            )
        except grpc.aio.AioRpcError as error:
            if error.code() is grpc.StatusCode.UNAVAILABLE:
                await self._raise_if_untrusted()
            raise conv.error_from_rpc(error) from None

    async def _stream(self, method: Any, request: Any) -> AsyncIterator[Any]:
        call = method(request, timeout=self.timeout.stream, metadata=self._metadata())
        try:
            async for item in call:
                yield item
        except grpc.aio.AioRpcError as error:
            raise conv.error_from_rpc(error) from None
        finally:
            call.cancel()

    def _commands(
        self,
        commands: Sequence[Command],
        *,
        act_as: Sequence[str],
        read_as: Sequence[str],
        command_id: str | None,
        application_id: str | None,
        workflow_id: str,
        submission_id: str,
        deduplication_seconds: float | None,
        deduplication_offset: int | None = None,
    ) -> commands_pb2.Commands:
        if deduplication_seconds is not None and deduplication_offset is not None:
            raise ValueError("give deduplication_seconds or deduplication_offset, not both")
        msg = commands_pb2.Commands(
            workflow_id=workflow_id,
            application_id=application_id or self.application_id,
            command_id=command_id or str(uuid.uuid4()),
            commands=[conv.command_msg(c) for c in commands],
            act_as=act_as,
            read_as=read_as,
            submission_id=submission_id,
        )
        if deduplication_seconds is not None:
            msg.deduplication_duration.FromNanoseconds(int(deduplication_seconds * 1e9))
        if deduplication_offset is not None:
            msg.deduplication_offset = deduplication_offset
        return msg

    # --- commands ---------------------------------------------------------------------

    async def submit(
        self,
        commands: Sequence[Command],
        *,
        act_as: Sequence[str],
        read_as: Sequence[str] = (),
        command_id: str | None = None,
        application_id: str | None = None,
        workflow_id: str = "",
        submission_id: str = "",
        deduplication_seconds: float | None = None,
        deduplication_offset: int | None = None,
    ) -> str:
        """Submit; return the command id. The outcome arrives on :meth:`completions`.
        Deduplication (at most one of the two): against the same change id accepted in
        the last ``deduplication_seconds``, or completed after ``deduplication_offset``;
        neither: the participant's maximum deduplication duration."""
        msg = self._commands(
            commands,
            act_as=act_as,
            read_as=read_as,
            command_id=command_id,
            application_id=application_id,
            workflow_id=workflow_id,
            submission_id=submission_id,
            deduplication_seconds=deduplication_seconds,
            deduplication_offset=deduplication_offset,
        )
        await self._call(self._submission.Submit, submission_pb.SubmitRequest(commands=msg))
        return msg.command_id

    async def submit_and_wait(
        self,
        commands: Sequence[Command],
        *,
        act_as: Sequence[str],
        read_as: Sequence[str] = (),
        command_id: str | None = None,
        application_id: str | None = None,
        workflow_id: str = "",
        deduplication_seconds: float | None = None,
        deduplication_offset: int | None = None,
    ) -> tuple[str, int]:
        """Submit and wait for the outcome: ``(update id, completion offset)``; a
        rejection raises its :class:`CommandRejectedError` subclass."""
        msg = self._commands(
            commands,
            act_as=act_as,
            read_as=read_as,
            command_id=command_id,
            application_id=application_id,
            workflow_id=workflow_id,
            submission_id="",
            deduplication_seconds=deduplication_seconds,
            deduplication_offset=deduplication_offset,
        )
        response = await self._call(
            self._command.SubmitAndWait,
            command_pb.SubmitAndWaitRequest(commands=msg),
            self.timeout.submit_and_wait,
        )
        return response.update_id, response.completion_offset

    async def submit_and_wait_for_transaction(
        self,
        commands: Sequence[Command],
        *,
        act_as: Sequence[str],
        read_as: Sequence[str] = (),
        command_id: str | None = None,
        application_id: str | None = None,
        workflow_id: str = "",
        deduplication_seconds: float | None = None,
    ) -> Transaction:
        """Submit and return the committed transaction (flat, as seen by ``act_as``)."""
        msg = self._commands(
            commands,
            act_as=act_as,
            read_as=read_as,
            command_id=command_id,
            application_id=application_id,
            workflow_id=workflow_id,
            submission_id="",
            deduplication_seconds=deduplication_seconds,
        )
        response = await self._call(
            self._command.SubmitAndWaitForTransaction,
            command_pb.SubmitAndWaitRequest(commands=msg),
            self.timeout.submit_and_wait,
        )
        return conv.transaction(response.transaction)

    async def submit_and_wait_for_transaction_tree(
        self,
        commands: Sequence[Command],
        *,
        act_as: Sequence[str],
        read_as: Sequence[str] = (),
        command_id: str | None = None,
        application_id: str | None = None,
        workflow_id: str = "",
    ) -> TransactionTree:
        msg = self._commands(
            commands,
            act_as=act_as,
            read_as=read_as,
            command_id=command_id,
            application_id=application_id,
            workflow_id=workflow_id,
            submission_id="",
            deduplication_seconds=None,
        )
        response = await self._call(
            self._command.SubmitAndWaitForTransactionTree,
            command_pb.SubmitAndWaitRequest(commands=msg),
            self.timeout.submit_and_wait,
        )
        return conv.transaction_tree(response.transaction)

    async def completions(
        self, parties: Sequence[str], *, begin: int = 0, application_id: str | None = None
    ) -> AsyncIterator[Completion]:
        """Completions after offset ``begin``, then live."""
        request = completion_pb.CompletionStreamRequest(
            application_id=application_id or self.application_id,
            parties=parties,
            begin_exclusive=begin,
        )
        async for response in self._stream(self._completion.CompletionStream, request):
            yield conv.completion(response.completion)

    # --- reads ------------------------------------------------------------------------

    async def updates(
        self,
        parties: Iterable[str],
        *,
        begin: int = 0,
        end: int | None = None,
        templates: Mapping[str, Iterable[str]] | Iterable[str] | None = None,
    ) -> AsyncIterator[Transaction]:
        """Flat transactions in ``(begin, end]`` (live without ``end``)."""
        request = update_service_pb2.GetUpdatesRequest(
            begin_exclusive=begin, filter=_filter(parties, templates)
        )
        if end is not None:
            request.end_inclusive = end
        async for response in self._stream(self._updates.GetUpdates, request):
            yield conv.transaction(response.transaction)

    async def update_trees(
        self, parties: Iterable[str], *, begin: int = 0, end: int | None = None
    ) -> AsyncIterator[TransactionTree]:
        request = update_service_pb2.GetUpdatesRequest(
            begin_exclusive=begin, filter=_filter(parties, None)
        )
        if end is not None:
            request.end_inclusive = end
        async for response in self._stream(self._updates.GetUpdateTrees, request):
            yield conv.transaction_tree(response.transaction_tree)

    async def transaction_by_id(self, update_id: str, parties: Sequence[str]) -> Transaction:
        response = await self._call(
            self._updates.GetTransactionById,
            update_service_pb2.GetTransactionByIdRequest(
                update_id=update_id, requesting_parties=parties
            ),
        )
        return conv.transaction(response.transaction)

    async def transaction_by_offset(self, offset: int, parties: Sequence[str]) -> Transaction:
        response = await self._call(
            self._updates.GetTransactionByOffset,
            update_service_pb2.GetTransactionByOffsetRequest(
                offset=offset, requesting_parties=parties
            ),
        )
        return conv.transaction(response.transaction)

    async def transaction_tree_by_id(
        self, update_id: str, parties: Sequence[str]
    ) -> TransactionTree:
        response = await self._call(
            self._updates.GetTransactionTreeById,
            update_service_pb2.GetTransactionByIdRequest(
                update_id=update_id, requesting_parties=parties
            ),
        )
        return conv.transaction_tree(response.transaction)

    async def active_contracts(
        self,
        parties: Iterable[str],
        *,
        templates: Mapping[str, Iterable[str]] | Iterable[str] | None = None,
        at_offset: int = 0,
    ) -> ActiveContracts:
        """The active contract set (at the ledger end, or at ``at_offset``)."""
        request = state_service_pb2.GetActiveContractsRequest(
            filter=_filter(parties, templates), active_at_offset=at_offset
        )
        contracts = []
        offset = 0
        async with asyncio.timeout(self.timeout.call * 6):
            async for response in self._stream(self._state.GetActiveContracts, request):
                if response.HasField("active_contract"):
                    contracts.append(conv.created(response.active_contract.created_event))
                else:
                    offset = response.offset
        return ActiveContracts(offset, tuple(contracts))

    async def ledger_end(self) -> int:
        response = await self._call(
            self._state.GetLedgerEnd, state_service_pb2.GetLedgerEndRequest()
        )
        return int(response.offset)

    async def connected_domains(self, party: str = "") -> list[ConnectedDomain]:
        response = await self._call(
            self._state.GetConnectedDomains,
            state_service_pb2.GetConnectedDomainsRequest(party=party),
        )
        return [
            ConnectedDomain(d.domain_alias, d.domain_id, d.permission)
            for d in response.connected_domains
        ]

    async def version(self) -> str:
        response = await self._call(
            self._version.GetLedgerApiVersion, version_service_pb2.GetLedgerApiVersionRequest()
        )
        return str(response.version)

    # --- parties and packages -----------------------------------------------------------

    async def allocate_party(self, hint: str = "", display_name: str = "") -> PartyDetails:
        response = await self._call(
            self._parties.AllocateParty,
            party_pb.AllocatePartyRequest(party_id_hint=hint, display_name=display_name),
            self.timeout.submit_and_wait,
        )
        return conv.party_details(response.party_details)

    async def list_parties(self) -> list[PartyDetails]:
        response = await self._call(
            self._parties.ListKnownParties, party_pb.ListKnownPartiesRequest()
        )
        return [conv.party_details(p) for p in response.party_details]

    async def get_parties(self, parties: Sequence[str]) -> list[PartyDetails]:
        response = await self._call(
            self._parties.GetParties, party_pb.GetPartiesRequest(parties=parties)
        )
        return [conv.party_details(p) for p in response.party_details]

    async def upload_package(self, source: str | bytes) -> PackageDetails:
        payload = source.encode() if isinstance(source, str) else source
        response = await self._call(
            self._package_admin.UploadDarFile,
            package_admin_pb.UploadDarFileRequest(dar_file=payload),
            self.timeout.submit_and_wait,
        )
        return conv.package_details(response.package_details)

    async def list_packages(self) -> list[str]:
        response = await self._call(
            self._packages.ListPackages, package_service_pb2.ListPackagesRequest()
        )
        return list(response.package_ids)

    async def known_packages(self) -> list[PackageDetails]:
        response = await self._call(
            self._package_admin.ListKnownPackages, package_admin_pb.ListKnownPackagesRequest()
        )
        return [conv.package_details(p) for p in response.package_details]

    async def get_package(self, package_id: str) -> bytes:
        response = await self._call(
            self._packages.GetPackage, package_service_pb2.GetPackageRequest(package_id=package_id)
        )
        return bytes(response.archive_payload)

    async def package_registered(self, package_id: str) -> bool:
        response = await self._call(
            self._packages.GetPackageStatus,
            package_service_pb2.GetPackageStatusRequest(package_id=package_id),
        )
        return response.package_status in (
            package_service_pb2.PACKAGE_STATUS_REGISTERED,
            package_service_pb2.PACKAGE_STATUS_VETTED,
        )

    async def package_vetted(self, package_id: str) -> bool:
        """Whether the participant has vetted the package in its effective topology
        (participants with ``vetting = "topology"``)."""
        response = await self._call(
            self._packages.GetPackageStatus,
            package_service_pb2.GetPackageStatusRequest(package_id=package_id),
        )
        return bool(response.package_status == package_service_pb2.PACKAGE_STATUS_VETTED)

    # --- users --------------------------------------------------------------------------

    async def create_user(self, user: User, rights: Iterable[Right] = ()) -> User:
        response = await self._call(
            self._users.CreateUser,
            user_pb.CreateUserRequest(
                user=user_pb.User(
                    id=user.user_id,
                    primary_party=user.primary_party,
                    is_deactivated=user.is_deactivated,
                ),
                rights=[conv.right_msg(r) for r in rights],
            ),
        )
        return conv.user_of(response.user)

    async def get_user(self, user_id: str = "") -> User:
        response = await self._call(self._users.GetUser, user_pb.GetUserRequest(user_id=user_id))
        return conv.user_of(response.user)

    async def delete_user(self, user_id: str) -> None:
        await self._call(self._users.DeleteUser, user_pb.DeleteUserRequest(user_id=user_id))

    async def list_users(self) -> list[User]:
        users: list[User] = []
        token = ""
        while True:
            response = await self._call(
                self._users.ListUsers, user_pb.ListUsersRequest(page_token=token)
            )
            users.extend(conv.user_of(u) for u in response.users)
            token = response.next_page_token
            if not token:
                return users

    async def grant_rights(self, user_id: str, rights: Iterable[Right]) -> list[Right]:
        response = await self._call(
            self._users.GrantUserRights,
            user_pb.GrantUserRightsRequest(
                user_id=user_id, rights=[conv.right_msg(r) for r in rights]
            ),
        )
        return [conv.right_of(r) for r in response.newly_granted_rights]

    async def revoke_rights(self, user_id: str, rights: Iterable[Right]) -> list[Right]:
        response = await self._call(
            self._users.RevokeUserRights,
            user_pb.RevokeUserRightsRequest(
                user_id=user_id, rights=[conv.right_msg(r) for r in rights]
            ),
        )
        return [conv.right_of(r) for r in response.newly_revoked_rights]

    async def list_rights(self, user_id: str = "") -> list[Right]:
        response = await self._call(
            self._users.ListUserRights, user_pb.ListUserRightsRequest(user_id=user_id)
        )
        return [conv.right_of(r) for r in response.rights]
