"""The aiohttp middleware that authenticates requests to an HTTP service.

Same rules as the gRPC interceptor, in HTTP's words: the ``Authorization: Bearer <jwt>``
header is verified, the caller's rights resolved and made current (:mod:`auth.context`,
and ``request[REQUEST_AUTH_KEY]``) for the handler. Refusals are JSON bodies::

    401 {"error": "unauthenticated", "reason": "wrong_audience", "message": "…"}
    403 {"error": "permission_denied", "missing": "CanActAs(bob::1220…)", "message": "…"}
    503 {"error": "unavailable", "message": "token keys temporarily unavailable; retry"}

401 replies carry ``WWW-Authenticate: Bearer error="invalid_token"`` and 403 replies
``error="insufficient_scope"`` (RFC 6750 §3). An :class:`~auth.errors.AuthError` raised
by a handler (a failed ``require_*`` check) is answered the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Middleware

from auth.context import RequestAuth, authenticate, request_auth
from auth.errors import (
    AuthenticationError,
    AuthError,
    InvalidTokenError,
    JwksUnavailableError,
    PermissionDeniedError,
)
from auth.status import http_status_for
from auth.types import UserRightsLookup
from auth.verifier import TokenVerifier

log = logging.getLogger(__name__)

REQUEST_AUTH_KEY: web.RequestKey[RequestAuth] = web.RequestKey("chaindomain.auth", RequestAuth)
"""``request[REQUEST_AUTH_KEY]`` is the :class:`~auth.context.RequestAuth` of the request."""

DEFAULT_PUBLIC_PATHS: frozenset[str] = frozenset({"/livez", "/readyz", "/metrics"})
"""Exact paths, or prefixes ending in ``/``, served without a token."""

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error_body(exc: AuthError) -> dict[str, Any]:
    """The JSON body answering ``exc``."""
    body: dict[str, Any]
    if isinstance(exc, AuthenticationError):
        body = {"error": "unauthenticated"}
        if isinstance(exc, InvalidTokenError):
            body["reason"] = exc.reason.value
    elif isinstance(exc, PermissionDeniedError):
        body = {"error": "permission_denied", "missing": exc.missing}
    elif isinstance(exc, JwksUnavailableError):
        body = {"error": "unavailable"}
    else:
        body = {"error": "internal"}
    body["message"] = exc.public_message
    return body


def error_response(exc: AuthError) -> web.Response:
    """The HTTP reply to ``exc``: status from :mod:`auth.status`, JSON body, RFC 6750 header."""
    status = http_status_for(exc)
    headers: dict[str, str] = {}
    if status == 401:
        description = exc.public_message.replace('"', "'")
        headers["WWW-Authenticate"] = (
            f'Bearer error="invalid_token", error_description="{description}"'
        )
    elif status == 403:
        headers["WWW-Authenticate"] = 'Bearer error="insufficient_scope"'
    elif status == 503:
        headers["Retry-After"] = "1"
    return web.json_response(error_body(exc), status=status, headers=headers)


def auth_middleware(
    verifier: TokenVerifier,
    *,
    rights_lookup: UserRightsLookup | None = None,
    public_paths: Iterable[str] = DEFAULT_PUBLIC_PATHS,
) -> Middleware:
    """An aiohttp middleware (``web.Application(middlewares=[auth_middleware(...)])``)."""
    public = frozenset(public_paths)

    def is_public(path: str) -> bool:
        return path in public or any(p.endswith("/") and path.startswith(p) for p in public)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if is_public(request.path):
            return await handler(request)
        try:
            auth: RequestAuth = await authenticate(
                verifier, request.headers.get("Authorization"), rights_lookup
            )
        except AuthError as exc:
            log.info("request refused", extra={"path": request.path, "error": str(exc)})
            return error_response(exc)
        request[REQUEST_AUTH_KEY] = auth
        with request_auth(auth):
            try:
                return await handler(request)
            except AuthError as exc:
                log.info("request refused", extra={"path": request.path, "error": str(exc)})
                return error_response(exc)

    return middleware
