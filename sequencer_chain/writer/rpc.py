"""The calls the writer makes, on the chain provider (``sequencer_chain/provider/``).

Reads are retried under the writer's :class:`~sequencer_chain.provider.RetryPolicy`.
``eth_sendRawTransaction`` is retried only with the *same signed bytes*, which the node
deduplicates by hash, so a retry can never create a second transaction. The node's answers
to a send are classified into :class:`SendOutcome` rather than raised, because several
"errors" (already known, nonce too low) are normal events for a transaction manager.
"""

from __future__ import annotations

import enum
import functools
import logging
from dataclasses import dataclass
from typing import Any

from eth_utils.address import to_checksum_address
from web3 import AsyncWeb3
from web3.types import RPCEndpoint

from sequencer_chain.contract.inbox import (
    BATCH_APPENDED_TOPIC,
    BatchAppended,
    InboxContract,
    decode_batch_appended,
)
from sequencer_chain.contract.log_range import AdaptiveRange, suggested_width
from sequencer_chain.errors import (
    ChainResponseError,
    InboxRevertError,
    LogsRangeError,
    TransactionFailedError,
)
from sequencer_chain.provider import (
    BlockHeader,
    ChainProvider,
    Receipt,
    RetryPolicy,
    RpcTimeouts,
    parse_receipt,
    quantity,
)

log = logging.getLogger(__name__)


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
        self.chain = ChainProvider(w3, RpcTimeouts(timeout_s), RetryPolicy(read_retries))

    @property
    def endpoint(self) -> str:
        return self.chain.endpoint

    async def chain_id(self) -> int:
        return int(await self.chain.call("eth_chainId", lambda: self.w3.eth.chain_id))

    async def head(self) -> BlockHeader:
        """The latest block's header."""
        return await self.chain.head()

    async def block_number(self) -> int:
        return int(await self.chain.call("eth_blockNumber", lambda: self.w3.eth.block_number))

    async def suggested_tip(self) -> int:
        return int(
            await self.chain.call("eth_maxPriorityFeePerGas", lambda: self.w3.eth.max_priority_fee)
        )

    async def nonce(self, account: str, block: int | str = "latest") -> int:
        return int(
            await self.chain.call(
                "eth_getTransactionCount",
                lambda: self.w3.eth.get_transaction_count(to_checksum_address(account), block),  # type: ignore[arg-type]
            )
        )

    async def max_batch_size(self) -> int:
        return await self.chain.call("MAX_BATCH_SIZE", self.inbox.max_batch_size)

    async def is_writer(self, account: str) -> bool:
        return await self.chain.call("isWriter", lambda: self.inbox.is_writer(account))

    async def next_writer_seq(self, account: str, block: int | str = "latest") -> int:
        """The contract's next writerSeq for ``account`` at ``block``; 0 at a block before
        the contract was deployed (a confirmation depth reaching back past it on a young
        chain), where the call has no code to run."""

        async def read() -> int:
            if isinstance(block, int) and not await self.w3.eth.get_code(self.inbox.address, block):
                return 0
            return await self.inbox.next_writer_seq(account, block=block)

        return await self.chain.call("nextWriterSeq", read)

    async def receipt(self, tx_hash: bytes) -> Receipt | None:
        return await self.chain.receipt(tx_hash)

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
        answers = await self.chain.call(
            "eth_getTransactionCount+eth_getTransactionReceipt",
            lambda: self.w3.provider.make_batch_request(calls),
        )
        if not isinstance(answers, list) or len(answers) != len(calls):
            # The node refused the batch as a whole (no batch support, a limit): one by one.
            nonce = await self.nonce(account)
            return nonce, {h: await self.receipt(h) for h in tx_hashes}
        try:
            nonce = quantity(answers[0].get("result"))
        except ValueError:
            nonce = await self.nonce(account)
        receipts: dict[bytes, Receipt | None] = {}
        for tx_hash, answer in zip(tx_hashes, answers[1:], strict=True):
            if "error" in answer:
                continue
            try:
                receipts[tx_hash] = parse_receipt(tx_hash, answer.get("result"))
            except (ValueError, TypeError, KeyError):
                log.warning("malformed receipt of 0x%s in a batch answer", tx_hash.hex())
        return nonce, receipts

    async def send_raw(self, raw: bytes) -> SendResult:
        """Broadcast signed bytes; safe to repeat, so transport failures are retried."""

        try:
            await self.chain.call(
                "eth_sendRawTransaction", lambda: self.w3.eth.send_raw_transaction(raw)
            )
        except ChainResponseError as exc:
            return SendResult(classify_send_error(exc.detail), exc.detail)
        return SendResult(SendOutcome.ACCEPTED)

    async def revert_reason(self, sender: str, calldata: bytes, block: int) -> Exception:
        """Replay a reverted call at its block and return the typed reason."""
        call: Any = {"from": sender, "to": self.inbox.address, "data": calldata}
        try:
            await self.chain.call(
                "eth_call", lambda: self.w3.eth.call(call, block_identifier=block)
            )
        except (TransactionFailedError, InboxRevertError) as exc:
            return exc
        except ChainResponseError as exc:
            return TransactionFailedError(None, exc.detail)
        return TransactionFailedError(None, "reverted, but not on replay")

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
        while start <= to_block:
            end = min(start + width.current - 1, to_block)
            query: Any = {
                "address": self.inbox.address,
                "topics": [BATCH_APPENDED_TOPIC, None, topic_writer],
                "fromBlock": start,
                "toBlock": end,
            }
            try:
                logs = await self.chain.logs(
                    start, end, functools.partial(self.w3.eth.get_logs, query)
                )
            except LogsRangeError as exc:
                if end == start:
                    raise
                width.shrink(end - start + 1, suggested_width(exc.range_detail))
                log.warning(
                    "eth_getLogs of blocks %d..%d failed (%s); searching %d at a time",
                    start,
                    end,
                    exc.range_detail,
                    width.current,
                )
                continue
            for raw in logs:
                event = decode_batch_appended(raw)
                if event.writer_seq == writer_seq and not event.removed:
                    return event
            start = end + 1
            width.grow()
        return None
