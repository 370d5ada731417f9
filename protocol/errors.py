"""Errors of the shared protocol layer.

::

    ProtocolError
    ├── DecodeError            (ValueError)  bytes from the network that are not a valid encoding
    │   ├── TruncatedInputError                    input ended inside a value
    │   ├── TrailingBytesError                     input continued after the value
    │   └── NonCanonicalError                      a valid value, but not in its one canonical form
    └── EncodeError            (ValueError)  a value that has no encoding (out of range, wrong type)

Every error carries the offending values as fields, so callers can report them precisely.
"""

from __future__ import annotations


class ProtocolError(Exception):
    """Root of every error raised by the ``protocol`` package."""


class EncodeError(ProtocolError, ValueError):
    """A value cannot be encoded: out of range for its field, or of the wrong type."""

    def __init__(self, what: str, value: object, expected: str) -> None:
        self.what = what
        self.value = value
        self.expected = expected
        super().__init__(f"cannot encode {what}: expected {expected}, got {value!r}")


class DecodeError(ProtocolError, ValueError):
    """Bytes that are not a valid canonical encoding of the expected value."""

    def __init__(self, what: str, detail: str, offset: int | None = None) -> None:
        self.what = what
        self.detail = detail
        self.offset = offset
        where = "" if offset is None else f" at byte {offset}"
        super().__init__(f"invalid {what}{where}: {detail}")


class TruncatedInputError(DecodeError):
    """The input ended inside a value."""

    def __init__(self, what: str, needed: int, available: int, offset: int) -> None:
        self.needed = needed
        self.available = available
        super().__init__(what, f"needs {needed} more bytes, {available} left", offset)


class TrailingBytesError(DecodeError):
    """The input continued after the complete value."""

    def __init__(self, what: str, extra: int, offset: int) -> None:
        self.extra = extra
        super().__init__(what, f"{extra} trailing bytes after the value", offset)


class NonCanonicalError(DecodeError):
    """A decodable value that is not in its unique canonical form (e.g. unsorted set)."""
