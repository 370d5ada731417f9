"""From nothing to the finished demo, then the network it leaves: the reduced
``chaindomain demo`` as a fresh checkout runs it (it starts ``devnet up`` itself: anvil,
contract, domain, mediator, three participants onboarded, packages, parties), the named
metrics after its traffic, a ``kill -9``ed participant reported, and ``devnet down`` /
``up`` resuming the same ledger (ledger ends and active contracts) on which the demo runs
again. One network for the module: each phase builds on the previous one."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest

from chaindomain.devnet.access import DevnetAccess, user_id
from ledger_client import Timeout
from node_runtime.logs import TRACE_METADATA_KEY
from protocol.ledger_api.v2 import (
    state_service_pb2,
    state_service_pb2_grpc,
    update_service_pb2,
    update_service_pb2_grpc,
)
from protocol.tls import open_channel

pytestmark = pytest.mark.anvil

ROOT = Path(__file__).resolve().parents[3]
CLI = [sys.executable, "-m", "chaindomain.cli"]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}


def cli(*args: str, timeout: float = 240, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, env=ENV, cwd=cwd, timeout=timeout,
        check=False,
    )  # fmt: skip


def state(state_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((state_dir / "devnet.json").read_text())
    return data


def nodes(state_dir: Path) -> dict[str, Any]:
    found: dict[str, Any] = state(state_dir)["nodes"]
    return found


def access(state_dir: Path) -> DevnetAccess:
    """The devnet's CA and identity provider, as its state file names them."""
    return DevnetAccess.from_state_extra(state(state_dir)["extra"])


def metrics(ops_url: str, state_dir: Path) -> dict[str, float]:
    """Every metric of a node, read over HTTPS trusting the devnet's CA."""
    context = ssl.create_default_context(cafile=str(access(state_dir).ca_file))
    with urllib.request.urlopen(f"{ops_url}/metrics", timeout=5, context=context) as reply:
        text = reply.read().decode()
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


@dataclass
class DemoRun:
    state_dir: Path
    output: str


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoRun]:
    state_dir = tmp_path_factory.mktemp("demo") / "devnet"
    started = time.monotonic()
    # As the README runs it: a state directory relative to the working directory.
    run = cli(
        "demo", "--dir", "devnet", "--reduced", "--keep-running",
        "--anvil-port", "0", "--block-time", "0", cwd=state_dir.parent,
    )  # fmt: skip
    try:
        assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
        print(f"demo from nothing: {time.monotonic() - started:.1f}s")
        yield DemoRun(state_dir, run.stdout)
    finally:
        cli("devnet", "down", "--dir", str(state_dir), timeout=90)


def test_the_demo_runs_from_nothing_and_shows_privacy_and_the_chain(demo: DemoRun) -> None:
    out = demo.output
    assert "starting a network in" in out
    for node in ("seq1", "seq2", "dm", "mediator", "participant1", "participant2"):
        assert re.search(rf"\|\s+{node}\s+ready", out), node
    steps = re.findall(r"^  \[(\d)\] (.+?)\s+\d+\.\d\ds  offset \d+$", out, re.M)
    assert [int(n) for n, _ in steps] == list(range(1, 9)), out
    # Privacy: Bob's participant never has the bank's Ious, Alice's not Bob's account;
    # the settlement reaches all three.
    table = dict(
        re.findall(r"^  \[\d\] (.+?)\s{2,}((?:yes|-)\s+(?:yes|-)\s+(?:yes|-))$", out, re.M)
    )
    seen = {step.strip(): marks.split() for step, marks in table.items()}
    assert seen["Bank issues Ious of 100.00 EUR"] == ["yes", "-", "-"]
    assert seen["Bob opens a EUR account"] == ["yes", "-", "yes"]
    assert seen["Bob settles: shares and cash swap atomically"] == ["yes", "yes", "yes"]
    alice = out.split("Alice's participant")[1].split("Bob's participant")[0]
    assert "Cash(bank=Custodian, owner=Alice, amount=1000.00" in alice
    assert "Iou(issuer=Bank, owner=Alice, amount=100.00" in alice
    assert "Account(bank=Bank, owner=Bob" not in alice
    summary = dict(
        re.findall(r"^  (batches written|gas spent|ledger transactions)\s+(\S+)", out, re.M)
    )
    assert int(summary["batches written"]) > 0
    assert int(summary["gas spent"].replace(",", "")) > 21_000
    assert summary["ledger transactions"] == "8"
    assert re.search(r"bytes per ledger tx\s+[1-9][\d,]*$", out, re.M)
    assert "demo done: 8 ledger transactions" in out


def test_metrics_after_the_demo_traffic(demo: DemoRun) -> None:
    ops = {
        name: str(n["endpoints"]["ops"])
        for name, n in nodes(demo.state_dir).items()
        if "ops" in n["endpoints"]
    }
    seq = metrics(ops["seq1"], demo.state_dir)
    assert seq["sequencer_batches_written_total"] > 0
    assert seq["sequencer_bytes_written_total"] > 0
    assert seq["sequencer_gas_spent_total"] > 21_000
    assert seq["sequencer_head_lag_blocks"] >= 0 and seq["sequencer_pending_requests"] >= 0
    mediator = metrics(ops["mediator"], demo.state_dir)
    assert mediator['mediator_verdicts_total{kind="approve"}'] >= 8
    assert mediator["mediator_verdict_latency_seconds_count"] >= 8
    assert 0 < mediator["mediator_verdict_latency_seconds_sum"] < 60 * 8
    commands = 0.0
    for name in ("participant1", "participant2", "participant3"):
        p = metrics(ops[name], demo.state_dir)
        assert p["participant_inflight_requests"] == 0
        commands += p['participant_command_latency_seconds_count{outcome="ok"}']
    assert commands == 8
    dm = metrics(ops["dm"], demo.state_dir)
    assert dm['domain_manager_onboarding_requests{state="onboarded"}'] == 3
    effective = {
        k: v for k, v in dm.items() if k.startswith("domain_manager_topology_changes_total")
    }
    # three onboardings; four parties allocated and the custodian hosted a second time
    assert (
        effective['domain_manager_topology_changes_total{kind="onboarding",outcome="effective"}']
        == 3
    )
    assert (
        effective['domain_manager_topology_changes_total{kind="party_hosting",outcome="effective"}']
        == 5
    )
    assert not any(v for k, v in effective.items() if 'outcome="refused"' in k)
    # every participant vetted the packages it uploaded through topology
    assert (
        effective['domain_manager_topology_changes_total{kind="vetting",outcome="effective"}'] >= 3
    )


def log_lines(state_dir: Path, node: str) -> list[dict[str, Any]]:
    out = []
    for line in (state_dir / "logs" / f"{node}.log").read_text().splitlines():
        if line.startswith("{"):
            out.append(json.loads(line))
    return out


def test_trace_ids_follow_a_command_across_nodes(demo: DemoRun) -> None:
    root = demo.state_dir
    bank = log_lines(root, "participant1")
    # The submitter: the Ledger API call's trace id on the submission, on the send, and
    # again on the handling of its own request's receipt, at the request's sequencing time.
    receipts = [e for e in bank if e["msg"].startswith("own message tx-")]
    assert receipts, "no traced receipt in participant1's log"
    receipt = receipts[-1]
    trace, request_time = receipt["trace_id"], receipt["sequenced_at"]
    traced = [e for e in bank if e.get("trace_id") == trace]
    assert any(e["msg"].startswith("submission ") for e in traced), traced
    assert any(e.get("message_id") == receipt["message_id"] for e in traced if e is not receipt)
    assert all(e["rpc"].endswith("/SubmitAndWaitForTransaction") for e in traced if "rpc" in e)
    # The mediator registered and decided that request under the same time.
    mediator = log_lines(root, "mediator")
    assert any(e.get("sequenced_at") == request_time and "registered" in e["msg"] for e in mediator)
    assert any(e.get("request_id") == request_time for e in mediator)
    # Another participant's lines name it too (the DvP settlement reached all three).
    others = log_lines(root, "participant2") + log_lines(root, "participant3")
    assert any(f"request {request_time} " in e["msg"] for e in others)

    # A client's own trace id is bound as given.
    org = state(root)["extra"]["organisations"][1]

    async def unknown_update() -> None:
        devnet = access(root)
        token = await devnet.token(user_id(org["name"]))
        async with open_channel(org["ledger_api"], devnet.tls()) as channel:
            stub = update_service_pb2_grpc.UpdateServiceStub(channel)  # type: ignore[no-untyped-call]
            with pytest.raises(grpc.aio.AioRpcError):
                await stub.GetTransactionById(
                    update_service_pb2.GetTransactionByIdRequest(
                        update_id="u-" + "00" * 32, requesting_parties=[org["parties"]["Alice"]]
                    ),
                    metadata=(
                        (TRACE_METADATA_KEY, "demo-client-7"),
                        ("authorization", f"Bearer {token}"),
                    ),
                    timeout=10,
                )

    asyncio.run(unknown_update())
    refused = [e for e in log_lines(root, "participant2") if e.get("trace_id") == "demo-client-7"]
    assert refused and refused[0]["rpc"].endswith("/GetTransactionById"), refused


async def _ledger(state_dir: Path) -> dict[str, tuple[int, list[str]]]:
    """Each organisation's ledger end and active contract ids, through its Ledger API."""
    out: dict[str, tuple[int, list[str]]] = {}
    devnet = access(state_dir)
    for org in state(state_dir)["extra"]["organisations"]:
        client = await devnet.ledger_client(
            org["ledger_api"], user_id(org["name"]), timeout=Timeout(connect=30)
        )
        async with client as c:
            acs = await c.active_contracts(list(org["parties"].values()))
            out[org["name"]] = (await c.ledger_end(), sorted(x.contract_id for x in acs.contracts))
    return out


def test_the_devnet_ledger_api_takes_only_tls_calls_with_a_token(demo: DemoRun) -> None:
    org = state(demo.state_dir)["extra"]["organisations"][0]
    devnet = access(demo.state_dir)
    request = state_service_pb2.GetLedgerEndRequest()

    async def ledger_end(channel: grpc.aio.Channel, token: str | None) -> None:
        stub = state_service_pb2_grpc.StateServiceStub(channel)  # type: ignore[no-untyped-call]
        metadata = (("authorization", f"Bearer {token}"),) if token else ()
        await stub.GetLedgerEnd(request, metadata=metadata, timeout=10)

    async def calls() -> None:
        token = await devnet.token(user_id(org["name"]))
        async with grpc.aio.insecure_channel(org["ledger_api"]) as plaintext:
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await ledger_end(plaintext, token)
            assert refused.value.code() is grpc.StatusCode.UNAVAILABLE
        async with open_channel(org["ledger_api"], devnet.tls()) as channel:
            with pytest.raises(grpc.aio.AioRpcError) as tokenless:
                await ledger_end(channel, None)
            assert tokenless.value.code() is grpc.StatusCode.UNAUTHENTICATED
            with pytest.raises(grpc.aio.AioRpcError) as forged:
                await ledger_end(channel, token[:-4] + "AAAA")
            assert forged.value.code() is grpc.StatusCode.UNAUTHENTICATED
            await ledger_end(channel, token)

    asyncio.run(calls())
    ops = nodes(demo.state_dir)[org["node"]]["endpoints"]["ops"]
    assert ops.startswith("https://")
    with pytest.raises(OSError):  # plaintext HTTP to the TLS endpoint gets no answer
        urllib.request.urlopen(ops.replace("https://", "http://") + "/livez", timeout=5)


def test_killed_node_reported_then_down_and_up_resume_the_same_ledger(demo: DemoRun) -> None:
    root = demo.state_dir
    before = asyncio.run(_ledger(root))
    assert all(end > 0 and acs for end, acs in before.values()), before

    pid = int(nodes(root)["participant3"]["pid"])
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while nodes(root)["participant3"]["status"] != "exited":
        assert time.monotonic() < deadline, nodes(root)["participant3"]
        time.sleep(0.1)
    assert nodes(root)["participant3"]["last_exit_code"] == -signal.SIGKILL
    status = cli("devnet", "status", "--dir", str(root))
    assert status.returncode == 1 and "exited" in status.stdout, status.stdout
    log = (root / "devnet-up.log").read_text()
    assert re.search(r"participant3\s+EXITED with code -9; left down", log), log[-3000:]

    assert cli("devnet", "down", "--dir", str(root), timeout=90).returncode == 0
    up = subprocess.Popen(
        [*CLI, "devnet", "up", "--dir", str(root), "--anvil-port", "0", "--block-time", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV, cwd=ROOT,
    )  # fmt: skip
    try:
        assert up.stdout is not None
        lines = []
        for line in up.stdout:
            lines.append(line)
            if line.startswith("running;"):
                break
        text = "".join(lines)
        assert "resumed chain" in text and "creating the domain" not in text, text
        assert asyncio.run(_ledger(root)) == before
        again = cli("demo", "--dir", str(root), "--reduced")
        assert again.returncode == 0, again.stdout[-3000:]
        assert "using the network running" in again.stdout
        assert "already has a EUR account" in again.stdout
        assert cli("devnet", "down", "--dir", str(root), timeout=90).returncode == 0
        assert up.wait(timeout=60) == 0
    finally:
        if up.poll() is None:
            up.kill()
