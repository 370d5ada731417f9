"""Deep immutability of a package's module state, checked once its module body ran.

One loaded package serves every interpretation, on every participant, so anything the
module body leaves behind that package code could change later would make an
interpretation depend on what ran before it in this process (a counter in a list
captured by a closure gives different results on the submitter and on a confirmer). The
static check refuses ``global``, ``nonlocal``, attribute assignment and non-literal
default arguments; what is left is what values the module body *built*. This walks
everything reachable from the module's names, looking where state can hide:

* tuples, function defaults and keyword defaults, **closure cells**, bound methods'
  ``self``, ``staticmethod``s, the functions a ``@choice`` recorded;
* the **attributes of the package's classes** (methods, choices, variant constructors);
* instances of the package's records, templates and variants (frozen; their fields).

Allowed leaves are ``None``, ``bool``, ``int``, ``str`` (and ``Party`` / ``ContractId``),
``Decimal``, ``Time``, ``Date``, ``range``, unbound methods of builtin types and the
objects the sandbox itself provides (the API façade's names, the builtins). Anything else
(a list, a dict, a module, an iterator, a generator, a builtin method bound to a list)
is refused with the path that reached it.
"""

from __future__ import annotations

import dataclasses
import decimal
import types
from collections.abc import Iterator

from participant.engine import api

_SCALARS = (type(None), bool, int, str, api.Party, api.ContractId, decimal.Decimal)
_FROZEN_API = (api.Time, api.Date, api.PackageDecl)
_UNBOUND_BUILTIN_METHODS = (
    types.MethodDescriptorType,
    types.WrapperDescriptorType,
    types.ClassMethodDescriptorType,
)
_LEDGER_MARKS = (api.TEMPLATE_MARK, api.RECORD_MARK, api.VARIANT_MARK)


def _is_package_class(value: object, module_name: str) -> bool:
    return (
        isinstance(value, type)
        and value.__module__ == module_name
        and any(getattr(value, mark, None) for mark in _LEDGER_MARKS)
    )


def _function_parts(fn: types.FunctionType, where: str) -> Iterator[tuple[object, str]]:
    name = fn.__qualname__
    for index, default in enumerate(fn.__defaults__ or ()):
        yield default, f"{where}: default #{index + 1} of {name}"
    for key, default in (fn.__kwdefaults__ or {}).items():
        yield default, f"{where}: keyword default {key!r} of {name}"
    for cell_name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or (), strict=True):
        try:
            content = cell.cell_contents
        except ValueError:  # an empty cell (a name bound later, or never)
            continue
        yield content, f"{where}: closure cell {cell_name!r} of {name}"


def first_mutable(
    value: object, where: str, *, module_name: str, provided: frozenset[int]
) -> tuple[str, str] | None:
    """``(what, path)`` of the first value reachable from ``value`` that is not deeply
    immutable, or ``None``. ``provided`` holds the ids of the sandbox's own objects
    (façade names, builtins), which are trusted leaves."""
    seen: set[int] = set()
    stack: list[tuple[object, str]] = [(value, where)]
    while stack:
        item, path = stack.pop()
        if id(item) in seen or id(item) in provided:
            continue
        seen.add(id(item))
        children = _children(item, path, module_name)
        if children is None:
            return type(item).__name__, path
        stack.extend(children)
    return None


def _children(item: object, path: str, module_name: str) -> list[tuple[object, str]] | None:
    """What ``item`` holds, or ``None`` if ``item`` itself is mutable or unknown."""
    kind = type(item)
    if kind in _SCALARS or isinstance(item, _FROZEN_API) or kind is range:
        return []
    if kind in _UNBOUND_BUILTIN_METHODS:
        return []
    if isinstance(item, tuple) and kind is tuple:
        return [(v, f"{path}[{i}]") for i, v in enumerate(item)]
    if kind is types.FunctionType:
        return list(_function_parts(item, path))  # type: ignore[arg-type]
    if kind is types.MethodType:
        method: types.MethodType = item  # type: ignore[assignment]
        return [(method.__func__, path), (method.__self__, f"{path} (its self)")]
    if kind is types.BuiltinMethodType:
        owner = getattr(item, "__self__", None)
        if owner is None or isinstance(owner, types.ModuleType):
            return None  # a builtin function of a module the sandbox did not provide
        return [(owner, f"{path} (its self)")]
    if kind is staticmethod:
        return [(item.__func__, path)]  # type: ignore[attr-defined]
    if kind is api.ChoiceDecl:
        decl: api.ChoiceDecl = item  # type: ignore[assignment]
        return [
            (decl.body, f"{path} (choice body)"),
            (decl.controller, f"{path} (controller)"),
            (decl.observer, f"{path} (observer)"),
        ]
    if _is_package_class(item, module_name):
        cls: type = item  # type: ignore[assignment]
        return [
            (member, f"{path}.{attr}")
            for attr, member in vars(cls).items()
            if not attr.startswith("__")
        ]
    if _is_package_class(kind, module_name):
        return _instance_children(item, path)
    return None


def _instance_children(item: object, path: str) -> list[tuple[object, str]] | None:
    kind = type(item)
    if getattr(kind, api.VARIANT_MARK, None) is not None:
        return [(getattr(item, "value", None), f"{path}.value")]
    params = getattr(kind, "__dataclass_params__", None)
    if not dataclasses.is_dataclass(item) or params is None or not params.frozen:
        return None
    return [(getattr(item, f.name), f"{path}.{f.name}") for f in dataclasses.fields(item)]
