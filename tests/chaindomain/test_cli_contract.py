"""The contract CLI as an operator runs it: real processes against a real anvil."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sequencer_chain.anvil import AnvilConfig, ManagedAnvil
from sequencer_chain.chain_keys import ANVIL_DEV_KEYS, create_keystore, dev_account


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


def test_dev_keys_are_refused_on_a_chain_that_is_not_anvils(tmp_path: Path) -> None:
    with ManagedAnvil(AnvilConfig(chain_id=1337)) as other:
        result = run_cli(
            "contract", "deploy", "--rpc-url", other.rpc_url, "--domain-id", "d",
            "--dev-key", "0", "--out", str(tmp_path / "r.json"),
        )  # fmt: skip
    assert result.returncode == 2
    assert "allowed only on chain id 31337" in result.stderr
    assert not (tmp_path / "r.json").exists()
