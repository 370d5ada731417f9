"""The gRPC (``grpc.aio``) server interceptor that authenticates every non-public call.

It owns the transport side of authentication for the Ledger API: reading
``authorization: Bearer <jwt>`` from the call's metadata, verifying it, resolving the
caller's rights, and making them the current request's (:mod:`auth.context`) while the
service method runs. It answers refusals itself, with the status of :mod:`auth.status`:

* no or malformed header, bad or expired token → UNAUTHENTICATED;
* an :class:`~auth.errors.AuthError` raised by the method (e.g. a failed
  ``require_act_as``) → its status, typically PERMISSION_DENIED;
* JWKS unreachable → UNAVAILABLE.

**Streams end when their token does.** A server-streaming (or bidi) method is cut off
with UNAUTHENTICATED at the token's ``exp``: the interceptor bounds the method by a
deadline, so no service has to remember to do it.

Methods listed as public (health, reflection, version by default) pass untouched.
Handlers are wrapped per call type, keeping their (de)serializers; async-generator and
``context.write`` style streaming methods are both supported.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any, NoReturn

import grpc
import grpc.aio

from auth.context import RequestAuth, authenticate, request_auth
from auth.errors import AuthError, TokenExpiredError
from auth.rights import seconds_until_expiry
from auth.status import grpc_status_for
from auth.types import UserRightsLookup
from auth.verifier import TokenVerifier

log = logging.getLogger(__name__)

AUTHORIZATION_METADATA_KEY = "authorization"

DEFAULT_PUBLIC_METHODS: frozenset[str] = frozenset(
    {
        "/grpc.health.v1.Health/",
        "/grpc.reflection.v1alpha.ServerReflection/",
        "/grpc.reflection.v1.ServerReflection/",
        "/com.daml.ledger.api.v2.VersionService/",
    }
)
"""Full method names (``/pkg.Service/Method``), or service prefixes ending in ``/``."""


class AuthInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Authenticates every call except the public methods; see the module docstring."""

    def __init__(
        self,
        verifier: TokenVerifier,
        *,
        rights_lookup: UserRightsLookup | None = None,
        public_methods: Iterable[str] = DEFAULT_PUBLIC_METHODS,
        wall_clock: Callable[[], float] = time.time,
        refuse: Callable[[grpc.aio.ServicerContext, AuthError], Awaitable[NoReturn]] | None = None,
    ) -> None:
        """``refuse``, when given, ends a refused call instead of a plain ``abort`` with the
        error's status and public message: a service with structured error details (the
        Ledger API's ``google.rpc.Status`` with ``ErrorInfo``) answers refusals by the
        interceptor in the same shape as its own."""
        self.verifier = verifier
        self._custom_refuse = refuse
        self.rights_lookup = rights_lookup
        self.public_methods = frozenset(public_methods)
        self._wall_clock = wall_clock

    def is_public(self, method: str) -> bool:
        if method in self.public_methods:
            return True
        service = method.rpartition("/")[0] + "/"
        return service in self.public_methods

    async def intercept_service(
        self,
        continuation: Callable[[Any], Awaitable[Any]],
        handler_call_details: Any,
    ) -> Any:
        handler = await continuation(handler_call_details)
        if handler is None or self.is_public(handler_call_details.method):
            return handler
        return self._wrap(handler, handler_call_details.method)

    # --- authentication ---------------------------------------------------------------

    async def _authenticate(self, context: grpc.aio.ServicerContext, method: str) -> RequestAuth:
        header = None
        for key, value in context.invocation_metadata() or ():
            if key == AUTHORIZATION_METADATA_KEY:
                header = value if isinstance(value, str) else value.decode("ascii", "replace")
                break
        try:
            return await authenticate(self.verifier, header, self.rights_lookup)
        except AuthError as exc:
            await self._refuse(context, exc, method)

    async def _refuse(
        self, context: grpc.aio.ServicerContext, exc: AuthError, method: str
    ) -> NoReturn:
        code = grpc_status_for(exc)
        log.info(
            "call refused",
            extra={"method": method, "status": code.name, "error": str(exc)},
        )
        if self._custom_refuse is not None:
            await self._custom_refuse(context, exc)
        await context.abort(code, exc.public_message)
        raise AssertionError("unreachable: abort raises")  # pragma: no cover

    async def _expired(
        self, context: grpc.aio.ServicerContext, auth: RequestAuth, method: str
    ) -> NoReturn:
        exc = TokenExpiredError(auth.claims.expires_at, self._wall_clock(), 0.0)
        await self._refuse(context, exc, method)

    def _deadline(self, auth: RequestAuth) -> float | None:
        """The loop time at which the call's token expires (``None``: never)."""
        remaining = seconds_until_expiry(auth.claims.expires_at, self._wall_clock())
        if remaining == float("inf"):
            return None
        return asyncio.get_running_loop().time() + remaining

    # --- wrapping ---------------------------------------------------------------------

    def _wrap(self, handler: Any, method: str) -> Any:
        kwargs = {
            "request_deserializer": handler.request_deserializer,
            "response_serializer": handler.response_serializer,
        }
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                self._wrap_unary(handler.unary_unary, method), **kwargs
            )
        if handler.stream_unary is not None:
            return grpc.stream_unary_rpc_method_handler(
                self._wrap_unary(handler.stream_unary, method), **kwargs
            )
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                self._wrap_stream(handler.unary_stream, method), **kwargs
            )
        return grpc.stream_stream_rpc_method_handler(
            self._wrap_stream(handler.stream_stream, method), **kwargs
        )

    def _wrap_unary(self, behavior: Callable[..., Any], method: str) -> Callable[..., Any]:
        async def unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
            auth = await self._authenticate(context, method)
            with request_auth(auth):
                try:
                    result = behavior(request, context)
                    return await result if inspect.isawaitable(result) else result
                except AuthError as exc:
                    await self._refuse(context, exc, method)

        return unary

    def _wrap_stream(self, behavior: Callable[..., Any], method: str) -> Callable[..., Any]:
        if inspect.isasyncgenfunction(behavior):

            async def generator(
                request: Any, context: grpc.aio.ServicerContext
            ) -> AsyncIterator[Any]:
                auth = await self._authenticate(context, method)
                with request_auth(auth):
                    responses: AsyncIterator[Any] = behavior(request, context)
                    deadline = self._deadline(auth)
                    try:
                        while True:
                            timeout = asyncio.timeout_at(deadline)
                            try:
                                async with timeout:
                                    item = await anext(responses)
                            except StopAsyncIteration:
                                return
                            except TimeoutError:
                                if not timeout.expired():
                                    raise
                                await self._expired(context, auth, method)
                            except AuthError as exc:
                                await self._refuse(context, exc, method)
                            yield item
                    finally:
                        await responses.aclose()  # type: ignore[attr-defined]

            return generator

        async def writer(request: Any, context: grpc.aio.ServicerContext) -> None:
            auth = await self._authenticate(context, method)
            with request_auth(auth):
                timeout = asyncio.timeout_at(self._deadline(auth))
                try:
                    async with timeout:
                        await behavior(request, context)
                except TimeoutError:
                    if not timeout.expired():
                        raise
                    await self._expired(context, auth, method)
                except AuthError as exc:
                    await self._refuse(context, exc, method)

        return writer
