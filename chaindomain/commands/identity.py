"""``chaindomain identity generate | show | export-public``: protocol identity keys.

A namespace is the fingerprint of a root Ed25519 key; members also hold an Ed25519 signing
key and an X25519 encryption key. Private keys only ever reach the disk encrypted
(``protocol.crypto.keystore``); ``show`` and ``export-public`` read the public part that a
keystore stores in clear, so they need no password, and check it against the stored
fingerprint.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from chaindomain.keyfiles import KINDS, create_identity_keys, public_part
from protocol.crypto import ScryptParams
from protocol.errors import KeystoreError
from sequencer_chain.chain_keys import read_password


def register(groups: Any) -> None:
    parser = groups.add_parser("identity", help="generate and inspect protocol identity keys")
    commands = parser.add_subparsers(dest="command", required=True, metavar="ACTION")

    gen = commands.add_parser("generate", help="create an encrypted key file")
    gen.add_argument(
        "--kind",
        choices=KINDS,
        default="namespace",
        help="namespace: a root Ed25519 key (its fingerprint is the namespace); signing: "
        "an Ed25519 key; encryption: an X25519 key; pair: a signing key in --out and an "
        "encryption key in --encryption-out",
    )
    gen.add_argument("--out", type=Path, required=True, help="key file to create")
    gen.add_argument("--encryption-out", type=Path, help="encryption key file (--kind pair)")
    gen.add_argument("--password-file", type=Path, help="file holding the password")
    gen.add_argument("--password-env", metavar="VAR", help="environment variable with the password")
    gen.add_argument("--scrypt-n", type=int, default=ScryptParams().n, help=argparse.SUPPRESS)
    gen.set_defaults(handler=_generate)

    show = commands.add_parser("show", help="print a key file's fingerprint (no password)")
    show.add_argument("keyfile", type=Path)
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=_show)

    export = commands.add_parser("export-public", help="print a key file's public key as JSON")
    export.add_argument("keyfile", type=Path)
    export.add_argument("--out", type=Path, help="write to this file instead of stdout")
    export.set_defaults(handler=_export)


def _generate(args: argparse.Namespace) -> int:
    if args.kind == "pair" and args.encryption_out is None:
        raise KeystoreError(args.out, "--kind pair needs --encryption-out")
    password = read_password(args.password_file, args.password_env)
    params = ScryptParams(n=args.scrypt_n)
    for path in create_identity_keys(args.kind, args.out, password, params, args.encryption_out):
        print(f"created {path}: {_describe(public_part(path))}")
    return 0


def _describe(part: dict[str, str]) -> str:
    return f"{part['key_type']} key {part['fingerprint']}"


def _show(args: argparse.Namespace) -> int:
    part = public_part(args.keyfile)
    if args.json:
        print(json.dumps(part, indent=2))
    else:
        for name in ("key_type", "fingerprint", "namespace", "public_key"):
            if name in part:
                print(f"{name}: {part[name]}")
    return 0


def _export(args: argparse.Namespace) -> int:
    part = public_part(args.keyfile)
    exported = {k: part[k] for k in ("key_type", "fingerprint", "public_key")}
    text = json.dumps(exported, indent=2) + "\n"
    if args.out is None:
        sys.stdout.write(text)
    else:
        if args.out.exists():
            raise KeystoreError(args.out, "file exists; refusing to overwrite")
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    return 0
