"""Trace ids over real gRPC servers: ``TraceInterceptor`` binds the caller's ``x-trace-id``
(or a new one for none or a malformed one) and the method for unary and streaming calls,
and ``trace_metadata`` passes it on to the next node."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest

from node_runtime.logs import (
    TRACE_METADATA_KEY,
    TraceInterceptor,
    current_context,
    log_context,
    trace_metadata,
)


def identity(b: bytes) -> bytes:
    return b


class Node:
    """A gRPC server whose methods record the logging context they ran in."""

    def __init__(self, forward_to: str | None = None) -> None:
        self.seen: list[dict[str, Any]] = []
        self.forward_to = forward_to
        self.server = grpc.aio.server(interceptors=[TraceInterceptor()])
        handlers = {
            "Echo": grpc.unary_unary_rpc_method_handler(self.echo, identity, identity),
            "Stream": grpc.unary_stream_rpc_method_handler(self.stream, identity, identity),
        }
        self.server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler("t.T", handlers),)
        )
        self.port = self.server.add_insecure_port("127.0.0.1:0")

    async def echo(self, request: bytes, context: Any) -> bytes:
        self.seen.append(current_context())
        if self.forward_to is not None:  # the next hop, as a node's client would call it
            async with grpc.aio.insecure_channel(self.forward_to) as channel:
                call = channel.unary_unary("/t.T/Echo", identity, identity)
                await call(request, metadata=trace_metadata(), timeout=5)
        return request

    async def stream(self, request: bytes, context: Any) -> AsyncIterator[bytes]:
        for _ in range(2):
            self.seen.append(current_context())
            yield request


async def call(port: int, method: str, metadata: tuple[tuple[str, str], ...] = ()) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        if method == "Echo":
            await channel.unary_unary("/t.T/Echo", identity, identity)(
                b"x", metadata=metadata, timeout=5
            )
        else:
            async for _ in channel.unary_stream("/t.T/Stream", identity, identity)(
                b"x", metadata=metadata, timeout=5
            ):
                pass


@pytest.fixture
async def nodes() -> AsyncIterator[tuple[Node, Node]]:
    second = Node()
    first = Node(forward_to=f"127.0.0.1:{second.port}")
    await second.server.start()
    await first.server.start()
    yield first, second
    await first.server.stop(None)
    await second.server.stop(None)


async def test_a_callers_trace_id_is_bound_and_passed_to_the_next_node(
    nodes: tuple[Node, Node],
) -> None:
    first, second = nodes
    await call(first.port, "Echo", ((TRACE_METADATA_KEY, "client-42.a"),))
    assert first.seen[0]["trace_id"] == "client-42.a"
    assert first.seen[0]["rpc"] == "/t.T/Echo"
    assert second.seen[0]["trace_id"] == "client-42.a"
    assert "trace_id" not in current_context()  # nothing leaks out of the call


@pytest.mark.parametrize("sent", [None, "", "has space", "x" * 65, "-leading-dash", "a/b;c"])
async def test_a_missing_or_malformed_trace_id_is_replaced(
    nodes: tuple[Node, Node], sent: str | None
) -> None:
    first, second = nodes
    metadata = () if sent is None else ((TRACE_METADATA_KEY, sent),)
    await call(first.port, "Echo", metadata)
    trace = first.seen[0]["trace_id"]
    assert re.fullmatch(r"[0-9a-f]{16}", trace), trace
    assert second.seen[0]["trace_id"] == trace


async def test_streaming_calls_are_bound_for_every_item(nodes: tuple[Node, Node]) -> None:
    first, _ = nodes
    await call(first.port, "Stream", ((TRACE_METADATA_KEY, "s1"),))
    assert [c["trace_id"] for c in first.seen] == ["s1", "s1"]
    assert first.seen[0]["rpc"] == "/t.T/Stream"


def test_trace_metadata_is_empty_without_a_bound_trace() -> None:
    assert trace_metadata() == ()
    with log_context(trace_id="abc"):
        assert trace_metadata() == ((TRACE_METADATA_KEY, "abc"),)
