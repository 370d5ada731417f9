"""On-chain batch: layout, compression choice, packing to a size, and hostile input."""

from __future__ import annotations

import contextlib
import os
import struct
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.batch_format import (
    BATCH_HEADER_SIZE,
    MAX_BATCH_SIZE,
    MAX_DECOMPRESSED_SIZE,
    Compression,
    decode_batch,
    encode_batch,
    fits_uncompressed,
    pack_batch,
)
from protocol.errors import BatchDecodeError, RequestTooLargeError
from protocol.identifiers import MemberKind
from protocol.sequencer_messages import (
    MAX_SIGNED_REQUEST_SIZE,
    Batch,
    Envelope,
    MessageId,
    SignedSubmissionRequest,
    SubmissionRequest,
)
from protocol.timestamp import Timestamp
from tests.protocol.support import domain, member, signing_key

P1 = member(MemberKind.PARTICIPANT, "p1")
P2 = member(MemberKind.PARTICIPANT, "p2")
KEY = signing_key("p1")
TS = Timestamp(1_700_000_000_123_456)


def signed(i: int, payload: bytes) -> bytes:
    req = SubmissionRequest(
        domain(), P1, MessageId(f"m{i}"), Batch((Envelope.of(payload, [P2]),)), TS
    )
    return SignedSubmissionRequest.sign(req, KEY).to_bytes()


def test_layout_uncompressed() -> None:
    reqs = [signed(0, os.urandom(64))]
    data = encode_batch(TS, reqs, Compression.NONE)
    assert data[0] == 1
    assert struct.unpack(">Q", data[1:9])[0] == TS
    assert data[9] == 0
    assert data[10:] == struct.pack(">II", 1, len(reqs[0])) + reqs[0]
    decoded = decode_batch(data)
    assert decoded.proposed_timestamp == TS
    assert [r.to_bytes() for r in decoded.requests] == reqs


def test_auto_compression_choice() -> None:
    for reqs in ([signed(0, os.urandom(5_000))], [signed(i, os.urandom(50)) for i in range(9)]):
        plain = encode_batch(TS, reqs, Compression.NONE)
        packed = encode_batch(TS, reqs, Compression.ZLIB)
        auto = encode_batch(TS, reqs)
        assert auto == min(plain, packed, key=len)
        assert decode_batch(plain).requests == decode_batch(packed).requests
    text_reqs = [signed(i, b"a" * 500) for i in range(5)]
    data = encode_batch(TS, text_reqs)
    assert data[9] == Compression.ZLIB
    assert decode_batch(data).compression is Compression.ZLIB
    assert [r.to_bytes() for r in decode_batch(data).requests] == text_reqs


def test_pack_respects_max_size_incompressible() -> None:
    reqs = [signed(i, os.urandom(10_000)) for i in range(30)]
    packed = pack_batch(reqs, TS)
    assert len(packed.data) <= MAX_BATCH_SIZE
    assert packed.count == 11  # 11 * ~10.4 KB fits in 120 KB, 12 does not
    assert [r.to_bytes() for r in decode_batch(packed.data).requests] == reqs[: packed.count]
    nxt = pack_batch(reqs[: packed.count + 1], TS)
    assert nxt.count == packed.count


def test_pack_uses_compression_to_fit_more() -> None:
    reqs = [signed(i, b"z" * 10_000) for i in range(100)]
    packed = pack_batch(reqs, TS)
    assert packed.count > 11
    assert len(packed.data) <= MAX_BATCH_SIZE
    assert len(decode_batch(packed.data).requests) == packed.count


def test_pack_small_limit_and_too_large_request() -> None:
    reqs = [signed(i, os.urandom(1000)) for i in range(3)]
    packed = pack_batch(reqs, TS, max_size=BATCH_HEADER_SIZE + 4 + 4 + len(reqs[0]))
    assert packed.count == 1
    with pytest.raises(RequestTooLargeError):
        pack_batch(reqs, TS, max_size=500, try_compression=False)


def _header(flag: int) -> bytes:
    return struct.pack(">BQB", 1, TS, flag)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "shorter than the header"),
        (struct.pack(">BQB", 2, TS, 0) + b"\x00" * 8, "unknown version"),
        (_header(7) + b"\x00" * 8, "compression flag"),
        (struct.pack(">BQB", 1, 2**64 - 1, 0) + b"\x00" * 4, "proposed timestamp"),
        (_header(0) + struct.pack(">I", 0), "no requests"),
        (_header(0) + struct.pack(">I", 1), "content"),
        (_header(1) + b"not zlib", "zlib"),
        (_header(1) + zlib.compress(struct.pack(">I", 0))[:-2], "truncated"),
        (_header(1) + zlib.compress(struct.pack(">II", 1, 1) + b"x") + b"!", "after the zlib"),
        (_header(0) + struct.pack(">II", 1, 3) + b"abc", "content"),
    ],
)
def test_garbage_is_batch_decode_error(data: bytes, fragment: str) -> None:
    with pytest.raises(BatchDecodeError) as info:
        decode_batch(data)
    assert fragment in str(info.value)


def test_decompression_bomb_refused() -> None:
    bomb = zlib.compress(b"\x00" * (MAX_DECOMPRESSED_SIZE + 10), 9)
    assert len(bomb) < 10_000
    with pytest.raises(BatchDecodeError, match="decompresses beyond"):
        decode_batch(_header(1) + bomb)


def test_one_bad_signature_encoding_rejects_whole_batch() -> None:
    good = signed(0, b"x")
    bad = good[:-1] + bytes([good[-1] ^ 1])  # still decodes: signature bytes are opaque
    assert len(decode_batch(encode_batch(TS, [good, bad])).requests) == 2
    broken = good[:-1]
    with pytest.raises(BatchDecodeError):
        decode_batch(encode_batch(TS, [good, broken]))


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=400))
def test_fuzz_random_bytes_only_batch_decode_error(data: bytes) -> None:
    with contextlib.suppress(BatchDecodeError):  # any other exception fails the test
        decode_batch(data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200), st.integers(0, 1))
def test_fuzz_after_valid_header(body: bytes, flag: int) -> None:
    payload = zlib.compress(body) if flag else body
    with contextlib.suppress(BatchDecodeError):
        decode_batch(_header(flag) + payload)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_fuzz_mutated_valid_batch(data: st.DataObject) -> None:
    base = bytearray(encode_batch(TS, [signed(0, b"hello"), signed(1, b"world")]))
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(base) - 1))
        base[pos] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(base)))
    with contextlib.suppress(BatchDecodeError):
        decode_batch(bytes(base[:cut]))


def test_pack_finds_the_longest_compressed_prefix() -> None:
    """Random payloads with compressible headers: the guessed search ends where the
    exhaustive answer is (n fits compressed, n + 1 does not)."""
    reqs = [signed(i, os.urandom(1_000)) for i in range(400)]
    packed = pack_batch(reqs, TS)
    n = packed.count
    plain_fit = (MAX_BATCH_SIZE - BATCH_HEADER_SIZE - 4) // (4 + len(reqs[0]))
    assert n > plain_fit  # compression carried more than the plain prefix
    assert len(packed.data) <= MAX_BATCH_SIZE
    assert len(encode_batch(TS, reqs[: n + 1], Compression.ZLIB)) > MAX_BATCH_SIZE
    assert packed.data == encode_batch(TS, reqs[:n], Compression.ZLIB)


def test_pack_search_is_short(monkeypatch: pytest.MonkeyPatch) -> None:
    """The search places its probes by the measured ratio: a handful of compressions for
    a full batch out of many offered requests (bisection took about ten)."""
    import protocol.batch_format as bf

    calls: list[int] = []
    real = bf.encode_batch

    def counting(ts: Timestamp, requests: list[bytes], compression: Compression | None = None):  # type: ignore[no-untyped-def]
        calls.append(len(requests))
        return real(ts, requests, compression)

    monkeypatch.setattr(bf, "encode_batch", counting)
    reqs = [signed(i, os.urandom(1_000)) for i in range(800)]
    bf.pack_batch(reqs, TS)
    assert len(calls) <= 4, calls


@pytest.mark.parametrize("size", [1, 10_000, MAX_SIGNED_REQUEST_SIZE])
def test_fits_uncompressed_agrees_with_pack(size: int) -> None:
    request = os.urandom(size)
    assert fits_uncompressed(size)
    assert pack_batch([request], TS, try_compression=False).count == 1
    tight = BATCH_HEADER_SIZE + 8 + size
    assert fits_uncompressed(size, tight)
    assert pack_batch([request], TS, tight, try_compression=False).count == 1
    assert not fits_uncompressed(size, tight - 1)
    with pytest.raises(RequestTooLargeError):
        pack_batch([request], TS, tight - 1, try_compression=False)


def test_fits_uncompressed_refuses_what_cannot_be_encoded() -> None:
    assert not fits_uncompressed(MAX_SIGNED_REQUEST_SIZE + 1, 10 * MAX_BATCH_SIZE)
