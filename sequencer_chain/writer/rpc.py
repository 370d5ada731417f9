"""The writer's chain boundary: every RPC it makes, each with a timeout, retried only if safe.

Reads are retried with exponential backoff. ``eth_sendRawTransaction`` is retried only with
the *same signed bytes*, which the node deduplicates by hash, so a retry can never create a
second transaction. The node's answers to a send are classified into :class:`SendOutcome`
rather than raised, because several "errors" (already known, nonce too low) are normal
events for a transaction manager. web3 exceptions do not leave this module.
"""

from __future__ import annotations

import asyncio
import enum
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
from eth_utils.address import to_checksum_address
from web3 import AsyncWeb3
from web3.exceptions import ContractLogicError, TransactionNotFound, Web3Exception, Web3RPCError
from web3.types import RPCEndpoint

from sequencer_chain.contract.inbox import (
    BATCH_APPENDED_TOPIC,
    BatchAppended,
    InboxContract,
    decode_batch_appended,
)
from sequencer_chain.contract.log_range import (
    AdaptiveRange,
    classify_logs_failure,
    rpc_error_message,
    suggested_width,
)
from sequencer_chain.contract.transact import translate_revert
from sequencer_chain.errors import (
    ChainConnectionError,
    ChainResponseError,
    TransactionFailedError,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
_TRANSIENT = (OSError, aiohttp.ClientError, TimeoutError)
BACKOFF_START_S = 0.1


class SendOutcome(enum.Enum):
    """How the node answered ``eth_sendRawTransaction``."""

    ACCEPTED = "accepted"
    ALREADY_KNOWN = "already_known"
    """The same transaction is in the pool already: as good as accepted."""
    NONCE_TOO_LOW = "nonce_too_low"
    """The nonce is used: this or another transaction at it was mined."""
    UNDERPRICED = "underpriced"
    """A transaction at this nonce with higher fees is in the pool."""
    FEE_BELOW_BASE_FEE = "fee_below_base_fee"
    """maxFeePerGas is under the current base fee; the node will not take it now."""
    REJECTED = "rejected"
    """Anything else (insufficient funds, malformed): not retried."""


_SEND_PATTERNS: tuple[tuple[str, SendOutcome], ...] = (
    ("already known", SendOutcome.ALREADY_KNOWN),
    ("already imported", SendOutcome.ALREADY_KNOWN),
    ("known transaction", SendOutcome.ALREADY_KNOWN),
    ("nonce too low", SendOutcome.NONCE_TOO_LOW),
    ("replacement transaction underpriced", SendOutcome.UNDERPRICED),
    ("underpriced", SendOutcome.UNDERPRICED),
    ("less than block base fee", SendOutcome.FEE_BELOW_BASE_FEE),
    ("fee cap less than block base fee", SendOutcome.FEE_BELOW_BASE_FEE),
)


def classify_send_error(message: str) -> SendOutcome:
    lowered = message.lower()
    for pattern, outcome in _SEND_PATTERNS:
        if pattern in lowered:
            return outcome
    return SendOutcome.REJECTED


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: SendOutcome
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Head:
    """The latest block, as far as the writer needs it."""

    number: int
    base_fee: int
    gas_limit: int = 0
    """The block's gas limit (0: not known)."""
    gas_used: int = 0


@dataclass(frozen=True, slots=True)
class Receipt:
    tx_hash: bytes
    status: int
    block_number: int
    block_hash: bytes
    gas_used: int
    effective_gas_price: int


class ChainRpc:
    """The calls the writer makes, on one AsyncWeb3, for one account and one inbox."""

    def __init__(
        self,
        w3: AsyncWeb3[Any],
        inbox_address: str,
        *,
        timeout_s: float,
        read_retries: int,
    ) -> None:
        self.w3 = w3
        self.inbox = InboxContract(w3, inbox_address)
        self.timeout_s = timeout_s
        self.read_retries = read_retries

    @property
    def endpoint(self) -> str:
        return str(getattr(self.w3.provider, "endpoint_uri", self.w3.provider))

    async def _call(self, what: str, factory: Callable[[], Awaitable[T]], retries: int) -> T:
        delay = BACKOFF_START_S
        for attempt in range(retries + 1):
            try:
                async with asyncio.timeout(self.timeout_s):
                    return await factory()
            except _TRANSIENT as exc:
                if attempt == retries:
                    detail = f"{what}: {str(exc) or type(exc).__name__}"
                    raise ChainConnectionError(self.endpoint, detail) from None
                log.warning("%s failed (%s), retry %d in %.1fs", what, exc, attempt + 1, delay)
                await asyncio.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")

    async def _read(self, what: str, factory: Callable[[], Awaitable[T]]) -> T:
        return await self._call(what, factory, self.read_retries)

    async def chain_id(self) -> int:
        return int(await self._read("eth_chainId", lambda: self.w3.eth.chain_id))

    async def head(self) -> Head:
        """The latest block: raw JSON-RPC, since web3's formatting of the whole block costs
        more CPU than the request itself and the writer asks every poll interval."""
        method = RPCEndpoint("eth_getBlockByNumber")
        answer = await self._read(
            method, lambda: self.w3.provider.make_request(method, ["latest", False])
        )
        block = answer.get("result")
        try:
            if not isinstance(block, dict):
                raise ValueError(f"not a block: {block!r}")
            return Head(
                _quantity(block["number"]),
                _quantity(block.get("baseFeePerGas", "0x0")),
                _quantity(block.get("gasLimit", "0x0")),
                _quantity(block.get("gasUsed", "0x0")),
            )
        except (ValueError, KeyError) as exc:
            detail = str(answer.get("error", exc))
            raise ChainResponseError(self.endpoint, method, detail) from None

    async def block_number(self) -> int:
        return int(await self._read("eth_blockNumber", lambda: self.w3.eth.block_number))

    async def suggested_tip(self) -> int:
        return int(
            await self._read("eth_maxPriorityFeePerGas", lambda: self.w3.eth.max_priority_fee)
        )

    async def nonce(self, account: str, block: int | str = "latest") -> int:
        return int(
            await self._read(
                "eth_getTransactionCount",
                lambda: self.w3.eth.get_transaction_count(to_checksum_address(account), block),  # type: ignore[arg-type]
            )
        )

    async def max_batch_size(self) -> int:
        return await self._read("MAX_BATCH_SIZE", self.inbox.max_batch_size)

    async def is_writer(self, account: str) -> bool:
        return await self._read("isWriter", lambda: self.inbox.is_writer(account))

    async def next_writer_seq(self, account: str, block: int | str = "latest") -> int:
        """The contract's next writerSeq for ``account`` at ``block``; 0 at a block before
        the contract was deployed (a confirmation depth reaching back past it on a young
        chain), where the call has no code to run."""

        async def read() -> int:
            if isinstance(block, int) and not await self.w3.eth.get_code(self.inbox.address, block):
                return 0
            return await self.inbox.next_writer_seq(account, block=block)

        return await self._read("nextWriterSeq", read)

    async def receipt(self, tx_hash: bytes) -> Receipt | None:
        async def fetch() -> Any:
            try:
                return await self.w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
            except TransactionNotFound:
                return None

        raw = await self._read("eth_getTransactionReceipt", fetch)
        if raw is None or raw.get("blockNumber") is None:
            return None
        return Receipt(
            tx_hash=tx_hash,
            status=int(raw["status"]),
            block_number=int(raw["blockNumber"]),
            block_hash=bytes(raw["blockHash"]),
            gas_used=int(raw["gasUsed"]),
            effective_gas_price=int(raw.get("effectiveGasPrice", 0)),
        )

    async def nonce_and_receipts(
        self, account: str, tx_hashes: list[bytes]
    ) -> tuple[int, dict[bytes, Receipt | None]]:
        """The account's latest nonce and the receipts of ``tx_hashes`` in one HTTP request
        (a JSON-RPC batch), None for a transaction not mined.

        The nonce is asked first, but a node need not answer a batch's calls in order, so
        a receipt may be newer than the nonce (or older: a caller that finds the nonce used
        and no receipt asks again with :meth:`receipt`). A receipt the batch could not give
        (an error entry, a malformed answer) is left out; the caller asks for it alone.
        """
        calls: list[tuple[RPCEndpoint, Any]] = [
            (RPCEndpoint("eth_getTransactionCount"), [to_checksum_address(account), "latest"])
        ]
        calls += [(RPCEndpoint("eth_getTransactionReceipt"), ["0x" + h.hex()]) for h in tx_hashes]
        answers = await self._read(
            "eth_getTransactionCount+eth_getTransactionReceipt",
            lambda: self.w3.provider.make_batch_request(calls),
        )
        if not isinstance(answers, list) or len(answers) != len(calls):
            # The node refused the batch as a whole (no batch support, a limit): one by one.
            nonce = await self.nonce(account)
            return nonce, {h: await self.receipt(h) for h in tx_hashes}
        try:
            nonce = _quantity(answers[0].get("result"))
        except ValueError:
            nonce = await self.nonce(account)
        receipts: dict[bytes, Receipt | None] = {}
        for tx_hash, answer in zip(tx_hashes, answers[1:], strict=True):
            if "error" in answer:
                continue
            try:
                receipts[tx_hash] = _parse_receipt(tx_hash, answer.get("result"))
            except (ValueError, TypeError, KeyError):
                log.warning("malformed receipt of 0x%s in a batch answer", tx_hash.hex())
        return nonce, receipts

    async def send_raw(self, raw: bytes) -> SendResult:
        """Broadcast signed bytes; safe to repeat, so transport failures are retried."""

        async def send() -> SendResult:
            try:
                await self.w3.eth.send_raw_transaction(raw)
            except (Web3RPCError, ValueError) as exc:
                message = str(exc)
                return SendResult(classify_send_error(message), message)
            return SendResult(SendOutcome.ACCEPTED)

        return await self._call("eth_sendRawTransaction", send, self.read_retries)

    async def revert_reason(self, sender: str, calldata: bytes, block: int) -> Exception:
        """Replay a reverted call at its block and return the typed reason."""
        call = {"from": sender, "to": self.inbox.address, "data": calldata}

        async def replay() -> Exception:
            try:
                await self.w3.eth.call(call, block_identifier=block)  # type: ignore[arg-type]
            except (ContractLogicError, Web3RPCError) as exc:
                return translate_revert(exc)
            except Web3Exception as exc:
                return TransactionFailedError(None, str(exc))
            return TransactionFailedError(None, "reverted, but not on replay")

        return await self._read("eth_call", replay)

    async def find_batch(
        self, writer: str, writer_seq: int, from_block: int, to_block: int, window: int
    ) -> BatchAppended | None:
        """The ``BatchAppended`` of (writer, writerSeq) in ``[from_block, to_block]``, if any.

        Reads at most ``window`` blocks per ``eth_getLogs``, fewer while the endpoint
        refuses, times out or cuts off a range (``contract/log_range.py``: halved, grown
        back by a quarter per success); other failures are retried like every read."""
        topic_writer = "0x" + bytes.fromhex(to_checksum_address(writer)[2:]).rjust(32, b"\0").hex()
        width = AdaptiveRange(window)
        start = max(from_block, 0)
        failures, delay = 0, BACKOFF_START_S
        while start <= to_block:
            end = min(start + width.current - 1, to_block)
            params: Any = {
                "address": self.inbox.address,
                "topics": [BATCH_APPENDED_TOPIC, None, topic_writer],
                "fromBlock": start,
                "toBlock": end,
            }
            try:
                async with asyncio.timeout(self.timeout_s):
                    logs = await self.w3.eth.get_logs(params)
            except (*_TRANSIENT, Web3RPCError, json.JSONDecodeError) as exc:
                detail = rpc_error_message(exc)
                if classify_logs_failure(exc) is not None and end > start:
                    width.shrink(end - start + 1, suggested_width(detail))
                    log.warning(
                        "eth_getLogs of blocks %d..%d failed (%s); searching %d at a time",
                        start,
                        end,
                        detail,
                        width.current,
                    )
                    continue
                failures += 1
                if failures > self.read_retries:
                    raise ChainConnectionError(
                        self.endpoint, f"eth_getLogs of blocks {start}..{end}: {detail}"
                    ) from None
                log.warning("eth_getLogs failed (%s), retry %d in %.1fs", detail, failures, delay)
                await asyncio.sleep(delay)
                delay *= 2
                continue
            failures, delay = 0, BACKOFF_START_S
            for raw in logs:
                event = decode_batch_appended(raw)
                if event.writer_seq == writer_seq and not event.removed:
                    return event
            start = end + 1
            width.grow()
        return None


def _quantity(value: object) -> int:
    if not isinstance(value, str) or not value.startswith("0x") or len(value) < 3:
        raise ValueError(f"not a hex quantity: {value!r}")
    return int(value, 16)


def _parse_receipt(tx_hash: bytes, raw: object) -> Receipt | None:
    """A raw ``eth_getTransactionReceipt`` result; None if not mined. ValueError if malformed."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ValueError(f"receipt is not an object: {type(raw).__name__}")
    if raw.get("blockNumber") is None:
        return None
    block_hash = raw["blockHash"]
    if not isinstance(block_hash, str) or len(block_hash) != 66:
        raise ValueError(f"blockHash is not a 32-byte hash: {block_hash!r}")
    return Receipt(
        tx_hash=tx_hash,
        status=_quantity(raw["status"]),
        block_number=_quantity(raw["blockNumber"]),
        block_hash=bytes.fromhex(block_hash[2:]),
        gas_used=_quantity(raw["gasUsed"]),
        effective_gas_price=_quantity(raw.get("effectiveGasPrice", "0x0")),
    )
