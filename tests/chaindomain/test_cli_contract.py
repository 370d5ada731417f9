"""The contract CLI as an operator runs it: real processes against a real anvil."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chaindomain.cli import main
from sequencer_chain.anvil import AnvilConfig, ManagedAnvil
from sequencer_chain.chain_keys import ANVIL_DEV_KEYS, create_keystore, dev_account
from sequencer_chain.contract import DeploymentRecord

pytestmark = pytest.mark.anvil


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chaindomain.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_deploy_add_and_remove_writer_with_a_keystore(anvil: ManagedAnvil, tmp_path: Path) -> None:
    keystore = tmp_path / "owner.json"
    create_keystore(keystore, "pw", private_key=ANVIL_DEV_KEYS[0], scrypt_n=2**4)
    record_path = tmp_path / "deployment.json"
    signer = ["--keystore", str(keystore), "--password-env", "OWNER_PW"]
    env = {"OWNER_PW": "pw"}

    deployed = run_cli(
        "contract", "deploy", "--rpc-url", anvil.rpc_url, "--domain-id", "acme::1220ab",
        "--out", str(record_path), *signer, env=env,
    )  # fmt: skip
    assert deployed.returncode == 0, deployed.stderr
    record = json.loads(record_path.read_text())
    assert record["domain_name"] == "acme::1220ab"
    assert record["address"] in deployed.stdout

    writer = dev_account(3, 31337).address
    common = ["--rpc-url", anvil.rpc_url, "--deployment", str(record_path), "--writer", writer]
    added = run_cli("contract", "add-writer", *common, *signer, env=env)
    assert added.returncode == 0, added.stderr
    status = run_cli("contract", "status", *common)
    assert "allowed=True" in status.stdout

    again = run_cli("contract", "add-writer", *common, *signer, env=env)
    assert again.returncode == 2
    assert "WriterAlreadyAllowed" in again.stderr
    assert "Traceback" not in again.stderr

    removed = run_cli("contract", "remove-writer", *common, *signer, env=env)
    assert removed.returncode == 0, removed.stderr
    assert "allowed=False" in run_cli("contract", "status", *common).stdout


def test_wrong_password_and_corrupt_keystore_give_one_clear_line(
    anvil: ManagedAnvil, tmp_path: Path
) -> None:
    keystore = tmp_path / "owner.json"
    create_keystore(keystore, "right", scrypt_n=2**4)
    pw = tmp_path / "pw"
    pw.write_text("wrong\n")
    base = ["contract", "deploy", "--rpc-url", anvil.rpc_url, "--domain-id", "d"]

    wrong = run_cli(*base, "--keystore", str(keystore), "--password-file", str(pw))
    assert wrong.returncode == 2
    assert "wrong password" in wrong.stderr
    assert "Traceback" not in wrong.stderr

    keystore.write_text('{"crypto": ')
    corrupt = run_cli(*base, "--keystore", str(keystore), "--password-file", str(pw))
    assert corrupt.returncode == 2
    assert f"keystore {keystore}: not JSON" in corrupt.stderr
    assert "Traceback" not in corrupt.stderr


def assert_one_clear_error(result: subprocess.CompletedProcess[str], needle: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert needle in result.stderr
    assert "Traceback" not in result.stderr


def test_dev_keys_are_refused_on_a_chain_that_is_not_anvils(tmp_path: Path) -> None:
    # The same well-known key re-encrypted into a keystore is refused too.
    keystore = tmp_path / "dev0.json"
    create_keystore(keystore, "pw", private_key=ANVIL_DEV_KEYS[0], scrypt_n=2**4)
    with ManagedAnvil(AnvilConfig(chain_id=1337)) as other:
        base = ["contract", "deploy", "--rpc-url", other.rpc_url, "--domain-id", "d"]
        by_flag = run_cli(*base, "--dev-key", "0", "--out", str(tmp_path / "r.json"))
        by_keystore = run_cli(
            *base, "--keystore", str(keystore), "--password-env", "PW",
            "--out", str(tmp_path / "r.json"), env={"PW": "pw"},
        )  # fmt: skip
        # A deployment record of anvil's chain is not used against chain 1337.
        record = tmp_path / "anvil-record.json"
        DeploymentRecord(
            contract_name="SequencerInbox", chain_id=31337,
            address="0x5FbDB2315678afecb367f032d93F642f64180aa3", deploy_block=1,
            deploy_block_hash="0x" + "11" * 32, tx_hash="0x" + "22" * 32,
            domain_id="0x" + "33" * 32, domain_name=None, contract_version=1,
            artifact_hash="a", source_hash="s", compiler_version="v",
            deployer=dev_account(0, 31337).address, owner=dev_account(0, 31337).address,
            deployed_at="2025-01-01T00:00:00+00:00",
        ).save(record)  # fmt: skip
        writer = dev_account(1, 31337).address
        wrong_chain = run_cli(
            "contract", "add-writer", "--rpc-url", other.rpc_url, "--deployment", str(record),
            "--writer", writer, "--keystore", str(keystore), "--password-env", "PW",
            env={"PW": "pw"},
        )  # fmt: skip
    assert_one_clear_error(by_flag, "allowed only on chain id 31337")
    assert_one_clear_error(by_keystore, "allowed only on chain id 31337")
    assert not (tmp_path / "r.json").exists()
    assert_one_clear_error(wrong_chain, "is for chain 31337")
    assert "is chain 1337" in wrong_chain.stderr


def test_malformed_arguments_are_refused_before_anything_is_sent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """In process (argparse exits before any import-heavy work; a subprocess each is slow)."""
    record = tmp_path / "r.json"
    url = "http://127.0.0.1:1"  # never reached: the arguments are checked first
    good = dev_account(1, 31337).address
    letter = next(i for i, c in enumerate(good) if i > 1 and c.isalpha())
    bad_checksum = good[:letter] + good[letter].swapcase() + good[letter + 1 :]
    cases = [
        (["deploy", "--domain-id", "", "--dev-key", "0"], "must not be empty"),
        (["deploy", "--domain-id", "d", "--owner", "0xnothex", "--dev-key", "0"],
         "is not an address"),
        (["add-writer", "--deployment", str(record), "--writer", "0x123", "--dev-key", "0"],
         "is not an address"),
        (["remove-writer", "--deployment", str(record), "--writer", bad_checksum,
          "--dev-key", "0"], "wrong EIP-55 checksum"),
        (["status", "--deployment", str(record), "--writer", "zz"], "is not an address"),
    ]  # fmt: skip
    for args, needle in cases:
        with pytest.raises(SystemExit) as exit_:
            main(["contract", args[0], "--rpc-url", url, *args[1:]])
        stderr = capsys.readouterr().err
        assert exit_.value.code == 2, stderr
        assert needle in stderr
        assert "usage:" in stderr
        assert "Traceback" not in stderr


def test_a_non_utf8_keystore_and_an_unreachable_chain_are_clear_errors(
    anvil: ManagedAnvil, tmp_path: Path
) -> None:
    keystore = tmp_path / "k.json"
    keystore.write_bytes(b"\xff\xfe\x00 binary")
    base = ["contract", "deploy", "--domain-id", "d", "--keystore", str(keystore)]
    binary = run_cli(*base, "--rpc-url", anvil.rpc_url, "--password-env", "PW", env={"PW": "x"})
    assert_one_clear_error(binary, f"keystore {keystore}: not JSON")
    unreachable = run_cli(
        "contract", "deploy", "--domain-id", "d", "--dev-key", "0",
        "--rpc-url", "http://127.0.0.1:1",
    )  # fmt: skip
    assert_one_clear_error(unreachable, "cannot reach chain at http://127.0.0.1:1")
