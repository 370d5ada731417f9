"""The ledger value model and its canonical encoding.

A ledger value is what a contract argument, a choice argument, a choice result or a
contract key is made of. The model is Daml-LF's, reduced to what templates use:

=============  ======  ==============================================================
kind           tag     canonical encoding after the tag byte
=============  ======  ==============================================================
Unit           0x00    nothing
Bool           0x01    ``bool``
Int            0x02    ``i64`` (signed 64 bit; anything wider is an overflow)
Decimal        0x03    ``str``: ``-?digits.dddddddddd`` exactly 10 decimals (Numeric 10),
                       at most 28 integer digits, no leading zeros, no ``-0``
Text           0x04    ``str``
Party          0x05    ``str`` matching the party id form (``types.PARTY_RE``)
Time           0x06    ``i64`` microseconds since 1970-01-01T00:00:00Z
Date           0x07    ``i64`` days since 1970-01-01
ContractId     0x08    ``str`` matching the contract id form
List           0x09    ``sequence`` of values
Optional       0x0a    ``optional`` value
Map            0x0b    ``sequence`` of (key, value), sorted strictly by key encoding
Record         0x0c    ``str`` type name, ``sequence`` of (``str`` field, value)
Variant        0x0d    ``str`` type name, ``str`` constructor, value
=============  ======  ==============================================================

Maps of any key type share one kind (Daml's TextMap is a Map whose keys are Text): the
entries are ordered by the bytes of their keys, so equal maps have equal bytes whatever
order they were built in. Decoding rejects every non-canonical form and nests at most
``MAX_DEPTH`` levels deep.
"""

from __future__ import annotations

import decimal
import itertools
import re
from dataclasses import dataclass

from participant.engine.types import is_contract_id, is_party
from protocol.canonical import Reader, Writer, decode, encode
from protocol.errors import EncodeError, NonCanonicalError

DECIMAL_SCALE = 10
DECIMAL_MAX_INT_DIGITS = 28
DECIMAL_QUANTUM = decimal.Decimal(1).scaleb(-DECIMAL_SCALE)
DECIMAL_BOUND = decimal.Decimal(10) ** DECIMAL_MAX_INT_DIGITS
DECIMAL_CONTEXT = decimal.Context(
    prec=DECIMAL_SCALE + DECIMAL_MAX_INT_DIGITS,
    rounding=decimal.ROUND_HALF_EVEN,
    Emax=DECIMAL_MAX_INT_DIGITS + 10,
    Emin=-(DECIMAL_SCALE + 30),
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)
"""The one decimal context package code runs under, whatever the host's context is."""
MIN_INT = -(2**63)
MAX_INT = 2**63 - 1
MAX_DEPTH = 100
_DECIMAL_RE = re.compile(r"-?(0|[1-9][0-9]{0,27})\.[0-9]{10}")


@dataclass(frozen=True, slots=True)
class UnitValue:
    """Daml's ``()``."""


@dataclass(frozen=True, slots=True)
class BoolValue:
    value: bool


@dataclass(frozen=True, slots=True)
class IntValue:
    value: int
    """Signed 64-bit."""


@dataclass(frozen=True, slots=True)
class DecimalValue:
    value: decimal.Decimal
    """Exactly ``DECIMAL_SCALE`` decimals, fewer than 10**28 in magnitude."""


@dataclass(frozen=True, slots=True)
class TextValue:
    value: str


@dataclass(frozen=True, slots=True)
class PartyValue:
    value: str


@dataclass(frozen=True, slots=True)
class TimeValue:
    micros: int
    """Microseconds since the Unix epoch, UTC."""


@dataclass(frozen=True, slots=True)
class DateValue:
    days: int
    """Days since 1970-01-01."""


@dataclass(frozen=True, slots=True)
class ContractIdValue:
    value: str


@dataclass(frozen=True, slots=True)
class ListValue:
    items: tuple[Value, ...]


@dataclass(frozen=True, slots=True)
class OptionalValue:
    value: Value | None


@dataclass(frozen=True, slots=True)
class MapValue:
    entries: tuple[tuple[Value, Value], ...]
    """Sorted strictly by the canonical bytes of the keys (use :func:`make_map`)."""


@dataclass(frozen=True, slots=True)
class RecordValue:
    type_name: str
    """``module:Name`` of the record, or the template id for a contract argument."""
    fields: tuple[tuple[str, Value], ...]
    """Fields in declaration order."""

    def field(self, name: str) -> Value:
        for field_name, value in self.fields:
            if field_name == name:
                return value
        raise KeyError(name)


@dataclass(frozen=True, slots=True)
class VariantValue:
    type_name: str
    constructor: str
    value: Value


Value = (
    UnitValue
    | BoolValue
    | IntValue
    | DecimalValue
    | TextValue
    | PartyValue
    | TimeValue
    | DateValue
    | ContractIdValue
    | ListValue
    | OptionalValue
    | MapValue
    | RecordValue
    | VariantValue
)

_UNIT, _BOOL, _INT, _DECIMAL, _TEXT, _PARTY, _TIME, _DATE = range(8)
_CID, _LIST, _OPTIONAL, _MAP, _RECORD, _VARIANT = range(8, 14)


def normalize_decimal(value: decimal.Decimal) -> decimal.Decimal:
    """Round half-even to 10 decimals; raise ``ValueError`` outside Numeric(38, 10)."""
    if not value.is_finite():
        raise ValueError(f"not a finite decimal: {value}")
    too_big = ValueError(f"decimal {value} has more than {DECIMAL_MAX_INT_DIGITS} integer digits")
    if abs(value) >= DECIMAL_BOUND:
        raise too_big
    rounded = value.quantize(
        DECIMAL_QUANTUM, rounding=decimal.ROUND_HALF_EVEN, context=DECIMAL_CONTEXT
    )
    if abs(rounded) >= DECIMAL_BOUND:
        raise too_big
    return rounded if rounded != 0 else decimal.Decimal("0E-10")


def decimal_text(value: decimal.Decimal) -> str:
    text = format(value, "f")
    return "0.0000000000" if text == "-0.0000000000" else text


def write_value(w: Writer, value: Value) -> None:
    """Append the canonical encoding of ``value``."""
    match value:
        case UnitValue():
            w.u8(_UNIT)
        case BoolValue(v):
            w.u8(_BOOL).bool(v)
        case IntValue(v):
            w.u8(_INT).i64(v)
        case DecimalValue(v):
            text = decimal_text(v)
            if _DECIMAL_RE.fullmatch(text) is None:
                raise EncodeError("Decimal", v, "Numeric(38, 10) with exactly 10 decimals")
            w.u8(_DECIMAL).str(text)
        case TextValue(v):
            w.u8(_TEXT).str(v)
        case PartyValue(v):
            if not is_party(v):
                raise EncodeError("Party", v, "a party id")
            w.u8(_PARTY).str(v)
        case TimeValue(v):
            w.u8(_TIME).i64(v)
        case DateValue(v):
            w.u8(_DATE).i64(v)
        case ContractIdValue(v):
            if not is_contract_id(v):
                raise EncodeError("ContractId", v, "a contract id")
            w.u8(_CID).str(v)
        case ListValue(items):
            w.u8(_LIST).sequence(items, write_value)
        case OptionalValue(inner):
            w.u8(_OPTIONAL)
            if inner is None:
                w.u8(0)
            else:
                w.u8(1)
                write_value(w, inner)
        case MapValue(entries):
            keys = [value_bytes(k) for k, _ in entries]
            if any(a >= b for a, b in itertools.pairwise(keys)):
                raise EncodeError("Map", value, "entries sorted strictly by key bytes")
            w.u8(_MAP).sequence(entries, _write_entry)
        case RecordValue(type_name, fields):
            w.u8(_RECORD).str(type_name).sequence(fields, _write_field)
        case VariantValue(type_name, constructor, inner):
            w.u8(_VARIANT).str(type_name).str(constructor)
            write_value(w, inner)
        case _:
            raise EncodeError("Value", value, "a ledger value")


def _write_entry(w: Writer, entry: tuple[Value, Value]) -> None:
    write_value(w, entry[0])
    write_value(w, entry[1])


def _write_field(w: Writer, field: tuple[str, Value]) -> None:
    w.str(field[0])
    write_value(w, field[1])


def read_value(r: Reader, depth: int = 0) -> Value:
    """Read one canonical value; reject non-canonical input and deep nesting."""
    if depth > MAX_DEPTH:
        raise NonCanonicalError(r.what, f"value nested deeper than {MAX_DEPTH}", r.offset)
    start = r.offset
    kind = r.u8()

    def sub(reader: Reader) -> Value:
        return read_value(reader, depth + 1)

    if kind == _UNIT:
        return UnitValue()
    if kind == _BOOL:
        return BoolValue(r.bool())
    if kind == _INT:
        return IntValue(r.i64())
    if kind == _DECIMAL:
        text = r.str()
        if _DECIMAL_RE.fullmatch(text) is None or text == "-0.0000000000":
            raise NonCanonicalError(r.what, f"non-canonical decimal {text!r}", start)
        return DecimalValue(decimal.Decimal(text))
    if kind == _TEXT:
        return TextValue(r.str())
    if kind == _PARTY:
        text = r.str()
        if not is_party(text):
            raise NonCanonicalError(r.what, f"malformed party {text!r}", start)
        return PartyValue(text)
    if kind == _TIME:
        return TimeValue(r.i64())
    if kind == _DATE:
        return DateValue(r.i64())
    if kind == _CID:
        text = r.str()
        if not is_contract_id(text):
            raise NonCanonicalError(r.what, f"malformed contract id {text!r}", start)
        return ContractIdValue(text)
    if kind == _LIST:
        return ListValue(tuple(r.sequence(sub)))
    if kind == _OPTIONAL:
        return OptionalValue(r.optional(sub))
    if kind == _MAP:
        previous: bytes | None = None
        entries: list[tuple[Value, Value]] = []
        for _ in range(r.u32()):
            key_start = r.offset
            key = sub(r)
            key_bytes = value_bytes(key)
            if previous is not None and key_bytes <= previous:
                raise NonCanonicalError(r.what, "map keys not strictly sorted", key_start)
            previous = key_bytes
            entries.append((key, sub(r)))
        return MapValue(tuple(entries))
    if kind == _RECORD:
        type_name = r.str()
        fields = r.sequence(lambda reader: (reader.str(), sub(reader)))
        return RecordValue(type_name, tuple(fields))
    if kind == _VARIANT:
        type_name = r.str()
        constructor = r.str()
        return VariantValue(type_name, constructor, sub(r))
    raise NonCanonicalError(r.what, f"unknown value kind {kind}", start)


def value_bytes(value: Value) -> bytes:
    """The canonical encoding of ``value``."""
    return encode(lambda w: write_value(w, value))


def value_from_bytes(data: bytes) -> Value:
    """Decode exactly one value from ``data``."""
    return decode(data, read_value, "value")


def make_map(entries: list[tuple[Value, Value]]) -> MapValue:
    """A map with its entries in canonical order; a repeated key is a ``ValueError``."""
    keyed = sorted(((value_bytes(k), k, v) for k, v in entries), key=lambda e: e[0])
    for (a, _, _), (b, _, _) in itertools.pairwise(keyed):
        if a == b:
            raise ValueError("duplicate map key")
    return MapValue(tuple((k, v) for _, k, v in keyed))


def show_value(value: Value) -> str:
    """A short human-readable form for error messages."""
    match value:
        case UnitValue():
            return "()"
        case BoolValue(v) | IntValue(v):
            return str(v)
        case DecimalValue(v):
            return decimal_text(v)
        case TextValue(v) | PartyValue(v) | ContractIdValue(v):
            return repr(v)
        case TimeValue(v):
            return f"Time({v})"
        case DateValue(v):
            return f"Date({v})"
        case ListValue(items):
            return "[" + ", ".join(show_value(i) for i in items) + "]"
        case OptionalValue(inner):
            return "None" if inner is None else f"Some({show_value(inner)})"
        case MapValue(entries):
            return "{" + ", ".join(f"{show_value(k)}: {show_value(v)}" for k, v in entries) + "}"
        case RecordValue(_, fields):
            if all(name.startswith("_") for name, _ in fields) and fields:
                return "(" + ", ".join(show_value(v) for _, v in fields) + ")"
            return "{" + ", ".join(f"{n}={show_value(v)}" for n, v in fields) + "}"
        case VariantValue(_, constructor, inner):
            return f"{constructor}({show_value(inner)})"
