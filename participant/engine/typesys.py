"""Ledger types of package declarations, and conversion between Python and ledger values.

Package code works on ordinary Python values (``str``, ``int``, ``Decimal``, lists,
dicts, instances of its own templates and records); the ledger stores
:mod:`~participant.engine.values`. Every time a value crosses from package code to the
ledger (a created contract, a choice argument or result, a key) it is converted *against
its declared type* here, which is where ill-typed values, Int overflow and oversized
values are caught. Conversion charges the active budget one step per value node.
"""

from __future__ import annotations

import dataclasses
import decimal
import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ForwardRef

from participant.engine import api
from participant.engine.budget import Meter, unwrap_type
from participant.engine.errors import ArithmeticOverflowError, PackageError, TypeMismatchError
from participant.engine.types import is_contract_id, is_party
from participant.engine.values import (
    MAX_INT,
    MIN_INT,
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
    make_map,
    normalize_decimal,
    show_value,
)

PRIMITIVES = ("Unit", "Bool", "Int", "Decimal", "Text", "Party", "Time", "Date")


class TypeDeclError(PackageError, ValueError):
    """An annotation that is not a ledger type, or a template or choice declared wrongly;
    the package loader reports it as a :class:`PackageValidationError` at the class's line."""


@dataclass(frozen=True, slots=True)
class TPrim:
    name: str
    """One of ``PRIMITIVES``."""


@dataclass(frozen=True, slots=True)
class TContractId:
    template: str | None
    """Name of the template in the same package, if the annotation gave one."""
    template_id: str | None = None
    """Its full template id (``package_id:module:Name``), resolved when the package loads."""


@dataclass(frozen=True, slots=True)
class TList:
    item: Type


@dataclass(frozen=True, slots=True)
class TOptional:
    item: Type


@dataclass(frozen=True, slots=True)
class TMap:
    key: Type
    value: Type


@dataclass(frozen=True, slots=True)
class TTuple:
    """A fixed-size tuple, stored as a record with fields ``_1``, ``_2``, ... (Daml's tuples)."""

    items: tuple[Type, ...]


@dataclass(frozen=True, eq=False)
class TRecord:
    """A ``@record`` or ``@template`` class; ``fields`` is filled in once all are known."""

    type_name: str
    cls: type
    fields: dict[str, Type] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class TVariant:
    type_name: str
    cls: type
    constructors: dict[str, Type] = dataclasses.field(default_factory=dict)


Type = TPrim | TContractId | TList | TOptional | TMap | TTuple | TRecord | TVariant

_PRIM_BY_PYTHON: dict[object, str] = {
    None: "Unit",
    type(None): "Unit",
    bool: "Bool",
    int: "Int",
    api.Decimal: "Decimal",
    decimal.Decimal: "Decimal",
    str: "Text",
    api.Party: "Party",
    api.Time: "Time",
    api.Date: "Date",
}


def parse_type(annotation: object, user_types: dict[str, TRecord | TVariant], where: str) -> Type:
    """The ledger type of an annotation, resolving names among the package's own types."""
    annotation = unwrap_type(annotation)
    try:
        hash(annotation)
    except TypeError:  # [Party], {...}: package code can annotate with any value
        raise TypeDeclError(f"{where}: {type(annotation).__name__} is not a ledger type") from None
    if isinstance(annotation, str | ForwardRef):
        name = annotation if isinstance(annotation, str) else annotation.__forward_arg__
        if name in user_types:
            return user_types[name]
        raise TypeDeclError(f"{where}: unknown type {name!r}")
    if isinstance(annotation, type) and annotation.__name__ in user_types:
        found = user_types[annotation.__name__]
        if found.cls is annotation:
            return found
    if annotation in _PRIM_BY_PYTHON:
        return TPrim(_PRIM_BY_PYTHON[annotation])
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if annotation is api.ContractId:
        return TContractId(None)
    if origin is api.ContractId:
        target = args[0] if args else None
        if isinstance(target, ForwardRef):
            return _contract_id_type(target.__forward_arg__, user_types, where)
        if isinstance(target, type):
            return _contract_id_type(target.__name__, user_types, where)
        if target is Any:
            return TContractId(None)
        raise TypeDeclError(f"{where}: ContractId[{target!r}] does not name a template")
    if origin is list and len(args) == 1:
        return TList(parse_type(args[0], user_types, where))
    if origin is dict and len(args) == 2:
        return TMap(parse_type(args[0], user_types, where), parse_type(args[1], user_types, where))
    if origin is tuple and args and args[-1] is not Ellipsis:
        return TTuple(tuple(parse_type(a, user_types, where) for a in args))
    if origin is typing.Union and len(args) == 2 and type(None) in args:
        inner = args[0] if args[1] is type(None) else args[1]
        return TOptional(parse_type(inner, user_types, where))
    raise TypeDeclError(f"{where}: {annotation!r} is not a ledger type")


def _contract_id_type(
    name: str, user_types: dict[str, TRecord | TVariant], where: str
) -> TContractId:
    found = user_types.get(name)
    if not isinstance(found, TRecord) or not getattr(found.cls, api.TEMPLATE_MARK, False):
        raise TypeDeclError(
            f"{where}: ContractId[{name!r}]: {name} is not a template of this package"
        )
    return TContractId(name, found.type_name)


def typed_contract_id(value: str, template_id: str | None) -> api.ContractId[Any]:
    """The :class:`api.ContractId` package code gets, remembering its template if known."""
    cid: api.ContractId[Any] = api.ContractId(value)
    if template_id is not None:
        vars(cid)[api.CONTRACT_TEMPLATE] = template_id
    return cid


def contract_id_template(cid: object) -> str | None:
    """The template a contract id handed to package code was typed with, if any."""
    if type(cid) is not api.ContractId:
        return None
    found = vars(cid).get(api.CONTRACT_TEMPLATE)
    return found if isinstance(found, str) else None


def show_type(ty: Type) -> str:
    match ty:
        case TPrim(name):
            return name
        case TContractId(template):
            return f"ContractId {template}" if template else "ContractId"
        case TList(item):
            return f"[{show_type(item)}]"
        case TOptional(item):
            return f"Optional {show_type(item)}"
        case TMap(key, value):
            return f"Map {show_type(key)} {show_type(value)}"
        case TTuple(items):
            return "(" + ", ".join(show_type(i) for i in items) + ")"
        case TRecord() | TVariant():
            return ty.type_name


def _got(native: object) -> str:
    text = repr(native)
    return f"{type(native).__name__} {text[:60]}"


def to_value(native: object, ty: Type, where: str, meter: Meter) -> Value:
    """Convert a Python value produced by package code to a ledger value of type ``ty``."""
    size = [0]
    return _to_value(native, ty, where, meter, size)


def _to_value(
    native: object, ty: Type, where: str, meter: Meter, size: list[int], *, depth: int = 0
) -> Value:
    meter.charge()
    size[0] += 1
    meter.check_size(size[0])
    meter.check_depth(depth)

    def mismatch() -> TypeMismatchError:
        return TypeMismatchError(where, show_type(ty), _got(native))

    match ty:
        case TPrim("Unit"):
            if native is None or native == ():
                return UnitValue()
            raise mismatch()
        case TPrim("Bool"):
            if isinstance(native, bool):
                return BoolValue(native)
            raise mismatch()
        case TPrim("Int"):
            if isinstance(native, int) and not isinstance(native, bool):
                if not MIN_INT <= native <= MAX_INT:
                    raise ArithmeticOverflowError(where, f"Int {native} outside signed 64 bit")
                return IntValue(native)
            raise mismatch()
        case TPrim("Decimal"):
            if isinstance(native, decimal.Decimal):
                try:
                    return DecimalValue(normalize_decimal(native))
                except (ValueError, decimal.DecimalException) as exc:
                    raise ArithmeticOverflowError(where, str(exc)) from None
            raise mismatch()
        case TPrim("Text"):
            if isinstance(native, str):
                size[0] += len(native) // 64
                meter.check_size(len(native))
                return TextValue(str(native))
            raise mismatch()
        case TPrim("Party"):
            if isinstance(native, str) and is_party(native):
                return PartyValue(str(native))
            raise mismatch()
        case TPrim("Time"):
            if isinstance(native, api.Time) and MIN_INT <= native.micros <= MAX_INT:
                return TimeValue(native.micros)
            raise mismatch()
        case TPrim("Date"):
            if isinstance(native, api.Date) and MIN_INT <= native.days <= MAX_INT:
                return DateValue(native.days)
            raise mismatch()
        case TContractId():
            if isinstance(native, str) and is_contract_id(native):
                return ContractIdValue(str(native))
            raise mismatch()
        case TList(item):
            if isinstance(native, list | tuple):
                return ListValue(
                    tuple(_to_value(x, item, where, meter, size, depth=depth + 1) for x in native)
                )
            raise mismatch()
        case TOptional(item):
            if native is None:
                return OptionalValue(None)
            return OptionalValue(_to_value(native, item, where, meter, size, depth=depth + 1))
        case TMap(key_type, value_type):
            if isinstance(native, dict):
                entries = [
                    (
                        _to_value(k, key_type, where, meter, size, depth=depth + 1),
                        _to_value(v, value_type, where, meter, size, depth=depth + 1),
                    )
                    for k, v in native.items()
                ]
                try:
                    return make_map(entries)
                except ValueError:
                    raise TypeMismatchError(where, "distinct map keys", "a repeated key") from None
            raise mismatch()
        case TTuple(items):
            if isinstance(native, tuple) and len(native) == len(items):
                fields = tuple(
                    (f"_{i + 1}", _to_value(x, t, where, meter, size, depth=depth + 1))
                    for i, (x, t) in enumerate(zip(native, items, strict=True))
                )
                return RecordValue("Tuple", fields)
            raise mismatch()
        case TRecord(type_name, cls, fields):
            if type(native) is cls:
                return RecordValue(
                    type_name,
                    tuple(
                        (
                            name,
                            _to_value(
                                getattr(native, name), t, where, meter, size, depth=depth + 1
                            ),
                        )
                        for name, t in fields.items()
                    ),
                )
            raise mismatch()
        case TVariant(type_name, cls, constructors):
            if type(native) is cls:
                tag = getattr(native, "tag")  # noqa: B009 - set by the api's variant
                payload = getattr(native, "value")  # noqa: B009 - set by the api's variant
                inner = _to_value(payload, constructors[tag], where, meter, size, depth=depth + 1)
                return VariantValue(type_name, tag, inner)
            raise mismatch()
    raise mismatch()


def to_native(value: Value, ty: Type, where: str) -> Any:
    """Convert a ledger value to the Python value package code sees, checking its type."""

    def mismatch() -> TypeMismatchError:
        return TypeMismatchError(where, show_type(ty), show_value(value)[:80])

    match ty, value:
        case TPrim("Unit"), UnitValue():
            return None
        case TPrim("Bool"), BoolValue(v):
            return v
        case TPrim("Int"), IntValue(v):
            return v
        case TPrim("Decimal"), DecimalValue(v):
            return decimal.Decimal(v)
        case TPrim("Text"), TextValue(v):
            return v
        case TPrim("Party"), PartyValue(v):
            return api.Party(v)
        case TPrim("Time"), TimeValue(v):
            return api.Time(v)
        case TPrim("Date"), DateValue(v):
            return api.Date(v)
        case TContractId(_, template_id), ContractIdValue(v):
            return typed_contract_id(v, template_id)
        case TList(item), ListValue(items):
            return [to_native(x, item, where) for x in items]
        case TOptional(item), OptionalValue(inner):
            return None if inner is None else to_native(inner, item, where)
        case TMap(key_type, value_type), MapValue(entries):
            return {
                to_native(k, key_type, where): to_native(v, value_type, where) for k, v in entries
            }
        case TTuple(items), RecordValue("Tuple", fields) if len(fields) == len(items):
            return tuple(to_native(v, t, where) for (_, v), t in zip(fields, items, strict=True))
        case TRecord(type_name, cls, field_types), RecordValue(name, fields):
            if name != type_name or [n for n, _ in fields] != list(field_types):
                raise mismatch()
            kwargs = {n: to_native(v, field_types[n], where) for n, v in fields}
            return cls(**kwargs)
        case TVariant(type_name, cls, constructors), VariantValue(name, tag, inner):
            if name != type_name or tag not in constructors:
                raise mismatch()
            build: Callable[[Any], Any] = getattr(cls, tag)
            return build(to_native(inner, constructors[tag], where))
    raise mismatch()


def dataclass_fields(cls: type) -> list[tuple[str, object]]:
    """Declared fields of a ``@template`` / ``@record`` class with their annotations."""
    annotations: dict[str, object] = inspect.get_annotations(cls)
    return [(f.name, annotations[f.name]) for f in dataclasses.fields(cls)]


_VALUE_CLASSES = (
    UnitValue, BoolValue, IntValue, DecimalValue, TextValue, PartyValue, TimeValue,
    DateValue, ContractIdValue, ListValue, OptionalValue, MapValue, RecordValue, VariantValue,
)  # fmt: skip


def from_plain(plain: object, ty: Type, where: str, meter: Meter) -> Value:
    """Convert plain data (as a Ledger API client sends it) to a ledger value of ``ty``.

    Accepts ledger values (checked against ``ty``), the Python values package code uses,
    and plain forms: mappings for records, ``{"tag": .., "value": ..}`` for variants,
    ``str``/``int`` for Decimal, ``int`` micros / days for Time / Date, lists for tuples.
    """
    if isinstance(plain, _VALUE_CLASSES):
        return to_value(to_native(plain, ty, where), ty, where, meter)
    match ty:
        case TRecord(type_name, cls, fields) if not isinstance(plain, cls):
            if not isinstance(plain, typing.Mapping) or set(plain) != set(fields):
                raise TypeMismatchError(where, f"{type_name} with fields {list(fields)}",
                                        _got(plain))  # fmt: skip
            return RecordValue(
                type_name,
                tuple(
                    (n, from_plain(plain[n], t, f"{where}.{n}", meter)) for n, t in fields.items()
                ),
            )
        case TVariant(type_name, cls, constructors) if not isinstance(plain, cls):
            if not isinstance(plain, typing.Mapping) or plain.get("tag") not in constructors:
                raise TypeMismatchError(where, f"{type_name} as {{tag, value}}", _got(plain))
            tag = str(plain["tag"])
            inner = from_plain(plain.get("value"), constructors[tag], where, meter)
            return VariantValue(type_name, tag, inner)
        case TPrim("Decimal") if isinstance(plain, str | int) and not isinstance(plain, bool):
            try:
                return to_value(decimal.Decimal(plain), ty, where, meter)
            except decimal.InvalidOperation:
                raise TypeMismatchError(where, "Decimal", _got(plain)) from None
        case TPrim("Time") if isinstance(plain, int) and not isinstance(plain, bool):
            return to_value(api.Time(plain), ty, where, meter)
        case TPrim("Date") if isinstance(plain, int) and not isinstance(plain, bool):
            return to_value(api.Date(plain), ty, where, meter)
        case TList(item) if isinstance(plain, list | tuple):
            return ListValue(tuple(from_plain(x, item, where, meter) for x in plain))
        case TOptional(item):
            return OptionalValue(None if plain is None else from_plain(plain, item, where, meter))
        case TMap(key_type, value_type) if isinstance(plain, typing.Mapping):
            entries = [
                (from_plain(k, key_type, where, meter), from_plain(v, value_type, where, meter))
                for k, v in plain.items()
            ]
            try:
                return make_map(entries)
            except ValueError:
                raise TypeMismatchError(where, "distinct map keys", "a repeated key") from None
        case TTuple(items) if isinstance(plain, list | tuple) and len(plain) == len(items):
            return RecordValue(
                "Tuple",
                tuple(
                    (f"_{i + 1}", from_plain(x, t, where, meter))
                    for i, (x, t) in enumerate(zip(plain, items, strict=True))
                ),
            )
    return to_value(plain, ty, where, meter)
