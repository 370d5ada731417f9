"""The rights model: resolving rights, the require_* checks, expiry and status mapping."""

from __future__ import annotations

import math

import grpc
import pytest

from auth import (
    AuthClaims,
    AuthConfigError,
    CanActAs,
    CanReadAs,
    EffectiveRights,
    InvalidTokenError,
    InvalidTokenReason,
    JwksUnavailableError,
    MissingTokenError,
    PermissionDeniedError,
    TokenExpiredError,
    TokenFormat,
    UserId,
    UserRightsLookup,
    grpc_status_for,
    http_status_for,
    require_act_as,
    require_admin,
    require_application_id,
    require_read_as,
    require_user_or_admin,
    resolve_rights,
    seconds_until_expiry,
)
from tests.support.auth import ALICE, BOB, USERS

CAROL = "carol::1220" + "c" * 64


def user_claims(user: str) -> AuthClaims:
    return AuthClaims(
        format=TokenFormat.AUDIENCE, user_id=UserId(user), expires_at=2e9, application_id=user
    )


def custom_claims(**fields: object) -> AuthClaims:
    return AuthClaims(format=TokenFormat.CUSTOM, user_id=None, expires_at=2e9, **fields)  # type: ignore[arg-type]


async def test_user_rights_resolved_through_lookup() -> None:
    assert isinstance(USERS, UserRightsLookup)
    rights = await resolve_rights(user_claims("alice"), USERS)
    assert rights.act_as == {ALICE}
    assert rights.read_as == {ALICE, BOB}  # acting implies reading
    assert rights.user_id == "alice" and rights.application_id == "alice"
    assert not rights.is_participant_admin


async def test_unknown_user_is_denied() -> None:
    with pytest.raises(PermissionDeniedError) as caught:
        await resolve_rights(user_claims("mallory"), USERS)
    assert caught.value.subject == "user 'mallory'"


async def test_user_token_needs_a_lookup() -> None:
    with pytest.raises(AuthConfigError):
        await resolve_rights(user_claims("alice"), None)
    with pytest.raises(AuthConfigError):
        require_act_as(user_claims("alice"), [ALICE])  # unresolved user claims


async def test_act_as_for_a_party_the_user_may_not_act_as() -> None:
    rights = await resolve_rights(user_claims("alice"), USERS)
    assert require_act_as(rights, [ALICE]) is rights
    with pytest.raises(PermissionDeniedError) as caught:
        require_act_as(rights, [ALICE, BOB])  # BOB is read-only for alice
    assert caught.value.missing == f"CanActAs({BOB})"
    assert caught.value.subject == "user 'alice'"


async def test_read_of_another_party() -> None:
    rights = await resolve_rights(user_claims("alice"), USERS)
    require_read_as(rights, [ALICE, BOB])
    with pytest.raises(PermissionDeniedError) as caught:
        require_read_as(rights, [CAROL])
    assert caught.value.missing == f"CanReadAs({CAROL})"


def test_custom_claims_carry_their_rights() -> None:
    claims = custom_claims(act_as=frozenset({ALICE}), read_as=frozenset({BOB}))
    require_act_as(claims, [ALICE])
    require_read_as(claims, [ALICE, BOB])
    with pytest.raises(PermissionDeniedError):
        require_act_as(claims, [BOB])
    with pytest.raises(PermissionDeniedError) as caught:
        require_admin(claims)
    assert caught.value.missing == "ParticipantAdmin"
    require_admin(custom_claims(admin=True))


def test_single_string_is_not_a_party_list() -> None:
    with pytest.raises(AuthConfigError):
        require_act_as(custom_claims(act_as=frozenset({ALICE})), ALICE)


async def test_admin_checks() -> None:
    admin = await resolve_rights(user_claims("admin"), USERS)
    idp_admin = await resolve_rights(user_claims("idp-admin"), USERS)
    alice = await resolve_rights(user_claims("alice"), USERS)
    require_admin(admin)
    require_admin(idp_admin, allow_idp_admin=True)
    with pytest.raises(PermissionDeniedError):
        require_admin(idp_admin)
    with pytest.raises(PermissionDeniedError) as caught:
        require_admin(alice, allow_idp_admin=True)
    assert caught.value.missing == "ParticipantAdmin or IdentityProviderAdmin"


async def test_user_or_admin() -> None:
    alice = await resolve_rights(user_claims("alice"), USERS)
    admin = await resolve_rights(user_claims("admin"), USERS)
    assert require_user_or_admin(alice, "") == "alice"
    assert require_user_or_admin(alice, "alice") == "alice"
    assert require_user_or_admin(admin, "alice") == "alice"
    with pytest.raises(PermissionDeniedError) as caught:
        require_user_or_admin(alice, "admin")
    assert caught.value.missing == "ParticipantAdmin"
    with pytest.raises(PermissionDeniedError):
        require_user_or_admin(custom_claims(), "")


def test_application_id() -> None:
    legacy = custom_claims(application_id="legacy-app")
    assert require_application_id(legacy, "") == "legacy-app"
    assert require_application_id(legacy, "legacy-app") == "legacy-app"
    with pytest.raises(PermissionDeniedError):
        require_application_id(legacy, "other-app")
    assert require_application_id(custom_claims(), "free") == "free"
    with pytest.raises(PermissionDeniedError):
        require_application_id(custom_claims(), "")


def test_seconds_until_expiry() -> None:
    assert seconds_until_expiry(None) == math.inf
    assert seconds_until_expiry(100.0, now=40.0) == 60.0
    assert seconds_until_expiry(100.0, now=140.0) == 0.0


def test_effective_rights_derive_parties() -> None:
    rights = EffectiveRights("x", None, frozenset({CanReadAs(BOB), CanActAs(ALICE)}), None)
    assert (rights.act_as, rights.read_as) == (frozenset({ALICE}), frozenset({ALICE, BOB}))


@pytest.mark.parametrize(
    ("error", "code", "http"),
    [
        (MissingTokenError(), grpc.StatusCode.UNAUTHENTICATED, 401),
        (TokenExpiredError(1.0, 2.0, 0.0), grpc.StatusCode.UNAUTHENTICATED, 401),
        (
            InvalidTokenError(InvalidTokenReason.ALG_NONE, "x"),
            grpc.StatusCode.UNAUTHENTICATED,
            401,
        ),
        (PermissionDeniedError("ParticipantAdmin", "u"), grpc.StatusCode.PERMISSION_DENIED, 403),
        (JwksUnavailableError("http://x", "down"), grpc.StatusCode.UNAVAILABLE, 503),
        (AuthConfigError("x", "y"), grpc.StatusCode.INTERNAL, 500),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else str(v),
)
def test_status_mapping(error: Exception, code: grpc.StatusCode, http: int) -> None:
    assert grpc_status_for(error) is code  # type: ignore[arg-type]
    assert http_status_for(error) == http  # type: ignore[arg-type]
