"""Run the mediator as its own process: ``python -m mediator --config mediator.toml
[--log-level INFO]``.

Prints ``READY {"member": ..., "ops": ...}`` once the member runtime has started and it is
serving its operations endpoint. Exits 0 on SIGINT/SIGTERM, 1 if the node fails, 2 on a
configuration error (``docs/nodes.md`` §1).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
from pathlib import Path

from mediator.config import load_mediator_config
from mediator.errors import MediatorConfigError, MediatorError
from mediator.node import MediatorNode
from node_runtime import ConfigError, configure_logging
from node_runtime.member import MemberRuntimeError
from protocol.errors import ProtocolError

log = logging.getLogger("mediator")


async def _run(config_path: Path) -> int:
    node = MediatorNode(load_mediator_config(config_path))
    await node.start()
    ops = node.ops.url if node.ops is not None else ""
    print("READY " + json.dumps({"member": node.member, "ops": ops}), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    waiter = asyncio.create_task(node.wait())
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
    failed = waiter.done() and not waiter.cancelled() and waiter.exception() is not None
    if failed:
        log.error("mediator failed: %s", waiter.exception())
    stopper.cancel()
    waiter.cancel()
    await node.stop()
    with contextlib.suppress(BaseException):
        await waiter
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mediator")
    parser.add_argument("--config", type=Path, required=True, help="node TOML file")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    configure_logging(args.config.stem, args.log_level)
    try:
        return asyncio.run(_run(args.config))
    except (ConfigError, MediatorConfigError) as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except (MediatorError, MemberRuntimeError, ProtocolError, OSError) as exc:
        print(f"mediator could not start: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
