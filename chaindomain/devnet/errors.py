"""Errors of the local network supervisor.

::

    DevnetError
    ├── NodeStartError        a node exited, or printed no READY line in time, while starting
    ├── DevnetRunningError    the state directory's network is already running
    ├── DevnetNotRunningError no network is running in the state directory
    ├── StateFileError        the state file is missing or unreadable
    └── BootstrapError        the chain or the domain could not be set up
"""

from __future__ import annotations

from pathlib import Path


class DevnetError(Exception):
    """Root of every error raised by ``chaindomain.devnet``."""


class NodeStartError(DevnetError):
    """A node did not become ready: it exited (``exit_code``) or timed out (``None``)."""

    def __init__(self, name: str, exit_code: int | None, detail: str, log_tail: str) -> None:
        self.name = name
        self.exit_code = exit_code
        self.detail = detail
        self.log_tail = log_tail
        super().__init__(f"node {name} did not start: {detail}\n{log_tail}".rstrip())


class DevnetRunningError(DevnetError):
    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        super().__init__(f"a network is already running in {state_dir}")


class DevnetNotRunningError(DevnetError):
    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        super().__init__(f"no network is running in {state_dir}")


class StateFileError(DevnetError):
    def __init__(self, path: Path, detail: str) -> None:
        self.path = path
        self.detail = detail
        super().__init__(f"{path}: {detail}")


class BootstrapError(DevnetError):
    def __init__(self, step: str, detail: str) -> None:
        self.step = step
        self.detail = detail
        super().__init__(f"{step}: {detail}")
