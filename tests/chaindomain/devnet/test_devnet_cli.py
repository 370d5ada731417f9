"""``chaindomain devnet up / status / down / up`` as an operator runs them: real processes,
a real anvil; the second ``up`` resumes the same chain, contract, domain and endpoints.
The domain's nodes only (no participants): the whole network, its ledger resumed, is in
``tests/chaindomain/demo/test_demo.py``."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.anvil

ROOT = Path(__file__).resolve().parents[3]
CLI = [sys.executable, "-m", "chaindomain.cli"]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def start_up(state_dir: Path) -> tuple[subprocess.Popen[str], list[str]]:
    proc = subprocess.Popen(
        [
            *CLI,
            "devnet",
            "up",
            "--dir",
            str(state_dir),
            "--anvil-port",
            "0",
            "--block-time",
            "0",
            "--participants",
            "0",
        ],  # the full network: tests/chaindomain/demo/
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=ENV,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip())
        if line.startswith("running;"):
            return proc, lines
    proc.kill()
    raise AssertionError("devnet up did not come up:\n" + "\n".join(lines))


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, env=ENV, cwd=ROOT, timeout=120, check=False
    )


def metric(ops_url: str, name: str, ca_file: Path) -> float:
    """A metric read over HTTPS, trusting the devnet's CA."""
    context = ssl.create_default_context(cafile=str(ca_file))
    with urllib.request.urlopen(f"{ops_url}/metrics", timeout=5, context=context) as reply:
        for line in reply.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    raise AssertionError(f"{name} not exposed")


def test_up_status_down_up_resumes_the_same_network(tmp_path: Path) -> None:
    state_dir = tmp_path / "devnet"
    proc, lines = start_up(state_dir)
    try:
        output = "\n".join(lines)
        assert "new chain" in output
        for node in ("seq1", "seq2", "dm", "mediator"):
            assert any(line.strip().startswith(f"{node} ") and "ready" in line for line in lines)
        state = json.loads((state_dir / "devnet.json").read_text())
        assert state["status"] == "running" and state["supervisor_pid"] == proc.pid
        contract = state["chain"]["contract"]
        endpoints = {n: s["endpoints"] for n, s in state["nodes"].items()}

        status = cli("devnet", "status", "--dir", str(state_dir))
        assert status.returncode == 0, status.stdout + status.stderr
        assert "running" in status.stdout and "NOT READY" not in status.stdout
        again = cli("devnet", "up", "--dir", str(state_dir), "--anvil-port", "0")
        assert again.returncode == 2 and "already running" in again.stdout
        ca_file = state_dir / "tls" / "ca.crt"
        assert f"clients trust the devnet CA {ca_file}" in output
        assert all(e["ops"].startswith("https://") for e in endpoints.values() if "ops" in e)
        reader_block = metric(endpoints["seq1"]["ops"], "sequencer_reader_block", ca_file)

        down = cli("devnet", "down", "--dir", str(state_dir))
        assert down.returncode == 0, down.stdout
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    stopped = json.loads((state_dir / "devnet.json").read_text())
    assert stopped["status"] == "stopped"
    assert {s["status"] for s in stopped["nodes"].values()} == {"stopped"}
    assert cli("devnet", "status", "--dir", str(state_dir)).returncode == 1
    assert cli("devnet", "down", "--dir", str(state_dir)).returncode == 2

    proc, lines = start_up(state_dir)
    try:
        assert "resumed chain" in "\n".join(lines)
        state = json.loads((state_dir / "devnet.json").read_text())
        assert state["chain"]["contract"] == contract
        assert {n: s["endpoints"] for n, s in state["nodes"].items()} == endpoints
        assert metric(endpoints["seq1"]["ops"], "sequencer_reader_block", ca_file) >= reader_block
        assert cli("devnet", "down", "--dir", str(state_dir)).returncode == 0
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
