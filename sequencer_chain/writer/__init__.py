"""The sequencer node's batch writer (transaction manager).

Accepts submission requests durably, packs them into batches by size and linger time, and
appends each batch exactly once with ``submit(writerSeq, batch)`` on the ordering contract,
surviving crashes, dropped transactions and fee spikes. See ``docs/sequencer-writer.md``.

This face holds what a node needs to run a writer; the parts (outbox, fee arithmetic, the
length-prefixed test packer) are imported from their modules.
"""

from sequencer_chain.writer.batch_writer import BatchWriter
from sequencer_chain.writer.fees import FeeConfig, Fees
from sequencer_chain.writer.packer import BatchPacker, PackedBatch
from sequencer_chain.writer.protocol_packer import ProtocolBatchPacker
from sequencer_chain.writer.types import RequestId, WriterConfig, WriterMetrics, WriterState

__all__ = [
    "BatchPacker",
    "BatchWriter",
    "FeeConfig",
    "Fees",
    "PackedBatch",
    "ProtocolBatchPacker",
    "RequestId",
    "WriterConfig",
    "WriterMetrics",
    "WriterState",
]
