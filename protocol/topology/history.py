"""Canonical encoding of the topology history, as the sequencer API serves it
(``GetTopologyHistory``, ``docs/topology.md`` §8): the accepted transactions and the
proposals of the transactions still pending.

A :class:`~protocol.topology.state.StoredTransaction` is encoded as::

    tag("StoredTransaction", 1)
    u64        position
    timestamp  sequenced_at
    timestamp  effective_at
    bytes      the SignedTopologyTransaction's canonical bytes

A :class:`~protocol.topology.state.ProposalRecord` is encoded as::

    tag("TopologyProposalRecord", 1)
    u64        position       accepted transactions before it
    timestamp  sequenced_at
    bytes      the SignedTopologyTransaction's canonical bytes, as broadcast

:func:`replay_order` interleaves the two kinds in the order they were processed. The
receiver trusts none of it: it replays each transaction through its own
:class:`~protocol.topology.processor.TopologyProcessor` (signatures and authorization are
checked again) and requires the same position and effective time
(:meth:`~protocol.topology.store.TopologyStore.catch_up`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import pairwise
from typing import TypeVar

from protocol.canonical import Reader, Writer, encode
from protocol.errors import EncodeError, InvalidKeyError, MalformedError
from protocol.timestamp import read_timestamp, write_timestamp
from protocol.topology.errors import MalformedTopologyError
from protocol.topology.state import ProposalRecord, StoredTransaction
from protocol.topology.transactions import (
    MAX_SIGNED_TRANSACTION_SIZE,
    decode_signed_topology_transaction,
)

STORED_TRANSACTION_TAG = "StoredTransaction"
STORED_TRANSACTION_VERSION = 1
PROPOSAL_RECORD_TAG = "TopologyProposalRecord"
PROPOSAL_RECORD_VERSION = 1
MAX_STORED_TRANSACTION_SIZE = MAX_SIGNED_TRANSACTION_SIZE + 64
"""Upper bound of an encoded record (either kind): the signed transaction plus its fixed
fields."""

HistoryEntry = StoredTransaction | ProposalRecord
_T = TypeVar("_T")


def write_stored_transaction(w: Writer, record: StoredTransaction) -> None:
    w.tag(STORED_TRANSACTION_TAG, STORED_TRANSACTION_VERSION)
    w.u64(record.position)
    write_timestamp(w, record.sequenced_at)
    write_timestamp(w, record.effective_at)
    w.bytes(record.signed.encode())


def encode_stored_transaction(record: StoredTransaction) -> bytes:
    return encode(lambda w: write_stored_transaction(w, record))


def _read_record(
    data: bytes, what: str, tag: str, version: int, read: Callable[[Reader], _T]
) -> _T:
    """Both record kinds: a size-bounded canonical decode whose every failure is a
    :class:`MalformedTopologyError` naming ``what``."""
    if not isinstance(data, bytes):
        raise MalformedTopologyError(what, "input must be bytes")
    if len(data) > MAX_STORED_TRANSACTION_SIZE:
        raise MalformedTopologyError(
            what, f"{len(data)} bytes exceed {MAX_STORED_TRANSACTION_SIZE}"
        )
    r = Reader(data, what)
    try:
        r.expect_tag(tag, version)
        fields = read(r)
        r.finish()
    except (MalformedError, InvalidKeyError, EncodeError) as exc:
        raise MalformedTopologyError(what, str(exc)) from None
    return fields


def decode_stored_transaction(data: bytes) -> StoredTransaction:
    """Decode one record; raises only :class:`MalformedTopologyError`."""
    what = "stored topology transaction"
    position, sequenced_at, effective_at, signed_bytes = _read_record(
        data,
        what,
        STORED_TRANSACTION_TAG,
        STORED_TRANSACTION_VERSION,
        lambda r: (r.u64(), read_timestamp(r), read_timestamp(r), r.bytes()),
    )
    if effective_at < sequenced_at:
        raise MalformedTopologyError(
            what, f"effective at {effective_at}, before its sequencing time {sequenced_at}"
        )
    signed = decode_signed_topology_transaction(signed_bytes)
    return StoredTransaction(position, sequenced_at, effective_at, signed)


def write_proposal_record(w: Writer, record: ProposalRecord) -> None:
    w.tag(PROPOSAL_RECORD_TAG, PROPOSAL_RECORD_VERSION)
    w.u64(record.position)
    write_timestamp(w, record.sequenced_at)
    w.bytes(record.signed.encode())


def encode_proposal_record(record: ProposalRecord) -> bytes:
    return encode(lambda w: write_proposal_record(w, record))


def decode_proposal_record(data: bytes) -> ProposalRecord:
    """Decode one proposal record; raises only :class:`MalformedTopologyError`."""
    position, sequenced_at, signed_bytes = _read_record(
        data,
        "topology proposal record",
        PROPOSAL_RECORD_TAG,
        PROPOSAL_RECORD_VERSION,
        lambda r: (r.u64(), read_timestamp(r), r.bytes()),
    )
    signed = decode_signed_topology_transaction(signed_bytes)
    return ProposalRecord(position, sequenced_at, signed)


def replay_order(
    transactions: Iterable[StoredTransaction], proposals: Sequence[ProposalRecord]
) -> list[HistoryEntry]:
    """The entries in the order they were processed: each proposal record right before the
    accepted transaction at its ``position`` (after earlier proposals of the same
    position), the rest after the last transaction. ``proposals`` must be in processing
    order (as served); a record out of position order raises
    :class:`MalformedTopologyError`."""
    for before, after in pairwise(proposals):
        if after.position < before.position or after.sequenced_at < before.sequenced_at:
            raise MalformedTopologyError(
                "topology proposal record", "proposal records are not in processing order"
            )
    out: list[HistoryEntry] = []
    index = 0
    for record in transactions:
        while index < len(proposals) and proposals[index].position <= record.position:
            out.append(proposals[index])
            index += 1
        out.append(record)
    out.extend(proposals[index:])
    return out
