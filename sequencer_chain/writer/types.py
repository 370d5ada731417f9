"""Values of the batch writer: its configuration, a batch's states, and metrics snapshots.

Nothing here does I/O. The writer's mutable state lives in :mod:`.outbox` (durable) and in
the single task of :mod:`.tx_manager` (in memory).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import NewType

from sequencer_chain.writer.fees import FeeConfig

WriterSeq = NewType("WriterSeq", int)
"""The writer's own batch number, as the contract's ``nextWriterSeq`` counts it."""
Nonce = NewType("Nonce", int)
"""The writer account's transaction nonce."""
RequestId = NewType("RequestId", int)
"""Row id of an accepted request in the outbox; increases in acceptance order."""

DEFAULT_LINGER_S = 0.05


class BatchState(enum.Enum):
    """Where a batch is; only ever moves forward, except MINED → SENT on a reorg.

    PERSISTED: requests assigned to a ``writerSeq`` and the batch bytes stored; no tx sent.
    SENT: at least one signed transaction stored and broadcast (all kept, with their fees).
    MINED: a transaction carrying it is in a block, not yet ``confirmations`` deep.
    CONFIRMED: deep enough; its requests are deleted from the outbox.
    """

    PERSISTED = "persisted"
    SENT = "sent"
    MINED = "mined"
    CONFIRMED = "confirmed"


@dataclass(frozen=True, slots=True)
class WriterConfig:
    """How the writer batches, pipelines, resubmits and bounds itself."""

    linger_s: float = DEFAULT_LINGER_S
    """Longest a request waits for company before a partial batch is written."""
    max_batch_size: int | None = None
    """Bytes per batch; ``None`` takes the contract's ``MAX_BATCH_SIZE`` (a larger value is cut)."""
    max_in_flight: int = 8
    """Batches written but not yet confirmed; the batcher waits when this many are open."""
    congested_linger_s: float = 1.0
    """Replaces ``linger_s`` while the chain is congested (a batch of this writer missed a
    block): a partial batch would queue behind the open ones anyway, so requests wait up
    to this long for a full batch, which pays one transaction's base gas for more bytes
    and fills the block better."""
    fill_blocks: bool = True
    """Size batches so that a whole number of them fills a block (``fees.block_filling_size``
    of the latest block's gas limit) instead of leaving up to a batch's gas of every block
    unused. A request too large for that size still goes alone, up to ``max_batch_size``."""
    max_pending_requests: int = 20_000
    """Accepted-but-unwritten requests beyond which ``enqueue`` raises WriterOverloadedError."""
    max_pending_bytes: int = 64 * 1024 * 1024
    """The same bound in request bytes."""
    resubmit_after_blocks: int = 3
    """A transaction not mined after this many new blocks is replaced with higher fees."""
    confirmations: int = 0
    """Blocks on top of the including block before a batch counts as confirmed (0: at once)."""
    poll_interval_s: float = 0.1
    """How often the transaction manager looks at the chain head."""
    rpc_timeout_s: float = 10.0
    """Timeout of every single RPC call."""
    rpc_read_retries: int = 3
    """Retries of reads and of re-sending an already signed transaction (both are safe)."""
    log_search_window: int = 5_000
    """Blocks per ``eth_getLogs`` query when recovery looks for a batch's event."""
    fees: FeeConfig = field(default_factory=FeeConfig)

    def __post_init__(self) -> None:
        if self.linger_s < 0:
            raise ValueError(f"linger_s must be >= 0, got {self.linger_s}")
        if self.congested_linger_s < 0:
            raise ValueError(f"congested_linger_s must be >= 0, got {self.congested_linger_s}")
        if self.max_in_flight < 1:
            raise ValueError(f"max_in_flight must be >= 1, got {self.max_in_flight}")
        if self.resubmit_after_blocks < 1:
            raise ValueError(
                f"resubmit_after_blocks must be >= 1, got {self.resubmit_after_blocks}"
            )
        if self.confirmations < 0:
            raise ValueError(f"confirmations must be >= 0, got {self.confirmations}")
        if self.max_batch_size is not None and self.max_batch_size < 1:
            raise ValueError(f"max_batch_size must be >= 1, got {self.max_batch_size}")


class WriterState(enum.Enum):
    NEW = "new"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class WriterMetrics:
    """A snapshot of the writer's counters (since this process started it)."""

    requests_accepted: int
    requests_written: int
    """Requests in confirmed batches."""
    batches_written: int
    """Batches confirmed on chain."""
    bytes_written: int
    """Batch bytes in confirmed batches."""
    gas_spent: int
    """Gas used by the writer's mined transactions."""
    fees_spent_wei: int
    """``gasUsed × effectiveGasPrice`` summed over them."""
    transactions_sent: int
    """Distinct signed transactions broadcast, replacements included."""
    resubmissions: int
    """Replacement transactions (same nonce, higher fees)."""
    fee_cap_hits: int
    """Times the chain needed more than the fee cap."""
    pending_requests: int
    """Accepted requests not yet in a confirmed batch."""
    pending_bytes: int
    in_flight_batches: int
    """Batches with a writerSeq that are not yet confirmed."""
