"""The seam between the writer and the on-chain batch format.

The writer moves opaque request bytes; a :class:`BatchPacker` turns a prefix of the pending
requests into one batch. The writer supplies the proposed timestamp from its own clock.
:class:`LengthPrefixedPacker` is a trivial format for tests of the writer itself; the node
uses the protocol's batch format through :mod:`.protocol_packer`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

LENGTH_PREFIX_BYTES = 4
TIMESTAMP_BYTES = 8


@dataclass(frozen=True, slots=True)
class PackedBatch:
    """One batch made from the first ``count`` pending requests."""

    batch: bytes
    """The bytes for ``submit(writerSeq, batch)``; at most the ``max_size`` asked for."""
    count: int
    """How many requests, from the front of the list, it carries (0: the first did not fit)."""


class BatchPacker(Protocol):
    """Packs a prefix of ``requests`` into at most ``max_size`` bytes.

    Must be deterministic in its inputs, take requests strictly in order, and never exceed
    ``max_size``. Returns ``count == 0`` only when the first request alone does not fit.
    """

    def pack(
        self, requests: Sequence[bytes], max_size: int, proposed_time_us: int
    ) -> PackedBatch: ...

    def fits_alone(self, request_size: int, max_size: int) -> bool:
        """A cheap sufficient test, asked for every incoming request: ``True`` only if
        ``pack([request], max_size, t).count == 1`` for any request of this size. ``False``
        means "not known"; the writer then packs the request alone to find out."""
        ...


class LengthPrefixedPacker:
    """``u64 proposed_time_us`` then ``u32 length ‖ request`` repeated, big-endian. Tests only."""

    def fits_alone(self, request_size: int, max_size: int) -> bool:
        return TIMESTAMP_BYTES + LENGTH_PREFIX_BYTES + request_size <= max_size

    def pack(self, requests: Sequence[bytes], max_size: int, proposed_time_us: int) -> PackedBatch:
        parts = [proposed_time_us.to_bytes(TIMESTAMP_BYTES, "big")]
        size = TIMESTAMP_BYTES
        count = 0
        for request in requests:
            step = LENGTH_PREFIX_BYTES + len(request)
            if size + step > max_size:
                break
            parts.append(len(request).to_bytes(LENGTH_PREFIX_BYTES, "big"))
            parts.append(request)
            size += step
            count += 1
        return PackedBatch(b"".join(parts) if count else b"", count)


def unpack_length_prefixed(batch: bytes) -> tuple[int, list[bytes]]:
    """Inverse of :class:`LengthPrefixedPacker`: (proposed time, requests)."""
    if len(batch) < TIMESTAMP_BYTES:
        raise ValueError(f"batch of {len(batch)} bytes has no timestamp")
    proposed = int.from_bytes(batch[:TIMESTAMP_BYTES], "big")
    out: list[bytes] = []
    pos = TIMESTAMP_BYTES
    while pos < len(batch):
        if pos + LENGTH_PREFIX_BYTES > len(batch):
            raise ValueError(f"truncated length prefix at offset {pos}")
        n = int.from_bytes(batch[pos : pos + LENGTH_PREFIX_BYTES], "big")
        pos += LENGTH_PREFIX_BYTES
        if pos + n > len(batch):
            raise ValueError(f"request of {n} bytes at offset {pos} runs past the end")
        out.append(batch[pos : pos + n])
        pos += n
    return proposed, out
