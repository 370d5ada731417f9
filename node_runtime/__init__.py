"""Process plumbing every chaindomain node shares: configuration, health and metrics
endpoints, structured logs, opening a durable sqlite store.

Like ``protocol``, this package imports no component; it is kept apart from ``protocol``
so that the protocol package stays free of HTTP and metrics dependencies (see
``docs/architecture-decisions.md``).
"""

from node_runtime.config import Secret, load_config
from node_runtime.errors import ConfigError, NodeRuntimeError
from node_runtime.http import OpsServer, ReadinessCheck
from node_runtime.logs import bind_context, configure_logging, log_context
from node_runtime.sqlite import SqliteStore, Synchronous, closing_on_failure, open_store

__all__ = [
    "ConfigError",
    "NodeRuntimeError",
    "OpsServer",
    "ReadinessCheck",
    "Secret",
    "SqliteStore",
    "Synchronous",
    "bind_context",
    "closing_on_failure",
    "configure_logging",
    "load_config",
    "log_context",
    "open_store",
]
