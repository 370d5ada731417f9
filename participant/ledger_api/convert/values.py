"""Ledger values: protobuf ``Value`` ⇄ the engine's values.

Incoming values become *plain data* (what :func:`participant.engine.typesys.from_plain`
accepts): the engine checks them against the declared types of the template or choice,
so a client need not send ``record_id``/``variant_id`` and the field order of a record
is its labels', not its position. Outgoing values are the engine's typed values, with
every record and variant id set.

==============  ===========================  ==============================
proto           plain (in)                   engine value (out)
==============  ===========================  ==============================
unit            ``None``                     ``UnitValue``
bool            ``bool``                     ``BoolValue``
int64           ``int``                      ``IntValue``
numeric         ``str`` (checked)            ``DecimalValue``
text, party,    ``str``                      ``TextValue``, ``PartyValue``,
contract_id                                  ``ContractIdValue``
timestamp       ``int`` µs                   ``TimeValue``
date            ``int`` days                 ``DateValue``
optional        ``None`` or the value        ``OptionalValue``
list            ``list``                     ``ListValue``
map             ``dict`` (hashable keys)     ``MapValue``
record          ``dict`` label → value       ``RecordValue``
variant         ``{"tag", "value"}``         ``VariantValue``
==============  ===========================  ==============================
"""

from __future__ import annotations

import decimal
import re

from participant.engine.values import (
    BoolValue,
    ContractIdValue,
    DateValue,
    DecimalValue,
    IntValue,
    ListValue,
    MapValue,
    OptionalValue,
    PartyValue,
    RecordValue,
    TextValue,
    TimeValue,
    UnitValue,
    Value,
    VariantValue,
    decimal_text,
)
from participant.ledger_api.errors import InvalidArgumentError
from protocol.ledger_api.v2 import value_pb2

MAX_VALUE_DEPTH = 100
_NUMERIC_RE = re.compile(r"-?[0-9]{1,28}(\.[0-9]{1,10})?")


def identifier_text(identifier: value_pb2.Identifier) -> str:
    """``package_id:module:entity`` (the engine's template / type name form)."""
    return f"{identifier.package_id}:{identifier.module_name}:{identifier.entity_name}"


def identifier_of(name: str) -> value_pb2.Identifier:
    """The ``Identifier`` of an engine type name (``a:b:c``; anything else is the entity)."""
    parts = name.split(":")
    if len(parts) == 3:
        return value_pb2.Identifier(package_id=parts[0], module_name=parts[1], entity_name=parts[2])
    return value_pb2.Identifier(entity_name=name)


def plain_of(value: value_pb2.Value, field: str, depth: int = 0) -> object:
    """An incoming value as plain data; :class:`InvalidArgumentError` naming ``field``."""
    if depth > MAX_VALUE_DEPTH:
        raise InvalidArgumentError(field, f"value nested deeper than {MAX_VALUE_DEPTH}")
    kind = value.WhichOneof("sum")
    if kind is None:
        raise InvalidArgumentError(field, "a value with no content", missing=True)
    if kind == "unit":
        return None
    if kind in ("bool", "int64", "timestamp", "date", "party", "text", "contract_id"):
        return getattr(value, kind)
    if kind == "numeric":
        if _NUMERIC_RE.fullmatch(value.numeric) is None:
            raise InvalidArgumentError(
                field, f"numeric {value.numeric[:40]!r} is not Numeric 10 text"
            )
        return value.numeric
    if kind == "optional":
        if not value.optional.HasField("value"):
            return None
        return plain_of(value.optional.value, field, depth + 1)
    if kind == "list":
        return [plain_of(v, f"{field}[{i}]", depth + 1) for i, v in enumerate(value.list.elements)]
    if kind == "record":
        return record_plain(value.record, field, depth + 1)
    if kind == "variant":
        if not value.variant.constructor:
            raise InvalidArgumentError(f"{field}.constructor", "empty", missing=True)
        inner = (
            plain_of(value.variant.value, f"{field}.value", depth + 1)
            if value.variant.HasField("value")
            else None
        )
        return {"tag": value.variant.constructor, "value": inner}
    if kind == "map":
        out: dict[object, object] = {}
        for i, entry in enumerate(value.map.entries):
            key = plain_of(entry.key, f"{field}.entries[{i}].key", depth + 1)
            try:
                hash(key)
            except TypeError:
                raise InvalidArgumentError(
                    f"{field}.entries[{i}].key", "map keys must be scalar values"
                ) from None
            if key in out:
                raise InvalidArgumentError(f"{field}.entries[{i}].key", "repeated map key")
            out[key] = plain_of(entry.value, f"{field}.entries[{i}].value", depth + 1)
        return out
    raise InvalidArgumentError(field, f"unsupported value kind {kind}")  # pragma: no cover


def record_plain(record: value_pb2.Record, field: str, depth: int = 0) -> dict[str, object]:
    """A record's fields by label; every field must be labelled, labels distinct."""
    out: dict[str, object] = {}
    for i, f in enumerate(record.fields):
        where = f"{field}.fields[{i}]"
        if not f.label:
            raise InvalidArgumentError(f"{where}.label", "record fields must be labelled")
        if f.label in out:
            raise InvalidArgumentError(f"{where}.label", f"repeated label {f.label!r}")
        if not f.HasField("value"):
            raise InvalidArgumentError(f"{where}.value", "missing", missing=True)
        out[f.label] = plain_of(f.value, f"{where}.value", depth)
    return out


def value_to_proto(value: Value) -> value_pb2.Value:
    """An engine value as a protobuf ``Value`` (record and variant ids set)."""
    match value:
        case UnitValue():
            out = value_pb2.Value()
            out.unit.SetInParent()
            return out
        case BoolValue(v):
            return value_pb2.Value(bool=v)
        case IntValue(v):
            return value_pb2.Value(int64=v)
        case DecimalValue(v):
            return value_pb2.Value(numeric=decimal_text(decimal.Decimal(v)))
        case TextValue(v):
            return value_pb2.Value(text=v)
        case PartyValue(v):
            return value_pb2.Value(party=v)
        case TimeValue(micros):
            return value_pb2.Value(timestamp=micros)
        case DateValue(days):
            return value_pb2.Value(date=days)
        case ContractIdValue(v):
            return value_pb2.Value(contract_id=v)
        case ListValue(items):
            return value_pb2.Value(list=value_pb2.List(elements=[value_to_proto(i) for i in items]))
        case OptionalValue(inner):
            if inner is None:
                return value_pb2.Value(optional=value_pb2.Optional())
            return value_pb2.Value(optional=value_pb2.Optional(value=value_to_proto(inner)))
        case MapValue(entries):
            return value_pb2.Value(
                map=value_pb2.Map(
                    entries=[
                        value_pb2.Map.Entry(key=value_to_proto(k), value=value_to_proto(v))
                        for k, v in entries
                    ]
                )
            )
        case RecordValue():
            return value_pb2.Value(record=record_to_proto(value))
        case VariantValue(type_name, constructor, inner):
            return value_pb2.Value(
                variant=value_pb2.Variant(
                    variant_id=identifier_of(type_name),
                    constructor=constructor,
                    value=value_to_proto(inner),
                )
            )
    raise TypeError(f"not a ledger value: {value!r}")  # pragma: no cover


def record_to_proto(record: RecordValue) -> value_pb2.Record:
    return value_pb2.Record(
        record_id=identifier_of(record.type_name),
        fields=[value_pb2.RecordField(label=n, value=value_to_proto(v)) for n, v in record.fields],
    )
