"""A managed anvil process for tests, the devnet and benchmarks.

Always started with ``--prune-history``: without it anvil keeps every historical state in
``~/.foundry/anvil/tmp`` and leaks gigabytes per run. With a number it keeps that many
recent states in memory and none on disk; without one it keeps none, and every call at a
past block fails with ``BlockOutOfRangeError`` (a writer with a confirmation depth reads
its contract at a past block). Binds 127.0.0.1 on a free port.

anvil's default *instant* mining can strand transactions in the mempool when several are
sent concurrently (foundry issue 10122); callers that send concurrently must send in nonce
order or start anvil with ``block_time`` (interval mining).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from sequencer_chain.errors import AnvilError
from sequencer_chain.toolchain import tool_path

START_TIMEOUT_S = 30.0
KEPT_STATES = 256
"""Recent block states anvil keeps in memory (``--prune-history 256``): calls at a block up
to this deep work, enough for any confirmation depth and reorg search the nodes use."""
STOP_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class AnvilConfig:
    """How to start anvil."""

    block_time: float | None = None
    """Seconds between blocks (interval mining); ``None`` mines a block per transaction."""
    state_path: Path | None = None
    """Load chain state from here at start and dump it there on stop (``--state``)."""
    chain_id: int = 31337
    """Chain id; anvil's development keys are accepted only with the default."""
    gas_limit: int | None = None
    """Block gas limit; ``None`` keeps anvil's default (30,000,000)."""
    port: int | None = None
    """Fixed port; ``None`` picks a free one."""
    extra_args: tuple[str, ...] = ()
    """Further anvil flags."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        # As a server binds: connections of an anvil stopped a moment ago, left in
        # TIME_WAIT, do not make the port busy; a listening socket still does.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def rpc_call(url: str, method: str, params: list[Any] | None = None, timeout: float = 5.0) -> Any:
    """A plain JSON-RPC call (no web3), for liveness checks and anvil_* methods."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []})
    request = urllib.request.Request(
        url, data=body.encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        reply = json.loads(response.read())
    if "error" in reply:
        raise AnvilError(f"{method} failed: {reply['error']}")
    return reply["result"]


class ManagedAnvil:
    """Start anvil, wait until it answers, and stop it cleanly.

    Use as a context manager::

        with ManagedAnvil(AnvilConfig(block_time=1)) as anvil:
            print(anvil.rpc_url)
    """

    def __init__(self, config: AnvilConfig | None = None, log_path: Path | None = None) -> None:
        """``log_path`` keeps anvil's output there; without it the output goes to a
        temporary file that :meth:`stop` deletes (tests start thousands of anvils)."""
        self.config = config or AnvilConfig()
        self._log_path = log_path
        self._owns_log = log_path is None
        self._log_file: Any = None
        self._process: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def _command(self) -> list[str]:
        cfg = self.config
        cmd = [
            str(tool_path("anvil")),
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--chain-id", str(cfg.chain_id),
            "--prune-history", str(KEPT_STATES),
        ]  # fmt: skip
        if cfg.block_time is not None:
            cmd += ["--block-time", f"{cfg.block_time:g}"]
        if cfg.state_path is not None:
            cmd += ["--state", str(cfg.state_path)]
        if cfg.gas_limit is not None:
            cmd += ["--gas-limit", str(cfg.gas_limit)]
        cmd += list(cfg.extra_args)
        return cmd

    def start(self) -> ManagedAnvil:
        if self.running:
            raise AnvilError("already running")
        self.port = self.config.port or free_port()
        if self.config.port is not None and not port_is_free(self.port):
            # Otherwise the liveness check below would be answered by whoever holds the port.
            raise AnvilError(f"port {self.port} on 127.0.0.1 is already in use")
        log_path = self._log_path
        if self._owns_log or log_path is None:
            fd, name = tempfile.mkstemp(prefix="anvil-", suffix=".log")
            os.close(fd)
            log_path = self._log_path = Path(name)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log_file = log_path.open("ab")
        if self.config.state_path is not None:
            self.config.state_path.parent.mkdir(parents=True, exist_ok=True)
        self._process = subprocess.Popen(
            self._command(),
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C in a terminal reaches us, not anvil directly
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                code, tail = self._process.returncode, self.log_tail()
                self.stop()
                raise AnvilError(f"exited with code {code}", tail)
            try:
                chain_id = int(rpc_call(self.rpc_url, "eth_chainId", timeout=1.0), 16)
            except (OSError, urllib.error.URLError, ValueError):
                time.sleep(0.05)
                continue
            if chain_id != self.config.chain_id:
                self.stop()
                raise AnvilError(f"answered chain id {chain_id}, expected {self.config.chain_id}")
            return self
        tail = self.log_tail()
        self.stop()
        raise AnvilError(f"did not answer within {START_TIMEOUT_S:.0f}s", tail)

    def stop(self) -> None:
        """SIGTERM and wait (anvil dumps ``--state`` on the way out); SIGKILL if it hangs.
        A temporary log file (no ``log_path`` given) is deleted."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        if self._owns_log and self._log_path is not None:
            self._log_path.unlink(missing_ok=True)
            self._log_path = None

    def log_tail(self, lines: int = 30) -> str:
        if self._log_path is None or not self._log_path.exists():
            return ""
        return "\n".join(self._log_path.read_text(errors="replace").splitlines()[-lines:])

    def rpc(self, method: str, params: list[Any] | None = None) -> Any:
        return rpc_call(self.rpc_url, method, params)

    def __enter__(self) -> ManagedAnvil:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
