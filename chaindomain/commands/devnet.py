"""``chaindomain devnet up | status | down``: a local network of real node processes.

``up`` runs in the foreground until Ctrl-C (SIGINT) or SIGTERM (what ``down`` sends),
then stops every node in reverse order and keeps the state directory, so the next ``up``
resumes the same ledger. The network itself is built by ``chaindomain.devnet``;
``docs/devnet.md`` is the reference.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from pathlib import Path
from typing import Any

from chaindomain.devnet import DevnetError
from chaindomain.devnet.control import network_status, stop_network
from chaindomain.devnet.network import DEFAULT_ANVIL_PORT, UpOptions, run_network

DEFAULT_STATE_DIR = Path(".devnet")


def register(groups: Any) -> None:
    parser = groups.add_parser("devnet", help="run a local network of real node processes")
    commands = parser.add_subparsers(dest="command", required=True, metavar="ACTION")

    up = commands.add_parser("up", help="start the network (anvil, contract, domain, nodes)")
    _dir(up)
    up.add_argument("--participants", type=int, default=3, help="organisations (default 3)")
    up.add_argument("--rpc-url", help="use this chain instead of starting anvil")
    up.add_argument("--anvil-port", type=int, default=DEFAULT_ANVIL_PORT, help="0: a free port")
    up.add_argument("--block-time", type=float, default=0.5, help="anvil seconds per block")
    up.add_argument("--restart", action="store_true", help="restart nodes that die")
    up.set_defaults(handler=_up)

    status = commands.add_parser("status", help="the running network's nodes and their health")
    _dir(status)
    status.set_defaults(handler=_status)

    down = commands.add_parser("down", help="stop a running network and wait")
    _dir(down)
    down.add_argument("--timeout", type=float, default=60.0)
    down.set_defaults(handler=_down)


def _dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dir", "--state-dir", dest="state_dir", type=Path, default=DEFAULT_STATE_DIR
    )


def _print(line: str) -> None:
    print(line, flush=True)


def _up(args: argparse.Namespace) -> int:
    options = UpOptions(
        state_dir=args.state_dir,
        rpc_url=args.rpc_url,
        anvil_port=args.anvil_port,
        block_time_s=args.block_time,
        participants=args.participants,
        restart=args.restart,
    )

    async def run() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        return await run_network(options, stop, _print)

    try:
        return asyncio.run(run())
    except DevnetError as exc:
        print(f"error: {exc}", flush=True)
        return 2


def _status(args: argparse.Namespace) -> int:
    try:
        status = asyncio.run(network_status(args.state_dir))
    except DevnetError as exc:
        print(f"error: {exc}")
        return 2
    state = status.state
    print(f"network in {args.state_dir}: {'running' if status.running else 'not running'}")
    if state.chain:
        print(f"  chain      {state.chain.get('rpc_url')}  contract {state.chain.get('contract')}")
    for node in status.nodes:
        health = {True: "ready", False: "NOT READY", None: "-"}[node.ready]
        info = state.nodes[node.name]
        endpoints = "  ".join(f"{k} {v}" for k, v in sorted(info.endpoints.items()))
        print(f"  {node.name:<12} {node.status:<8} {health:<9} pid {info.pid}  {endpoints}")
        if node.ready is False:
            print(f"      {node.detail[:300]}")
        print(f"      log {info.log}  restarts {info.restarts}")
    for org in state.extra.get("organisations", []):
        parties = "  ".join(str(p) for p in org.get("parties", {}).values())
        print(f"  {org.get('name', '?'):<12} ledger api {org.get('ledger_api')}  {parties}")
    unhealthy = any(n.ready is False or n.status == "exited" for n in status.nodes)
    return 0 if status.running and not unhealthy else 1


def _down(args: argparse.Namespace) -> int:
    try:
        stop_network(args.state_dir, args.timeout)
    except (DevnetError, TimeoutError) as exc:
        print(f"error: {exc}")
        return 2
    print(f"stopped the network in {args.state_dir}")
    return 0
