"""``chaindomain domain init`` on a real anvil, the nodes started from the configs it wrote
(the domain manager as its own process, READY line), then members and admins through the
``domain`` CLI: onboard (pending under ``permissioned``), pending, approve, members, and
clear errors with exit codes for bad input."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import jwt
import pytest

from chaindomain.cli import main
from protocol.crypto import EncryptionPrivateKey, ScryptParams, SigningPrivateKey, save_keystore
from sequencer_chain.anvil import ManagedAnvil, free_port
from sequencer_chain.config import load_node_config
from sequencer_chain.node import SequencerNode

pytestmark = pytest.mark.anvil
ROOT = Path(__file__).parents[2]


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


async def test_init_then_onboard_and_approve_through_the_cli(
    tmp_path: Path, anvil: ManagedAnvil, capsys: pytest.CaptureFixture[str]
) -> None:
    pw = tmp_path / "pw"
    pw.write_text("init-password")
    out = tmp_path / "dom"
    base = free_port()
    code, printed, err = await asyncio.to_thread(
        run_cli, capsys, "domain", "init", "--dir", str(out), "--rpc-url", anvil.rpc_url,
        "--password-file", str(pw), "--base-port", str(base), "--scrypt-n", "1024",
        "--confirmations", "0", "--topology-change-delay-ms", "0",
    )  # fmt: skip
    assert code == 0, err
    assert "domain initialised" in printed and "registered writer" in printed
    for name in ("genesis.json", "inbox.json", "seq1.toml", "seq2.toml", "dm.toml"):
        assert (out / name).exists(), name
    # A second init into the same directory is refused with a clear error.
    code, _, err = await asyncio.to_thread(
        run_cli, capsys, "domain", "init", "--dir", str(out), "--password-file", str(pw)
    )
    assert code == 2 and "already holds a domain" in err

    seqs = [SequencerNode(load_node_config(out / f"seq{i}.toml")) for i in (1, 2)]
    dm = None
    log = (tmp_path / "dm.log").open("w")
    try:
        for node in seqs:
            await node.start()
        dm = subprocess.Popen(  # noqa: ASYNC220 (a long-lived node; its line is read in a thread)
            [sys.executable, "-m", "domain_manager", "--config", str(out / "dm.toml")],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True,
        )  # fmt: skip
        assert dm.stdout is not None
        line = await asyncio.to_thread(dm.stdout.readline)
        assert line.startswith("READY "), (line, (tmp_path / "dm.log").read_text())
        target = json.loads(line.removeprefix("READY "))["grpc"]

        keys = tmp_path / "p1keys"
        keys.mkdir()
        low = ScryptParams(n=1024)
        save_keystore(keys / "ns.json", SigningPrivateKey.generate(), "init-password", low)
        save_keystore(keys / "sig.json", SigningPrivateKey.generate(), "init-password", low)
        save_keystore(keys / "enc.json", EncryptionPrivateKey.generate(), "init-password", low)
        code, printed, err = await asyncio.to_thread(
            run_cli, capsys, "domain", "onboard", "--dm", target, "--kind", "participant",
            "--name", "p1", "--namespace-key", str(keys / "ns.json"),
            "--signing-key", str(keys / "sig.json"), "--encryption-key", str(keys / "enc.json"),
            "--password-file", str(pw), "--json",
        )  # fmt: skip
        assert code == 0, err
        request = json.loads(printed)
        assert request["state"] == "pending"
        token = tmp_path / "token"
        token.write_text(
            jwt.encode(
                {"sub": "admin", "scope": "daml_ledger_api", "exp": int(time.time()) + 600},
                (out / "secrets" / "dev-hs256").read_text(),
                algorithm="HS256",
            )
        )
        code, printed, err = await asyncio.to_thread(
            run_cli, capsys, "domain", "pending", "--dm", target, "--token-file", str(token),
            "--json",
        )  # fmt: skip
        assert code == 0, err
        assert [r["request_id"] for r in json.loads(printed)] == [request["request_id"]]
        code, printed, err = await asyncio.to_thread(
            run_cli, capsys, "domain", "approve", request["request_id"], "--dm", target,
            "--token-file", str(token), "--json",
        )  # fmt: skip
        assert code == 0, err
        assert json.loads(printed)["state"] == "onboarded"
        code, printed, err = await asyncio.to_thread(
            run_cli, capsys, "domain", "members", "--dm", target, "--token-file", str(token),
            "--json",
        )  # fmt: skip
        assert code == 0, err
        states = {m["member"]: m["state"] for m in json.loads(printed)}
        assert states[request["member"]] == "active"
        # Refusals: a typed code and exit 1; no token: exit 2 before any call.
        code, _, err = await asyncio.to_thread(
            run_cli, capsys, "domain", "approve", request["request_id"], "--dm", target,
            "--token-file", str(token),
        )  # fmt: skip
        assert code == 1 and "INVALID_STATE" in err
        code, _, err = await asyncio.to_thread(run_cli, capsys, "domain", "members", "--dm", target)
        assert code == 2 and "token" in err
    finally:
        if dm is not None:
            dm.terminate()
            assert await asyncio.to_thread(dm.wait, 15) == 0
        for node in seqs:
            await node.stop()
        log.close()
