"""``chaindomain devnet up``: a local chain with the ordering contract, until Ctrl-C.

The devnet's state directory keeps anvil's chain state (``--state``) and the deployment
record, so running ``devnet up`` again resumes the same chain and the same contract.
Domain nodes join this in later versions; for now it is the chain half of the network.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path
from typing import Any

from eth_utils.address import to_checksum_address

from sequencer_chain.anvil import AnvilConfig, ManagedAnvil
from sequencer_chain.chain_keys import dev_account
from sequencer_chain.contract import (
    DeploymentRecord,
    InboxContract,
    connect,
    deploy_inbox,
    domain_id_bytes,
    send_transaction,
)
from sequencer_chain.errors import DeploymentRecordError

DEFAULT_STATE_DIR = Path(".devnet")
DEVNET_DOMAIN = "devnet"
OWNER_KEY_INDEX = 0
WRITER_KEY_INDICES = (1, 2)


def register(groups: Any) -> None:
    parser = groups.add_parser("devnet", help="run a local network on anvil")
    commands = parser.add_subparsers(dest="command", required=True, metavar="ACTION")
    up = commands.add_parser("up", help="start anvil, deploy the contract, run until Ctrl-C")
    up.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR)
    up.add_argument("--block-time", type=float, default=1.0, help="seconds per block (0: instant)")
    up.add_argument("--port", type=int, default=8545)
    up.set_defaults(handler=_up)


async def ensure_contract(rpc_url: str, record_path: Path) -> DeploymentRecord:
    """Reuse the recorded contract if the chain still has it; deploy otherwise."""
    w3 = await connect(rpc_url)
    chain_id = await w3.eth.chain_id
    owner = dev_account(OWNER_KEY_INDEX, chain_id)
    if record_path.exists():  # noqa: ASYNC240 - one stat at start-up
        try:
            record = DeploymentRecord.load(record_path)
        except DeploymentRecordError as exc:
            print(f"ignoring unusable deployment record: {exc}", file=sys.stderr)
        else:
            if record.chain_id == chain_id and await w3.eth.get_code(
                to_checksum_address(record.address)
            ):
                return record
    record = await deploy_inbox(
        w3, owner, domain_id_bytes(DEVNET_DOMAIN), domain_name=DEVNET_DOMAIN
    )
    inbox = InboxContract(w3, record.address)
    for index in WRITER_KEY_INDICES:
        writer = dev_account(index, chain_id).address
        await send_transaction(
            w3, owner, to=record.address, data=inbox.calldata("addWriter", writer)
        )
    record.save(record_path)
    return record


def _up(args: argparse.Namespace) -> int:
    state_dir: Path = args.state_dir
    state_dir.mkdir(parents=True, exist_ok=True)
    config = AnvilConfig(
        block_time=args.block_time or None,
        state_path=state_dir / "anvil-state.json",
        port=args.port,
    )
    anvil = ManagedAnvil(config, log_path=state_dir / "logs" / "anvil.log")
    stop = asyncio.Event()

    async def run() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        record = await ensure_contract(anvil.rpc_url, state_dir / "deployment.json")
        print(f"anvil          {anvil.rpc_url}  (chain id {record.chain_id}, pid {anvil.pid})")
        print(f"SequencerInbox {record.address}  (deployed in block {record.deploy_block})")
        writers = ", ".join(dev_account(i, record.chain_id).address for i in WRITER_KEY_INDICES)
        print(f"writers        {writers}")
        print(f"state          {state_dir}/  (logs in {state_dir}/logs/)")
        print("running; Ctrl-C to stop", flush=True)
        while not stop.is_set():
            try:
                async with asyncio.timeout(1.0):
                    await stop.wait()
            except TimeoutError:
                if not anvil.running:
                    print("anvil exited unexpectedly:\n" + anvil.log_tail(), file=sys.stderr)
                    raise SystemExit(1) from None

    with anvil:
        asyncio.run(run())
    print("stopped; chain state saved in", config.state_path)
    return 0
