"""A calldata-heavy submit pays exactly the EIP-7623 floor: the event carrying the batch is free.

Under EIP-7623 a transaction pays max(21000 + 4·tokens + execution, 21000 + 10·tokens),
tokens = zero bytes + 4 × nonzero bytes of calldata. For a large batch of nonzero bytes
the floor (40 gas per byte) exceeds standard calldata (16 per byte) plus execution (the
LOG's 8 gas per byte, hashing, storage), so the receipt's gasUsed is the floor itself.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from sequencer_chain.contract import encode_submit, send_transaction
from sequencer_chain.writer.fees import calldata_floor_gas
from tests.support.chain import DeployedInbox

pytestmark = pytest.mark.anvil


@pytest.mark.parametrize("size", [16 * 1024, 100 * 1024])
async def test_large_batches_pay_exactly_the_calldata_floor(
    w3: Any, deployed: DeployedInbox, size: int
) -> None:
    writer = deployed.writers[0]
    calldata = encode_submit(0, os.urandom(size))
    receipt = await send_transaction(w3, writer, to=deployed.record.address, data=calldata)
    assert receipt["gasUsed"] == calldata_floor_gas(calldata)
    # Beyond the fixed 21000, about 40 gas per payload byte (ABI framing aside).
    assert (receipt["gasUsed"] - 21_000) / size < 40 * 1.01


async def test_small_batches_pay_for_execution(w3: Any, deployed: DeployedInbox) -> None:
    writer = deployed.writers[0]
    calldata = encode_submit(0, os.urandom(64))
    receipt = await send_transaction(w3, writer, to=deployed.record.address, data=calldata)
    # Small batches are dominated by execution (storage writes), above the floor.
    assert receipt["gasUsed"] > calldata_floor_gas(calldata)
