"""Run one sequencer node as its own process: ``python -m sequencer_chain --config node.toml``.

Once serving it prints ``READY {"grpc": "host:port", "ops": "http://host:port"}`` on stdout
(docs/nodes.md §1). Exits 0 on SIGINT/SIGTERM, 1 if the node fails, 2 on a configuration error.
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
from sequencer_chain.config import load_node_config
from sequencer_chain.errors import SequencerChainError
from sequencer_chain.node import SequencerNode

log = logging.getLogger("sequencer_chain")


async def _run(config_path: Path) -> int:
    node = SequencerNode(load_node_config(config_path))
    await node.start()
    endpoints = {"grpc": node.target, "ops": node.ops.url if node.ops is not None else None}
    print(f"READY {json.dumps(endpoints)}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    waiter = asyncio.create_task(node.wait())
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
    failed = waiter.done() and waiter.exception() is not None
    if failed:
        log.error("sequencer node failed: %s", waiter.exception())
    stopper.cancel()
    await node.stop()
    with contextlib.suppress(BaseException):
        await waiter
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sequencer_chain")
    parser.add_argument("--config", type=Path, required=True, help="node TOML file")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    configure_logging(args.config.stem, args.log_level)
    try:
        return asyncio.run(_run(args.config))
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except SequencerChainError as exc:
        print(f"sequencer node could not start: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
