"""The writer's packer for the domain's on-chain batch format (``protocol.batch_format``).

The writer stays ignorant of the format: it hands over opaque request bytes (canonical
``SignedSubmissionRequest`` encodings, validated by the API before ``enqueue``) and gets back
a batch and a count. This adapter maps the protocol's "first request too large" error to
``count == 0``, which the writer turns into its own RequestTooLargeError.
"""

from __future__ import annotations

from collections.abc import Sequence

from protocol.batch_format import fits_uncompressed, pack_batch
from protocol.errors import RequestTooLargeError as ProtocolRequestTooLargeError
from protocol.timestamp import timestamp
from sequencer_chain.writer.packer import PackedBatch


class ProtocolBatchPacker:
    """Packs with :func:`protocol.batch_format.pack_batch` (header, optional zlib, requests)."""

    def __init__(self, *, try_compression: bool = True) -> None:
        self.try_compression = try_compression

    def fits_alone(self, request_size: int, max_size: int) -> bool:
        return fits_uncompressed(request_size, max_size)

    def pack(self, requests: Sequence[bytes], max_size: int, proposed_time_us: int) -> PackedBatch:
        if not requests:
            return PackedBatch(b"", 0)
        try:
            packed = pack_batch(
                requests,
                timestamp(proposed_time_us),
                max_size,
                try_compression=self.try_compression,
            )
        except ProtocolRequestTooLargeError:
            return PackedBatch(b"", 0)
        return PackedBatch(packed.data, packed.count)
