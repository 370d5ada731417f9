"""One node as a child OS process, started the way ``docs/nodes.md`` §1 prescribes.

A node is ``python -m <package> --config <file>``; it is ready when it prints one line
``READY <json>`` on stdout (the JSON maps endpoint names, e.g. ``grpc``, ``ops``,
``ledger_api``, to addresses). Everything else the node writes — its JSON log lines on
stderr and any stdout after the READY line — goes to its log file, appended across
restarts so a crash's last lines stay next to the restart's first ones.

The child runs in its own session (process group): a Ctrl-C in the terminal reaches only
the supervisor, which then stops the nodes itself, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from chaindomain.devnet.errors import NodeStartError

READY_PREFIX = b"READY "
DEFAULT_READY_TIMEOUT_S = 60.0
DEFAULT_STOP_TIMEOUT_S = 15.0
LOG_TAIL_LINES = 20


@dataclass(frozen=True, slots=True)
class NodeSpec:
    """How to run one node."""

    name: str
    """Unique in the network; names the log file and the node's entry in the state file."""
    module: str
    """The package run with ``python -m`` (``sequencer_chain``, ``participant``, …)."""
    config: Path
    log_path: Path
    log_level: str = "INFO"
    env: Mapping[str, str] = field(default_factory=dict)
    """Added to the supervisor's environment (e.g. secrets named by ``{ env = ... }``)."""
    ready_timeout_s: float = DEFAULT_READY_TIMEOUT_S
    stop_timeout_s: float = DEFAULT_STOP_TIMEOUT_S

    def argv(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            self.module,
            "--config",
            str(self.config),
            "--log-level",
            self.log_level,
        ]


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last ``lines`` lines of a log file ('' if there is none)."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 64 * 1024))
            data = f.read()
    except OSError:
        return ""
    text = data.decode("utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])


def parse_ready_line(line: bytes) -> dict[str, str]:
    """The endpoints of a ``READY <json>`` line; a non-object JSON is refused."""
    payload = line[len(READY_PREFIX) :].strip()
    try:
        value = json.loads(payload)
    except json.JSONDecodeError as exc:
        raise ValueError(f"READY line is not JSON: {payload[:200]!r} ({exc})") from None
    if not isinstance(value, dict):
        raise ValueError(f"READY line is not a JSON object: {payload[:200]!r}")
    return {str(k): str(v) for k, v in value.items() if v is not None}


class NodeProcess:
    """A started node; :meth:`start` returns once it printed its READY line."""

    def __init__(self, spec: NodeSpec) -> None:
        self.spec = spec
        self.endpoints: dict[str, str] = {}
        self._proc: asyncio.subprocess.Process | None = None
        self._log: IO[bytes] | None = None
        self._drain: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def returncode(self) -> int | None:
        return self._proc.returncode if self._proc is not None else None

    async def start(self) -> dict[str, str]:
        spec = self.spec
        spec.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(spec.log_path, "ab")  # noqa: SIM115, ASYNC230 - kept open while it runs
        self._log.write(f"--- supervisor: starting {' '.join(spec.argv())}\n".encode())
        self._log.flush()
        self._proc = await asyncio.create_subprocess_exec(
            *spec.argv(),
            stdout=asyncio.subprocess.PIPE,
            stderr=self._log,
            env={**os.environ, **spec.env},
            start_new_session=True,
        )
        try:
            async with asyncio.timeout(spec.ready_timeout_s):
                self.endpoints = await self._await_ready()
        except TimeoutError:
            await self.stop()
            raise NodeStartError(
                spec.name, None, f"no READY line in {spec.ready_timeout_s}s", self.tail()
            ) from None
        self._drain = asyncio.create_task(self._drain_stdout(), name=f"drain-{spec.name}")
        return self.endpoints

    async def _await_ready(self) -> dict[str, str]:
        assert self._proc is not None and self._proc.stdout is not None and self._log is not None
        while True:
            line = await self._proc.stdout.readline()
            if not line:
                code = await self._proc.wait()
                self._close_log()
                raise NodeStartError(self.spec.name, code, f"exited with {code}", self.tail())
            if line.startswith(READY_PREFIX):
                try:
                    return parse_ready_line(line)
                except ValueError as exc:
                    await self.stop()
                    raise NodeStartError(self.spec.name, None, str(exc), self.tail()) from None
            self._log.write(line)
            self._log.flush()

    async def _drain_stdout(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        while line := await self._proc.stdout.readline():
            if self._log is not None and not self._log.closed:
                self._log.write(line)
                self._log.flush()

    async def wait(self) -> int:
        """Wait for the process to exit; returns its exit code."""
        assert self._proc is not None
        code = await self._proc.wait()
        if self._drain is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._drain
        self._close_log()
        return code

    def tail(self, lines: int = LOG_TAIL_LINES) -> str:
        return log_tail(self.spec.log_path, lines)

    async def stop(self) -> int | None:
        """SIGTERM, then SIGKILL after ``stop_timeout_s``; returns the exit code."""
        proc = self._proc
        if proc is None:
            return None
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(self.spec.stop_timeout_s):
                    await proc.wait()
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
        if self._drain is not None:
            self._drain.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._drain
        self._close_log()
        return proc.returncode

    def _close_log(self) -> None:
        if self._log is not None and not self._log.closed:
            self._log.close()
