"""``chaindomain keys chain-new | chain-show``: encrypted chain-account keystores."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from chaindomain.keyfiles import chain_address
from sequencer_chain.chain_keys import DEFAULT_SCRYPT_N, create_keystore, read_password


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
    print(chain_address(args.keystore))
    return 0
