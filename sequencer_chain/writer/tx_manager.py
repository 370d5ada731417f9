"""The transaction manager: the one task that owns the writer account's nonce.

It takes packed batches from a queue, gives each the next ``writerSeq`` and the next nonce,
stores batch and signed transaction, broadcasts, and then follows every open batch to
confirmation: replacing a transaction not mined within ``resubmit_after_blocks`` blocks
(same nonce, same calldata, fees +≥10%), re-broadcasting one the node refused, confirming
mined ones at depth. Nothing else signs or sends for the account, so transactions leave in
nonce order (concurrent sends can strand transactions on anvil's instant mining, foundry
issue 10122) and the in-memory view of nonces is exact.

``writerSeq`` n+1 may be sent before n is mined: the nonce order makes n execute first.
An open batch is a :class:`~sequencer_chain.writer.slot.Slot`; signing is in ``slot.py``.

:meth:`TxManager.resync` rebuilds everything from the outbox and the chain
(``writer/recovery.py`` decides each batch's fate). It runs at start
(restart recovery) and whenever the chain disagrees with the in-memory view (a reverted
``BadWriterSeq``, a nonce used by a transaction not in the outbox, a reorg of a mined batch).
It decides for each open batch whether its ``writerSeq`` holds it (done), holds another
batch (its requests go back to the pool, once that is confirmed), or is still free (it is
sent again at the next free nonce, outbidding whatever the outbox says went out there).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from sequencer_chain.errors import (
    BadWriterSeqError,
    FeeCapTooLowError,
    OutboxMismatchError,
    TransactionFailedError,
)
from sequencer_chain.provider import NO_BLOCK, BlockHeader, Receipt
from sequencer_chain.writer.fees import Fees, bump, quote
from sequencer_chain.writer.outbox import Outbox, PendingRequest, SentTx
from sequencer_chain.writer.recovery import ChainPosition, recover
from sequencer_chain.writer.rpc import ChainRpc, SendOutcome
from sequencer_chain.writer.slot import Slot, highest_fees, now_us, sign_submit
from sequencer_chain.writer.types import Nonce, RequestId, WriterConfig, WriterSeq

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class NewBatch:
    """A packed batch from the batcher, not yet given a writerSeq."""

    batch: bytes
    requests: tuple[PendingRequest, ...]

    @property
    def request_ids(self) -> tuple[RequestId, ...]:
        return tuple(r.id for r in self.requests)


@dataclass(slots=True)
class Counters:
    """Mutable counters; the writer publishes snapshots as WriterMetrics."""

    requests_accepted: int = 0
    requests_written: int = 0
    payload_bytes_written: int = 0
    batches_written: int = 0
    bytes_written: int = 0
    gas_spent: int = 0
    fees_spent_wei: int = 0
    transactions_sent: int = 0
    resubmissions: int = 0
    fee_cap_hits: int = 0


class TxManager:
    """Signs, sends, replaces and confirms the writer's ``submit`` transactions."""

    def __init__(
        self,
        rpc: ChainRpc,
        account: LocalAccount,
        *,
        chain_id: int,
        outbox: Outbox,
        config: WriterConfig,
        counters: Counters,
        on_requeued: Callable[[list[PendingRequest]], Awaitable[None]],
    ) -> None:
        self._rpc = rpc
        self._account = account
        self._chain_id = chain_id
        self._outbox = outbox
        self._config = config
        self._counters = counters
        self._on_requeued = on_requeued
        self._intake: asyncio.Queue[NewBatch] = asyncio.Queue()
        self._handed_over = 0
        """Batches given to :meth:`hand_over` that have no slot yet (queued or being started)."""
        self._slots: dict[WriterSeq, Slot] = {}
        self._next_seq = WriterSeq(0)
        self._next_nonce = Nonce(0)
        self._head = NO_BLOCK
        """The latest block as of the last tick (or resync); sends use it, so a send asks
        the node for nothing but the tip, once per block."""
        self._tip: tuple[int, int] | None = None
        """(block number, suggested tip) of the last ``eth_maxPriorityFeePerGas``."""
        self._receipts: dict[bytes, Receipt | None] = {}
        """Receipts fetched in one batch at the start of a tick, for that tick only."""
        self._held: NewBatch | None = None
        """A batch taken from the intake when the tick before its start asked for a resync."""
        self._resync_needed = True
        self.ready = asyncio.Event()
        """Set after the first resync: writerSeq and nonce are known."""
        self._space = asyncio.Event()
        self.last_fee_error: FeeCapTooLowError | None = None
        """Set while the chain needs more than the fee cap; cleared when a send gets through."""

    # ------------------------------------------------------------------ for the batcher

    def congested(self, batch_gas: int) -> bool:
        """Whether the chain takes less than is offered, so that a batch cut early would
        only wait: the latest block had no room left for a batch of ``batch_gas``, or a
        batch of this writer sent before the latest block is still not mined."""
        head = self._head
        if head.gas_limit > 0 and head.gas_limit - head.gas_used < batch_gas:
            return True
        return any(
            s.mined is None and 0 <= s.last_send_block < head.number for s in self._slots.values()
        )

    @property
    def block_gas_limit(self) -> int:
        """The gas limit of the latest block seen (0 before the first look)."""
        return self._head.gas_limit

    @property
    def open_count(self) -> int:
        """Batches handed over and not yet confirmed or requeued."""
        return len(self._slots) + self._handed_over

    def hand_over(self, item: NewBatch) -> None:
        """Queue a packed batch; the manager gives it a writerSeq and sends it."""
        self._handed_over += 1
        self._intake.put_nowait(item)

    async def wait_for_space(self) -> None:
        while self.open_count >= self._config.max_in_flight:
            self._space.clear()
            await self._space.wait()

    # ------------------------------------------------------------------ the task

    async def run(self) -> None:
        """Owns the nonce until cancelled; raises only on errors that need an operator."""
        while True:
            if self._resync_needed:
                await self.resync()
                self.ready.set()
            item, self._held = self._held, None
            if item is None:
                try:  # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancellation
                    async with asyncio.timeout(self._config.poll_interval_s):
                        item = await self._intake.get()
                except TimeoutError:
                    pass
            # The tick comes first: the sends below then use the head it just read.
            await self._tick()
            if item is not None:
                if self._resync_needed:
                    self._held = item
                    continue
                await self._start(item)
                while not self._intake.empty() and not self._resync_needed:
                    await self._start(self._intake.get_nowait())

    async def _start(self, item: NewBatch) -> None:
        seq = self._next_seq
        head = (await self._current_head()).number
        stored = await self._outbox.create_batch(
            seq,
            item.batch,
            keccak(item.batch),
            item.request_ids,
            payload_bytes=sum(len(r.payload) for r in item.requests),
            created_block=head,
            now_us=now_us(),
        )
        self._next_seq = WriterSeq(seq + 1)
        slot = Slot.of(stored, self._outbox.path)
        slot.nonce = self._next_nonce
        self._next_nonce = Nonce(self._next_nonce + 1)
        self._slots[seq] = slot
        self._handed_over -= 1
        await self._send(slot, replacing=False)

    # ------------------------------------------------------------------ sending

    async def _send(self, slot: Slot, *, replacing: bool) -> None:
        """Send the slot's batch at its nonce: fresh, as a replacement, or the same bytes again."""
        if slot.nonce is None:
            raise OutboxMismatchError(self._outbox.path, f"batch {slot.writer_seq} has no nonce")
        head = await self._current_head()
        fresh = quote(head.base_fee, await self._suggested_tip(head), self._config.fees)
        if fresh.cap_too_low:
            self._report_fee_cap(fresh.fees.max_fee_per_gas, fresh.needed_wei, head.base_fee)
        fees: Fees | None = fresh.fees
        if slot.txs:
            fees = bump(highest_fees(slot.txs), fresh.fees, self._config.fees)
        if fees is None:
            # The cap leaves no room for a valid replacement: offer the same bytes again.
            self._report_fee_cap(
                self._config.fees.max_fee_per_gas_cap, fresh.needed_wei, head.base_fee
            )
            own = slot.own_txs()
            if own:
                await self._broadcast(slot, own[-1], head)
            else:
                slot.last_send_block = head.number
            return
        previous = slot.txs[-1] if slot.txs else None
        tx = sign_submit(
            self._account,
            slot,
            chain_id=self._chain_id,
            inbox=self._rpc.inbox.address,
            nonce=slot.nonce,
            fees=fees,
        )
        await self._outbox.record_tx(tx)
        slot.txs.append(tx)
        if replacing:
            self._counters.resubmissions += 1
            log.info(
                "replacing batch %d at nonce %d: maxFee %d tip %d (was %s)",
                slot.writer_seq,
                slot.nonce,
                fees.max_fee_per_gas,
                fees.max_priority_fee_per_gas,
                previous.fees if previous else None,
            )
        await self._broadcast(slot, tx, head)

    async def _current_head(self) -> BlockHeader:
        """The head as of the last tick or resync (read now if there was none)."""
        if self._head.number < 0:
            self._head = await self._rpc.head()
        return self._head

    async def _suggested_tip(self, head: BlockHeader) -> int:
        """The node's suggested tip, asked once per block."""
        if self._tip is None or self._tip[0] != head.number:
            self._tip = (head.number, await self._rpc.suggested_tip())
        return self._tip[1]

    async def _receipt(self, tx_hash: bytes, *, fresh: bool = False) -> Receipt | None:
        """The receipt from this tick's batch if it has one, else asked alone."""
        if not fresh and tx_hash in self._receipts:
            return self._receipts[tx_hash]
        return await self._rpc.receipt(tx_hash)

    async def _broadcast(self, slot: Slot, tx: SentTx, head: BlockHeader) -> None:
        result = await self._rpc.send_raw(tx.raw)
        slot.last_send_block = head.number
        slot.last_outcome = result.outcome
        if result.outcome is SendOutcome.ACCEPTED:
            self._counters.transactions_sent += 1
        if result.outcome in (SendOutcome.ACCEPTED, SendOutcome.ALREADY_KNOWN):
            if tx.fees.max_fee_per_gas >= head.base_fee:
                self.last_fee_error = None
            return
        if result.outcome is SendOutcome.FEE_BELOW_BASE_FEE:
            self._report_fee_cap(tx.fees.max_fee_per_gas, head.base_fee + 1, head.base_fee)
        elif result.outcome is not SendOutcome.NONCE_TOO_LOW:
            log.warning(
                "node refused batch %d at nonce %d (%s): %s; retrying next block",
                slot.writer_seq,
                tx.nonce,
                result.outcome.value,
                result.detail,
            )

    def _report_fee_cap(self, offered: int, needed: int, base_fee: int) -> None:
        error = FeeCapTooLowError(self._config.fees.max_fee_per_gas_cap, needed, base_fee)
        if self.last_fee_error is None:
            log.warning("%s", error, extra={"offered_wei": offered})
        self.last_fee_error = error
        self._counters.fee_cap_hits += 1

    # ------------------------------------------------------------------ following

    async def _tick(self) -> None:
        head = await self._rpc.head()
        if head.number == self._head.number and not any(
            s.last_send_block < 0 for s in self._slots.values()
        ):
            return
        self._head = head
        if not self._slots:
            return
        latest_nonce, self._receipts = await self._rpc.nonce_and_receipts(
            self._account.address, self._wanted_receipts(head)
        )
        try:
            for slot in sorted(self._slots.values(), key=lambda s: s.writer_seq):
                if self._resync_needed:
                    return
                if slot.conflict:
                    self._resync_needed = True
                elif slot.mined is not None:
                    await self._follow_mined(slot, head)
                elif slot.nonce is not None and slot.nonce < latest_nonce:
                    await self._nonce_used(slot)
                elif slot.last_outcome not in (SendOutcome.ACCEPTED, SendOutcome.ALREADY_KNOWN):
                    await self._send(slot, replacing=bool(slot.txs))
                elif head.number - slot.last_send_block >= self._config.resubmit_after_blocks:
                    await self._send(slot, replacing=True)
        finally:
            self._receipts = {}

    def _wanted_receipts(self, head: BlockHeader) -> list[bytes]:
        """The receipts this tick may need: every own transaction of an unmined batch sent
        before this head, and the mined transaction of a batch now deep enough to confirm."""
        wanted: list[bytes] = []
        for slot in self._slots.values():
            if slot.mined is not None:
                if head.number - slot.mined.block_number >= self._config.confirmations > 0:
                    wanted.append(slot.mined.tx_hash)
            elif slot.nonce is not None and 0 <= slot.last_send_block < head.number:
                wanted.extend(t.tx_hash for t in slot.own_txs())
        return wanted

    async def _nonce_used(self, slot: Slot) -> None:
        # The batched receipts may predate the nonce (a batch's calls are not ordered):
        # before concluding that another transaction used the nonce, ask again.
        found = await self._mined_own_tx(slot, fresh=False)
        if found is None and any(t.tx_hash in self._receipts for t in slot.own_txs()):
            found = await self._mined_own_tx(slot, fresh=True)
        if found is not None:
            receipt, tx = found
            if receipt.status == 1:
                slot.mined = receipt
                await self._outbox.set_mined(
                    slot.writer_seq, receipt.block_number, receipt.block_hash, tx.tx_hash
                )
                self._counters.gas_spent += receipt.gas_used
                self._counters.fees_spent_wei += receipt.gas_used * receipt.effective_gas_price
                await self._follow_mined(slot, self._head)
                return
            self._counters.gas_spent += receipt.gas_used
            self._counters.fees_spent_wei += receipt.gas_used * receipt.effective_gas_price
            reason = await self._rpc.revert_reason(
                self._account.address, slot.calldata, receipt.block_number
            )
            if isinstance(reason, BadWriterSeqError):
                log.warning("batch %d reverted with %s; resyncing", slot.writer_seq, reason)
                self._resync_needed = True
                return
            raise TransactionFailedError("0x" + tx.tx_hash.hex(), f"submit reverted: {reason}")
        log.warning(
            "nonce %d of batch %d was used by a transaction not in the outbox; resyncing",
            slot.nonce,
            slot.writer_seq,
        )
        self._resync_needed = True

    async def _mined_own_tx(self, slot: Slot, *, fresh: bool) -> tuple[Receipt, SentTx] | None:
        """The receipt of the slot's own transaction that was mined, newest first."""
        for tx in reversed(slot.own_txs()):
            receipt = await self._receipt(tx.tx_hash, fresh=fresh)
            if receipt is not None:
                return receipt, tx
        return None

    async def _follow_mined(self, slot: Slot, head: BlockHeader) -> None:
        mined = slot.mined
        assert mined is not None  # only called for mined slots
        if head.number - mined.block_number < self._config.confirmations:
            return
        if self._config.confirmations > 0:
            again = await self._receipt(mined.tx_hash)
            if again is None or again.block_hash != mined.block_hash:
                log.warning(
                    "batch %d left block %d in a reorg", slot.writer_seq, mined.block_number
                )
                slot.mined = None
                await self._outbox.set_unmined(slot.writer_seq)
                self._resync_needed = True
                return
        await self._outbox.confirm(slot.writer_seq)
        del self._slots[slot.writer_seq]
        self._counters.batches_written += 1
        self._counters.bytes_written += len(slot.batch)
        self._counters.requests_written += slot.request_count
        self._counters.payload_bytes_written += slot.payload_bytes
        self._space.set()

    # ------------------------------------------------------------------ recovery

    async def resync(self) -> None:
        """Rebuild writerSeq, nonce and every open batch's fate from the outbox and the
        chain (``writer/recovery.py``), then send every open batch again."""
        requeued: list[PendingRequest] = []
        if self._held is not None:  # taken from the intake, given no writerSeq
            requeued.extend(self._held.requests)
            self._handed_over -= 1
            self._held = None
        while not self._intake.empty():  # packed but given no writerSeq: back to the pool
            requeued.extend(self._intake.get_nowait().requests)
            self._handed_over -= 1
        account = self._account.address
        chain = await ChainPosition.read(self._rpc, account, self._config.confirmations)
        head = self._head = chain.head
        recovered = await recover(
            self._rpc, self._outbox, account, chain, self._config.log_search_window
        )
        requeued.extend(recovered.requeued)
        self._slots = recovered.slots
        self._next_seq = recovered.next_seq
        self._next_nonce = recovered.next_nonce
        await self._outbox.prune_txs_below(chain.latest_nonce)
        self._resync_needed = False
        log.info(
            "resynced: chain nextWriterSeq %d, nonce %d, %d open batches, %d requests requeued",
            chain.next_writer_seq,
            chain.latest_nonce,
            len(self._slots),
            len(requeued),
        )
        for slot in sorted(self._slots.values(), key=lambda s: s.writer_seq):
            if slot.nonce is None:
                continue
            own = slot.own_txs()
            if own:
                # The same signed bytes again: the node can only accept them or know them.
                await self._broadcast(slot, own[-1], head)
            else:
                await self._send(slot, replacing=bool(slot.txs))
        if requeued:
            await self._on_requeued(requeued)
        self._space.set()
