"""The supervisor: starts nodes in order, watches them, restarts them, stops them in reverse.

Rules:

1. Nodes start one after another, in the given order; each must print its READY line
   before the next starts (later nodes need earlier ones' endpoints).
2. A node that exits while the network runs is **reported** (:class:`NodeExited` with its
   exit code and the last lines of its log). With a restart policy it is started again
   after a backoff (``initial × 2^k``, capped), at most ``max_restarts`` times in a row; a
   node that stayed up ``stable_after_s`` has its count reset. Without one, or once the
   budget is spent, it stays down and the others keep running.
3. :meth:`Supervisor.stop` stops nodes in **reverse** start order: SIGTERM, wait
   ``stop_timeout_s``, then SIGKILL.
4. Every change is written to the state file before it is reported.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from chaindomain.devnet.errors import NodeStartError
from chaindomain.devnet.process import NodeProcess, NodeSpec, log_tail
from chaindomain.devnet.state import DevnetState, NodeState


@dataclass(frozen=True, slots=True)
class RestartPolicy:
    enabled: bool = False
    max_restarts: int = 5
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 10.0
    stable_after_s: float = 60.0

    def delay(self, attempt: int) -> float:
        return float(min(self.backoff_max_s, self.backoff_initial_s * 2 ** max(0, attempt - 1)))


@dataclass(frozen=True, slots=True)
class NodeReady:
    name: str
    pid: int
    endpoints: dict[str, str]
    restarts: int


@dataclass(frozen=True, slots=True)
class NodeExited:
    name: str
    exit_code: int
    log_tail: str
    """The last lines of the node's log: why it died."""
    restart_in_s: float | None
    """Seconds until the restart, or ``None`` if the node stays down."""


Event = NodeReady | NodeExited
Reporter = Callable[[Event], None]


class Supervisor:
    """Owns the node processes of one network and its state file."""

    def __init__(
        self,
        state: DevnetState,
        save: Callable[[DevnetState], None],
        report: Reporter,
        policy: RestartPolicy | None = None,
    ) -> None:
        self.state = state
        self._save = save
        self._report = report
        self.policy = policy or RestartPolicy()
        self.processes: dict[str, NodeProcess] = {}
        self._order: list[str] = []
        self._watchers: dict[str, asyncio.Task[None]] = {}
        self._stopping = False

    @property
    def stopping(self) -> bool:
        return self._stopping

    async def start_all(self, specs: Sequence[NodeSpec]) -> None:
        """Start ``specs`` in order; a node that fails to start stops the others."""
        for spec in specs:
            await self.start_node(spec)

    async def start_node(self, spec: NodeSpec) -> NodeProcess:
        if spec.name in self.processes:
            raise ValueError(f"node {spec.name} already supervised")
        self._order.append(spec.name)
        self.state.nodes[spec.name] = NodeState(module=spec.module, log=str(spec.log_path))
        self._save(self.state)
        process = await self._launch(spec)
        self._watchers[spec.name] = asyncio.create_task(
            self._watch(spec.name), name=f"watch-{spec.name}"
        )
        return process

    async def _launch(self, spec: NodeSpec) -> NodeProcess:
        node = self.state.nodes[spec.name]
        process = NodeProcess(spec)
        self.processes[spec.name] = process
        node.status, node.pid, node.endpoints = "starting", None, {}
        self._save(self.state)
        endpoints = await process.start()
        node.status, node.pid, node.endpoints = "ready", process.pid, endpoints
        self._save(self.state)
        assert process.pid is not None
        self._report(NodeReady(spec.name, process.pid, endpoints, node.restarts))
        return process

    async def _watch(self, name: str) -> None:
        consecutive = 0
        process = self.processes[name]
        spec = process.spec
        started = time.monotonic()
        code = await process.wait()
        while not self._stopping:
            node = self.state.nodes[name]
            if time.monotonic() - started >= self.policy.stable_after_s:
                consecutive = 0
            will_restart = self.policy.enabled and consecutive < self.policy.max_restarts
            delay = self.policy.delay(consecutive + 1) if will_restart else None
            node.status, node.pid, node.last_exit_code = "exited", None, code
            self._save(self.state)
            self._report(NodeExited(name, code, log_tail(spec.log_path), delay))
            if delay is None:
                return
            await asyncio.sleep(delay)
            if self.stopping:
                return
            consecutive += 1
            node.restarts += 1
            started = time.monotonic()
            try:
                process = await self._launch(spec)
            except NodeStartError as exc:
                code = exc.exit_code if exc.exit_code is not None else -1
                continue
            code = await process.wait()

    async def stop(self) -> None:
        """Stop every node in reverse start order."""
        self._stopping = True
        for task in self._watchers.values():
            task.cancel()
        for task in self._watchers.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for name in reversed(self._order):
            process = self.processes.get(name)
            if process is None:
                continue
            code = await process.stop()
            node = self.state.nodes[name]
            if node.status != "exited":
                node.status, node.last_exit_code = "stopped", code
            node.pid = None
            self._save(self.state)

    def down_nodes(self) -> list[str]:
        return [n for n, s in self.state.nodes.items() if s.status == "exited"]
