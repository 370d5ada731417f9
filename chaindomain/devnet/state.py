"""The running network's state file and lock: what ``devnet status`` and ``devnet down`` read.

``<dir>/devnet.json`` is rewritten (atomically: temp file + rename) whenever a node starts,
exits or restarts. ``<dir>/devnet.lock`` is held (``flock``) by the supervisor for as long
as it runs: a network is running exactly when the lock is held, whatever a stale state
file says after a ``kill -9``.

| field | meaning |
|---|---|
| ``supervisor_pid`` | the ``devnet up`` process; ``devnet down`` sends it SIGTERM |
| ``status`` | ``starting``, ``running``, ``stopping``, ``stopped`` |
| ``chain`` | ``rpc_url``, ``chain_id``, ``contract``, ``deploy_block`` |
| ``nodes.<name>`` | ``module``, ``pid``, ``status``, ``endpoints``, ``log``, ``restarts``, |
|  | ``last_exit_code``; ``status`` is ``starting``/``ready``/``exited``/``stopped`` |
| ``extra`` | what the network layer adds (parties, users, packages) |
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from chaindomain.devnet.errors import DevnetRunningError, StateFileError

STATE_FILE = "devnet.json"
LOCK_FILE = "devnet.lock"


@dataclass(slots=True)
class NodeState:
    module: str
    log: str
    status: str = "starting"
    pid: int | None = None
    endpoints: dict[str, str] = field(default_factory=dict)
    restarts: int = 0
    last_exit_code: int | None = None


@dataclass(slots=True)
class DevnetState:
    supervisor_pid: int
    status: str = "starting"
    chain: dict[str, Any] = field(default_factory=dict)
    nodes: dict[str, NodeState] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DevnetState:
        nodes = {name: NodeState(**n) for name, n in dict(data.get("nodes", {})).items()}
        return cls(
            supervisor_pid=int(data["supervisor_pid"]),
            status=str(data.get("status", "unknown")),
            chain=dict(data.get("chain", {})),
            nodes=nodes,
            extra=dict(data.get("extra", {})),
        )

    def save(self, state_dir: Path) -> None:
        path = state_dir / STATE_FILE
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=2) + "\n")
        os.replace(tmp, path)


def load_state(state_dir: Path) -> DevnetState:
    path = state_dir / STATE_FILE
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise StateFileError(path, "no state file (has `devnet up` run here?)") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise StateFileError(path, f"unreadable: {exc}") from None
    try:
        return DevnetState.from_json(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise StateFileError(path, f"unexpected content: {exc}") from None


class DevnetLock:
    """The supervisor's exclusive hold on a state directory."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / LOCK_FILE
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        f = open(self.path, "a+")  # noqa: SIM115 - held until release()
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.close()
            raise DevnetRunningError(self.path.parent) from None
        self._file = f

    def release(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def is_running(state_dir: Path) -> bool:
    """Whether a supervisor holds the state directory's lock."""
    path = state_dir / LOCK_FILE
    if not path.exists():
        return False
    with open(path, "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(f, fcntl.LOCK_UN)
        return False
