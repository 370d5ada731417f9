"""Small values of the confirmation protocol: contract ids, view positions, request ids,
root and view hashes, and the request type. Everything larger lives in its own module.

Contract ids are opaque to this package: the engine derives them (``"00" ‖ hex hash``) and
the protocol only compares, stores and hashes them. They are bounded printable ASCII so
that every decoder has a size limit.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import NewType, TypeVar

from protocol.canonical import Reader, Writer, decode
from protocol.crypto.hashing import Hash
from protocol.errors import EncodeError, InvalidKeyError, MalformedError, NonCanonicalError
from protocol.timestamp import Timestamp, read_timestamp, write_timestamp
from protocol.transaction.errors import InvalidTreeError, MalformedTransactionMessageError

E = TypeVar("E", bound=enum.IntEnum)
T = TypeVar("T")

MAX_CONTRACT_ID_LENGTH = 128
MAX_VIEW_DEPTH = 16
MAX_VIEWS_PER_LEVEL = 1_024

ContractId = NewType("ContractId", str)
"""A contract id as the engine makes it: 1..128 printable ASCII characters."""

RootHash = NewType("RootHash", Hash)
"""The hash of a whole :class:`~protocol.transaction.views.FullTransactionTree`."""

ViewHash = NewType("ViewHash", Hash)
"""The hash of one :class:`~protocol.transaction.views.TransactionView` (with subviews)."""

RequestId = NewType("RequestId", Timestamp)
"""A confirmation request is named by the sequencing timestamp of its delivery; every
member derives the same one from the chain."""

ViewPosition = tuple[int, ...]
"""A view's place among views: ``(i,)`` is the i-th root view, ``(i, j)`` its j-th
subview, and so on. Never empty; at most :data:`MAX_VIEW_DEPTH` long."""


class RequestType(enum.IntEnum):
    """What a confirmation request asks for; append only, never renumber."""

    TRANSACTION = 1


def parse_contract_id(text: str) -> ContractId:
    if not isinstance(text, str) or not 1 <= len(text) <= MAX_CONTRACT_ID_LENGTH:
        raise InvalidTreeError("contract id", text, f"a str of 1..{MAX_CONTRACT_ID_LENGTH} chars")
    if not all("\x21" <= c <= "\x7e" for c in text):
        raise InvalidTreeError("contract id", text, "printable ASCII without spaces")
    return ContractId(text)


def write_contract_id(w: Writer, cid: ContractId) -> None:
    w.str(parse_contract_id(cid))


def read_contract_id(r: Reader) -> ContractId:
    return parse_contract_id(r.str())


def view_position(indices: tuple[int, ...]) -> ViewPosition:
    """Validate a view position."""
    ok = isinstance(indices, tuple) and 1 <= len(indices) <= MAX_VIEW_DEPTH
    if not ok or not all(
        isinstance(i, int) and not isinstance(i, bool) and 0 <= i < MAX_VIEWS_PER_LEVEL
        for i in indices
    ):
        raise InvalidTreeError(
            "view position", indices,
            f"1..{MAX_VIEW_DEPTH} indices, each in [0, {MAX_VIEWS_PER_LEVEL})",
        )  # fmt: skip
    return indices


def position_text(position: ViewPosition) -> str:
    """``"0.2.1"``: the text form used in errors and logs."""
    return ".".join(str(i) for i in position)


def write_view_position(w: Writer, position: ViewPosition) -> None:
    w.sequence(view_position(position), Writer.u16)


def read_view_position(r: Reader) -> ViewPosition:
    return view_position(tuple(r.sequence(Reader.u16, max_count=MAX_VIEW_DEPTH)))


def write_hash(w: Writer, value: Hash) -> None:
    value.write(w)


def read_root_hash(r: Reader) -> RootHash:
    return RootHash(Hash.read(r))


def read_view_hash(r: Reader) -> ViewHash:
    return ViewHash(Hash.read(r))


def write_request_id(w: Writer, request_id: RequestId) -> None:
    write_timestamp(w, request_id)


def read_request_id(r: Reader) -> RequestId:
    return RequestId(read_timestamp(r))


def read_enum(r: Reader, kind: type[E], what: str) -> E:
    """Read a ``u8`` enum value, rejecting unknown numbers."""
    start = r.offset
    value = r.u8()
    try:
        return kind(value)
    except ValueError:
        raise NonCanonicalError(r.what, f"unknown {what} {value}", start) from None


def decode_strict(data: bytes, read: Callable[[Reader], T], what: str, max_size: int) -> T:
    """Decode exactly one value from at most ``max_size`` bytes, mapping every failure to
    :class:`MalformedTransactionMessageError`, the only error this package's decoders
    raise (so a node drops garbage with one ``except`` and the same decision everywhere)."""
    if not isinstance(data, bytes):
        raise MalformedTransactionMessageError(what, "input must be bytes")
    if len(data) > max_size:
        raise MalformedTransactionMessageError(what, f"{len(data)} bytes exceed {max_size}")
    try:
        return decode(data, read, what)
    except MalformedTransactionMessageError:
        raise
    except (MalformedError, InvalidKeyError, EncodeError) as exc:
        offset = getattr(exc, "offset", None)
        raise MalformedTransactionMessageError(what, str(exc), offset) from None
