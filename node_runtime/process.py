"""The process life of a node: ``python -m <package> --config node.toml`` (``docs/nodes.md`` §1).

Every node's ``__main__`` is a :class:`NodeProgram` handed to :func:`run_node_program`,
which owns what they all share: parse the arguments, configure the JSON logs, build the
node from its config, start it, print the single ``READY <json>`` line, stop on
SIGINT/SIGTERM, and map the outcome to the exit code:

==========  ==============================================================================
exit code   when
==========  ==============================================================================
0           stopped by SIGINT or SIGTERM
1           the node could not start (one of ``start_errors``, or an ``OSError``), or it
            failed while running (``node.wait()`` raised)
2           the configuration was refused (:class:`ConfigError`, a certificate or key
            file that cannot be used (:class:`~protocol.errors.TlsFileError`), or one of
            ``config_errors``); the message names the file and the key
==========  ==============================================================================
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from node_runtime import crash_points
from node_runtime.errors import ConfigError
from node_runtime.logs import configure_logging
from protocol.errors import TlsFileError

log = logging.getLogger(__name__)


class Waitable(Protocol):
    async def wait(self) -> None:
        """Return when stopped; raise if it failed."""
        ...


async def wait_for_failure(link: Waitable | None, tasks: asyncio.Future[None] | None) -> None:
    """A node's ``wait()``: return when its member connection (``link``) or its background
    ``tasks`` end, and raise the cause if either failed. ``tasks`` is shielded: the node's
    ``stop`` cancels it, not this wait."""
    waiters: set[asyncio.Future[None]] = set()
    if link is not None:
        waiters.add(asyncio.ensure_future(link.wait()))
    if tasks is not None:
        waiters.add(asyncio.ensure_future(asyncio.shield(tasks)))
    if not waiters:
        return
    done, pending = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    for task in done:
        task.result()


class RunnableNode(Protocol):
    async def start(self) -> None: ...

    async def wait(self) -> None:
        """Return when stopped; raise if the node failed."""
        ...

    async def stop(self) -> None: ...


N = TypeVar("N", bound=RunnableNode)


@dataclass(frozen=True, slots=True)
class NodeProgram(Generic[N]):
    """What differs between the nodes' ``__main__`` modules."""

    package: str
    """The module run with ``python -m`` (and the logger's name)."""
    title: str
    """How messages name the node: "mediator", "participant", ..."""
    build: Callable[[Path], N]
    """Load and validate the config file, and build the (not yet started) node."""
    ready: Callable[[N], Mapping[str, object]]
    """The endpoints and ids of the started node, printed as the READY line's JSON."""
    config_errors: tuple[type[BaseException], ...] = ()
    """Errors besides :class:`ConfigError` that mean a refused configuration (exit 2)."""
    start_errors: tuple[type[BaseException], ...] = ()
    """Errors that mean the node could not start (exit 1 with a one-line message)."""


def ready_line(fields: Mapping[str, object]) -> str:
    """``READY {...}``: the line a supervisor waits for (``docs/nodes.md`` §1)."""
    return "READY " + json.dumps(dict(fields), sort_keys=False)


async def serve_until_signalled(program: NodeProgram[N], config_path: Path) -> int:
    """Build, start and run the node until SIGINT/SIGTERM or its failure; the exit code."""
    node = program.build(config_path)
    await node.start()
    print(ready_line(program.ready(node)), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    waiter = asyncio.create_task(node.wait())
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
    failure = waiter.exception() if waiter.done() and not waiter.cancelled() else None
    if failure is not None:
        log.error("%s failed: %s", program.title, failure)
    stopper.cancel()
    waiter.cancel()
    await node.stop()
    with contextlib.suppress(BaseException):
        await waiter
    return 1 if failure is not None else 0


def run_node_program(program: NodeProgram[N], argv: Sequence[str] | None = None) -> int:
    """The ``main`` of a node's ``__main__`` module."""
    parser = argparse.ArgumentParser(prog=f"python -m {program.package}")
    parser.add_argument("--config", type=Path, required=True, help="node TOML file")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    configure_logging(args.config.stem, args.log_level)
    refused: tuple[type[BaseException], ...] = (
        ConfigError,
        TlsFileError,
        *program.config_errors,
    )
    unable: tuple[type[BaseException], ...] = (OSError, *program.start_errors)
    try:
        crash_points.check_environment()
        return asyncio.run(serve_until_signalled(program, args.config))
    except refused as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except unable as exc:
        print(f"{program.title} could not start: {exc}", file=sys.stderr)
        return 1
