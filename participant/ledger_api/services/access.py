"""Per-call authorization and the error guard every servicer method runs under.

:class:`Access` applies the rights checks of :mod:`auth.rights` to the rights the
:class:`auth.AuthInterceptor` resolved for the call; on a server started without
authentication (development) every check passes. :func:`unary` and :func:`stream`
wrap servicer methods so that *any* exception ends the call through
:func:`~..status.abort` — with its Daml error code — and never escapes as an
unstructured failure.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any, TypeVar

import grpc
import grpc.aio

from auth import (
    UserId,
    current_rights,
    require_act_as,
    require_admin,
    require_application_id,
    require_read_as,
    require_user_or_admin,
)
from participant.ledger_api.errors import InvalidArgumentError
from participant.ledger_api.status import abort

Req = TypeVar("Req")
Resp = TypeVar("Resp")
S = TypeVar("S")


class Access:
    """The rights checks of one server (``enabled=False``: no authentication)."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled

    def submit(
        self, act_as: Iterable[str], read_as: Iterable[str], application_id: str, field: str
    ) -> str:
        """Check a submission; return its application id (the token's, if it fixes one)."""
        if not self.enabled:
            if not application_id:
                raise InvalidArgumentError(
                    f"{field}.application_id", "must not be empty", missing=True
                )
            return application_id
        rights = current_rights()
        require_act_as(rights, act_as)
        require_read_as(rights, read_as)
        return require_application_id(rights, application_id)

    def application(self, application_id: str, field: str) -> str:
        if not self.enabled:
            if not application_id:
                raise InvalidArgumentError(field, "must not be empty", missing=True)
            return application_id
        return require_application_id(current_rights(), application_id)

    def read(self, parties: Iterable[str]) -> None:
        if self.enabled:
            require_read_as(current_rights(), parties)

    def admin(self, *, allow_idp_admin: bool = False) -> None:
        if self.enabled:
            require_admin(current_rights(), allow_idp_admin=allow_idp_admin)

    def user_or_admin(self, user_id: str, field: str) -> UserId:
        if not self.enabled:
            if not user_id:
                raise InvalidArgumentError(field, "must not be empty", missing=True)
            return UserId(user_id)
        return require_user_or_admin(current_rights(), user_id)


def _passes(exc: BaseException) -> bool:
    """An abort already under way (from the interceptor or us) must pass through."""
    return isinstance(exc, grpc.aio.AbortError)


def unary(
    method: Callable[[S, Req, grpc.aio.ServicerContext], Awaitable[Resp]],
) -> Callable[[S, Req, grpc.aio.ServicerContext], Awaitable[Resp]]:
    """Guard a unary servicer method (see the module docstring)."""

    @functools.wraps(method)
    async def guarded(self: S, request: Req, context: grpc.aio.ServicerContext) -> Resp:
        try:
            return await method(self, request, context)
        except Exception as exc:
            if _passes(exc):
                raise
            await abort(context, exc)

    return guarded


def stream(
    method: Callable[[S, Req, grpc.aio.ServicerContext], AsyncIterator[Resp]],
) -> Callable[[S, Req, grpc.aio.ServicerContext], AsyncIterator[Resp]]:
    """Guard a server-streaming servicer method (an async generator)."""

    @functools.wraps(method)
    async def guarded(self: S, request: Req, context: grpc.aio.ServicerContext) -> Any:
        responses = method(self, request, context)
        try:
            async for item in responses:
                yield item
        except Exception as exc:
            if _passes(exc):
                raise
            await abort(context, exc)
        finally:
            await responses.aclose()  # type: ignore[attr-defined]

    return guarded
