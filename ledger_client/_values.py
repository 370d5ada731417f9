"""Python values ⇄ the Ledger API's protobuf ``Value``.

==========================  ===============  ====================================
Python (to the server)      proto            Python (from the server)
==========================  ===============  ====================================
``None``                    optional (none)  ``None``
``Some(v)``                 optional (v)     the value (``None`` if absent)
``Unit()``                  unit             ``Unit()``
``bool``                    bool             ``bool``
``int``                     int64            ``int``
``decimal.Decimal``         numeric          ``decimal.Decimal``
``str``                     text             ``str``
``Party("…")``              party            ``Party``
``ContractId("…")``         contract_id      ``ContractId``
``Timestamp(micros)``       timestamp        ``Timestamp``
``Date(days)``              date             ``Date``
``list`` / ``tuple``        list             ``list``
``Map({k: v})``             map              ``Map``
``dict`` (labels)           record           ``dict``
``Variant(tag, value)``     variant          ``Variant``
==========================  ===============  ====================================

Records are sent by label (the server matches labels with the template's fields), so a
dict's order does not matter.
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from protocol.ledger_api.v2 import value_pb2


class Party(str):
    """A party id."""

    __slots__ = ()


class ContractId(str):
    """A contract id."""

    __slots__ = ()


class Timestamp(int):
    """Microseconds since the Unix epoch (UTC)."""

    __slots__ = ()


class Date(int):
    """Days since 1970-01-01."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Unit:
    """Daml's ``()``."""


@dataclass(frozen=True, slots=True)
class Some:
    """An optional with a value (``None`` is the empty optional)."""

    value: Any


@dataclass(frozen=True, slots=True)
class Variant:
    tag: str
    value: Any = None


class Map(dict[Any, Any]):
    """A ledger map (as opposed to a record, which a plain ``dict`` is)."""


def template_identifier(template_id: str) -> value_pb2.Identifier:
    """``package_id:module:entity`` as an ``Identifier``; ``ValueError`` if malformed."""
    parts = template_id.split(":")
    if len(parts) != 3 or not all(parts):
        raise ValueError(f"template id must be <package id>:<module>:<entity>, got {template_id!r}")
    return value_pb2.Identifier(package_id=parts[0], module_name=parts[1], entity_name=parts[2])


def identifier_text(identifier: value_pb2.Identifier) -> str:
    if not identifier.package_id and not identifier.module_name:
        return identifier.entity_name
    return f"{identifier.package_id}:{identifier.module_name}:{identifier.entity_name}"


def to_value(v: Any) -> value_pb2.Value:
    """A Python value as a protobuf ``Value`` (see the module table)."""
    if v is None:
        return value_pb2.Value(optional=value_pb2.Optional())
    if isinstance(v, Some):
        return value_pb2.Value(optional=value_pb2.Optional(value=to_value(v.value)))
    if isinstance(v, Unit):
        out = value_pb2.Value()
        out.unit.SetInParent()
        return out
    if isinstance(v, bool):
        return value_pb2.Value(bool=v)
    if isinstance(v, Timestamp):
        return value_pb2.Value(timestamp=int(v))
    if isinstance(v, Date):
        return value_pb2.Value(date=int(v))
    if isinstance(v, int):
        return value_pb2.Value(int64=v)
    if isinstance(v, decimal.Decimal):
        return value_pb2.Value(numeric=format(v, "f"))
    if isinstance(v, Party):
        return value_pb2.Value(party=str(v))
    if isinstance(v, ContractId):
        return value_pb2.Value(contract_id=str(v))
    if isinstance(v, str):
        return value_pb2.Value(text=v)
    if isinstance(v, list | tuple):
        return value_pb2.Value(list=value_pb2.List(elements=[to_value(x) for x in v]))
    if isinstance(v, Map):
        return value_pb2.Value(
            map=value_pb2.Map(
                entries=[
                    value_pb2.Map.Entry(key=to_value(k), value=to_value(x)) for k, x in v.items()
                ]
            )
        )
    if isinstance(v, Mapping):
        return value_pb2.Value(record=to_record(v))
    if isinstance(v, Variant):
        variant = value_pb2.Variant(constructor=v.tag)
        if v.value is not None:
            variant.value.CopyFrom(to_value(v.value))
        else:
            variant.value.unit.SetInParent()
        return value_pb2.Value(variant=variant)
    raise TypeError(f"no ledger value for {type(v).__name__}: {v!r}")


def to_record(fields: Mapping[str, Any]) -> value_pb2.Record:
    return value_pb2.Record(
        fields=[value_pb2.RecordField(label=str(k), value=to_value(x)) for k, x in fields.items()]
    )


def from_value(v: value_pb2.Value) -> Any:
    """A protobuf ``Value`` as Python (see the module table)."""
    kind = v.WhichOneof("sum")
    if kind == "unit":
        return Unit()
    if kind in ("bool", "int64", "text"):
        return getattr(v, kind)
    if kind == "numeric":
        return decimal.Decimal(v.numeric)
    if kind == "party":
        return Party(v.party)
    if kind == "contract_id":
        return ContractId(v.contract_id)
    if kind == "timestamp":
        return Timestamp(v.timestamp)
    if kind == "date":
        return Date(v.date)
    if kind == "optional":
        return from_value(v.optional.value) if v.optional.HasField("value") else None
    if kind == "list":
        return [from_value(x) for x in v.list.elements]
    if kind == "map":
        return Map({_hashable(from_value(e.key)): from_value(e.value) for e in v.map.entries})
    if kind == "record":
        return from_record(v.record)
    if kind == "variant":
        return Variant(v.variant.constructor, from_value(v.variant.value))
    return None


def from_record(record: value_pb2.Record) -> dict[str, Any]:
    return {f.label: from_value(f.value) for f in record.fields}


def _hashable(key: Any) -> Any:
    if isinstance(key, dict):
        return tuple(sorted((k, _hashable(x)) for k, x in key.items()))
    if isinstance(key, list):
        return tuple(_hashable(x) for x in key)
    return key
