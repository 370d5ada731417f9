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
import os
import sys
from pathlib import Path
from typing import Any

from protocol.crypto import (
    EncryptionPrivateKey,
    EncryptionPublicKey,
    KeyScheme,
    ScryptParams,
    SigningPrivateKey,
    SigningPublicKey,
    fingerprint_of,
    save_keystore,
)
from protocol.errors import CorruptKeystoreError, InvalidKeyError, KeystoreError

KINDS = ("namespace", "signing", "encryption", "pair")
_SCHEMES = {"ed25519": KeyScheme.ED25519, "x25519": KeyScheme.X25519}


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


def _password(args: argparse.Namespace) -> str:
    if args.password_file is not None:
        try:
            return str(args.password_file.read_text(encoding="utf-8")).rstrip("\r\n")
        except OSError as exc:
            raise KeystoreError(
                args.password_file, f"cannot read password: {exc.strerror}"
            ) from None
    if args.password_env is not None:
        value = os.environ.get(args.password_env)
        if value is None:
            raise KeystoreError(args.out, f"environment variable {args.password_env} is not set")
        return value
    raise KeystoreError(args.out, "no password: give --password-file or --password-env")


def _generate(args: argparse.Namespace) -> int:
    if args.kind == "pair" and args.encryption_out is None:
        raise KeystoreError(args.out, "--kind pair needs --encryption-out")
    password = _password(args)
    if not password:
        raise KeystoreError(args.out, "the password is empty")
    params = ScryptParams(n=args.scrypt_n)
    targets: list[tuple[Path, SigningPrivateKey | EncryptionPrivateKey]] = []
    if args.kind == "encryption":
        targets.append((args.out, EncryptionPrivateKey.generate()))
    else:
        targets.append((args.out, SigningPrivateKey.generate()))
    if args.kind == "pair":
        targets.append((args.encryption_out, EncryptionPrivateKey.generate()))
    for path, _ in targets:
        if path.exists():
            raise KeystoreError(path, "file exists; refusing to overwrite a key")
    for path, key in targets:
        save_keystore(path, key, password, params)
        print(f"created {path}: {_describe(_public_part(path))}")
    return 0


def _public_part(path: Path) -> dict[str, str]:
    """The key type, fingerprint and public key a keystore stores in clear, checked."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KeystoreError(path, "file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptKeystoreError(path, f"unreadable: {exc}") from None
    if not isinstance(doc, dict):
        raise CorruptKeystoreError(path, "not a JSON object")
    key_type, fingerprint, public = (
        doc.get("key_type"),
        doc.get("fingerprint"),
        doc.get("public_key"),
    )
    if key_type not in _SCHEMES or not isinstance(public, str) or not isinstance(fingerprint, str):
        raise CorruptKeystoreError(path, "missing key_type, fingerprint or public_key")
    try:
        raw = bytes.fromhex(public)
        key = SigningPublicKey(raw) if key_type == "ed25519" else EncryptionPublicKey(raw)
    except (ValueError, InvalidKeyError) as exc:
        raise CorruptKeystoreError(path, f"invalid public_key: {exc}") from None
    if fingerprint_of(_SCHEMES[key_type], key.raw) != fingerprint:
        raise CorruptKeystoreError(path, "fingerprint does not match the public key")
    result = {"key_type": key_type, "fingerprint": fingerprint, "public_key": raw.hex()}
    if key_type == "ed25519":
        result["namespace"] = fingerprint  # if used as the root key of a namespace
    return result


def _describe(part: dict[str, str]) -> str:
    return f"{part['key_type']} key {part['fingerprint']}"


def _show(args: argparse.Namespace) -> int:
    part = _public_part(args.keyfile)
    if args.json:
        print(json.dumps(part, indent=2))
    else:
        for name in ("key_type", "fingerprint", "namespace", "public_key"):
            if name in part:
                print(f"{name}: {part[name]}")
    return 0


def _export(args: argparse.Namespace) -> int:
    part = _public_part(args.keyfile)
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
