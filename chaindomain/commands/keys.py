"""``chaindomain keys chain-new | chain-show``: encrypted chain-account keystores."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from eth_utils.address import to_checksum_address

from sequencer_chain.chain_keys import DEFAULT_SCRYPT_N, create_keystore, read_password
from sequencer_chain.errors import KeystoreFormatError


def register(groups: Any) -> None:
    parser = groups.add_parser("keys", help="create and inspect keys")
    commands = parser.add_subparsers(dest="command", required=True, metavar="ACTION")

    new = commands.add_parser("chain-new", help="create an encrypted chain-account keystore")
    new.add_argument("--out", type=Path, required=True, help="keystore file to create")
    new.add_argument("--password-file", type=Path)
    new.add_argument("--password-env", metavar="VAR")
    new.add_argument("--scrypt-n", type=int, default=DEFAULT_SCRYPT_N, help=argparse.SUPPRESS)
    new.set_defaults(handler=_new)

    show = commands.add_parser("chain-show", help="print a keystore's address (no password needed)")
    show.add_argument("keystore", type=Path)
    show.set_defaults(handler=_show)


def _new(args: argparse.Namespace) -> int:
    password = read_password(args.password_file, args.password_env)
    account = create_keystore(args.out, password, scrypt_n=args.scrypt_n)
    print(f"created {args.out} for account {account.address}")
    return 0


def _show(args: argparse.Namespace) -> int:
    try:
        data = json.loads(args.keystore.read_text())
        print(to_checksum_address("0x" + data["address"].removeprefix("0x")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise KeystoreFormatError(args.keystore, f"no readable address: {exc}") from None
    return 0
