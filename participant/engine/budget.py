"""Step and value-size budgets, and the run-time helpers that instrumented code calls.

Package code is rewritten before it runs (``sandbox.instrument``) so that

* every function entry, loop iteration and comprehension element calls ``tick``;
* every binary operator goes through ``binop``, which enforces Daml's arithmetic (Int is
  signed 64 bit, overflow is an error; Int / Int is refused) and refuses to build a
  string or list longer than the value-size budget before building it;
* ``in`` / ``not in`` go through ``contains``, which charges steps by container size;
* the few builtins that loop in C (``range``, ``sorted``, ``sum``, ...) charge steps for
  the elements they touch.

The budget is per interpretation: the active :class:`Meter` lives in a context variable,
so one loaded package serves any number of interpretations (also concurrently in
different asyncio tasks). Nothing here uses wall-clock time: the budget is a count, so
every participant stops a runaway package at exactly the same point.
"""

from __future__ import annotations

import builtins
import contextvars
import dataclasses
import decimal
import operator
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from participant.engine.errors import (
    ArithmeticOverflowError,
    BudgetExceededError,
    TypeMismatchError,
)
from participant.engine.values import MAX_INT, MIN_INT

DEFAULT_MAX_STEPS = 200_000
DEFAULT_MAX_VALUE_SIZE = 100_000
"""Longest string or list package code may build, and most nodes in one ledger value."""
MAX_CALL_DEPTH = 100
"""Deepest nesting of package function calls (a nested ``ctx.exercise`` counts
``EXERCISE_DEPTH``). Counted, not left to Python's recursion limit, which would stop a
recursion at a depth that depends on how deep the caller's own stack was: a package
recursing near the limit would succeed on one participant and fail on another."""
EXERCISE_DEPTH = 4
MAX_VALUE_DEPTH = 100
"""Deepest nesting of a value walked before ``str``, comparisons and conversion to a
ledger value (C and Python code walk values recursively; see ``MAX_CALL_DEPTH``)."""


class Meter:
    """Counts steps and bounds value sizes for one interpretation (or one module body)."""

    __slots__ = ("context", "depth", "max_steps", "max_value_size", "steps")

    def __init__(
        self,
        context: str,
        max_steps: int = DEFAULT_MAX_STEPS,
        max_value_size: int = DEFAULT_MAX_VALUE_SIZE,
    ) -> None:
        self.context = context
        self.max_steps = max_steps
        self.max_value_size = max_value_size
        self.steps = 0
        self.depth = 0

    def charge(self, steps: int = 1) -> None:
        self.steps += steps
        if self.steps > self.max_steps:
            raise BudgetExceededError("steps", self.max_steps, self.context)

    def check_size(self, size: int) -> None:
        if size > self.max_value_size:
            raise BudgetExceededError("value_size", self.max_value_size, self.context)

    def enter(self, units: int = 1) -> None:
        """A package call (or nested exercise) begins: charge a step, count its depth."""
        self.charge()
        if self.depth + units > MAX_CALL_DEPTH:
            raise BudgetExceededError("depth", MAX_CALL_DEPTH, self.context)
        self.depth += units

    def leave(self, units: int = 1) -> None:
        self.depth -= units

    def check_depth(self, depth: int) -> None:
        if depth > MAX_VALUE_DEPTH:
            raise BudgetExceededError("value_depth", MAX_VALUE_DEPTH, self.context)


_current: contextvars.ContextVar[Meter | None] = contextvars.ContextVar(
    "participant_engine_meter", default=None
)


class metered:  # noqa: N801 - used as a context manager, reads like a function
    """``with metered(meter):`` makes ``meter`` the active budget."""

    __slots__ = ("_meter", "_token")

    def __init__(self, meter: Meter) -> None:
        self._meter = meter
        self._token: contextvars.Token[Meter | None] | None = None

    def __enter__(self) -> Meter:
        self._token = _current.set(self._meter)
        return self._meter

    def __exit__(self, *exc: object) -> None:
        if self._token is not None:
            _current.reset(self._token)


def current_meter() -> Meter:
    meter = _current.get()
    if meter is None:
        raise BudgetExceededError("steps", 0, "package code called outside an interpretation")
    return meter


def tick() -> None:
    """Charge one step (inserted at function entries and loop iterations)."""
    current_meter().charge()


def enter() -> None:
    """Inserted at the entry of every package function (its body runs in a ``try``
    whose ``finally`` calls :func:`leave`)."""
    current_meter().enter()


def leave() -> None:
    current_meter().leave()


def frame(body: Callable[[], Any]) -> Any:
    """A lambda's body, as a call counted like a function's (``lambda x: e`` becomes
    ``lambda x: __cd_frame__(lambda: e)``)."""
    meter = current_meter()
    meter.enter()
    try:
        return body()
    finally:
        meter.leave()


def tick_iter(iterable: Iterable[Any]) -> Iterator[Any]:
    """Charge one step per element (wraps the iterables of comprehensions)."""
    meter = current_meter()
    for item in iterable:
        meter.charge()
        yield item


def _check_int(result: int, operation: str) -> int:
    if not MIN_INT <= result <= MAX_INT:
        raise ArithmeticOverflowError(operation, f"result {result} outside signed 64 bit")
    return result


def _sized(value: object) -> int:
    try:
        return len(value)  # type: ignore[arg-type]
    except TypeError:
        return 0


_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "//": operator.floordiv,
    "%": operator.mod,
    "**": operator.pow,
    "<<": operator.lshift,
    ">>": operator.rshift,
    "&": operator.and_,
    "|": operator.or_,
    "^": operator.xor,
}


_SET_VIEWS: tuple[type, ...] = (type({}.keys()), type({}.items()))
"""Dict views whose operators (``a.keys() & b.keys()``) build a set, which iterates in the
process's hash order: a list made from it would differ between participants."""


def binop(symbol: str, left: Any, right: Any) -> Any:
    """Evaluate ``left <symbol> right`` with Daml's arithmetic and the size budget."""
    meter = current_meter()
    meter.charge()
    if isinstance(left, _SET_VIEWS) or isinstance(right, _SET_VIEWS):
        raise TypeMismatchError(
            f"dict view {symbol} ...", "a list (set operations iterate in hash order)",
            "a dict view",
        )  # fmt: skip
    both_int = (
        isinstance(left, int)
        and isinstance(right, int)
        and not isinstance(left, bool)
        and not isinstance(right, bool)
    )
    if both_int:
        if symbol == "/":
            raise TypeMismatchError("Int / Int", "// for Int division, or Decimal", "/")
        if symbol == "**":
            if right < 0:
                raise ArithmeticOverflowError("**", "negative Int exponent")
            if abs(left) > 1 and right > 64:
                raise ArithmeticOverflowError("**", f"{left} ** {right} outside signed 64 bit")
        if symbol == "<<" and right > 64:
            raise ArithmeticOverflowError("<<", f"shift by {right}")
        try:
            return _check_int(_OPS[symbol](left, right), symbol)
        except ZeroDivisionError:
            raise ArithmeticOverflowError(symbol, "division by zero") from None
    if isinstance(left, str) and symbol == "%":
        raise TypeMismatchError("str % ...", "an f-string", "%-formatting")
    if isinstance(left, float) or isinstance(right, float):
        raise TypeMismatchError(symbol, "Int or Decimal", "float")
    if symbol == "/" and not (
        isinstance(left, decimal.Decimal) or isinstance(right, decimal.Decimal)
    ):  # True / True would be a float
        raise TypeMismatchError("/", "a Decimal operand", f"{type(left).__name__} / "
                                f"{type(right).__name__}")  # fmt: skip
    if symbol == "*":
        count = right if isinstance(right, int) else left if isinstance(left, int) else None
        seq = left if isinstance(right, int) else right
        if count is not None and not isinstance(seq, decimal.Decimal | int):
            meter.check_size(_sized(seq) * max(count, 0))
    if symbol == "+" and not isinstance(left, int | decimal.Decimal):
        meter.check_size(_sized(left) + _sized(right))
    if symbol == "**" and isinstance(right, int) and abs(right) > 1000:
        raise ArithmeticOverflowError("**", f"exponent {right} too large")
    try:
        result = _OPS[symbol](left, right)
    except decimal.Overflow:
        raise ArithmeticOverflowError(symbol, "Decimal outside Numeric(38, 10)") from None
    except (decimal.DivisionByZero, ZeroDivisionError):
        raise ArithmeticOverflowError(symbol, "division by zero") from None
    meter.charge(_sized(result) // 64)
    return result


def negate(value: Any) -> Any:
    """Unary minus with the Int overflow check."""
    current_meter().charge()
    if isinstance(value, int) and not isinstance(value, bool):
        return _check_int(-value, "-")
    return -value


def contains(item: Any, container: Any, negated: bool) -> bool:
    """``item in container`` charging steps by the container's size."""
    deep(item)
    deep(container)
    found = item in container
    return not found if negated else found


_TEXT_NODES = (type(None), bool, int, str, decimal.Decimal, range, list, tuple, dict)


def deep(value: Any, printable: bool = False) -> Any:
    """Charge one step per node of ``value``, counting shared references every time.

    Operations that run in C over a whole value (``str``, f-string formatting, ``==``,
    ``<``, ``in``, ``sorted``) cost its *logical* size, which shared references make
    exponential in the steps that built it (``x = [x] * 10`` in a loop). Walking it first,
    charged and bounded by the value-size budget, makes their cost the caller's.

    With ``printable`` (before ``str`` and f-string formatting), every node must also be
    data whose text is the same in every process: the text of a function, a class, the
    ``ctx`` or a generator shows its memory address.
    """
    meter = current_meter()
    stack: list[tuple[Any, int]] = [(value, 0)]
    count = 0
    while stack:
        item, depth = stack.pop()
        count += 1
        meter.charge()
        meter.check_size(count)
        meter.check_depth(depth)
        below = depth + 1
        if printable and not _printable(item):
            raise TypeMismatchError(
                "text of a value", "ledger data (Text, Int, Decimal, lists, records, ...)",
                type(item).__name__,
            )  # fmt: skip
        if isinstance(item, str):
            meter.charge(len(item) // 64)
        elif isinstance(item, list | tuple):
            stack.extend((v, below) for v in item)
        elif isinstance(item, dict):
            stack.extend((k, below) for k in item)
            stack.extend((v, below) for v in item.values())
        elif getattr(type(item), "__cd_variant__", None) is not None:
            stack.append((getattr(item, "value", None), below))
        elif dataclasses.is_dataclass(item) and not isinstance(item, type):
            stack.extend((getattr(item, f.name), below) for f in dataclasses.fields(item))
    return value


def _printable(item: object) -> bool:
    if isinstance(item, _TEXT_NODES):
        return True
    kind = type(item)
    if getattr(kind, "__cd_variant__", None) is not None:
        return True
    return dataclasses.is_dataclass(item) and not isinstance(item, type)


def text(value: Any) -> Any:
    """``value`` checked and charged before it is turned into text (f-string fields)."""
    return deep(value, printable=True)


def sized(value: Any) -> Any:
    """A value built by a display that can grow without an operator: an f-string, or a
    list / tuple / dict display with ``*`` / ``**`` unpacking. Without this check,
    ``s = f"{s}{s}"`` in a loop doubles a string per step past the value-size budget."""
    meter = current_meter()
    size = _sized(value)
    meter.check_size(size)
    meter.charge(1 + size // 64)
    return value


def _charged(fn: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        meter = current_meter()
        for arg in args:
            meter.charge(1 + _sized(arg))
            if not callable(arg):
                deep(arg)
        result = fn(*args, **kwargs)
        meter.check_size(_sized(result))
        return result

    run.__name__ = fn.__name__
    return run


class _ChargedType:
    """A builtin type (``list``, ``dict``, ``tuple``) whose calls charge the budget, but
    that still works in annotations (``list[Party]``) and ``isinstance``."""

    __slots__ = ("_call", "_type")

    def __init__(self, wrapped: type, call: Callable[..., Any] | None = None) -> None:
        self._type = wrapped
        self._call = call if call is not None else _charged(wrapped)

    def __call__(self, *args: Any) -> Any:
        return self._call(*args)

    def __getitem__(self, item: Any) -> Any:
        return self._type[item]  # type: ignore[index]

    def __instancecheck__(self, instance: Any) -> bool:
        return isinstance(instance, self._type)


def unwrap_type(annotation: object) -> object:
    """The builtin type behind a sandbox wrapper (``int`` in package code is one)."""
    return annotation._type if isinstance(annotation, _ChargedType) else annotation


def _range(*args: int) -> range:
    made = range(*args)
    meter = current_meter()
    meter.check_size(len(made))
    meter.charge(1 + len(made) // 16)
    return made


def _int(value: Any = 0) -> int:
    if isinstance(value, str) and len(value) > 30:
        raise TypeMismatchError("int()", "at most 30 characters", f"{len(value)} characters")
    if isinstance(value, float):
        raise TypeMismatchError("int()", "Int, Decimal or Text", "float")
    return _check_int(int(value), "int()")


def _str(value: Any = "") -> str:
    return str(deep(value, printable=True))


SAFE_BUILTIN_NAMES = [
    "abs",
    "all",
    "any",
    "bool",
    "dict",
    "enumerate",
    "filter",
    "int",
    "isinstance",
    "len",
    "list",
    "map",
    "max",
    "min",
    "range",
    "reversed",
    "sorted",
    "str",
    "sum",
    "tuple",
    "zip",
    "True",
    "False",
    "None",
]


def safe_builtins() -> dict[str, Any]:
    """The ``__builtins__`` package code runs with: pure functions only, all metered."""
    table: dict[str, Any] = {
        "__build_class__": builtins.__build_class__,
        "abs": abs,
        "bool": bool,
        "isinstance": isinstance,
        "len": len,
        "int": _ChargedType(int, _int),
        "str": _ChargedType(str, _str),
        "range": _range,
        "True": True,
        "False": False,
        "None": None,
        "staticmethod": staticmethod,
    }
    for name in ("all", "any", "enumerate", "filter", "map", "max", "min", "reversed"):
        table[name] = _charged(getattr(builtins, name))
    for name in ("sorted", "sum", "zip"):
        table[name] = _charged(getattr(builtins, name))
    for wrapped in (list, dict, tuple):
        table[wrapped.__name__] = _ChargedType(wrapped)
    return table


RUNTIME_NAMES = {
    "__cd_tick__": tick,
    "__cd_enter__": enter,
    "__cd_leave__": leave,
    "__cd_frame__": frame,
    "__cd_iter__": tick_iter,
    "__cd_binop__": binop,
    "__cd_neg__": negate,
    "__cd_contains__": contains,
    "__cd_sized__": sized,
    "__cd_deep__": deep,
    "__cd_text__": text,
}
"""Helpers the instrumentation inserts; package source cannot name them (dunder names)."""
