"""An open batch as the transaction manager follows it, and the signed ``submit``
transactions it is sent in. Task-local values of :mod:`sequencer_chain.writer.tx_manager`:
only the one task that owns the account's nonce makes or changes them."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount

from sequencer_chain.contract.inbox import encode_submit
from sequencer_chain.errors import OutboxMismatchError
from sequencer_chain.provider import Receipt
from sequencer_chain.writer.fees import Fees, submit_gas_limit
from sequencer_chain.writer.outbox import SentTx, StoredBatch
from sequencer_chain.writer.rpc import SendOutcome
from sequencer_chain.writer.types import Nonce, WriterSeq


def now_us() -> int:
    return time.time_ns() // 1_000


@dataclass(slots=True)
class Slot:
    """An open batch as the manager follows it (task-local, never shared)."""

    writer_seq: WriterSeq
    batch: bytes
    batch_hash: bytes
    request_count: int
    payload_bytes: int
    calldata: bytes
    gas: int
    nonce: Nonce | None = None
    txs: list[SentTx] = field(default_factory=list)
    """Transactions at ``nonce`` (this batch's, or an older assignment's), oldest first."""
    last_send_block: int = -1
    last_outcome: SendOutcome | None = None
    mined: Receipt | None = None
    conflict: bool = False
    """Its writerSeq holds another batch, not yet confirmed: wait, then requeue."""

    def own_txs(self) -> list[SentTx]:
        """The transactions that carry this slot's own batch (not an older assignment's)."""
        return [
            t
            for t in self.txs
            if t.writer_seq == self.writer_seq and t.batch_hash == self.batch_hash
        ]

    @classmethod
    def of(cls, stored: StoredBatch, outbox_path: Path) -> Slot:
        """The slot of an open outbox batch."""
        if stored.batch is None:
            raise OutboxMismatchError(outbox_path, f"open batch {stored.writer_seq} has no bytes")
        calldata = encode_submit(stored.writer_seq, stored.batch)
        return cls(
            writer_seq=stored.writer_seq,
            batch=stored.batch,
            batch_hash=stored.batch_hash,
            request_count=stored.request_count,
            payload_bytes=stored.payload_bytes,
            calldata=calldata,
            gas=submit_gas_limit(calldata, len(stored.batch)),
        )


def highest_fees(txs: list[SentTx]) -> Fees:
    """The highest fee cap and tip offered at a nonce: what a replacement must outbid."""
    return Fees(
        max(t.fees.max_fee_per_gas for t in txs),
        max(t.fees.max_priority_fee_per_gas for t in txs),
    )


def sign_submit(
    account: LocalAccount, slot: Slot, *, chain_id: int, inbox: str, nonce: Nonce, fees: Fees
) -> SentTx:
    """The slot's ``submit`` transaction at ``nonce`` with ``fees``, signed."""
    tx: dict[str, Any] = {
        "type": 2,
        "chainId": chain_id,
        "nonce": nonce,
        "to": inbox,
        "value": 0,
        "data": slot.calldata,
        "gas": slot.gas,
        "maxFeePerGas": fees.max_fee_per_gas,
        "maxPriorityFeePerGas": fees.max_priority_fee_per_gas,
    }
    signed = account.sign_transaction(tx)
    return SentTx(
        tx_hash=bytes(signed.hash),
        writer_seq=slot.writer_seq,
        batch_hash=slot.batch_hash,
        nonce=nonce,
        fees=fees,
        gas=slot.gas,
        raw=bytes(signed.raw_transaction),
        signed_at_us=now_us(),
    )
