"""``chaindomain identity``: generate, show and export as a user would, in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from protocol.crypto import KeyScheme, fingerprint_of, load_encryption_key, load_signing_key
from protocol.identifiers import parse_namespace


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chaindomain.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_generate_show_export_round_trip(tmp_path: Path) -> None:
    password = tmp_path / "password"
    password.write_text("correct horse\n")
    root = tmp_path / "root.key"
    made = cli(
        "identity", "generate", "--out", str(root), "--password-file", str(password),
        "--scrypt-n", "1024",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert oct(root.stat().st_mode & 0o777) == "0o600"
    assert "correct horse" not in root.read_text()

    shown = cli("identity", "show", str(root), "--json")
    assert shown.returncode == 0, shown.stderr
    info = json.loads(shown.stdout)
    assert info["key_type"] == "ed25519"
    assert parse_namespace(info["namespace"]) == info["fingerprint"]

    key = load_signing_key(root, "correct horse")
    assert key.fingerprint == info["fingerprint"]
    assert key.public_key.raw.hex() == info["public_key"]

    exported = cli("identity", "export-public", str(root))
    assert exported.returncode == 0, exported.stderr
    public = json.loads(exported.stdout)
    assert public == {k: info[k] for k in ("key_type", "fingerprint", "public_key")}
    assert fingerprint_of(KeyScheme.ED25519, bytes.fromhex(public["public_key"])) == key.fingerprint

    text = cli("identity", "show", str(root))
    assert f"namespace: {key.fingerprint}" in text.stdout


def test_generate_a_signing_and_encryption_pair_from_an_env_password(tmp_path: Path) -> None:
    signing, encryption = tmp_path / "sign.key", tmp_path / "enc.key"
    made = cli(
        "identity", "generate", "--kind", "pair", "--out", str(signing),
        "--encryption-out", str(encryption), "--password-env", "ID_PW", "--scrypt-n", "1024",
        env={"ID_PW": "s3cret"},
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    enc = load_encryption_key(encryption, "s3cret")
    shown = json.loads(cli("identity", "show", str(encryption), "--json").stdout)
    assert shown == {
        "key_type": "x25519",
        "fingerprint": enc.fingerprint,
        "public_key": enc.public_key.raw.hex(),
    }
    assert load_signing_key(signing, "s3cret").fingerprint in made.stdout


def test_errors_are_one_line_and_exit_2(tmp_path: Path) -> None:
    target = tmp_path / "k.key"
    no_password = cli("identity", "generate", "--out", str(target))
    assert no_password.returncode == 2
    assert no_password.stderr.startswith("error: ") and "password" in no_password.stderr
    assert not target.exists()

    target.write_text(json.dumps({"key_type": "ed25519", "fingerprint": "1220" + "0" * 64,
                                  "public_key": "11" * 32}))  # fmt: skip
    tampered = cli("identity", "show", str(target))
    assert tampered.returncode == 2
    assert "fingerprint does not match" in tampered.stderr

    refused = cli("identity", "generate", "--out", str(target), "--password-env", "PW",
                  env={"PW": "x"})  # fmt: skip
    assert refused.returncode == 2 and "refusing to overwrite" in refused.stderr
