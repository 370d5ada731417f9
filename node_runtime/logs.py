"""Structured logs: one JSON object per line, with request and trace ids carried along.

Context (node name, trace id, request id, …) lives in a ``contextvars`` mapping, so it
follows a request through ``await`` points and into tasks started while handling it, and
is attached to every record logged meanwhile. Trace ids cross node boundaries in gRPC
metadata (``x-trace-id``); a node receiving one binds it with :func:`log_context`.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import sys
import time
from collections.abc import Iterator
from typing import Any, TextIO

_context: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar(
    "chaindomain_log_context",
    default={},  # noqa: B039 - never mutated, always replaced
)

TRACE_METADATA_KEY = "x-trace-id"


def bind_context(**fields: Any) -> None:
    """Add ``fields`` to the logging context of the current task and what it starts."""
    _context.set({**_context.get(), **fields})


@contextlib.contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Add ``fields`` to the logging context for the duration of a block."""
    token = _context.set({**_context.get(), **fields})
    try:
        yield
    finally:
        _context.reset(token)


def current_context() -> dict[str, Any]:
    return dict(_context.get())


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "msg", **context, **extra}`` on one line."""

    _RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message"}

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update(_context.get())
        for key, value in vars(record).items():
            if key not in self._RESERVED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(
    node: str, level: str = "info", stream: TextIO | None = None, json_lines: bool = True
) -> None:
    """Send the root logger to ``stream`` (stderr) as JSON lines tagged with ``node``."""
    handler = logging.StreamHandler(stream or sys.stderr)
    if json_lines:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    bind_context(node=node)
