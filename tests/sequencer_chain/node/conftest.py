"""Sequencer nodes on an interval-mining anvil (0.5 s blocks): real gRPC servers on free
ports, real sqlite files, the real batch writer; every node made is stopped afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from sequencer_chain.anvil import AnvilConfig, ManagedAnvil
from sequencer_chain.config import load_node_config
from sequencer_chain.node import SequencerNode
from tests.sequencer_chain.sequencer_support import DOMAIN, SEQ1, write_members_file
from tests.support.chain import DeployedInbox

NodeFactory = Callable[..., Awaitable[SequencerNode]]


@pytest.fixture
def anvil() -> Iterator[ManagedAnvil]:
    with ManagedAnvil(AnvilConfig(block_time=0.5)) as node:
        yield node


def write_node_config(  # noqa: PLR0917
    tmp_path: Path,
    anvil: ManagedAnvil,
    deployed: DeployedInbox,
    name: str,
    dev_key_index: int,
    confirmations: int = 1,
) -> Path:
    record = tmp_path / "inbox.json"
    if not record.exists():
        deployed.record.save(record)
    members = tmp_path / "members.toml"
    if not members.exists():
        write_members_file(members)
    config = tmp_path / f"{name}.toml"
    config.write_text(
        f"""
[node]
sequencer_id = "{SEQ1.member.replace("seq1", name)}"
data_dir = "{name}"

[domain]
domain_id = "{DOMAIN}"
members_file = "members.toml"

[chain]
rpc_url = "{anvil.rpc_url}"
deployment = "inbox.json"
confirmations = {confirmations}
poll_interval_s = 0.1
linger_s = 0.02

[chain.account]
dev_key_index = {dev_key_index}

[api]
host = "127.0.0.1"
port = 0
"""
    )
    return config


@pytest.fixture
async def make_node(
    tmp_path: Path, anvil: ManagedAnvil, deployed: DeployedInbox
) -> AsyncIterator[NodeFactory]:
    made: list[SequencerNode] = []

    async def factory(name: str = "seq1", dev_key_index: int = 1, **kw: int) -> SequencerNode:
        path = write_node_config(tmp_path, anvil, deployed, name, dev_key_index, **kw)
        node = SequencerNode(load_node_config(path))
        made.append(node)
        await node.start()
        return node

    yield factory
    for node in made:
        await node.stop()
