"""The network the demo runs on: a running devnet in the state directory, or one the demo
starts (``chaindomain devnet up`` as a child process) and stops again at the end."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from chaindomain.demo.errors import DemoSetupError
from chaindomain.devnet.control import stop_network
from chaindomain.devnet.errors import DevnetError
from chaindomain.devnet.state import DevnetState, is_running, load_state

Printer = Callable[[str], None]
UP_LOG = "devnet-up.log"


@dataclass(frozen=True, slots=True)
class NetworkOptions:
    state_dir: Path
    participants: int = 3
    anvil_port: int | None = None
    block_time_s: float | None = None
    up_timeout_s: float = 300.0
    extra_args: tuple[str, ...] = field(default_factory=tuple)


@dataclass(slots=True)
class DemoNetwork:
    state: DevnetState
    state_dir: Path
    started: bool
    """Whether the demo started it (and so stops it)."""
    process: subprocess.Popen[bytes] | None = None

    def stop(self, out: Printer) -> None:
        if not self.started:
            return
        out("stopping the network the demo started (its state is kept; run the demo again)")
        try:
            stop_network(self.state_dir, timeout_s=60.0)
        except (DevnetError, TimeoutError) as exc:
            out(f"  could not stop it cleanly: {exc}")
        if self.process is not None:
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _up_command(options: NetworkOptions) -> list[str]:
    argv = [sys.executable, "-m", "chaindomain.cli", "devnet", "up"]
    argv += ["--dir", str(options.state_dir), "--participants", str(options.participants)]
    if options.anvil_port is not None:
        argv += ["--anvil-port", str(options.anvil_port)]
    if options.block_time_s is not None:
        argv += ["--block-time", str(options.block_time_s)]
    return [*argv, *options.extra_args]


async def _follow(log: Path, offset: int, out: Printer) -> int:
    """Print the lines appended to ``log`` since ``offset``; return the new offset."""
    try:
        data = await asyncio.to_thread(log.read_bytes)
    except OSError:
        return offset
    end = data.rfind(b"\n", offset) + 1
    if end > offset:
        for line in data[offset:end].decode("utf-8", "replace").splitlines():
            out("  | " + line)
        return end
    return offset


async def ensure_network(options: NetworkOptions, out: Printer) -> DemoNetwork:
    """The running network in ``options.state_dir``, started first if none runs."""
    root = options.state_dir
    if is_running(root):
        state = load_state(root)
        if state.status == "running":
            out(f"using the network running in {root}/")
            return DemoNetwork(state, root, started=False)
        out(f"waiting for the network starting in {root}/")
        return await _wait_running(root, None, options, out, started=False)
    root.mkdir(parents=True, exist_ok=True)
    log = root / UP_LOG
    out(f"starting a network in {root}/ (output in {log})")
    with open(log, "ab") as sink:  # noqa: ASYNC230 - opened once, handed to the child
        offset = sink.tell()
        process = subprocess.Popen(  # noqa: ASYNC220 - a long-lived child, not awaited
            _up_command(options),
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    network = await _wait_running(root, process, options, out, started=True, offset=offset)
    network.process = process
    return network


async def _wait_running(
    root: Path,
    process: subprocess.Popen[bytes] | None,
    options: NetworkOptions,
    out: Printer,
    *,
    started: bool,
    offset: int = 0,
) -> DemoNetwork:
    log = root / UP_LOG
    deadline = time.monotonic() + options.up_timeout_s
    while True:
        if process is not None:
            offset = await _follow(log, offset, out)
        if process is not None and process.poll() is not None:
            raise DemoSetupError(
                f"`devnet up` exited with {process.returncode} before the network ran (see {log})"
            )
        if is_running(root):
            try:
                state = load_state(root)
            except DevnetError:
                state = None
            if state is not None and state.status == "running":
                if process is not None:
                    await _follow(log, offset, out)
                return DemoNetwork(state, root, started, process)
        if time.monotonic() > deadline:
            if process is not None:
                process.terminate()
            raise DemoSetupError(
                f"the network in {root} was not running within {options.up_timeout_s:.0f}s"
            )
        await asyncio.sleep(0.2)
