"""Several sequencer nodes, one order: two nodes with their own writer accounts and
databases give a member byte-identical streams, and a member can switch node mid-stream;
a node also runs as its own OS process from its config file."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from node_runtime.member import SequencerClient
from sequencer_chain.anvil import ManagedAnvil
from tests.sequencer_chain.node.conftest import NodeFactory, write_node_config
from tests.sequencer_chain.sequencer_support import ALICE, BOB, CAROL, signed_request
from tests.support.chain import DeployedInbox

pytestmark = pytest.mark.anvil


async def raw_events(
    client: SequencerClient, start: int, n: int, timeout_s: float = 30
) -> list[bytes]:
    out: list[bytes] = []

    async def collect() -> None:
        async for data in client.subscribe_raw(start):
            out.append(data)
            if len(out) == n:
                return

    await asyncio.wait_for(collect(), timeout_s)
    return out


async def test_two_nodes_give_byte_identical_streams_and_allow_switching(
    make_node: NodeFactory,
) -> None:
    node_a = await make_node("seqa", dev_key_index=1)
    node_b = await make_node("seqb", dev_key_index=2)
    senders = {
        "a": SequencerClient(node_a.target, ALICE.member, ALICE.key),
        "b": SequencerClient(node_b.target, CAROL.member, CAROL.key),
    }
    for c in senders.values():
        await c.authenticate()
    # Interleave sends through both nodes, so both writers append batches.
    sends = []
    for i in range(6):
        sends.append(
            senders["a"].send(signed_request(ALICE, f"a{i}", [(b"from-a-%d" % i, [BOB.member])]))
        )
        sends.append(
            senders["b"].send(signed_request(CAROL, f"c{i}", [(b"from-c-%d" % i, [BOB.member])]))
        )
    await asyncio.gather(*sends)

    bob_a = SequencerClient(node_a.target, BOB.member, BOB.key)
    bob_b = SequencerClient(node_b.target, BOB.member, BOB.key)
    await bob_a.authenticate()
    await bob_b.authenticate()
    stream_a = await raw_events(bob_a, 0, 12)
    stream_b = await raw_events(bob_b, 0, 12)
    assert stream_a == stream_b
    assert len(set(stream_a)) == 12
    # Both writers really wrote: batches from two accounts are on the chain.
    assert node_a.reader is not None
    batches = await node_a.reader.inbox.batches(node_a.reader.config.start_block, "latest")  # type: ignore[arg-type]
    assert len({b.writer for b in batches}) == 2

    # Switch mid-stream: 5 events from node A, then resume at counter 5 on node B.
    first = await raw_events(bob_a, 0, 5)
    rest = await raw_events(bob_b, 5, 7)
    assert first + rest == stream_a
    # Alice's receipts are identical on both nodes too.
    alice_b = SequencerClient(node_b.target, ALICE.member, ALICE.key)
    await alice_b.authenticate()
    assert await raw_events(senders["a"], 0, 6) == await raw_events(alice_b, 0, 6)
    assert node_a.store is not None and node_b.store is not None
    assert await node_a.store.all_events() == await node_b.store.all_events()
    for c in (*senders.values(), bob_a, bob_b, alice_b):
        await c.close()


async def test_node_runs_as_its_own_process(
    tmp_path: Path, anvil: ManagedAnvil, deployed: DeployedInbox
) -> None:
    config = write_node_config(tmp_path, anvil, deployed, "seqp", 1)
    env = {**os.environ, "PYTHONPATH": str(Path.cwd())}
    proc = subprocess.Popen(  # noqa: ASYNC220 (long-lived child; its output is read in a thread)
        [
            sys.executable,
            "-m",
            "sequencer_chain",
            "--config",
            str(config),
            "--log-level",
            "WARNING",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), 30)
        assert line.startswith("READY "), line + (proc.stderr.read() if proc.stderr else "")
        target = json.loads(line.removeprefix("READY "))["grpc"]
        channel = grpc.aio.insecure_channel(target)
        health = health_pb2_grpc.HealthStub(channel)
        for _ in range(100):
            reply = await health.Check(health_pb2.HealthCheckRequest(), timeout=5)
            if reply.status == health_pb2.HealthCheckResponse.SERVING:
                break
            await asyncio.sleep(0.1)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
        await channel.close()
        alice = SequencerClient(target, ALICE.member, ALICE.key)
        await alice.authenticate()
        await alice.send(signed_request(ALICE, "proc", [(b"hello", [BOB.member])]))
        receipt = await raw_events(alice, 0, 1)
        assert len(receipt) == 1
        await alice.close()
    finally:
        proc.terminate()
        rc = await asyncio.to_thread(proc.wait, 20)
    assert rc == 0


def test_bad_config_names_the_key(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[node]\nsequencer_id = "x"\ndata_dir = "d"\n[chain]\nrpc_url = 5\n')
    proc = subprocess.run(
        [sys.executable, "-m", "sequencer_chain", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert "chain.rpc_url" in proc.stderr and "domain" in proc.stderr
