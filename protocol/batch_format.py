"""The on-chain batch: what a sequencer writer puts in ``submit(writerSeq, batch)``.

Layout (docs/batch-format.md is the specification; the names here follow it)::

    offset  size  field
    0       1     version              BATCH_FORMAT_VERSION (1)
    1       8     proposed_timestamp   u64, µs since the epoch: the writer's clock at packing
    9       1     compression          0 = none, 1 = zlib (RFC 1950)
    10      ...   body                 content, compressed as the flag says

    content = u32 count (1..MAX_REQUESTS_PER_BATCH), then count times:
              u32 length, then the canonical bytes of a SignedSubmissionRequest

Compression is chosen per batch: encrypted payloads do not compress, and a flag keeps them
from paying for a useless zlib frame. Decompression is bounded by
``MAX_DECOMPRESSED_SIZE`` so that a small batch cannot expand into gigabytes.

:func:`decode_batch` rejects anything else with :class:`~protocol.errors.BatchDecodeError`
and raises no other exception type; since it is a pure function of the bytes, every reader
skips the same garbage batches. A batch with one malformed request is rejected as a whole:
writers are the domain's own sequencers, which validated every request before writing it,
so such a batch is a writer fault, not a sender's.
"""

from __future__ import annotations

import bisect
import enum
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from protocol.canonical import Reader, Writer, decode
from protocol.errors import BatchDecodeError, InvalidValueError, ProtocolError, RequestTooLargeError
from protocol.sequencer_messages import MAX_SIGNED_REQUEST_SIZE, SignedSubmissionRequest
from protocol.timestamp import Timestamp, timestamp

BATCH_FORMAT_VERSION = 1
BATCH_HEADER_SIZE = 10
MAX_BATCH_SIZE = 120_000
"""The ordering contract's ``MAX_BATCH_SIZE``; the default bound of :func:`pack_batch`."""
MAX_DECOMPRESSED_SIZE = 4 * 1024 * 1024
MAX_REQUESTS_PER_BATCH = 4_096
ZLIB_LEVEL = 9
"""Writers compress at the best level: on batches of 1 KiB random payloads it costs 4 % more
time than level 6 and saves about 3 bytes per request (0.3 % of the gas); readers accept
any level."""
GUESSED_PROBES = 4
"""Probes of :func:`pack_batch`'s search placed by the measured compression ratio."""

_HEADER = struct.Struct(">BQB")


class Compression(enum.IntEnum):
    """The compression flag of a batch."""

    NONE = 0
    ZLIB = 1


@dataclass(frozen=True, slots=True)
class OnChainBatch:
    """A decoded on-chain batch."""

    proposed_timestamp: Timestamp
    """The writer's clock when it packed the batch; an input to the sequencing time."""

    requests: tuple[SignedSubmissionRequest, ...]
    """The signed requests, in the order they are sequenced."""

    compression: Compression
    """How the body was compressed (informative; decoding does not depend on it)."""


@dataclass(frozen=True, slots=True)
class PackedBatch:
    """The result of :func:`pack_batch`."""

    data: bytes
    """The batch bytes to submit; at most ``max_size`` long."""

    count: int
    """How many requests, from the front of the input, ``data`` carries."""


def _content(requests: Sequence[bytes]) -> bytes:
    w = Writer()
    w.sequence(requests, Writer.bytes)
    return bytes(w)


def _content_size(sizes: Sequence[int]) -> int:
    return 4 + sum(4 + s for s in sizes)


def encode_batch(
    proposed_timestamp: Timestamp,
    requests: Sequence[bytes],
    compression: Compression | None = None,
) -> bytes:
    """Encode a batch of signed-request encodings. ``compression=None`` picks whichever of
    none or zlib gives fewer bytes. Raises :class:`InvalidValueError` for an empty batch or
    too many requests; it does not check the batch against a size limit (see
    :func:`pack_batch`)."""
    if not 1 <= len(requests) <= MAX_REQUESTS_PER_BATCH:
        raise InvalidValueError("batch", len(requests), f"1..{MAX_REQUESTS_PER_BATCH} requests")
    for raw in requests:
        if len(raw) > MAX_SIGNED_REQUEST_SIZE:
            raise RequestTooLargeError(len(raw), MAX_SIGNED_REQUEST_SIZE)
    content = _content(requests)
    if len(content) > MAX_DECOMPRESSED_SIZE:
        raise InvalidValueError("batch content", len(content), f"<= {MAX_DECOMPRESSED_SIZE}")
    body = content
    chosen = Compression.NONE
    if compression is not Compression.NONE:
        packed = zlib.compress(content, ZLIB_LEVEL)
        if compression is Compression.ZLIB or len(packed) < len(content):
            body, chosen = packed, Compression.ZLIB
    return _HEADER.pack(BATCH_FORMAT_VERSION, timestamp(proposed_timestamp), chosen) + body


def pack_batch(
    requests: Sequence[bytes],
    proposed_timestamp: Timestamp,
    max_size: int = MAX_BATCH_SIZE,
    *,
    try_compression: bool = True,
) -> PackedBatch:
    """Pack as many requests as fit in ``max_size`` bytes, from the front of ``requests``.

    ``requests`` are canonical :class:`SignedSubmissionRequest` encodings that the caller
    has validated. Uncompressed sizes add up exactly, so the uncompressed prefix is found
    directly; then, if requests remain and ``try_compression`` is set, zlib is tried on one
    more request, and only if that fits is the longest compressible prefix searched for
    (so incompressible, encrypted traffic costs one compression attempt besides the
    batch's own). The search (:func:`_longest_compressed`) guesses from the compression
    ratio measured so far, so it usually takes two or three compressions where bisection
    took ten. Raises :class:`RequestTooLargeError` if the first request cannot fit even
    alone.
    """
    if not requests:
        raise InvalidValueError("requests", 0, "at least one request to pack")
    if max_size < BATCH_HEADER_SIZE + 8:
        raise InvalidValueError("max_size", max_size, "room for a header and one request")
    limit = min(len(requests), MAX_REQUESTS_PER_BATCH)
    budget = max_size - BATCH_HEADER_SIZE
    size = 4
    n_plain = 0
    while n_plain < limit and size + 4 + len(requests[n_plain]) <= budget:
        size += 4 + len(requests[n_plain])
        n_plain += 1

    if try_compression and n_plain < limit:
        found = _longest_compressed(requests, proposed_timestamp, max_size, n_plain, limit)
        if found is not None:
            return found
    if n_plain == 0:
        raise RequestTooLargeError(len(requests[0]), budget - 8)
    return PackedBatch(encode_batch(proposed_timestamp, requests[:n_plain]), n_plain)


def fits_uncompressed(request_size: int, max_size: int = MAX_BATCH_SIZE) -> bool:
    """Whether one request of ``request_size`` bytes fits a batch of ``max_size`` on its
    own without compression (then :func:`pack_batch` can always carry it); no encoding is
    done, so it is cheap enough to ask for every incoming request."""
    if request_size > MAX_SIGNED_REQUEST_SIZE:
        return False
    return BATCH_HEADER_SIZE + _content_size([request_size]) <= max_size


def _longest_compressed(
    requests: Sequence[bytes],
    proposed_timestamp: Timestamp,
    max_size: int,
    n_plain: int,
    limit: int,
) -> PackedBatch | None:
    """The longest prefix, longer than ``n_plain``, whose zlib batch fits ``max_size``, or
    ``None`` if even ``n_plain + 1`` requests do not fit compressed.

    Compressed size grows with the prefix, so the answer is the ``n`` where ``n`` fits and
    ``n + 1`` does not. Each probe is placed where the compression ratio of the longest
    fitting prefix so far says the batch would be full; a probe that lands one past the
    last fitting prefix and fails ends the search. After ``GUESSED_PROBES`` guesses the
    search bisects, so it never takes more than a bisection's steps plus that many.
    """
    raw_ends = [0]
    for raw in requests[:limit]:
        raw_ends.append(raw_ends[-1] + 4 + len(raw))

    def attempt(n: int) -> bytes | None:
        if 4 + raw_ends[n] > MAX_DECOMPRESSED_SIZE:
            return None
        data = encode_batch(proposed_timestamp, requests[:n], Compression.ZLIB)
        return data if len(data) <= max_size else None

    lo = n_plain + 1
    best = attempt(lo)
    if best is None:
        return None
    hi = limit  # invariant: lo fits, nothing above hi does
    guesses = 0
    while lo < hi:
        if guesses < GUESSED_PROBES:
            guesses += 1
            ratio = (len(best) - BATCH_HEADER_SIZE) / (4 + raw_ends[lo])
            room = (max_size - BATCH_HEADER_SIZE) / ratio - 4  # raw bytes that would fit
            probe = bisect.bisect_right(raw_ends, room, lo, hi + 1) - 1
            probe = min(max(probe, lo + 1), hi)
        else:
            probe = (lo + hi + 1) // 2
        candidate = attempt(probe)
        if candidate is None:
            hi = probe - 1
        else:
            lo, best = probe, candidate
    return PackedBatch(best, lo)


def _read_content(r: Reader) -> list[bytes]:
    return r.sequence(Reader.bytes, max_count=MAX_REQUESTS_PER_BATCH)


def decode_batch(data: bytes) -> OnChainBatch:
    """Decode an on-chain batch; raise :class:`BatchDecodeError` (and nothing else) for
    anything that is not a valid batch."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise BatchDecodeError(f"expected bytes, got {type(data).__name__}")
    data = bytes(data)
    if len(data) < BATCH_HEADER_SIZE:
        raise BatchDecodeError(f"{len(data)} bytes is shorter than the header", 0)
    version, proposed, flag = _HEADER.unpack_from(data)
    if version != BATCH_FORMAT_VERSION:
        raise BatchDecodeError(f"unknown version {version}", 0)
    try:
        proposed_ts = timestamp(proposed)
    except ProtocolError as exc:
        raise BatchDecodeError(f"proposed timestamp: {exc}", 1) from None
    try:
        compression = Compression(flag)
    except ValueError:
        raise BatchDecodeError(f"unknown compression flag {flag}", 9) from None
    body = data[BATCH_HEADER_SIZE:]
    if compression is Compression.ZLIB:
        body = _inflate(body)
    try:
        raw_requests = decode(body, _read_content, "batch content")
        if not raw_requests:
            raise BatchDecodeError("batch carries no requests")
        requests = tuple(SignedSubmissionRequest.from_bytes(raw) for raw in raw_requests)
    except BatchDecodeError:
        raise
    except ProtocolError as exc:
        raise BatchDecodeError(f"content: {exc}") from exc
    return OnChainBatch(proposed_ts, requests, compression)


def _inflate(body: bytes) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(body, MAX_DECOMPRESSED_SIZE + 1)
    except zlib.error as exc:
        raise BatchDecodeError(f"zlib: {exc}", BATCH_HEADER_SIZE) from None
    if len(out) > MAX_DECOMPRESSED_SIZE:
        raise BatchDecodeError(f"decompresses beyond {MAX_DECOMPRESSED_SIZE} bytes")
    if not inflater.eof:
        raise BatchDecodeError("zlib stream is truncated", BATCH_HEADER_SIZE)
    if inflater.unused_data:
        raise BatchDecodeError(f"{len(inflater.unused_data)} bytes after the zlib stream")
    return out


def encode_signed_requests(requests: Sequence[SignedSubmissionRequest]) -> list[bytes]:
    """Canonical encodings of ``requests``, ready for :func:`pack_batch`."""
    return [r.to_bytes() for r in requests]


__all__ = [
    "BATCH_FORMAT_VERSION",
    "BATCH_HEADER_SIZE",
    "MAX_BATCH_SIZE",
    "MAX_DECOMPRESSED_SIZE",
    "MAX_REQUESTS_PER_BATCH",
    "Compression",
    "OnChainBatch",
    "PackedBatch",
    "decode_batch",
    "encode_batch",
    "encode_signed_requests",
    "fits_uncompressed",
    "pack_batch",
]
