"""The nonce and the receipts in one JSON-RPC batch, and what happens when the node will
not batch or answers an entry badly: the writer asks those calls one by one instead."""

from __future__ import annotations

from typing import Any

import pytest
from web3 import AsyncWeb3
from web3.providers.async_base import AsyncBaseProvider

from sequencer_chain.errors import ChainResponseError
from sequencer_chain.writer.rpc import ChainRpc, Receipt

INBOX = "0x" + "11" * 20
ACCOUNT = "0x" + "22" * 20
MINED = b"\x01" * 32
PENDING = b"\x02" * 32
BROKEN = b"\x03" * 32
BLOCK_HASH = "0x" + "bb" * 32
RAW_MINED = {
    "transactionHash": "0x" + MINED.hex(),
    "status": "0x1",
    "blockNumber": "0x9",
    "blockHash": BLOCK_HASH,
    "gasUsed": "0x5208",
    "effectiveGasPrice": "0x3b9aca00",
}
EXPECTED = Receipt(MINED, 1, 9, bytes.fromhex("bb" * 32), 21_000, 10**9)


class FakeNode(AsyncBaseProvider):
    """Answers the nonce and receipts; batches as a list, or refuses them."""

    def __init__(self, *, batches: bool) -> None:
        super().__init__()
        self.batches = batches
        self.single: list[str] = []
        self.batched: list[list[str]] = []

    def _answer(self, method: str, params: Any) -> dict[str, Any]:
        if method == "eth_getTransactionCount":
            return {"jsonrpc": "2.0", "id": 0, "result": "0x7"}
        if method == "eth_getTransactionReceipt":
            tx = bytes.fromhex(params[0][2:])
            if tx == BROKEN:
                return {"jsonrpc": "2.0", "id": 0, "result": {"blockNumber": "0x9"}}
            return {"jsonrpc": "2.0", "id": 0, "result": RAW_MINED if tx == MINED else None}
        return {"jsonrpc": "2.0", "id": 0, "error": {"code": -32601, "message": method}}

    async def make_request(self, method: Any, params: Any) -> Any:
        self.single.append(method)
        return self._answer(method, params)

    async def make_batch_request(self, requests: list[tuple[Any, Any]]) -> Any:
        if not self.batches:
            return {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "no"}}
        self.batched.append([m for m, _ in requests])
        return [{**self._answer(m, p), "id": i} for i, (m, p) in enumerate(requests)]

    async def is_connected(self, show_traceback: bool = False) -> bool:
        return True


def rpc_on(node: FakeNode) -> ChainRpc:
    return ChainRpc(AsyncWeb3(node), INBOX, timeout_s=5, read_retries=0)


async def test_one_batch_gives_the_nonce_and_every_receipt() -> None:
    node = FakeNode(batches=True)
    nonce, receipts = await rpc_on(node).nonce_and_receipts(ACCOUNT, [MINED, PENDING])
    assert nonce == 7
    assert receipts == {MINED: EXPECTED, PENDING: None}
    assert node.batched == [
        ["eth_getTransactionCount", "eth_getTransactionReceipt", "eth_getTransactionReceipt"]
    ]
    assert node.single == []


async def test_a_malformed_receipt_is_left_out_for_the_caller_to_ask_alone() -> None:
    node = FakeNode(batches=True)
    _, receipts = await rpc_on(node).nonce_and_receipts(ACCOUNT, [MINED, BROKEN])
    assert receipts == {MINED: EXPECTED}


async def test_a_node_that_refuses_batches_is_asked_one_call_at_a_time() -> None:
    node = FakeNode(batches=False)
    nonce, receipts = await rpc_on(node).nonce_and_receipts(ACCOUNT, [MINED, PENDING])
    assert (nonce, receipts) == (7, {MINED: EXPECTED, PENDING: None})
    assert sorted(node.single) == [
        "eth_getTransactionCount",
        "eth_getTransactionReceipt",
        "eth_getTransactionReceipt",
    ]


async def test_a_malformed_head_is_a_typed_error() -> None:
    class NoBlock(FakeNode):
        async def make_request(self, method: Any, params: Any) -> Any:
            return {"jsonrpc": "2.0", "id": 0, "result": {"number": "twelve"}}

    with pytest.raises(ChainResponseError, match="eth_getBlockByNumber"):
        await rpc_on(NoBlock(batches=True)).head()
