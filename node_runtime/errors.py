"""Errors of the node runtime.

::

    NodeRuntimeError
    ├── ConfigError      (ValueError)  a config file is missing, not TOML, or fails validation
    │   └── InsecureConfigError          an endpoint exposed without TLS or auth, and no
    │                                    ``[tls] insecure = true``
    ├── SecretError      (ValueError)  a secret's file or environment variable is unusable
    └── LifecycleError                 a node's start entered its parts in a way the
                                       lifecycle does not support (a second task group)
"""

from __future__ import annotations


class NodeRuntimeError(Exception):
    """Root of every error raised by ``node_runtime``."""


class ConfigError(NodeRuntimeError, ValueError):
    """A configuration file problem, naming the file, the key and what was expected."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


class InsecureConfigError(ConfigError):
    """A node would listen on a non-loopback address in plaintext, or serve the Ledger
    API there without checking tokens, and its config does not say ``insecure = true``."""

    def __init__(self, path: str, problems: list[str]) -> None:
        super().__init__(path, [*problems, "or set [tls] insecure = true to accept this"])


class SecretError(NodeRuntimeError, ValueError):
    """A secret could not be read from its file or environment variable."""

    def __init__(self, source: str, detail: str) -> None:
        self.source = source
        self.detail = detail
        super().__init__(f"secret from {source}: {detail}")


class LifecycleError(NodeRuntimeError):
    """A node's ``_start`` asked :class:`~node_runtime.lifecycle.NodeParts` for something
    it does not do; a mistake in the node's code, not in its config."""

    def __init__(self, part: str, detail: str) -> None:
        self.part = part
        self.detail = detail
        super().__init__(f"{part}: {detail}")
