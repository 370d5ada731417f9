"""Opening the ordering contract of a deployment record on the chain it names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sequencer_chain.contract import DeploymentRecord, connect
from sequencer_chain.errors import DeploymentRecordError


async def open_deployment(path: Path, rpc_url: str) -> tuple[Any, DeploymentRecord, int]:
    """A connected web3, the record at ``path`` and the chain id, once the chain at
    ``rpc_url`` is the record's (``DeploymentRecordError`` otherwise, disconnected)."""
    record = DeploymentRecord.load(path)
    w3 = await connect(rpc_url)
    chain_id = await w3.eth.chain_id
    if chain_id != record.chain_id:
        await w3.provider.disconnect()
        raise DeploymentRecordError(
            path, f"is for chain {record.chain_id}, but {rpc_url} is chain {chain_id}"
        )
    return w3, record, chain_id
