"""``devnet status`` and ``devnet down``: read the state file, ask nodes, signal the supervisor.

The nodes' ``/readyz`` is asked over HTTPS, trusting the devnet's CA (``access.py``)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from chaindomain.devnet.access import DevnetAccess
from chaindomain.devnet.errors import DevnetNotRunningError
from chaindomain.devnet.state import DevnetState, is_running, load_state

READYZ_TIMEOUT_S = 2.0


@dataclass(frozen=True, slots=True)
class NodeHealth:
    name: str
    status: str
    """The supervisor's view: ``ready``, ``starting``, ``exited``, ``stopped``."""
    ready: bool | None
    """``/readyz`` answered 200 (``None``: no ops endpoint or not running)."""
    detail: str


@dataclass(frozen=True, slots=True)
class NetworkStatus:
    running: bool
    state: DevnetState
    nodes: tuple[NodeHealth, ...]


async def _readyz(session: aiohttp.ClientSession, url: str) -> tuple[bool, str]:
    try:
        async with asyncio.timeout(READYZ_TIMEOUT_S), session.get(f"{url}/readyz") as reply:
            body = await reply.text()
            return reply.status == 200, body.strip()
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        return False, f"unreachable: {exc or type(exc).__name__}"


async def network_status(state_dir: Path) -> NetworkStatus:
    state = load_state(state_dir)
    running = is_running(state_dir)
    nodes: list[NodeHealth] = []
    connector = None
    if "access" in state.extra:
        ssl_context = DevnetAccess.from_state_extra(state.extra).ssl_context()
        connector = aiohttp.TCPConnector(ssl=ssl_context)
    async with aiohttp.ClientSession(connector=connector) as session:
        for name, node in state.nodes.items():
            ops = node.endpoints.get("ops")
            if not running or ops is None or node.status != "ready":
                nodes.append(NodeHealth(name, node.status if running else "stopped", None, ""))
                continue
            ready, detail = await _readyz(session, ops)
            nodes.append(NodeHealth(name, node.status, ready, detail))
    return NetworkStatus(running, state, tuple(nodes))


def stop_network(state_dir: Path, timeout_s: float = 60.0) -> None:
    """SIGTERM the supervisor and wait until it released the state directory."""
    if not is_running(state_dir):
        raise DevnetNotRunningError(state_dir)
    state = load_state(state_dir)
    with contextlib.suppress(ProcessLookupError):
        os.kill(state.supervisor_pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while is_running(state_dir):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the network in {state_dir} did not stop within {timeout_s:.0f}s")
        time.sleep(0.1)
