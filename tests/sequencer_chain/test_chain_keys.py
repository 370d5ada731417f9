"""Chain keystores: encrypted on disk, clear typed errors, dev keys only on anvil."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sequencer_chain.chain_keys import (
    ANVIL_CHAIN_ID,
    ANVIL_DEV_KEYS,
    create_keystore,
    dev_account,
    is_dev_key,
    load_keystore,
    read_password,
)
from sequencer_chain.errors import (
    DevKeyNotAllowedError,
    KeystoreError,
    KeystoreFormatError,
    KeystorePasswordError,
)

FAST_SCRYPT = 2**4


def test_keystore_round_trip_and_file_mode(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "writer.json"
    account = create_keystore(path, "s3cret", scrypt_n=FAST_SCRYPT)
    assert path.stat().st_mode & 0o777 == 0o600
    assert account.key.hex() not in path.read_text()
    assert load_keystore(path, "s3cret").address == account.address
    with pytest.raises(KeystoreError, match="refusing to overwrite"):
        create_keystore(path, "other", scrypt_n=FAST_SCRYPT)


def test_wrong_password_is_a_typed_error(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    create_keystore(path, "right", scrypt_n=FAST_SCRYPT)
    with pytest.raises(KeystorePasswordError) as err:
        load_keystore(path, "wrong")
    assert err.value.path == path
    assert "wrong password" in str(err.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{truncated", "not JSON"),
        ("[]", "no 'crypto' section"),
        ('{"version": 3}', "no 'crypto' section"),
        ('{"crypto": {"cipher": "aes-128-ctr"}, "version": 3}', "invalid keystore"),
    ],
)
def test_corrupt_keystore_is_a_typed_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "k.json"
    path.write_text(content)
    with pytest.raises(KeystoreFormatError, match=message) as err:
        load_keystore(path, "pw")
    assert err.value.path == path


def test_tampered_ciphertext_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    create_keystore(path, "pw", scrypt_n=FAST_SCRYPT)
    data = json.loads(path.read_text())
    text = data["crypto"]["ciphertext"]
    data["crypto"]["ciphertext"] = ("0" if text[0] != "0" else "1") + text[1:]
    path.write_text(json.dumps(data))
    with pytest.raises(KeystorePasswordError):
        load_keystore(path, "pw")


def test_password_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pw = tmp_path / "pw"
    pw.write_text("from-file\n")
    assert read_password(pw) == "from-file"
    monkeypatch.setenv("CD_TEST_PW", "from-env")
    assert read_password(None, "CD_TEST_PW") == "from-env"
    with pytest.raises(KeystoreError, match="is not set"):
        read_password(None, "CD_TEST_PW_ABSENT")
    with pytest.raises(KeystoreError, match="cannot read password file"):
        read_password(tmp_path / "absent")
    with pytest.raises(KeystoreError, match="no password source"):
        read_password()


def test_dev_keys_only_on_anvils_chain_id() -> None:
    assert dev_account(0, ANVIL_CHAIN_ID).address == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    with pytest.raises(DevKeyNotAllowedError) as err:
        dev_account(0, 1)
    assert (err.value.chain_id, err.value.expected) == (1, ANVIL_CHAIN_ID)
    with pytest.raises(KeystoreError, match="out of range"):
        dev_account(10, ANVIL_CHAIN_ID)


def test_a_dev_key_in_a_keystore_is_still_refused_off_anvil(tmp_path: Path) -> None:
    path = tmp_path / "dev.json"
    create_keystore(path, "pw", private_key=ANVIL_DEV_KEYS[3], scrypt_n=FAST_SCRYPT)
    with pytest.raises(DevKeyNotAllowedError) as err:
        load_keystore(path, "pw", chain_id=1)
    assert (err.value.chain_id, err.value.expected) == (1, ANVIL_CHAIN_ID)
    assert load_keystore(path, "pw", chain_id=ANVIL_CHAIN_ID).address == (
        dev_account(3, ANVIL_CHAIN_ID).address
    )
    # An ordinary key is fine on any chain.
    own = tmp_path / "own.json"
    account = create_keystore(own, "pw", scrypt_n=FAST_SCRYPT)
    assert load_keystore(own, "pw", chain_id=1).address == account.address
    assert is_dev_key(dev_account(9, ANVIL_CHAIN_ID))
    assert not is_dev_key(account)


def test_a_binary_keystore_is_a_typed_error(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    path.write_bytes(b"\xff\xfe\x00\x01 not text")
    with pytest.raises(KeystoreFormatError, match="not UTF-8") as err:
        load_keystore(path, "pw")
    assert err.value.path == path


def test_transactions_are_signed_with_coincurve() -> None:
    """Pure-Python secp256k1 signs ~225 tx/s, coincurve ~1,500: a missing or unused
    coincurve is a silent 7x slowdown of every writer."""
    from eth_keys.backends import get_backend
    from eth_keys.backends.coincurve import CoinCurveECCBackend

    assert isinstance(get_backend(), CoinCurveECCBackend)
