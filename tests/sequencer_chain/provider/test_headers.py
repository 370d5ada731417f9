"""Block headers from raw JSON-RPC through the chain provider: every field is checked, a bad
answer is a typed error."""

from __future__ import annotations

from typing import Any

import pytest
from web3 import AsyncWeb3
from web3.providers.async_base import AsyncBaseProvider

from sequencer_chain.errors import ChainResponseError
from sequencer_chain.provider import BlockHeader, ChainProvider, RpcTimeouts, parse_header

HASH = "0x" + "ab" * 32
PARENT = "0x" + "cd" * 32
GOOD = {"number": "0x10", "hash": HASH, "parentHash": PARENT, "timestamp": "0x5f5e100"}


class Answering(AsyncBaseProvider):
    """A provider that answers every request with one fixed JSON-RPC response."""

    def __init__(self, response: dict[str, Any]) -> None:
        super().__init__()
        self.response = response
        self.asked: list[tuple[str, Any]] = []

    async def make_request(self, method: Any, params: Any) -> Any:
        self.asked.append((method, params))
        return self.response

    async def is_connected(self, show_traceback: bool = False) -> bool:
        return True


def fetch_header(w3: AsyncWeb3[Any], block: int | str) -> Any:
    return ChainProvider(w3, RpcTimeouts(5.0)).header(block)  # type: ignore[arg-type]


def test_a_header_keeps_the_four_fields() -> None:
    assert parse_header(GOOD) == BlockHeader(
        16, bytes.fromhex("ab" * 32), bytes.fromhex("cd" * 32), 100_000_000
    )


@pytest.mark.parametrize(
    "bad",
    [
        {**GOOD, "number": None},
        {**GOOD, "number": "16"},
        {**GOOD, "number": "0x"},
        {**GOOD, "hash": "0x" + "ab" * 31},
        {**GOOD, "parentHash": "0x" + "zz" * 32},
        {k: v for k, v in GOOD.items() if k != "timestamp"},
        ["not", "an", "object"],
    ],
)
def test_a_malformed_header_is_refused(bad: Any) -> None:
    with pytest.raises(ValueError):
        parse_header(bad)


async def test_fetch_asks_without_bodies_and_checks_the_number() -> None:
    provider = Answering({"jsonrpc": "2.0", "id": 1, "result": GOOD})
    w3 = AsyncWeb3(provider)
    assert (await fetch_header(w3, 16)) == parse_header(GOOD)
    assert provider.asked == [("eth_getBlockByNumber", ["0x10", False])]
    with pytest.raises(ChainResponseError, match="asked block 17, got 16"):
        await fetch_header(w3, 17)


async def test_no_block_is_none_and_an_error_or_garbage_is_typed() -> None:
    assert await fetch_header(AsyncWeb3(Answering({"id": 1, "result": None})), 5) is None
    errored = AsyncWeb3(Answering({"id": 1, "error": {"code": -32000, "message": "boom"}}))
    with pytest.raises(ChainResponseError, match="boom") as caught:
        await fetch_header(errored, "latest")
    assert caught.value.method == "eth_getBlockByNumber"
    garbage = AsyncWeb3(Answering({"id": 1, "result": {**GOOD, "hash": "0x12"}}))
    with pytest.raises(ChainResponseError, match="hash"):
        await fetch_header(garbage, "latest")
