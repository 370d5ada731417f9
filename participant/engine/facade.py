"""What ``from participant.engine.api import ...`` gives package code: a façade.

Package code never sees the ``participant.engine.api`` module: the sandbox's
``__import__`` answers with an :class:`ApiFacade`, an object with one slot per name of
the API's ``__all__`` and nothing else, so ``from participant.engine.api import inspect``
(or ``dataclasses``, ``sys``, ...) fails even if the static check were bypassed. The
façade holds no module, frame, code object, globals dict or builtins:

* the API's functions (``abort``, ``choice``, ``package``, ``record``, ``template``,
  ``variant``) are wrapped in :class:`Exported`, a callable whose only state is a slot
  with a ``_`` name that package code cannot read;
* the type aliases ``Int``, ``Text``, ``List``, ``Map`` are the sandbox's metered types
  (the same objects as the builtins ``int``, ``str``, ``list``, ``dict``), so
  ``Text(ctx)`` goes through the same checks as ``str(ctx)``;
* the classes (``Party``, ``ContractId``, ``Decimal``, ``Time``, ``Date``, ``Update``)
  and ``Optional`` are the API's own; none of their public attributes (names without a
  leading ``_``, the only ones the static check lets package code read) leads to a
  module, frame, code object, globals or builtins (``tests/participant/engine/
  test_engine_sandbox.py`` walks them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from participant.engine import api
from participant.engine.budget import text

API_MODULE = "participant.engine.api"


class Exported:
    """An API function as package code sees it: callable, with nothing to inspect."""

    __slots__ = ("_call",)
    _call: Callable[..., Any]

    def __init__(self, call: Callable[..., Any]) -> None:
        object.__setattr__(self, "_call", call)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._call(*args, **kwargs)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("the API is read-only")

    def __repr__(self) -> str:
        return "<api function>"


class ApiFacade:
    """One slot per name of the API's ``__all__``; read-only after construction."""

    __slots__ = tuple(api.__all__)

    def __init__(self, exports: Mapping[str, object]) -> None:
        if set(exports) != set(api.__all__):
            raise ValueError("the façade exports exactly the API's __all__")
        for name, value in exports.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("the API is read-only")

    def values(self) -> list[object]:
        return [getattr(self, name) for name in api.__all__]


_TYPE_ALIASES = {"Int": "int", "Text": "str", "List": "list", "Map": "dict", "Bool": "bool"}


def _abort(message: object) -> None:
    """``abort(message)``: the message is checked like an f-string field, so the text of
    a function or of the ``ctx`` (with a memory address) cannot become a reason."""
    api.abort(text(message))


def make_facade(builtins_table: Mapping[str, Any]) -> ApiFacade:
    """The façade for one package, sharing the metered types of its ``builtins_table``."""
    exports: dict[str, object] = {}
    for name in api.__all__:
        value = getattr(api, name)
        if name in _TYPE_ALIASES:
            value = builtins_table[_TYPE_ALIASES[name]]
        elif name == "abort":
            value = Exported(_abort)
        elif callable(value) and not isinstance(value, type) and name != "Optional":
            value = Exported(value)
        exports[name] = value
    return ApiFacade(exports)


def restricted_import(facade: ApiFacade) -> Callable[..., ApiFacade]:
    """The ``__import__`` of a package's builtins: only names of the API, as the façade."""

    def import_(
        name: str,
        globals_: object = None,
        locals_: object = None,
        fromlist: tuple[str, ...] | None = (),
        level: int = 0,
    ) -> ApiFacade:
        if name != API_MODULE or level != 0:
            raise ImportError(f"import of {name!r} is not allowed")
        for item in fromlist or ():
            if item not in api.__all__:
                raise ImportError(f"{item!r} is not part of {API_MODULE}'s API")
        return facade

    return import_
