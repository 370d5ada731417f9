"""Chain accounts: eth-account encrypted keystores, and anvil's well-known dev keys.

Keys on disk are always Web3 Secret Storage (V3) JSON files; the password comes from a
file or an environment variable, never from a command-line argument (it would show in the
process list). anvil's development accounts have publicly known private keys; they are
accepted only when the chain id is anvil's (31337), so a mistyped RPC URL can never make
a production node sign with a key the whole world knows.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

from sequencer_chain.errors import (
    DevKeyNotAllowedError,
    KeystoreError,
    KeystoreFormatError,
    KeystorePasswordError,
)

ANVIL_CHAIN_ID = 31337

#: The private keys anvil derives from its default mnemonic
#: ("test test test test test test test test test test test junk"). Public knowledge.
ANVIL_DEV_KEYS: tuple[str, ...] = (
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
    "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
    "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
    "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
)

#: scrypt cost for new keystores; tests pass a smaller one to stay fast.
DEFAULT_SCRYPT_N = 2**18


def dev_account(index: int, chain_id: int) -> LocalAccount:
    """anvil's development account ``index``; refused unless ``chain_id`` is anvil's."""
    if chain_id != ANVIL_CHAIN_ID:
        raise DevKeyNotAllowedError(chain_id, ANVIL_CHAIN_ID)
    if not 0 <= index < len(ANVIL_DEV_KEYS):
        raise KeystoreError(
            None, f"dev key index {index} out of range 0..{len(ANVIL_DEV_KEYS) - 1}"
        )
    account: LocalAccount = Account.from_key(ANVIL_DEV_KEYS[index])
    return account


def is_dev_key(account: LocalAccount) -> bool:
    """Whether ``account`` is one of anvil's development accounts (publicly known keys)."""
    return account.address in _dev_addresses()


@cache
def _dev_addresses() -> frozenset[str]:
    return frozenset(Account.from_key(k).address for k in ANVIL_DEV_KEYS)


def read_password(password_file: Path | None = None, password_env: str | None = None) -> str:
    """The keystore password from a file (first line, trailing newline stripped) or an env var."""
    if password_file is not None:
        try:
            return password_file.read_text().rstrip("\r\n")
        except OSError as exc:
            raise KeystoreError(
                password_file, f"cannot read password file: {exc.strerror}"
            ) from None
    if password_env is not None:
        value = os.environ.get(password_env)
        if value is None:
            raise KeystoreError(None, f"password environment variable {password_env} is not set")
        return value
    raise KeystoreError(None, "no password source: give a password file or an environment variable")


def refuse_dev_key_off_anvil(account: LocalAccount, chain_id: int) -> None:
    """Raise :class:`DevKeyNotAllowedError` if ``account`` is one of anvil's well-known
    development accounts and ``chain_id`` is not anvil's: the rule holds for those keys
    however they arrive, including re-encrypted in a keystore file."""
    if chain_id != ANVIL_CHAIN_ID and is_dev_key(account):
        raise DevKeyNotAllowedError(chain_id, ANVIL_CHAIN_ID)


def load_keystore(path: Path, password: str, *, chain_id: int | None = None) -> LocalAccount:
    """Decrypt a V3 keystore; a corrupt file or a wrong password gives a typed error.

    With ``chain_id``, a keystore holding one of anvil's development keys is refused
    unless the chain is anvil's (:func:`refuse_dev_key_off_anvil`).
    """
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise KeystoreFormatError(path, f"cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise KeystoreFormatError(path, "not JSON (not UTF-8 text)") from None
    try:
        data: Any = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise KeystoreFormatError(path, f"not JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict) or "crypto" not in {k.lower() for k in data}:
        raise KeystoreFormatError(path, "not an encrypted keystore (no 'crypto' section)")
    try:
        key = Account.decrypt(data, password)
    except ValueError as exc:
        if "MAC mismatch" in str(exc):
            raise KeystorePasswordError(path, "wrong password (MAC mismatch)") from None
        raise KeystoreFormatError(path, f"invalid keystore: {exc}") from None
    except (KeyError, TypeError) as exc:
        raise KeystoreFormatError(path, f"invalid keystore: missing or malformed {exc}") from None
    account: LocalAccount = Account.from_key(key)
    if chain_id is not None:
        refuse_dev_key_off_anvil(account, chain_id)
    return account


def create_keystore(
    path: Path,
    password: str,
    private_key: str | bytes | None = None,
    *,
    scrypt_n: int = DEFAULT_SCRYPT_N,
) -> LocalAccount:
    """Write a new encrypted keystore (fresh random key unless one is given), mode 0600."""
    account: LocalAccount = (
        Account.from_key(private_key) if private_key is not None else Account.create()
    )
    data = Account.encrypt(account.key, password, kdf="scrypt", iterations=scrypt_n)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        raise KeystoreError(path, "refusing to overwrite an existing keystore")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh)
    return account
