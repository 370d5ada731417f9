"""The writer's recovery search (``ChainRpc.find_batch``) through an endpoint with a block
range limit and a response size limit: a real anvil, the loopback JSON-RPC proxy of
``tests/sequencer_chain/logs_proxy.py``. Before, a refused range raised web3's own error
out of the writer's RPC boundary and recovery (run at every start) failed."""

from __future__ import annotations

import os
from typing import Any

import pytest

from sequencer_chain.contract import connect
from sequencer_chain.errors import ChainConnectionError
from sequencer_chain.writer.rpc import ChainRpc
from tests.sequencer_chain.logs_proxy import LogsProxy
from tests.sequencer_chain.sequencer_support import Poster
from tests.support.chain import DeployedInbox

pytestmark = pytest.mark.anvil


async def test_recovery_finds_a_batch_through_range_and_size_limits(
    anvil: Any, w3: Any, deployed: DeployedInbox
) -> None:
    account = deployed.writers[0]
    poster = Poster(w3, deployed.inbox, account)
    for _ in range(6):  # large batches from this writer, blocks apart
        await poster.post(os.urandom(60_000))
        anvil.rpc("anvil_mine", ["0x8"])
    head = await w3.eth.block_number
    proxy = await LogsProxy(anvil.rpc_url, max_bytes=150_000, max_range=32).start()
    proxied = await connect(proxy.url)
    try:
        rpc = ChainRpc(proxied, deployed.inbox.address, timeout_s=5.0, read_retries=2)
        found = await rpc.find_batch(account.address, 5, 0, head, window=5_000)
        assert found is not None and found.writer_seq == 5
        assert await rpc.find_batch(account.address, 6, 0, head, window=5_000) is None
        assert proxy.outcomes["range"] >= 1 and proxy.outcomes["oversize"] >= 1
        assert max(proxy.answered_widths) <= 32

        proxy.max_bytes = 1_000  # even one block's answer is too large: a typed error
        with pytest.raises(ChainConnectionError) as err:
            await rpc.find_batch(account.address, 6, 0, head, window=5_000)
        assert "eth_getLogs of blocks" in str(err.value)
    finally:
        await proxied.provider.disconnect()
        await proxy.stop()
