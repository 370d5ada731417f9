"""Retries happen in the chain provider and nowhere else: only calls that are safe to
repeat, only after a transport failure, with a doubling pause; an error answer is not
asked again. Underneath, web3's own retry is off: a cut-off ``eth_getLogs`` answer from a
real endpoint is fetched once per attempt of ours (it was fetched up to six times each)."""

from __future__ import annotations

import os
from typing import Any

import aiohttp
import pytest
from web3.exceptions import Web3RPCError

from sequencer_chain.contract import InboxContract, connect
from sequencer_chain.errors import ChainConnectionError, ChainResponseError, LogsRangeError
from sequencer_chain.provider import ChainProvider, RetryPolicy, RpcTimeouts
from tests.sequencer_chain.logs_proxy import LogsProxy, Oversize
from tests.sequencer_chain.sequencer_support import Poster
from tests.support.chain import DeployedInbox


def provider(retries: int) -> ChainProvider:
    w3: Any = type("W3", (), {"provider": "http://node"})()
    return ChainProvider(w3, RpcTimeouts(1.0), RetryPolicy(retries, backoff_start_s=0.001))


class Failing:
    """A call that fails ``times`` times with ``error``, then answers 7."""

    def __init__(self, times: int, error: BaseException) -> None:
        self.times = times
        self.error = error
        self.calls = 0

    async def __call__(self) -> int:
        self.calls += 1
        if self.calls <= self.times:
            raise self.error
        return 7


async def test_a_transport_failure_of_a_repeatable_call_is_retried() -> None:
    call = Failing(2, aiohttp.ClientConnectionError("refused"))
    assert await provider(retries=2).call("eth_blockNumber", call) == 7
    assert call.calls == 3


async def test_retries_run_out_into_a_connection_error() -> None:
    call = Failing(5, aiohttp.ClientConnectionError("refused"))
    with pytest.raises(ChainConnectionError, match="eth_blockNumber: refused"):
        await provider(retries=2).call("eth_blockNumber", call)
    assert call.calls == 3


async def test_a_call_not_safe_to_repeat_is_tried_once() -> None:
    call = Failing(1, aiohttp.ClientConnectionError("refused"))
    with pytest.raises(ChainConnectionError):
        await provider(retries=3).call("eth_sendTransaction", call, repeatable=False)
    assert call.calls == 1


async def test_an_error_answer_is_typed_and_not_asked_again() -> None:
    answer = {"jsonrpc": "2.0", "id": 1, "error": {"code": -32000, "message": "nope"}}
    call = Failing(1, Web3RPCError("nope", rpc_response=answer))  # type: ignore[arg-type]
    with pytest.raises(ChainResponseError, match="nope") as err:
        await provider(retries=3).call("eth_getBalance", call)
    assert err.value.method == "eth_getBalance"
    assert call.calls == 1


@pytest.mark.anvil
async def test_a_cut_off_logs_answer_is_fetched_once_per_attempt(
    anvil: Any, w3: Any, deployed: DeployedInbox
) -> None:
    poster = Poster(w3, deployed.inbox, deployed.writers[0])
    receipt = await poster.post(os.urandom(60_000))
    block = receipt["blockNumber"]
    proxy = await LogsProxy(
        anvil.rpc_url, max_bytes=10_000, max_range=64, oversize=Oversize.TRUNCATED
    ).start()
    proxied = await connect(proxy.url)
    try:
        inbox = InboxContract(proxied, deployed.inbox.address)
        chain = ChainProvider(proxied, RpcTimeouts(5.0), RetryPolicy(2, backoff_start_s=0.01))
        with pytest.raises(LogsRangeError) as err:
            await chain.logs(block, block, lambda: inbox.batches(block, block))
        assert err.value.failure == "timeout"
        assert proxy.outcomes["oversize"] == 3  # our first attempt and two retries, no more
    finally:
        await proxied.provider.disconnect()
        await proxy.stop()
