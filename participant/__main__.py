"""Run a participant as its own process: ``python -m participant --config participant.toml
[--log-level INFO]``.

Prints ``READY {"grpc": "<host:port of the Ledger API>", "ops": "<url>", "participant":
"<id>"}`` once it is onboarded, recovered, connected and serving. Exits 0 on
SIGINT/SIGTERM, 1 if the node fails, 2 on a configuration error (``docs/nodes.md`` §1).
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

from node_runtime import ConfigError, configure_logging
from node_runtime.member import MemberRuntimeError
from participant.errors import ParticipantError
from participant.node import ParticipantNode, load_participant_config
from participant.node.errors import ParticipantConfigError
from protocol.errors import ProtocolError

log = logging.getLogger("participant")


async def _run(config_path: Path) -> int:
    node = ParticipantNode(load_participant_config(config_path))
    await node.start()
    ops = node.ops.url if node.ops is not None else ""
    ready = {"grpc": node.grpc_endpoint, "ops": ops, "participant": node.participant}
    print("READY " + json.dumps(ready), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    waiter = asyncio.create_task(node.wait())
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
    failed = waiter.done() and not waiter.cancelled() and waiter.exception() is not None
    if failed:
        log.error("participant failed: %s", waiter.exception())
    stopper.cancel()
    waiter.cancel()
    await node.stop()
    with contextlib.suppress(BaseException):
        await waiter
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m participant")
    parser.add_argument("--config", type=Path, required=True, help="node TOML file")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    configure_logging(args.config.stem, args.log_level)
    try:
        return asyncio.run(_run(args.config))
    except (ConfigError, ParticipantConfigError) as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except (ParticipantError, MemberRuntimeError, ProtocolError, OSError) as exc:
        print(f"participant could not start: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
