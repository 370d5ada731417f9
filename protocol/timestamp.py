"""Protocol time: :data:`Timestamp`, microseconds since the Unix epoch (UTC).

Sequencing timestamps, ``max_sequencing_time``, topology effective times and token
expiries are all :data:`Timestamp` values. They are encoded as ``u64`` (so a timestamp is
never negative) and bounded above by :data:`MAX_TIMESTAMP` (year 9999), which keeps every
value convertible to :class:`datetime.datetime`. Durations are plain ``int`` microseconds
(:data:`Micros`).
"""

from __future__ import annotations

import datetime as _dt
import time as _time
from typing import NewType

from protocol.canonical import Reader, Writer
from protocol.errors import InvalidValueError

Timestamp = NewType("Timestamp", int)
"""Microseconds since 1970-01-01T00:00:00Z, in ``[MIN_TIMESTAMP, MAX_TIMESTAMP]``."""

Micros = NewType("Micros", int)
"""A duration in microseconds (may be negative only where a field says so)."""

MICROS_PER_SECOND = 1_000_000
MIN_TIMESTAMP = Timestamp(0)
MAX_TIMESTAMP = Timestamp(253_402_300_799_999_999)  # 9999-12-31T23:59:59.999999Z

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)


def timestamp(micros: int) -> Timestamp:
    """Validate ``micros`` as a timestamp; raise :class:`InvalidValueError` if out of range."""
    if not isinstance(micros, int) or isinstance(micros, bool):
        raise InvalidValueError("timestamp", micros, "must be an int of microseconds")
    if not MIN_TIMESTAMP <= micros <= MAX_TIMESTAMP:
        raise InvalidValueError(
            "timestamp", micros, f"must be in [{MIN_TIMESTAMP}, {MAX_TIMESTAMP}] microseconds"
        )
    return Timestamp(micros)


def now() -> Timestamp:
    """The local wall clock as a timestamp (never use it where nodes must agree)."""
    return Timestamp(_time.time_ns() // 1_000)


def from_seconds(seconds: int) -> Timestamp:
    """A whole-second time (such as an EVM block timestamp) as a timestamp."""
    return timestamp(seconds * MICROS_PER_SECOND)


def from_datetime(value: _dt.datetime) -> Timestamp:
    """An aware datetime as a timestamp (naive datetimes are rejected, not guessed)."""
    if value.tzinfo is None:
        raise InvalidValueError("timestamp", value, "datetime must be timezone-aware")
    delta = value - _EPOCH
    return timestamp((delta.days * 86_400 + delta.seconds) * MICROS_PER_SECOND + delta.microseconds)


def to_datetime(ts: Timestamp) -> _dt.datetime:
    """The timestamp as an aware UTC datetime."""
    return _EPOCH + _dt.timedelta(microseconds=ts)


def to_iso(ts: Timestamp) -> str:
    """RFC 3339 text with microseconds, e.g. ``2024-01-01T00:00:00.000000Z``."""
    return to_datetime(ts).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def add_micros(ts: Timestamp, delta: int) -> Timestamp:
    """``ts + delta``, validated to stay within the timestamp range."""
    return timestamp(ts + delta)


def write_timestamp(w: Writer, ts: Timestamp) -> None:
    w.u64(timestamp(ts))


def read_timestamp(r: Reader) -> Timestamp:
    return timestamp(r.u64())
