"""Canonical encoding of the accepted topology history, as the sequencer API serves it
(``GetTopologyHistory``, ``docs/topology.md`` §8).

A :class:`~protocol.topology.state.StoredTransaction` is encoded as::

    tag("StoredTransaction", 1)
    u64        position
    timestamp  sequenced_at
    timestamp  effective_at
    bytes      the SignedTopologyTransaction's canonical bytes

The receiver trusts none of it: it replays each transaction through its own
:class:`~protocol.topology.processor.TopologyProcessor` (signatures and authorization are
checked again) and requires the same position and effective time
(:meth:`~protocol.topology.store.TopologyStore.catch_up`).
"""

from __future__ import annotations

from protocol.canonical import Reader, Writer, encode
from protocol.errors import EncodeError, InvalidKeyError, MalformedError
from protocol.timestamp import read_timestamp, write_timestamp
from protocol.topology.errors import MalformedTopologyError
from protocol.topology.state import StoredTransaction
from protocol.topology.transactions import (
    MAX_SIGNED_TRANSACTION_SIZE,
    decode_signed_topology_transaction,
)

STORED_TRANSACTION_TAG = "StoredTransaction"
STORED_TRANSACTION_VERSION = 1
MAX_STORED_TRANSACTION_SIZE = MAX_SIGNED_TRANSACTION_SIZE + 64
"""Upper bound of an encoded record: the signed transaction plus its fixed fields."""


def write_stored_transaction(w: Writer, record: StoredTransaction) -> None:
    w.tag(STORED_TRANSACTION_TAG, STORED_TRANSACTION_VERSION)
    w.u64(record.position)
    write_timestamp(w, record.sequenced_at)
    write_timestamp(w, record.effective_at)
    w.bytes(record.signed.encode())


def encode_stored_transaction(record: StoredTransaction) -> bytes:
    return encode(lambda w: write_stored_transaction(w, record))


def decode_stored_transaction(data: bytes) -> StoredTransaction:
    """Decode one record; raises only :class:`MalformedTopologyError`."""
    what = "stored topology transaction"
    if not isinstance(data, bytes):
        raise MalformedTopologyError(what, "input must be bytes")
    if len(data) > MAX_STORED_TRANSACTION_SIZE:
        raise MalformedTopologyError(
            what, f"{len(data)} bytes exceed {MAX_STORED_TRANSACTION_SIZE}"
        )
    r = Reader(data, what)
    try:
        r.expect_tag(STORED_TRANSACTION_TAG, STORED_TRANSACTION_VERSION)
        position = r.u64()
        sequenced_at = read_timestamp(r)
        effective_at = read_timestamp(r)
        signed_bytes = r.bytes()
        r.finish()
    except (MalformedError, InvalidKeyError, EncodeError) as exc:
        raise MalformedTopologyError(what, str(exc)) from None
    if effective_at < sequenced_at:
        raise MalformedTopologyError(
            what, f"effective at {effective_at}, before its sequencing time {sequenced_at}"
        )
    signed = decode_signed_topology_transaction(signed_bytes)
    return StoredTransaction(position, sequenced_at, effective_at, signed)
