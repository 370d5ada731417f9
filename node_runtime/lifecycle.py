"""The start and stop of a node on one exit stack (``docs/nodes.md`` §1.2).

A node subclasses :class:`Node` and writes one method, ``_start(parts)``: it opens,
binds and starts its parts in start order through :class:`NodeParts`, and every part is
entered into one :class:`contextlib.AsyncExitStack` the moment it exists. :meth:`Node.stop`
closes that stack, so

* exactly what started is stopped, in the reverse order of its start;
* a start that fails half-way stops what it had started before the error leaves
  :meth:`Node.start` (the part that failed too: its ``stop`` is entered before its
  ``start`` runs, so a server whose port was taken still releases what it set up);
* a second ``stop`` does nothing.

:meth:`Node.wait` is what :func:`~node_runtime.process.serve_until_signalled` waits on:
it returns when the node's member connection or its background task group ends, and
raises the cause if either failed (:func:`~node_runtime.process.wait_for_failure`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from contextlib import AsyncExitStack
from typing import Any, Protocol, TypeVar

import grpc.aio
from prometheus_client import CollectorRegistry

from node_runtime.errors import LifecycleError
from node_runtime.http import OpsServer, ReadinessCheck
from node_runtime.process import Waitable, wait_for_failure
from node_runtime.tls import ServerTls, bind_grpc

log = logging.getLogger(__name__)

GRPC_GRACE_S = 1.0
"""How long a gRPC server lets calls in progress finish at stop."""


class Closable(Protocol):
    async def close(self) -> None: ...


class Startable(Protocol):
    """A part with its own start and stop; ``stop`` must be safe after a failed ``start``."""

    async def start(self) -> object: ...

    async def stop(self) -> None: ...


class Listen(Protocol):
    """A config section with the ``host`` and ``port`` an endpoint listens on."""

    @property
    def host(self) -> str: ...

    @property
    def port(self) -> int: ...


class Member(Startable, Waitable, Protocol):
    """The member connection: started, stopped, and waited on by :meth:`Node.wait`."""


C = TypeVar("C", bound=Closable)
S = TypeVar("S", bound=Startable)
M = TypeVar("M", bound=Member)


class NodeParts:
    """What a node's ``_start`` enters its parts through; each method registers how the
    part is undone on the node's exit stack."""

    def __init__(self, stack: AsyncExitStack) -> None:
        self._stack = stack
        self.member: Waitable | None = None
        """The member connection :meth:`Node.wait` watches, once started."""
        self.tasks: asyncio.Task[None] | None = None
        """The background task group :meth:`Node.wait` watches, once started."""

    async def store(self, opening: Awaitable[C]) -> C:
        """A store being opened (``await Store.open(...)``): closed at stop."""
        store = await opening
        self._stack.push_async_callback(store.close)
        return store

    def closing(self, part: C) -> C:
        """A part already open (a client channel): closed at stop."""
        self._stack.push_async_callback(part.close)
        return part

    def callback(self, callback: Callable[[], object]) -> None:
        """A plain function to call at stop (a blocking store's ``close``)."""
        self._stack.callback(callback)

    def async_callback(self, callback: Callable[[], Awaitable[object]]) -> None:
        """A coroutine function to await at stop (a provider's ``disconnect``)."""
        self._stack.push_async_callback(callback)

    async def started(self, part: S) -> S:
        """Start ``part`` (an API server, the ops endpoint, a writer); stopped at stop."""
        self._stack.push_async_callback(part.stop)
        await part.start()
        return part

    async def join(self, member: M) -> M:
        """Start the member connection; :meth:`Node.wait` returns when it ends."""
        await self.started(member)
        self.member = member
        return member

    async def ops(
        self,
        registry: CollectorRegistry,
        checks: list[ReadinessCheck],
        listen: Listen,
        tls: ServerTls | None,
    ) -> OpsServer:
        """The operations endpoint (``/livez``, ``/readyz``, ``/metrics``) on ``listen``."""
        return await self.started(OpsServer(registry, checks, listen.host, listen.port, tls))

    async def grpc_server(
        self, server: grpc.aio.Server, address: str, tls: ServerTls | None
    ) -> int:
        """Bind ``server`` to ``address`` (TLS with ``tls``) and start it; the bound port.
        At stop it lets calls in progress finish for :data:`GRPC_GRACE_S`."""
        port = bind_grpc(server, address, tls)
        if port == 0:
            raise OSError(f"cannot bind {address}")
        self._stack.push_async_callback(server.stop, GRPC_GRACE_S)
        await server.start()
        return port

    def task_group(self, name: str, runs: Mapping[str, Coroutine[Any, Any, None]]) -> None:
        """Run ``runs`` (by task name) in one ``TaskGroup``: the first to fail cancels the
        others and :meth:`Node.wait` raises it. Cancelled at stop."""
        if self.tasks is not None:
            for run in runs.values():
                run.close()
            raise LifecycleError(name, "a node has one task group, already started")

        async def run_all() -> None:
            async with asyncio.TaskGroup() as group:
                for task_name, run in runs.items():
                    group.create_task(run, name=task_name)

        self.tasks = self.task(name, run_all())

    def task(self, name: str, run: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """A background task nobody waits on (it ends by itself); cancelled at stop."""
        task = asyncio.create_task(run, name=name)
        self._stack.push_async_callback(_cancel, task)
        return task


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task


class Node:
    """Base of every node: :meth:`start`, :meth:`wait` until it fails or stops,
    :meth:`stop`. A subclass writes :meth:`_start` and may override :meth:`_started`."""

    _stack: AsyncExitStack | None = None
    _parts: NodeParts | None = None

    async def _start(self, parts: NodeParts) -> None:
        """Open and start the node's parts in order, each through ``parts``."""
        raise NotImplementedError

    def _started(self) -> None:
        """Called once the node runs (to log where it serves)."""

    async def start(self) -> None:
        stack = AsyncExitStack()
        self._stack = stack
        self._parts = NodeParts(stack)
        try:
            await self._start(self._parts)
        except BaseException:
            await self.stop()
            raise
        self._started()

    async def wait(self) -> None:
        """Return when stopped; raise the cause if the member connection or a task failed."""
        parts = self._parts
        if parts is not None:
            await wait_for_failure(parts.member, parts.tasks)

    async def stop(self) -> None:
        """Undo what :meth:`start` did, in reverse order; once."""
        stack, self._stack = self._stack, None
        if stack is not None:
            await stack.aclose()
