"""The authentication of the request being served, carried in a context variable.

The gRPC interceptor and the HTTP middleware authenticate a request, then set it here for
the duration of the handler; service code reads it with :func:`current_claims` and
:func:`current_rights` without threading it through every call. Context variables follow
``await`` and tasks started by the handler, and never leak between requests.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass

from auth.errors import AuthConfigError
from auth.rights import resolve_rights
from auth.types import AuthClaims, EffectiveRights, UserRightsLookup
from auth.verifier import TokenVerifier


@dataclass(frozen=True, slots=True)
class RequestAuth:
    """Who made the current request and, once resolved, what they may do."""

    claims: AuthClaims
    """The verified token."""
    rights: EffectiveRights | None
    """The caller's rights; ``None`` for a user token when no lookup was configured."""


_current: contextvars.ContextVar[RequestAuth | None] = contextvars.ContextVar(
    "chaindomain_request_auth", default=None
)


async def authenticate(
    verifier: TokenVerifier, authorization: str | None, lookup: UserRightsLookup | None
) -> RequestAuth:
    """Verify an ``Authorization`` header value and resolve the caller's rights."""
    claims = await verifier.verify_header(authorization)
    rights = None
    if claims.carries_rights or lookup is not None:
        rights = await resolve_rights(claims, lookup)
    return RequestAuth(claims, rights)


@contextlib.contextmanager
def request_auth(auth: RequestAuth) -> Iterator[None]:
    """Make ``auth`` the current request's authentication for the block."""
    token = _current.set(auth)
    try:
        yield
    finally:
        _current.reset(token)


def current_auth() -> RequestAuth:
    """The current request's authentication; :class:`AuthConfigError` outside a request."""
    auth = _current.get()
    if auth is None:
        raise AuthConfigError(
            "current_auth", "no authenticated request (public method, or not behind the auth layer)"
        )
    return auth


def current_claims() -> AuthClaims:
    """The verified claims of the current request."""
    return current_auth().claims


def current_rights() -> EffectiveRights:
    """The resolved rights of the current request (the input of the ``require_*`` checks)."""
    auth = current_auth()
    if auth.rights is None:
        raise AuthConfigError(
            "current_rights",
            f"{auth.claims.subject}: rights not resolved; configure a UserRightsLookup",
        )
    return auth.rights
