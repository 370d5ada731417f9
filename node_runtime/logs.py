"""Structured logs: one JSON object per line, with request and trace ids carried along.

Context (node name, trace id, request id, …) lives in a ``contextvars`` mapping, so it
follows a request through ``await`` points and into tasks started while handling it, and
is attached to every record logged meanwhile.

Trace ids (``docs/operations.md`` §2):

* a gRPC server with :class:`TraceInterceptor` binds ``trace_id`` — the caller's
  ``x-trace-id`` metadata if it is well formed (:data:`TRACE_ID_PATTERN`), a new random
  one otherwise — and ``rpc`` (the method) for the whole call;
* a gRPC client inside such a call passes it on with :func:`trace_metadata`;
* through the sequencer nothing is added (envelopes are opaque, and the chain is public):
  the member runtime binds each handled event's ``sequenced_at`` (and ``message_id`` on
  the sender's receipt), which every recipient of the event shares, so the submitter's
  line naming ``trace_id`` and ``message_id`` joins the mediator's and confirmers' lines.
"""

from __future__ import annotations

import contextlib
import contextvars
import inspect
import json
import logging
import re
import secrets
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, TextIO

import grpc

_context: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar(
    "chaindomain_log_context",
    default={},  # noqa: B039 - never mutated, always replaced
)

TRACE_METADATA_KEY = "x-trace-id"
TRACE_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
"""What a caller's trace id may look like; anything else is replaced, never logged."""


def bind_context(**fields: Any) -> None:
    """Add ``fields`` to the logging context of the current task and what it starts."""
    _context.set({**_context.get(), **fields})


@contextlib.contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Add ``fields`` to the logging context for the duration of a block."""
    token = _context.set({**_context.get(), **fields})
    try:
        yield
    finally:
        _context.reset(token)


def current_context() -> dict[str, Any]:
    return dict(_context.get())


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "msg", **context, **extra}`` on one line."""

    _RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message"}

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update(_context.get())
        for key, value in vars(record).items():
            if key not in self._RESERVED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(
    node: str, level: str = "info", stream: TextIO | None = None, json_lines: bool = True
) -> None:
    """Send the root logger to ``stream`` (stderr) as JSON lines tagged with ``node``."""
    handler = logging.StreamHandler(stream or sys.stderr)
    if json_lines:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    bind_context(node=node)


# -- trace ids ----------------------------------------------------------------------------------


def new_trace_id() -> str:
    """16 random hex digits."""
    return secrets.token_hex(8)


def accept_trace_id(value: str | bytes | None) -> str:
    """``value`` if it is a well-formed trace id, else a new one."""
    if isinstance(value, bytes):
        value = value.decode("ascii", errors="replace")
    if value is not None and TRACE_ID_PATTERN.fullmatch(value):
        return value
    return new_trace_id()


def current_trace_id() -> str | None:
    value = _context.get().get("trace_id")
    return str(value) if value is not None else None


def trace_metadata() -> tuple[tuple[str, str], ...]:
    """Outgoing gRPC metadata carrying the bound trace id (empty if none is bound)."""
    trace = current_trace_id()
    return ((TRACE_METADATA_KEY, trace),) if trace is not None else ()


def _bound_unary(
    behavior: Callable[..., Awaitable[Any]], fields: dict[str, str]
) -> Callable[..., Awaitable[Any]]:
    async def call(request: Any, context: Any) -> Any:
        with log_context(**fields):
            return await behavior(request, context)

    return call


def _bound_stream(behavior: Callable[..., Any], fields: dict[str, str]) -> Callable[..., Any]:
    async def call(request: Any, context: Any) -> AsyncIterator[Any]:
        with log_context(**fields):
            result = behavior(request, context)
            if inspect.isasyncgen(result):
                async for item in result:
                    yield item
            else:  # a coroutine writing with context.write()
                await result

    return call


class TraceInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Bind ``trace_id`` (from ``x-trace-id`` or new) and ``rpc`` for every call served.

    Put it first in the server's interceptors, so that a refusal by a later one (e.g. the
    auth interceptor) is logged with the trace id too.
    """

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        metadata = handler_call_details.invocation_metadata or ()
        sent = next((v for k, v in metadata if k == TRACE_METADATA_KEY), None)
        fields = {
            "trace_id": accept_trace_id(sent),
            "rpc": str(handler_call_details.method),
        }
        with log_context(**fields):
            handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        types = dict(
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                _bound_unary(handler.unary_unary, fields), **types
            )
        if handler.stream_unary is not None:
            return grpc.stream_unary_rpc_method_handler(
                _bound_unary(handler.stream_unary, fields), **types
            )
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                _bound_stream(handler.unary_stream, fields), **types
            )
        if handler.stream_stream is not None:
            return grpc.stream_stream_rpc_method_handler(
                _bound_stream(handler.stream_stream, fields), **types
            )
        return handler
