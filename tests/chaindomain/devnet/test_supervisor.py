"""The devnet supervisor with real sequencer processes on a real anvil: READY parsing, a
killed node reported (exit code, log tail) and restarted, a node left down without a
restart policy, a node that cannot start, the state file, and stopping in reverse order."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from chaindomain.devnet import (
    DevnetState,
    NodeExited,
    NodeReady,
    NodeSpec,
    NodeStartError,
    RestartPolicy,
    Supervisor,
    load_state,
)
from chaindomain.devnet.supervisor import Event
from sequencer_chain.anvil import ManagedAnvil
from tests.sequencer_chain.node.conftest import write_node_config
from tests.support.chain import DeployedInbox

pytestmark = pytest.mark.anvil


class Recorder:
    def __init__(self) -> None:
        self.events: asyncio.Queue[Event] = asyncio.Queue()

    def __call__(self, event: Event) -> None:
        self.events.put_nowait(event)

    async def next(self, kind: type, timeout_s: float = 30.0) -> Event:
        async with asyncio.timeout(timeout_s):
            while True:
                event = await self.events.get()
                if isinstance(event, kind):
                    return event


def spec(tmp_path: Path, config: Path) -> NodeSpec:
    return NodeSpec(
        name=config.stem,
        module="sequencer_chain",
        config=config,
        log_path=tmp_path / "logs" / f"{config.stem}.log",
        env={"PYTHONPATH": str(Path.cwd())},
        ready_timeout_s=30,
    )


@pytest.fixture
async def supervised(
    tmp_path: Path, anvil: ManagedAnvil, deployed: DeployedInbox
) -> AsyncIterator[tuple[Supervisor, Recorder, list[NodeSpec]]]:
    specs = [
        spec(tmp_path, write_node_config(tmp_path, anvil, deployed, name, key))
        for name, key in (("seq1", 1), ("seq2", 2))
    ]
    recorder = Recorder()
    state = DevnetState(supervisor_pid=os.getpid())
    sup = Supervisor(
        state,
        lambda s: s.save(tmp_path),
        recorder,
        RestartPolicy(enabled=True, max_restarts=2, backoff_initial_s=0.05),
    )
    yield sup, recorder, specs
    await sup.stop()


async def readyz(url: str) -> int:
    async with aiohttp.ClientSession() as session, session.get(f"{url}/readyz") as reply:
        return reply.status


async def test_killed_node_is_reported_and_restarted(
    tmp_path: Path, supervised: tuple[Supervisor, Recorder, list[NodeSpec]]
) -> None:
    sup, recorder, specs = supervised
    await sup.start_all(specs)
    first = await recorder.next(NodeReady)
    assert isinstance(first, NodeReady) and first.name == "seq1"
    assert set(first.endpoints) == {"grpc", "ops"}
    saved = load_state(tmp_path)
    assert [saved.nodes[n].status for n in ("seq1", "seq2")] == ["ready", "ready"]

    victim = sup.processes["seq2"]
    assert victim.pid is not None
    os.kill(victim.pid, signal.SIGKILL)
    exited = await recorder.next(NodeExited)
    assert isinstance(exited, NodeExited)
    assert exited.name == "seq2" and exited.exit_code == -signal.SIGKILL
    assert exited.restart_in_s is not None
    assert "supervisor: starting" in exited.log_tail

    again = await recorder.next(NodeReady)
    assert isinstance(again, NodeReady) and again.name == "seq2" and again.restarts == 1
    assert again.pid != victim.pid
    saved = load_state(tmp_path)
    assert saved.nodes["seq2"].restarts == 1
    assert saved.nodes["seq2"].last_exit_code == -signal.SIGKILL
    assert saved.nodes["seq2"].pid == again.pid
    # The restarted node resumes its database and serves.
    async with asyncio.timeout(30):
        while await readyz(again.endpoints["ops"]) != 200:  # noqa: ASYNC110
            await asyncio.sleep(0.05)

    await sup.stop()
    saved = load_state(tmp_path)
    assert {n: s.status for n, s in saved.nodes.items()} == {"seq1": "stopped", "seq2": "stopped"}
    assert {s.last_exit_code for s in saved.nodes.values()} == {0}


async def test_without_restart_a_dead_node_stays_down_and_others_run(
    tmp_path: Path, anvil: ManagedAnvil, deployed: DeployedInbox
) -> None:
    specs = [
        spec(tmp_path, write_node_config(tmp_path, anvil, deployed, name, key))
        for name, key in (("seqa", 1), ("seqb", 2))
    ]
    recorder = Recorder()
    sup = Supervisor(DevnetState(os.getpid()), lambda s: s.save(tmp_path), recorder)
    try:
        await sup.start_all(specs)
        pid = sup.processes["seqa"].pid
        assert pid is not None
        os.kill(pid, signal.SIGTERM)
        exited = await recorder.next(NodeExited)
        assert isinstance(exited, NodeExited)
        assert (exited.name, exited.exit_code, exited.restart_in_s) == ("seqa", 0, None)
        assert sup.down_nodes() == ["seqa"]
        assert sup.processes["seqb"].returncode is None
    finally:
        await sup.stop()
    assert load_state(tmp_path).nodes["seqa"].status == "exited"


async def test_a_node_with_a_broken_config_fails_to_start_with_its_log(tmp_path: Path) -> None:
    config = tmp_path / "broken.toml"
    config.write_text('[node]\nsequencer_id = "x"\ndata_dir = "d"\n[chain]\nrpc_url = 5\n')
    sup = Supervisor(DevnetState(os.getpid()), lambda s: s.save(tmp_path), Recorder())
    with pytest.raises(NodeStartError) as caught:
        await sup.start_node(spec(tmp_path, config))
    assert caught.value.exit_code == 2
    assert "chain.rpc_url" in caught.value.log_tail
    await sup.stop()
    assert json.loads((tmp_path / "devnet.json").read_text())["nodes"]["broken"]["pid"] is None
