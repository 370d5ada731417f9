"""Send one transaction and wait for it: deploys and admin calls.

This is the simple path for operations done one at a time by an operator or a test
(deploy, add a writer). The sequencer's batch writer has its own transaction manager with
a single nonce owner, fee bumping and restart recovery; it does not use this module.

Reverts are found before sending, by ``eth_estimateGas``, and decoded into the inbox's
typed errors; a transaction that reverts anyway once mined is replayed with ``eth_call``
at its block to recover the reason.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import aiohttp
from eth_account.signers.local import LocalAccount
from web3 import AsyncHTTPProvider, AsyncWeb3
from web3.exceptions import ContractLogicError, TimeExhausted, Web3RPCError

from sequencer_chain.contract.inbox import decode_revert
from sequencer_chain.errors import (
    ChainConnectionError,
    TransactionFailedError,
    TransactionTimeoutError,
)

GWEI = 10**9
RPC_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class FeePolicy:
    """EIP-1559 fee choice for one-off transactions."""

    max_fee_cap_wei: int = 500 * GWEI
    """Never offer more than this per gas, whatever the base fee."""
    base_fee_multiplier: int = 2
    """maxFeePerGas = multiplier × current base fee + tip, so a few full blocks don't strand it."""
    min_priority_fee_wei: int = 1


async def connect(rpc_url: str, timeout_s: float = RPC_TIMEOUT_S) -> AsyncWeb3[Any]:
    """An AsyncWeb3 on ``rpc_url``, checked to answer; unreachable → ChainConnectionError.

    Requests go over one keep-alive aiohttp session. web3's own default session closes the
    connection after every request (``force_close``), which doubles the CPU of a request
    (a TCP connect on both sides); a node polls several times a second, so it matters.
    ``w3.provider.disconnect()`` closes the session.
    """
    provider = AsyncHTTPProvider(rpc_url, request_kwargs={"timeout": timeout_s})
    w3 = AsyncWeb3(provider)
    await provider.cache_async_session(aiohttp.ClientSession(raise_for_status=True))
    try:
        async with asyncio.timeout(timeout_s):
            await w3.eth.chain_id
    except (OSError, aiohttp.ClientError, TimeoutError) as exc:
        await w3.provider.disconnect()
        raise ChainConnectionError(rpc_url, str(exc) or type(exc).__name__) from None
    return w3


def _revert_data(exc: Exception) -> bytes | None:
    data = getattr(exc, "data", None)
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x"):
        try:
            return bytes.fromhex(data[2:])
        except ValueError:
            return None
    return None


def translate_revert(exc: Exception, tx_hash: str | None = None) -> Exception:
    """The typed inbox error for a web3 revert exception, or a TransactionFailedError."""
    data = _revert_data(exc)
    if data is not None:
        typed = decode_revert(data)
        if typed is not None:
            return typed
    return TransactionFailedError(tx_hash, str(exc))


async def send_transaction(
    w3: AsyncWeb3[Any],
    account: LocalAccount,
    *,
    to: str | None,
    data: bytes,
    gas: int | None = None,
    fees: FeePolicy | None = None,
    timeout_s: float = 60.0,
) -> dict[str, Any]:
    """Sign, send and wait for one transaction; returns the receipt of a successful one."""
    fees = fees or FeePolicy()
    call: dict[str, Any] = {"from": account.address, "data": data}
    if to is not None:
        call["to"] = to
    try:
        if gas is None:
            estimate = await w3.eth.estimate_gas(call)  # type: ignore[arg-type]
            gas = estimate + estimate // 5
        chain_id = await w3.eth.chain_id
        latest = await w3.eth.get_block("latest")
        base_fee = int(latest.get("baseFeePerGas", 0))
        tip = max(int(await w3.eth.max_priority_fee), fees.min_priority_fee_wei)
        max_fee = min(fees.base_fee_multiplier * base_fee + tip, fees.max_fee_cap_wei)
        nonce = await w3.eth.get_transaction_count(account.address, "pending")
    except (ContractLogicError, Web3RPCError) as exc:
        raise translate_revert(exc) from None
    except (OSError, aiohttp.ClientError, TimeoutError) as exc:
        raise ChainConnectionError(str(w3.provider), str(exc)) from None

    tx: dict[str, Any] = {
        **call,
        "gas": gas,
        "nonce": nonce,
        "chainId": chain_id,
        "maxFeePerGas": max_fee,
        "maxPriorityFeePerGas": min(tip, max_fee),
        "type": 2,
    }
    signed = account.sign_transaction(tx)
    try:
        tx_hash = await w3.eth.send_raw_transaction(signed.raw_transaction)
        receipt = await w3.eth.wait_for_transaction_receipt(tx_hash, timeout=timeout_s)
    except TimeExhausted:
        raise TransactionTimeoutError("0x" + signed.hash.hex(), timeout_s) from None
    except Web3RPCError as exc:
        raise TransactionFailedError("0x" + signed.hash.hex(), str(exc)) from None
    if receipt["status"] != 1:
        # Replay at the block to recover the revert reason.
        try:
            await w3.eth.call(call, block_identifier=receipt["blockNumber"])  # type: ignore[arg-type]
        except (ContractLogicError, Web3RPCError) as exc:
            raise translate_revert(exc, "0x" + signed.hash.hex()) from None
        raise TransactionFailedError("0x" + signed.hash.hex(), "reverted (no reason on replay)")
    return dict(receipt)
