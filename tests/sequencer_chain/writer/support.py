"""Helpers for the writer's tests: start a writer on the test inbox, read back what landed."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount

from sequencer_chain.contract import BatchAppended, InboxContract
from sequencer_chain.writer import BatchWriter, WriterConfig
from sequencer_chain.writer.packer import LengthPrefixedPacker, unpack_length_prefixed

FAST = WriterConfig(linger_s=0.02, poll_interval_s=0.02, resubmit_after_blocks=2)
MADE: list[BatchWriter] = []
"""Writers made by :func:`make_writer`; the suite's conftest stops them after each test."""


def make_writer(
    w3: Any, inbox: InboxContract, account: LocalAccount, path: Path, config: WriterConfig = FAST
) -> BatchWriter:
    writer = BatchWriter(
        inbox_address=inbox.address,
        account=account,
        outbox_path=path,
        packer=LengthPrefixedPacker(),
        w3=w3,
        config=config,
    )
    MADE.append(writer)
    return writer


async def landed(inbox: InboxContract, writer: str | None = None) -> list[BatchAppended]:
    head = await inbox.w3.eth.block_number
    events = await inbox.batches(0, head)
    return [e for e in events if writer is None or e.writer == writer]


def requests_of(events: list[BatchAppended]) -> Counter[bytes]:
    out: Counter[bytes] = Counter()
    for event in events:
        _, requests = unpack_length_prefixed(event.batch)
        out.update(requests)
    return out


async def wait_until(
    predicate: Callable[[], Any], timeout_s: float = 10.0, what: str = "condition"
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")


def pool_txs(anvil: Any, address: str) -> list[dict[str, Any]]:
    """The account's transactions in anvil's pool, by nonce."""
    content = anvil.rpc("txpool_content")
    mine = content["pending"].get(address.lower(), {})
    return [mine[k] for k in sorted(mine, key=int)]
