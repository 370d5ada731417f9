"""Authorization checks: pure functions a Ledger API service calls before it acts.

This module owns the rights model and nothing about tokens or transport. A request's
:class:`~auth.types.AuthClaims` become :class:`~auth.types.EffectiveRights` once
(:func:`resolve_rights`: inline rights of a custom-claims token, or the user's rights from
user management); each service then calls the check for what it is about to do:

==============================  ============================================================
check                           passes when
==============================  ============================================================
:func:`require_act_as`          CanActAs for every party (submissions)
:func:`require_read_as`         CanReadAs or CanActAs for every party (streams, queries)
:func:`require_admin`           ParticipantAdmin (optionally IdentityProviderAdmin)
:func:`require_user_or_admin`   the user asks about itself, or is an admin
:func:`require_application_id`  the command's application id is the token's (if it fixes one)
==============================  ============================================================

Each failure is a :class:`~auth.errors.PermissionDeniedError` naming the missing right.
Every check also accepts custom-claims :class:`AuthClaims` directly, since those carry
their rights; passing a user token's claims unresolved is a programming error
(:class:`~auth.errors.AuthConfigError`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable

from auth.errors import AuthConfigError, PermissionDeniedError, join_names
from auth.types import AuthClaims, EffectiveRights, UserId, UserRightsLookup

Subject = AuthClaims | EffectiveRights
"""What the checks accept: resolved rights, or the claims of a custom-claims token."""


async def resolve_rights(claims: AuthClaims, lookup: UserRightsLookup | None) -> EffectiveRights:
    """The rights behind ``claims``: inline for custom claims, else looked up for the user.

    An unknown or deactivated user is refused (PERMISSION_DENIED), as in Daml.
    """
    if claims.carries_rights:
        return _inline(claims)
    if claims.user_id is None:
        raise AuthConfigError("resolve_rights", "user token without a user id")
    if lookup is None:
        raise AuthConfigError(
            "resolve_rights", "user tokens need a UserRightsLookup (the user management)"
        )
    rights = await lookup.user_rights(claims.user_id)
    if rights is None:
        raise PermissionDeniedError(
            "an active user record", claims.subject, "user does not exist or is deactivated"
        )
    return EffectiveRights(
        subject=claims.subject,
        user_id=claims.user_id,
        rights=frozenset(rights),
        expires_at=claims.expires_at,
        application_id=claims.application_id,
    )


def _inline(claims: AuthClaims) -> EffectiveRights:
    return EffectiveRights(
        subject=claims.subject,
        user_id=claims.user_id,
        rights=claims.inline_rights(),
        expires_at=claims.expires_at,
        application_id=claims.application_id,
    )


def as_rights(subject: Subject) -> EffectiveRights:
    """``subject`` as :class:`EffectiveRights`; user-token claims must be resolved first."""
    if isinstance(subject, EffectiveRights):
        return subject
    if not subject.carries_rights:
        raise AuthConfigError(
            "authorization check",
            f"{subject.subject}: rights of user tokens must be resolved with resolve_rights()",
        )
    return _inline(subject)


def _parties(parties: Iterable[str], what: str) -> frozenset[str]:
    if isinstance(parties, str):
        raise AuthConfigError(what, "expects an iterable of parties, not one string")
    return frozenset(parties)


def require_act_as(subject: Subject, parties: Iterable[str]) -> EffectiveRights:
    """Pass if ``subject`` may act as every one of ``parties`` (a command's ``actAs``)."""
    rights = as_rights(subject)
    wanted = _parties(parties, "require_act_as")
    missing = wanted - rights.act_as
    if missing:
        raise PermissionDeniedError(
            ", ".join(f"CanActAs({p})" for p in sorted(missing)),
            rights.subject,
            f"may act as [{join_names(rights.act_as)}]",
        )
    return rights


def require_read_as(subject: Subject, parties: Iterable[str]) -> EffectiveRights:
    """Pass if ``subject`` may read as every one of ``parties``; acting implies reading."""
    rights = as_rights(subject)
    wanted = _parties(parties, "require_read_as")
    missing = wanted - rights.read_as
    if missing:
        raise PermissionDeniedError(
            ", ".join(f"CanReadAs({p})" for p in sorted(missing)),
            rights.subject,
            f"may read as [{join_names(rights.read_as)}]",
        )
    return rights


def require_admin(subject: Subject, *, allow_idp_admin: bool = False) -> EffectiveRights:
    """Pass if ``subject`` is a participant admin (or an IdP admin, where allowed)."""
    rights = as_rights(subject)
    if rights.is_participant_admin:
        return rights
    if allow_idp_admin and rights.is_identity_provider_admin:
        return rights
    missing = "ParticipantAdmin" + (" or IdentityProviderAdmin" if allow_idp_admin else "")
    raise PermissionDeniedError(missing, rights.subject)


def require_user_or_admin(subject: Subject, user_id: str) -> UserId:
    """Pass if the request is about the caller's own user, or the caller is an admin.

    An empty ``user_id`` means "the authenticated user" (Daml's rule); the user id the
    request is about is returned.
    """
    rights = as_rights(subject)
    if not user_id:
        if rights.user_id is None:
            raise PermissionDeniedError(
                "a user id", rights.subject, "the token names no user; give one explicitly"
            )
        return rights.user_id
    if user_id == rights.user_id:
        return UserId(user_id)
    if rights.is_participant_admin or rights.is_identity_provider_admin:
        return UserId(user_id)
    raise PermissionDeniedError("ParticipantAdmin", rights.subject, f"to access user '{user_id}'")


def require_application_id(subject: Subject, application_id: str) -> str:
    """The application id a command must carry: the token's, if it fixes one.

    An empty ``application_id`` takes the token's; a different one is refused.
    """
    rights = as_rights(subject)
    fixed = rights.application_id
    if fixed is None:
        if not application_id:
            raise PermissionDeniedError(
                "an application id", rights.subject, "neither the token nor the request has one"
            )
        return application_id
    if application_id and application_id != fixed:
        raise PermissionDeniedError(
            f"application id '{application_id}'", rights.subject, f"token fixes '{fixed}'"
        )
    return fixed


def seconds_until_expiry(expires_at: float | None, now: float | None = None) -> float:
    """Seconds until a token expires (``math.inf`` if it does not; ``0.0`` if it has).

    A stream that outlives its token must end with UNAUTHENTICATED at this point; the
    gRPC interceptor does so for every server stream it wraps.
    """
    if expires_at is None:
        return math.inf
    current = time.time() if now is None else now
    return max(0.0, expires_at - current)
