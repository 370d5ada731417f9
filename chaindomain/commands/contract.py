"""``chaindomain contract deploy | add-writer | remove-writer | status``."""

from __future__ import annotations

import argparse
import asyncio
import re
from pathlib import Path
from typing import Any

from eth_utils.address import is_checksum_address, to_checksum_address

from chaindomain.commands.signer import add_signer_arguments, resolve_signer
from chaindomain.deployment import open_deployment
from sequencer_chain.contract import (
    InboxContract,
    connect,
    deploy_inbox,
    domain_id_bytes,
    send_transaction,
)

_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


def address_arg(text: str) -> str:
    """An account address on the command line: 0x + 40 hex digits; mixed case must be a
    valid EIP-55 checksum (a typo in a checksummed address is caught, not sent)."""
    if not _ADDRESS.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not an address (0x + 40 hex digits)")
    body = text[2:]
    if body not in (body.lower(), body.upper()) and not is_checksum_address(text):
        raise argparse.ArgumentTypeError(f"{text!r} has a wrong EIP-55 checksum")
    return to_checksum_address(text)


def domain_id_arg(text: str) -> str:
    """A domain id: any non-empty text, or 0x + 64 hex digits taken as the bytes32 itself."""
    if not text.strip():
        raise argparse.ArgumentTypeError("the domain id must not be empty")
    return text


def register(groups: Any) -> None:
    parser = groups.add_parser("contract", help="deploy and administer the ordering contract")
    commands = parser.add_subparsers(dest="command", required=True, metavar="ACTION")

    deploy = commands.add_parser(
        "deploy", help="deploy SequencerInbox and write a deployment record"
    )
    deploy.add_argument("--rpc-url", required=True)
    deploy.add_argument(
        "--domain-id", required=True, type=domain_id_arg, help="domain id (text, or 0x + 64 hex)"
    )
    deploy.add_argument(
        "--owner", type=address_arg, help="domain owner address (default: the deployer)"
    )
    deploy.add_argument(
        "--out", type=Path, help="record path (default build/deployments/<chain id>.json)"
    )
    add_signer_arguments(deploy)
    deploy.set_defaults(handler=lambda a: asyncio.run(_deploy(a)))

    for name, function, verb in (
        ("add-writer", "addWriter", "allow"),
        ("remove-writer", "removeWriter", "disallow"),
    ):
        sub = commands.add_parser(name, help=f"{verb} a sequencer account to append batches")
        sub.add_argument("--rpc-url", required=True)
        sub.add_argument("--deployment", type=Path, required=True, help="deployment record")
        sub.add_argument(
            "--writer", required=True, type=address_arg, help="sequencer account address"
        )
        add_signer_arguments(sub)
        sub.set_defaults(handler=lambda a, f=function: asyncio.run(_writer_admin(a, f)))

    status = commands.add_parser("status", help="show the contract's head and a writer's seq")
    status.add_argument("--rpc-url", required=True)
    status.add_argument("--deployment", type=Path, required=True)
    status.add_argument(
        "--writer", action="append", default=[], type=address_arg, help="writer to show (repeat)"
    )
    status.set_defaults(handler=lambda a: asyncio.run(_status(a)))


async def _deploy(args: argparse.Namespace) -> int:
    w3 = await connect(args.rpc_url)
    chain_id = await w3.eth.chain_id
    deployer = resolve_signer(args, chain_id)
    record = await deploy_inbox(
        w3,
        deployer,
        domain_id_bytes(args.domain_id),
        owner=args.owner,
        domain_name=None if args.domain_id.startswith("0x") else args.domain_id,
    )
    out = args.out or Path("build") / "deployments" / f"{chain_id}.json"
    record.save(out)
    print(f"SequencerInbox deployed at {record.address}")
    print(f"  chain id {record.chain_id}, block {record.deploy_block}, tx {record.tx_hash}")
    print(f"  domain id {record.domain_id}")
    print(f"  record written to {out}")
    return 0


async def _writer_admin(args: argparse.Namespace, function: str) -> int:
    w3, record, chain_id = await open_deployment(args.deployment, args.rpc_url)
    owner = resolve_signer(args, chain_id)
    inbox = InboxContract(w3, record.address)
    receipt = await send_transaction(
        w3, owner, to=record.address, data=inbox.calldata(function, args.writer)
    )
    print(f"{function}({args.writer}) mined in block {receipt['blockNumber']}")
    return 0


async def _status(args: argparse.Namespace) -> int:
    w3, record, _ = await open_deployment(args.deployment, args.rpc_url)
    inbox = InboxContract(w3, record.address)
    count, acc = await inbox.head()
    print(f"SequencerInbox {record.address} v{await inbox.version()} owner {await inbox.owner()}")
    print(f"  batches {count}, acc 0x{acc.hex()}")
    for writer in args.writer:
        allowed = await inbox.is_writer(writer)
        seq = await inbox.next_writer_seq(writer)
        print(f"  writer {writer}: allowed={allowed} nextWriterSeq={seq}")
    return 0
