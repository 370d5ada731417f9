"""The sequencer node's batch writer (transaction manager).

Accepts submission requests durably, packs them into batches by size and linger time, and
appends each batch exactly once with ``submit(writerSeq, batch)`` on the ordering contract,
surviving crashes, dropped transactions and fee spikes. See ``docs/sequencer-writer.md``.
"""

from sequencer_chain.writer.batch_writer import BatchWriter
from sequencer_chain.writer.fees import (
    FeeConfig,
    Fees,
    calldata_floor_gas,
    min_replacement,
    submit_gas_limit,
)
from sequencer_chain.writer.outbox import Outbox, OutboxIdentity
from sequencer_chain.writer.packer import (
    BatchPacker,
    LengthPrefixedPacker,
    PackedBatch,
    unpack_length_prefixed,
)
from sequencer_chain.writer.protocol_packer import ProtocolBatchPacker
from sequencer_chain.writer.types import (
    BatchState,
    RequestId,
    WriterConfig,
    WriterMetrics,
    WriterSeq,
    WriterState,
)

__all__ = [
    "BatchPacker",
    "BatchState",
    "BatchWriter",
    "FeeConfig",
    "Fees",
    "LengthPrefixedPacker",
    "Outbox",
    "OutboxIdentity",
    "PackedBatch",
    "ProtocolBatchPacker",
    "RequestId",
    "WriterConfig",
    "WriterMetrics",
    "WriterSeq",
    "WriterState",
    "calldata_floor_gas",
    "min_replacement",
    "submit_gas_limit",
    "unpack_length_prefixed",
]
