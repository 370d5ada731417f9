"""Choosing the chain account a command signs with: a keystore, or an anvil dev key."""

from __future__ import annotations

import argparse
from pathlib import Path

from eth_account.signers.local import LocalAccount

from sequencer_chain.chain_keys import dev_account, load_keystore, read_password
from sequencer_chain.errors import KeystoreError


def add_signer_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("signing account")
    group.add_argument(
        "--keystore", type=Path, help="encrypted keystore (Web3 Secret Storage JSON)"
    )
    group.add_argument("--password-file", type=Path, help="file holding the keystore password")
    group.add_argument(
        "--password-env", metavar="VAR", help="environment variable holding the keystore password"
    )
    group.add_argument(
        "--dev-key",
        type=int,
        metavar="N",
        help="use anvil's well-known development account N (refused unless chain id is 31337)",
    )


def resolve_signer(args: argparse.Namespace, chain_id: int) -> LocalAccount:
    if args.keystore is not None and args.dev_key is not None:
        raise KeystoreError(None, "give either --keystore or --dev-key, not both")
    if args.keystore is not None:
        password = read_password(args.password_file, args.password_env)
        return load_keystore(args.keystore, password, chain_id=chain_id)
    if args.dev_key is not None:
        return dev_account(args.dev_key, chain_id)
    raise KeystoreError(None, "no signing account: give --keystore (with a password) or --dev-key")
