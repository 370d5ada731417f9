"""Canonical binary encoding for everything that is hashed or signed.

Protobuf is not canonical (field order, default values and unknown fields all vary), so
every value whose bytes are hashed or signed is encoded with this module instead. The
rules are few and fixed; each value has exactly one encoding:

========================  =====================================================
kind                      encoding
========================  =====================================================
``u8/u16/u32/u64``        fixed width, big-endian, unsigned
``i64``                   fixed width, big-endian, two's complement
``bool``                  one byte, ``0x00`` or ``0x01`` (anything else rejected)
``bytes``                 ``u32`` length, then the bytes
``str``                   ``bytes`` of its UTF-8 encoding (must be valid UTF-8)
``optional``              ``0x00`` for absent, or ``0x01`` then the value
``sequence``              ``u32`` count, then each element
``set``                   ``sequence`` of the element encodings, sorted bytewise,
                          without duplicates (a decoder rejects anything else)
``record``                its fields in declaration order, no names, no tags
========================  =====================================================

Every encoded message type starts with a domain-separation tag written with
:meth:`Writer.tag` (a short ASCII name and a version byte), so the bytes of one type can
never be taken for another's when they are signed.

:class:`Reader` enforces the same rules on the way in: it never reads past the end,
rejects trailing bytes (:meth:`Reader.finish`), and rejects non-canonical forms.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable
from typing import TypeVar

from protocol.errors import EncodeError, NonCanonicalError, TrailingBytesError, TruncatedInputError

T = TypeVar("T")

MAX_U8 = 2**8 - 1
MAX_U16 = 2**16 - 1
MAX_U32 = 2**32 - 1
MAX_U64 = 2**64 - 1
MIN_I64 = -(2**63)
MAX_I64 = 2**63 - 1


class Writer:
    """Appends canonical encodings to a buffer; ``bytes(writer)`` gives the result."""

    __slots__ = ("_parts",)

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def __bytes__(self) -> bytes:
        return b"".join(self._parts)

    def _uint(self, value: int, width: int, what: str) -> Writer:
        in_range = isinstance(value, int) and not isinstance(value, bool)
        if not in_range or not 0 <= value < 1 << (8 * width):
            raise EncodeError(what, value, f"an integer in [0, 2**{8 * width})")
        self._parts.append(value.to_bytes(width, "big"))
        return self

    def tag(self, name: str, version: int) -> Writer:
        """Domain-separation tag: the type's ASCII name and its encoding version."""
        self.str(name)
        return self.u8(version)

    def u8(self, value: int) -> Writer:
        return self._uint(value, 1, "u8")

    def u16(self, value: int) -> Writer:
        return self._uint(value, 2, "u16")

    def u32(self, value: int) -> Writer:
        return self._uint(value, 4, "u32")

    def u64(self, value: int) -> Writer:
        return self._uint(value, 8, "u64")

    def i64(self, value: int) -> Writer:
        if not isinstance(value, int) or isinstance(value, bool) or not MIN_I64 <= value <= MAX_I64:
            raise EncodeError("i64", value, "an integer in [-2**63, 2**63)")
        self._parts.append(value.to_bytes(8, "big", signed=True))
        return self

    def bool(self, value: bool) -> Writer:
        if not isinstance(value, bool):
            raise EncodeError("bool", value, "True or False")
        self._parts.append(b"\x01" if value else b"\x00")
        return self

    def bytes(self, value: bytes) -> Writer:
        if not isinstance(value, bytes | bytearray | memoryview):
            raise EncodeError("bytes", value, "bytes")
        data = bytes(value)
        self.u32(len(data))
        self._parts.append(data)
        return self

    def fixed(self, value: builtins.bytes, size: int) -> Writer:
        """Exactly ``size`` raw bytes with no length prefix (hashes, keys)."""
        if not isinstance(value, bytes) or len(value) != size:
            raise EncodeError(f"fixed[{size}]", value, f"exactly {size} bytes")
        self._parts.append(value)
        return self

    def str(self, value: str) -> Writer:
        if not isinstance(value, str):
            raise EncodeError("str", value, "a str")
        return self.bytes(value.encode("utf-8"))

    def optional(self, value: T | None, write: Callable[[Writer, T], object]) -> Writer:
        if value is None:
            return self.u8(0)
        self.u8(1)
        write(self, value)
        return self

    def sequence(self, values: Iterable[T], write: Callable[[Writer, T], object]) -> Writer:
        items = list(values)
        self.u32(len(items))
        for item in items:
            write(self, item)
        return self

    def set(self, values: Iterable[T], write: Callable[[Writer, T], object]) -> Writer:
        encoded = set()
        for item in values:
            w = Writer()
            write(w, item)
            encoded.add(bytes(w))
        self.u32(len(encoded))
        self._parts.extend(sorted(encoded))
        return self


class Reader:
    """Reads canonical encodings from ``data``, rejecting anything malformed."""

    __slots__ = ("_data", "_pos", "what")

    def __init__(self, data: bytes, what: str = "message") -> None:
        self._data = memoryview(bytes(data))
        self._pos = 0
        self.what = what

    @property
    def offset(self) -> int:
        return self._pos

    @property
    def remaining(self) -> int:
        return len(self._data) - self._pos

    def _take(self, n: int) -> bytes:
        if n > self.remaining:
            raise TruncatedInputError(self.what, n, self.remaining, self._pos)
        chunk = bytes(self._data[self._pos : self._pos + n])
        self._pos += n
        return chunk

    def finish(self) -> None:
        """Require that the whole input was consumed."""
        if self.remaining:
            raise TrailingBytesError(self.what, self.remaining, self._pos)

    def expect_tag(self, name: str, version: int) -> None:
        start = self._pos
        got_name = self.str()
        got_version = self.u8()
        if got_name != name or got_version != version:
            detail = f"expected tag {name!r} v{version}, got {got_name!r} v{got_version}"
            raise NonCanonicalError(self.what, detail, start)

    def u8(self) -> int:
        return self._take(1)[0]

    def u16(self) -> int:
        return int.from_bytes(self._take(2), "big")

    def u32(self) -> int:
        return int.from_bytes(self._take(4), "big")

    def u64(self) -> int:
        return int.from_bytes(self._take(8), "big")

    def i64(self) -> int:
        return int.from_bytes(self._take(8), "big", signed=True)

    def bool(self) -> bool:
        start = self._pos
        b = self.u8()
        if b > 1:
            raise NonCanonicalError(self.what, f"bool byte must be 0 or 1, got {b}", start)
        return b == 1

    def bytes(self) -> bytes:
        return self._take(self.u32())

    def fixed(self, size: int) -> builtins.bytes:
        return self._take(size)

    def str(self) -> str:
        start = self._pos
        raw = self.bytes()
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NonCanonicalError(self.what, f"invalid UTF-8: {exc.reason}", start) from None

    def optional(self, read: Callable[[Reader], T]) -> T | None:
        start = self._pos
        flag = self.u8()
        if flag == 0:
            return None
        if flag != 1:
            raise NonCanonicalError(self.what, f"optional flag must be 0 or 1, got {flag}", start)
        return read(self)

    def sequence(self, read: Callable[[Reader], T], max_count: int = 1 << 20) -> list[T]:
        start = self._pos
        count = self.u32()
        if count > max_count:
            detail = f"sequence of {count} exceeds limit {max_count}"
            raise NonCanonicalError(self.what, detail, start)
        if count > self.remaining:  # every element takes at least one byte
            raise TruncatedInputError(self.what, count, self.remaining, self._pos)
        return [read(self) for _ in range(count)]

    def set(self, read: Callable[[Reader], T], max_count: int = 1 << 20) -> list[T]:
        """Read a set, enforcing strictly increasing element encodings."""
        start = self._pos
        count = self.u32()
        if count > max_count:
            raise NonCanonicalError(self.what, f"set of {count} exceeds limit {max_count}", start)
        if count > self.remaining:
            raise TruncatedInputError(self.what, count, self.remaining, self._pos)
        items: list[T] = []
        previous: bytes | None = None
        for _ in range(count):
            begin = self._pos
            items.append(read(self))
            encoded = bytes(self._data[begin : self._pos])
            if previous is not None and encoded <= previous:
                raise NonCanonicalError(self.what, "set elements not strictly sorted", begin)
            previous = encoded
        return items


def encode(write: Callable[[Writer], object]) -> bytes:
    """Run ``write`` on a fresh :class:`Writer` and return the bytes."""
    w = Writer()
    write(w)
    return bytes(w)


def decode(data: bytes, read: Callable[[Reader], T], what: str = "message") -> T:
    """Decode exactly one value from ``data``; trailing bytes are an error."""
    r = Reader(data, what)
    value = read(r)
    r.finish()
    return value
