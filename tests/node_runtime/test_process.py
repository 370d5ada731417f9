"""The shared node process life (``node_runtime.process``): READY line, exit codes for a
refused config, a failed start, a failure while running, and a clean stop on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path

import pytest

from node_runtime import ConfigError
from node_runtime.process import NodeProgram, run_node_program


class StartError(Exception):
    pass


class FakeNode:
    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour
        self.stopped = False
        self._done = asyncio.Event()

    async def start(self) -> None:
        if self.behaviour == "cannot-start":
            raise StartError("port taken")
        if self.behaviour == "signal":
            asyncio.get_running_loop().call_later(0.05, os.kill, os.getpid(), signal.SIGTERM)

    async def wait(self) -> None:
        if self.behaviour == "fails":
            raise RuntimeError("lost the database")
        await self._done.wait()

    async def stop(self) -> None:
        self.stopped = True
        self._done.set()


def program(nodes: list[FakeNode]) -> NodeProgram[FakeNode]:
    def build(path: Path) -> FakeNode:
        behaviour = path.stem
        if behaviour == "bad-config":
            raise ConfigError(str(path), ["node.port: expected an integer"])
        nodes.append(FakeNode(behaviour))
        return nodes[-1]

    return NodeProgram(
        package="fake",
        title="fake node",
        build=build,
        ready=lambda node: {"grpc": "127.0.0.1:1", "ops": "http://127.0.0.1:2"},
        start_errors=(StartError,),
    )


def run(tmp_path: Path, name: str, nodes: list[FakeNode]) -> int:
    path = tmp_path / f"{name}.toml"
    path.write_text("")
    return run_node_program(program(nodes), ["--config", str(path)])


def test_sigterm_stops_cleanly_after_the_ready_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nodes: list[FakeNode] = []
    assert run(tmp_path, "signal", nodes) == 0
    assert nodes[0].stopped
    ready = [line for line in capsys.readouterr().out.splitlines() if line.startswith("READY ")]
    assert len(ready) == 1
    assert json.loads(ready[0].removeprefix("READY ")) == {
        "grpc": "127.0.0.1:1",
        "ops": "http://127.0.0.1:2",
    }


def test_a_failure_while_running_exits_1_and_stops_the_node(tmp_path: Path) -> None:
    nodes: list[FakeNode] = []
    assert run(tmp_path, "fails", nodes) == 1
    assert nodes[0].stopped


def test_a_refused_config_exits_2_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(tmp_path, "bad-config", []) == 2
    err = capsys.readouterr().err
    assert "configuration error" in err and "node.port" in err


def test_a_node_that_cannot_start_exits_1_without_a_ready_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(tmp_path, "cannot-start", []) == 1
    out = capsys.readouterr()
    assert "fake node could not start: port taken" in out.err
    assert "READY" not in out.out
