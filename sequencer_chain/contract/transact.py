"""Send one transaction and wait for it: deploys and admin calls.

This is the simple path for operations done one at a time by an operator or a test
(deploy, add a writer). The sequencer's batch writer has its own transaction manager with
a single nonce owner, fee bumping and restart recovery; it does not use this module.

Reverts are found before sending, by ``eth_estimateGas``, and decoded into the inbox's
typed errors; a transaction that reverts anyway once mined is replayed with ``eth_call``
at its block to recover the reason. Every call goes through the chain provider
(``sequencer_chain/provider/``), once each: nothing here is retried.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import AsyncWeb3
from web3.exceptions import TransactionNotFound

from sequencer_chain.errors import (
    ChainResponseError,
    TransactionFailedError,
    TransactionTimeoutError,
)
from sequencer_chain.provider import ChainProvider, RpcTimeouts
from sequencer_chain.provider.provider import RPC_TIMEOUT_S

GWEI = 10**9
RECEIPT_POLL_S = 0.1


@dataclass(frozen=True, slots=True)
class FeePolicy:
    """EIP-1559 fee choice for one-off transactions."""

    max_fee_cap_wei: int = 500 * GWEI
    """Never offer more than this per gas, whatever the base fee."""
    base_fee_multiplier: int = 2
    """maxFeePerGas = multiplier × current base fee + tip, so a few full blocks don't strand it."""
    min_priority_fee_wei: int = 1


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
    chain = ChainProvider(w3, RpcTimeouts(RPC_TIMEOUT_S))
    fees = fees or FeePolicy()
    call: dict[str, Any] = {"from": account.address, "data": data}
    if to is not None:
        call["to"] = to
    if gas is None:
        estimate = await chain.call("eth_estimateGas", lambda: w3.eth.estimate_gas(call))  # type: ignore[arg-type]
        gas = estimate + estimate // 5
    chain_id = await chain.call("eth_chainId", lambda: w3.eth.chain_id)
    base_fee = (await chain.head()).base_fee
    suggested = await chain.call("eth_maxPriorityFeePerGas", lambda: w3.eth.max_priority_fee)
    tip = max(int(suggested), fees.min_priority_fee_wei)
    max_fee = min(fees.base_fee_multiplier * base_fee + tip, fees.max_fee_cap_wei)
    nonce = await chain.call(
        "eth_getTransactionCount", lambda: w3.eth.get_transaction_count(account.address, "pending")
    )
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
    tx_hash = "0x" + signed.hash.hex()
    try:
        await chain.call(
            "eth_sendRawTransaction",
            lambda: w3.eth.send_raw_transaction(signed.raw_transaction),
            repeatable=False,
        )
    except ChainResponseError as exc:
        raise TransactionFailedError(tx_hash, exc.detail) from None
    receipt = await _wait_for_receipt(chain, signed.hash, tx_hash, timeout_s)
    if receipt["status"] != 1:
        # Replay at the block to recover the revert reason (a revert raises it typed).
        block = receipt["blockNumber"]
        try:
            await chain.call("eth_call", lambda: w3.eth.call(call, block_identifier=block))  # type: ignore[arg-type]
        except TransactionFailedError as exc:
            raise TransactionFailedError(tx_hash, exc.detail) from None
        raise TransactionFailedError(tx_hash, "reverted (no reason on replay)")
    return receipt


async def _wait_for_receipt(
    chain: ChainProvider, raw_hash: bytes, tx_hash: str, timeout_s: float
) -> dict[str, Any]:
    """web3's formatted receipt of ``tx_hash`` once mined; TransactionTimeoutError after
    ``timeout_s``."""

    async def receipt_or_none() -> dict[str, Any] | None:
        try:
            return dict(await chain.w3.eth.get_transaction_receipt(raw_hash))  # type: ignore[arg-type]
        except TransactionNotFound:
            return None

    try:
        async with asyncio.timeout(timeout_s):
            while True:
                receipt = await chain.call("eth_getTransactionReceipt", receipt_or_none)
                if receipt is not None and receipt.get("blockNumber") is not None:
                    return receipt
                await asyncio.sleep(RECEIPT_POLL_S)
    except TimeoutError:
        raise TransactionTimeoutError(tx_hash, timeout_s) from None
