"""The node lifecycle (``node_runtime.lifecycle``): stop undoes exactly what started, in
reverse order, also when a start fails half-way; ``wait`` raises a failed task."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator
from pathlib import Path

import grpc.aio
import pytest
from prometheus_client import CollectorRegistry

from node_runtime import OpsServer
from node_runtime.errors import LifecycleError
from node_runtime.lifecycle import Node, NodeParts
from node_runtime.member.state import CounterStore
from protocol.identifiers import DomainId, MemberId

DOMAIN = DomainId("da::1220" + "ab" * 32)
MEMBER = MemberId("PAR::p1::1220" + "cd" * 32)


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port another socket listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield int(holder.getsockname()[1])


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


class ThreeParts(Node):
    """A real sqlite store, the ops endpoint, then a gRPC server on ``grpc_port``."""

    def __init__(self, data_dir: Path, grpc_port: int = 0) -> None:
        self.data_dir = data_dir
        self.grpc_port = grpc_port
        self.store: CounterStore | None = None
        self.ops: OpsServer | None = None
        self.port = 0
        self.stopped: list[str] = []

    async def _start(self, parts: NodeParts) -> None:
        self.store = await parts.store(
            CounterStore.open(self.data_dir / "member.sqlite", DOMAIN, MEMBER)
        )
        parts.callback(lambda: self.stopped.append("store"))
        self.ops = await parts.started(OpsServer(CollectorRegistry()))
        parts.callback(lambda: self.stopped.append("ops"))
        self.port = await parts.grpc_server(
            grpc.aio.server(), f"127.0.0.1:{self.grpc_port}", tls=None
        )
        parts.callback(lambda: self.stopped.append("grpc"))


async def test_a_start_failing_at_the_third_part_closes_the_first_two(
    tmp_path: Path, taken_port: int
) -> None:
    node = ThreeParts(tmp_path, grpc_port=taken_port)
    with pytest.raises((OSError, RuntimeError)):
        await node.start()
    assert node.ops is not None and node.ops.port != 0
    assert node.stopped == ["ops", "store"]
    # The ops endpoint no longer listens, and the store's connection is closed: closing
    # the last connection of a WAL database checkpoints and removes its -wal file.
    assert port_is_free(node.ops.port)
    assert (tmp_path / "member.sqlite").exists()
    assert not (tmp_path / "member.sqlite-wal").exists()
    await node.stop()  # nothing left to undo
    assert node.stopped == ["ops", "store"]


async def test_stop_undoes_every_part_in_reverse_order_once(tmp_path: Path) -> None:
    node = ThreeParts(tmp_path)
    await node.start()
    assert node.ops is not None and node.port != 0
    assert (tmp_path / "member.sqlite-wal").exists()
    await node.stop()
    assert node.stopped == ["grpc", "ops", "store"]
    assert port_is_free(node.port) and port_is_free(node.ops.port)
    assert not (tmp_path / "member.sqlite-wal").exists()
    await node.stop()
    assert node.stopped == ["grpc", "ops", "store"]


class WithTasks(Node):
    def __init__(self, fail: bool) -> None:
        self.fail = fail
        self.running = asyncio.Event()
        self.cancelled = asyncio.Event()

    async def _start(self, parts: NodeParts) -> None:
        parts.task_group("tasks", {"sleeper": self._sleep(), "worker": self._work()})

    async def _sleep(self) -> None:
        try:
            self.running.set()
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            self.cancelled.set()
            raise

    async def _work(self) -> None:
        await asyncio.sleep(0.01)
        if self.fail:
            raise RuntimeError("lost the database")
        await asyncio.sleep(3600)


async def test_wait_raises_the_failed_task_and_its_group_is_cancelled() -> None:
    node = WithTasks(fail=True)
    await node.start()
    with pytest.raises(ExceptionGroup) as failure:
        await asyncio.wait_for(node.wait(), 5)
    assert failure.group_contains(RuntimeError, match="lost the database")
    assert node.cancelled.is_set()
    await node.stop()


async def test_stop_cancels_the_tasks_and_ends_wait() -> None:
    node = WithTasks(fail=False)
    await node.start()
    waiter = asyncio.create_task(node.wait())
    await asyncio.sleep(0.05)
    assert not waiter.done()
    await node.stop()
    assert node.cancelled.is_set()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(waiter, 5)
    assert waiter.done()


class TwoGroups(WithTasks):
    async def _start(self, parts: NodeParts) -> None:
        await super()._start(parts)
        await self.running.wait()
        parts.task_group("again", {"worker": self._work()})


async def test_a_second_task_group_is_refused_and_the_first_is_cancelled() -> None:
    node = TwoGroups(fail=False)
    with pytest.raises(LifecycleError, match="one task group"):
        await node.start()
    assert node.cancelled.is_set()
