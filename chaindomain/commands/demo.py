"""``chaindomain demo``: the multi-organisation demo on a local network.

Uses the network running in ``--dir`` (``chaindomain devnet up``), or starts one there and
stops it at the end (``--keep-running`` leaves it up). Exit codes: 0 the demo ran; 1 a
step failed; 2 the network could not be used.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from chaindomain.demo import DemoError, DemoOptions, DemoStepError, NetworkOptions, run_demo
from chaindomain.devnet import DevnetError

DEFAULT_STATE_DIR = Path(".devnet")


def register(groups: Any) -> None:
    parser = groups.add_parser(
        "demo", help="a multi-organisation workflow on a local network (started if needed)"
    )
    parser.add_argument(
        "--dir", "--state-dir", dest="state_dir", type=Path, default=DEFAULT_STATE_DIR
    )
    parser.add_argument("--keep-running", action="store_true", help="leave the network up")
    parser.add_argument("--reduced", action="store_true", help="the short variant (CI)")
    parser.add_argument("--participants", type=int, default=3, help="if it starts the network")
    parser.add_argument("--anvil-port", type=int, help="if it starts the network (0: free)")
    parser.add_argument("--block-time", type=float, help="if it starts the network")
    parser.set_defaults(handler=_demo)


def _print(line: str) -> None:
    print(line, flush=True)


def _demo(args: argparse.Namespace) -> int:
    if args.participants < 3:
        _print("error: the demo needs three organisations (--participants 3 or more)")
        return 2
    options = DemoOptions(
        network=NetworkOptions(
            state_dir=args.state_dir,
            participants=args.participants,
            anvil_port=args.anvil_port,
            block_time_s=args.block_time,
        ),
        reduced=args.reduced,
        keep_running=args.keep_running,
    )
    try:
        asyncio.run(run_demo(options, _print))
    except DemoStepError as exc:
        _print(f"error: step failed: {exc}")
        return 1
    except (DemoError, DevnetError) as exc:
        _print(f"error: {exc}")
        return 2
    return 0
