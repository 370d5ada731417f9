"""``chaindomain keys chain-new | chain-show``: encrypted chain-account keystores from the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chaindomain.cli import main
from sequencer_chain.chain_keys import load_keystore

FAST = ["--scrypt-n", "16"]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_chain_new_writes_an_encrypted_keystore_that_loads_with_its_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pw = tmp_path / "pw"
    pw.write_text("file-secret\n")
    by_file = tmp_path / "a.json"
    code, out, _ = run(
        capsys, "keys", "chain-new", "--out", str(by_file), "--password-file", str(pw), *FAST
    )
    assert code == 0
    account = load_keystore(by_file, "file-secret")
    assert account.address in out
    assert by_file.stat().st_mode & 0o777 == 0o600
    assert account.key.hex() not in by_file.read_text()

    monkeypatch.setenv("CD_KEYS_PW", "env-secret")
    by_env = tmp_path / "b.json"
    code, _, _ = run(
        capsys, "keys", "chain-new", "--out", str(by_env), "--password-env", "CD_KEYS_PW", *FAST
    )
    assert code == 0
    assert load_keystore(by_env, "env-secret").address != account.address

    code, out, _ = run(capsys, "keys", "chain-show", str(by_file))
    assert (code, out.strip()) == (0, account.address)


def test_chain_new_and_chain_show_refusals_are_one_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pw = tmp_path / "pw"
    pw.write_text("x")
    existing = tmp_path / "k.json"
    assert (
        run(capsys, "keys", "chain-new", "--out", str(existing), "--password-file", str(pw), *FAST)[
            0
        ]
        == 0
    )
    before = existing.read_text()

    cases = [
        (["keys", "chain-new", "--out", str(existing), "--password-file", str(pw), *FAST],
         "refusing to overwrite"),
        (["keys", "chain-new", "--out", str(tmp_path / "n.json"), *FAST], "no password source"),
        (["keys", "chain-new", "--out", str(tmp_path / "n.json"), "--password-env",
          "CD_KEYS_ABSENT", *FAST], "CD_KEYS_ABSENT is not set"),
        (["keys", "chain-show", str(tmp_path / "absent.json")], "no readable address"),
    ]  # fmt: skip
    corrupt = tmp_path / "corrupt.json"
    corrupt.write_text(json.dumps({"crypto": {}}))
    cases.append((["keys", "chain-show", str(corrupt)], "no readable address"))
    for args, needle in cases:
        code, _, err = run(capsys, *args)
        assert code == 2, args
        assert err.startswith("error: ") and needle in err, err
        assert len(err.strip().splitlines()) == 1
    assert existing.read_text() == before
    assert not (tmp_path / "n.json").exists()
