"""Restart recovery: what the chain says each open batch of the outbox became.

:meth:`TxManager.resync <sequencer_chain.writer.tx_manager.TxManager.resync>` runs this at
start and whenever the chain disagrees with the manager's view. For each open batch:

1. Its ``writerSeq`` is used on chain (below the contract's ``nextWriterSeq``): the
   ``BatchAppended`` of that writerSeq is searched from the batch's ``created_block`` less
   :data:`REORG_SEARCH_MARGIN`. If it carries this batch, the batch is mined (confirmed
   later at depth). If it carries another batch and that writerSeq is already confirmed,
   this batch's requests go back to the pool; if not yet confirmed, the slot waits
   (``conflict``) and a later resync decides. No event at all contradicts the outbox.
2. Its ``writerSeq`` is free: the free batches must follow each other from
   ``nextWriterSeq`` on; each gets the next nonce from the account's latest nonce, with the
   transactions the outbox stored at that nonce (to outbid).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sequencer_chain.errors import OutboxMismatchError
from sequencer_chain.provider import BlockHeader, Receipt
from sequencer_chain.writer.outbox import Outbox, PendingRequest, StoredBatch
from sequencer_chain.writer.rpc import ChainRpc
from sequencer_chain.writer.slot import Slot
from sequencer_chain.writer.types import BatchState, Nonce, WriterSeq

log = logging.getLogger(__name__)

REORG_SEARCH_MARGIN = 64
"""Blocks before a batch's ``created_block`` that recovery also searches for its event."""


@dataclass(frozen=True, slots=True)
class ChainPosition:
    """What the chain says about the writer's account, read at the start of a resync."""

    head: BlockHeader
    latest_nonce: Nonce
    next_writer_seq: int
    """The contract's ``nextWriterSeq`` at the head."""
    next_writer_seq_confirmed: int
    """The same ``confirmations`` blocks below the head (at the head when that is 0)."""

    @classmethod
    async def read(cls, rpc: ChainRpc, account: str, confirmations: int) -> ChainPosition:
        head = await rpc.head()
        latest_nonce = Nonce(await rpc.nonce(account))
        chain_next = await rpc.next_writer_seq(account)
        confirmed_block = max(head.number - confirmations, 0)
        chain_next_confirmed = (
            chain_next
            if confirmations == 0
            else await rpc.next_writer_seq(account, confirmed_block)
        )
        return cls(head, latest_nonce, chain_next, chain_next_confirmed)


@dataclass(frozen=True, slots=True)
class Recovered:
    """The manager's state rebuilt from the outbox and the chain."""

    slots: dict[WriterSeq, Slot]
    requeued: list[PendingRequest]
    """Requests of batches whose writerSeq holds another batch: back to the pool."""
    next_seq: WriterSeq
    next_nonce: Nonce


async def recover(
    rpc: ChainRpc, outbox: Outbox, account: str, chain: ChainPosition, log_search_window: int
) -> Recovered:
    """Decide every open batch's fate (module docstring)."""
    out = Recovered({}, [], WriterSeq(chain.next_writer_seq), chain.latest_nonce)
    free: list[StoredBatch] = []
    for stored in await outbox.open_batches():
        if stored.writer_seq >= chain.next_writer_seq:
            free.append(stored)
        else:
            await _used(rpc, outbox, account, chain, log_search_window, stored, out)
    expected = WriterSeq(chain.next_writer_seq)
    nonce = chain.latest_nonce
    for stored in free:
        if stored.writer_seq != expected:
            raise OutboxMismatchError(
                outbox.path,
                f"open batches jump from writerSeq {expected} to {stored.writer_seq}; "
                "the chain expects them consecutive",
            )
        slot = Slot.of(stored, outbox.path)
        slot.nonce = nonce
        slot.txs = await outbox.txs_at_nonce(nonce)
        out.slots[stored.writer_seq] = slot
        expected = WriterSeq(expected + 1)
        nonce = Nonce(nonce + 1)
    return Recovered(out.slots, out.requeued, expected, nonce)


async def _used(  # noqa: PLR0917
    rpc: ChainRpc,
    outbox: Outbox,
    account: str,
    chain: ChainPosition,
    log_search_window: int,
    stored: StoredBatch,
    out: Recovered,
) -> None:
    """A batch whose writerSeq is used on chain: mined, another batch's, or undecided."""
    search_from = stored.created_block - REORG_SEARCH_MARGIN
    event = await rpc.find_batch(
        account, stored.writer_seq, search_from, chain.head.number, log_search_window
    )
    if event is None:
        raise OutboxMismatchError(
            outbox.path,
            f"writerSeq {stored.writer_seq} is used on chain but no BatchAppended "
            f"for it was found from block {search_from}",
        )
    slot = Slot.of(stored, outbox.path)
    if event.batch_hash == stored.batch_hash:
        slot.mined = Receipt(event.tx_hash, 1, event.block_number, event.block_hash, 0, 0)
        if stored.state is not BatchState.MINED:
            await outbox.set_mined(
                stored.writer_seq, event.block_number, event.block_hash, event.tx_hash
            )
        out.slots[stored.writer_seq] = slot
        log.info(
            "recovery: batch %d is on chain in block %d", stored.writer_seq, event.block_number
        )
    elif stored.writer_seq < chain.next_writer_seq_confirmed:
        back = await outbox.requeue(stored.writer_seq)
        log.error(
            "writerSeq %d holds batch %s, not ours (%s): is another process using "
            "this account? its %d requests go out again",
            stored.writer_seq,
            event.batch_hash.hex(),
            stored.batch_hash.hex(),
            len(back),
        )
        out.requeued.extend(back)
    else:
        slot.conflict = True
        out.slots[stored.writer_seq] = slot
