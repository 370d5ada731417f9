# ruff: noqa: N802 - servicer methods carry the gRPC method names
"""Party, package and user management, the package service and the version service.

Management calls need ``ParticipantAdmin`` (users: also ``IdentityProviderAdmin``);
reading one's own user and rights needs only to be that user. The package service's
reads are open to every authenticated caller, as in Daml.
"""

from __future__ import annotations

import re

import grpc.aio

from auth import CanActAs, CanReadAs, IdentityProviderAdmin, ParticipantAdmin, UserRight
from participant.engine import PackageId
from participant.engine.types import PACKAGE_ID_RE
from participant.ledger_api.backend import BackendInfo, LedgerBackend, PackageStatus
from participant.ledger_api.convert import requests, responses
from participant.ledger_api.errors import InvalidArgumentError
from participant.ledger_api.services.access import Access, unary
from participant.ledger_api.users import User, UserStore, check_user_id
from protocol.ledger_api.v2 import (
    package_service_pb2,
    package_service_pb2_grpc,
    version_service_pb2,
    version_service_pb2_grpc,
)
from protocol.ledger_api.v2.admin import (
    package_management_service_pb2,
    package_management_service_pb2_grpc,
    party_management_service_pb2,
    party_management_service_pb2_grpc,
    user_management_service_pb2,
    user_management_service_pb2_grpc,
)

MAX_PACKAGE_BYTES = 1024 * 1024
_HINT_RE = re.compile(r"[A-Za-z0-9_\-]{1,100}")


def package_id(value: str, field: str = "package_id") -> PackageId:
    if not value:
        raise InvalidArgumentError(field, "must not be empty", missing=True)
    if PACKAGE_ID_RE.fullmatch(value) is None:
        raise InvalidArgumentError(field, "64 lower-case hex digits expected")
    return PackageId(value)


class PartyManagementService(party_management_service_pb2_grpc.PartyManagementServiceServicer):
    def __init__(self, backend: LedgerBackend, access: Access) -> None:
        self.backend = backend
        self.access = access

    @unary
    async def GetParticipantId(
        self,
        request: party_management_service_pb2.GetParticipantIdRequest,
        context: grpc.aio.ServicerContext,
    ) -> party_management_service_pb2.GetParticipantIdResponse:
        self.access.admin(allow_idp_admin=True)
        return party_management_service_pb2.GetParticipantIdResponse(
            participant_id=self.backend.participant_id
        )

    @unary
    async def GetParties(
        self,
        request: party_management_service_pb2.GetPartiesRequest,
        context: grpc.aio.ServicerContext,
    ) -> party_management_service_pb2.GetPartiesResponse:
        parties = requests.parties(request.parties, "parties", required=True)
        self.access.admin(allow_idp_admin=True)
        found = await self.backend.get_parties(parties)
        return party_management_service_pb2.GetPartiesResponse(
            party_details=[responses.party_details(p) for p in found]
        )

    @unary
    async def ListKnownParties(
        self,
        request: party_management_service_pb2.ListKnownPartiesRequest,
        context: grpc.aio.ServicerContext,
    ) -> party_management_service_pb2.ListKnownPartiesResponse:
        self.access.admin(allow_idp_admin=True)
        return party_management_service_pb2.ListKnownPartiesResponse(
            party_details=[responses.party_details(p) for p in await self.backend.list_parties()]
        )

    @unary
    async def AllocateParty(
        self,
        request: party_management_service_pb2.AllocatePartyRequest,
        context: grpc.aio.ServicerContext,
    ) -> party_management_service_pb2.AllocatePartyResponse:
        hint = request.party_id_hint or None
        if hint is not None and _HINT_RE.fullmatch(hint) is None:
            raise InvalidArgumentError("party_id_hint", "1..100 of [A-Za-z0-9_-] expected")
        if len(request.display_name) > 255:
            raise InvalidArgumentError("display_name", "at most 255 characters")
        self.access.admin(allow_idp_admin=True)
        details = await self.backend.allocate_party(hint, request.display_name)
        return party_management_service_pb2.AllocatePartyResponse(
            party_details=responses.party_details(details)
        )


class PackageManagementService(
    package_management_service_pb2_grpc.PackageManagementServiceServicer
):
    def __init__(self, backend: LedgerBackend, access: Access) -> None:
        self.backend = backend
        self.access = access

    @unary
    async def ListKnownPackages(
        self,
        request: package_management_service_pb2.ListKnownPackagesRequest,
        context: grpc.aio.ServicerContext,
    ) -> package_management_service_pb2.ListKnownPackagesResponse:
        self.access.admin()
        packages = await self.backend.list_packages()
        return package_management_service_pb2.ListKnownPackagesResponse(
            package_details=[responses.package_details(p) for p in packages]
        )

    @unary
    async def UploadDarFile(
        self,
        request: package_management_service_pb2.UploadDarFileRequest,
        context: grpc.aio.ServicerContext,
    ) -> package_management_service_pb2.UploadDarFileResponse:
        if not request.dar_file:
            raise InvalidArgumentError("dar_file", "must not be empty", missing=True)
        if len(request.dar_file) > MAX_PACKAGE_BYTES:
            raise InvalidArgumentError("dar_file", f"at most {MAX_PACKAGE_BYTES} bytes")
        try:
            request.dar_file.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidArgumentError("dar_file", "a UTF-8 package source expected") from None
        self.access.admin()
        details = await self.backend.upload_package(request.dar_file)
        return package_management_service_pb2.UploadDarFileResponse(
            package_details=responses.package_details(details)
        )


_PACKAGE_STATUS_TO_PB = {
    PackageStatus.UNKNOWN: package_service_pb2.PACKAGE_STATUS_UNSPECIFIED,
    PackageStatus.REGISTERED: package_service_pb2.PACKAGE_STATUS_REGISTERED,
    PackageStatus.VETTED: package_service_pb2.PACKAGE_STATUS_VETTED,
}


class PackageService(package_service_pb2_grpc.PackageServiceServicer):
    def __init__(self, backend: LedgerBackend, access: Access) -> None:
        self.backend = backend
        self.access = access

    @unary
    async def ListPackages(
        self, request: package_service_pb2.ListPackagesRequest, context: grpc.aio.ServicerContext
    ) -> package_service_pb2.ListPackagesResponse:
        packages = await self.backend.list_packages()
        return package_service_pb2.ListPackagesResponse(
            package_ids=[p.package_id for p in packages]
        )

    @unary
    async def GetPackage(
        self, request: package_service_pb2.GetPackageRequest, context: grpc.aio.ServicerContext
    ) -> package_service_pb2.GetPackageResponse:
        found = await self.backend.get_package(package_id(request.package_id))
        return package_service_pb2.GetPackageResponse(
            archive_payload=found.source,
            hash=found.details.package_id,
            name=found.details.name,
            version=found.details.version,
        )

    @unary
    async def GetPackageStatus(
        self,
        request: package_service_pb2.GetPackageStatusRequest,
        context: grpc.aio.ServicerContext,
    ) -> package_service_pb2.GetPackageStatusResponse:
        status = await self.backend.package_status(package_id(request.package_id))
        return package_service_pb2.GetPackageStatusResponse(
            package_status=_PACKAGE_STATUS_TO_PB[status]
        )


# --- users ------------------------------------------------------------------------------

Right = user_management_service_pb2.Right


def right_of(msg: user_management_service_pb2.Right, field: str) -> UserRight:
    kind = msg.WhichOneof("kind")
    if kind == "participant_admin":
        return ParticipantAdmin()
    if kind == "identity_provider_admin":
        return IdentityProviderAdmin()
    if kind == "can_act_as":
        return CanActAs(requests.party(msg.can_act_as.party, f"{field}.can_act_as.party"))
    if kind == "can_read_as":
        return CanReadAs(requests.party(msg.can_read_as.party, f"{field}.can_read_as.party"))
    raise InvalidArgumentError(field, "a right with no kind", missing=True)


def rights_of(msgs: list[user_management_service_pb2.Right], field: str) -> list[UserRight]:
    return [right_of(m, f"{field}[{i}]") for i, m in enumerate(msgs)]


def right_msg(right: UserRight) -> user_management_service_pb2.Right:
    match right:
        case CanActAs(party):
            return Right(can_act_as=Right.CanActAs(party=party))
        case CanReadAs(party):
            return Right(can_read_as=Right.CanReadAs(party=party))
        case ParticipantAdmin():
            return Right(participant_admin=Right.ParticipantAdmin())
        case IdentityProviderAdmin():
            return Right(identity_provider_admin=Right.IdentityProviderAdmin())
    raise TypeError(right)  # pragma: no cover


def user_msg(user: User) -> user_management_service_pb2.User:
    return user_management_service_pb2.User(
        id=user.user_id, primary_party=user.primary_party, is_deactivated=user.is_deactivated
    )


class UserManagementService(user_management_service_pb2_grpc.UserManagementServiceServicer):
    def __init__(self, users: UserStore, access: Access) -> None:
        self.users = users
        self.access = access

    @unary
    async def CreateUser(
        self,
        request: user_management_service_pb2.CreateUserRequest,
        context: grpc.aio.ServicerContext,
    ) -> user_management_service_pb2.CreateUserResponse:
        if not request.HasField("user"):
            raise InvalidArgumentError("user", "missing", missing=True)
        user_id = check_user_id(request.user.id, "user.id")
        primary = request.user.primary_party
        if primary:
            requests.party(primary, "user.primary_party")
        rights = rights_of(list(request.rights), "rights")
        self.access.admin(allow_idp_admin=True)
        user = await self.users.create_user(
            User(user_id, primary, request.user.is_deactivated), rights
        )
        return user_management_service_pb2.CreateUserResponse(user=user_msg(user))

    @unary
    async def GetUser(
        self, request: user_management_service_pb2.GetUserRequest, context: grpc.aio.ServicerContext
    ) -> user_management_service_pb2.GetUserResponse:
        user_id = self.access.user_or_admin(request.user_id, "user_id")
        user = await self.users.get_user(check_user_id(user_id, "user_id"))
        return user_management_service_pb2.GetUserResponse(user=user_msg(user))

    @unary
    async def DeleteUser(
        self,
        request: user_management_service_pb2.DeleteUserRequest,
        context: grpc.aio.ServicerContext,
    ) -> user_management_service_pb2.DeleteUserResponse:
        user_id = check_user_id(request.user_id, "user_id")
        self.access.admin(allow_idp_admin=True)
        await self.users.delete_user(user_id)
        return user_management_service_pb2.DeleteUserResponse()

    @unary
    async def ListUsers(
        self,
        request: user_management_service_pb2.ListUsersRequest,
        context: grpc.aio.ServicerContext,
    ) -> user_management_service_pb2.ListUsersResponse:
        if request.page_size < 0:
            raise InvalidArgumentError("page_size", "must not be negative")
        self.access.admin(allow_idp_admin=True)
        users, token = await self.users.list_users(request.page_token, request.page_size)
        return user_management_service_pb2.ListUsersResponse(
            users=[user_msg(u) for u in users], next_page_token=token
        )

    @unary
    async def GrantUserRights(
        self,
        request: user_management_service_pb2.GrantUserRightsRequest,
        context: grpc.aio.ServicerContext,
    ) -> user_management_service_pb2.GrantUserRightsResponse:
        user_id = check_user_id(request.user_id, "user_id")
        rights = rights_of(list(request.rights), "rights")
        self.access.admin(allow_idp_admin=True)
        new = await self.users.grant_rights(user_id, rights)
        return user_management_service_pb2.GrantUserRightsResponse(
            newly_granted_rights=[right_msg(r) for r in new]
        )

    @unary
    async def RevokeUserRights(
        self,
        request: user_management_service_pb2.RevokeUserRightsRequest,
        context: grpc.aio.ServicerContext,
    ) -> user_management_service_pb2.RevokeUserRightsResponse:
        user_id = check_user_id(request.user_id, "user_id")
        rights = rights_of(list(request.rights), "rights")
        self.access.admin(allow_idp_admin=True)
        gone = await self.users.revoke_rights(user_id, rights)
        return user_management_service_pb2.RevokeUserRightsResponse(
            newly_revoked_rights=[right_msg(r) for r in gone]
        )

    @unary
    async def ListUserRights(
        self,
        request: user_management_service_pb2.ListUserRightsRequest,
        context: grpc.aio.ServicerContext,
    ) -> user_management_service_pb2.ListUserRightsResponse:
        user_id = self.access.user_or_admin(request.user_id, "user_id")
        rights = await self.users.list_rights(check_user_id(user_id, "user_id"))
        return user_management_service_pb2.ListUserRightsResponse(
            rights=[right_msg(r) for r in rights]
        )


class VersionService(version_service_pb2_grpc.VersionServiceServicer):
    """Public (no token needed), as in Daml."""

    def __init__(self, info: BackendInfo) -> None:
        self.info = info

    @unary
    async def GetLedgerApiVersion(
        self,
        request: version_service_pb2.GetLedgerApiVersionRequest,
        context: grpc.aio.ServicerContext,
    ) -> version_service_pb2.GetLedgerApiVersionResponse:
        return version_service_pb2.GetLedgerApiVersionResponse(
            version=self.info.version, features=self.info.features
        )
