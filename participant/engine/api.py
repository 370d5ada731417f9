"""The authoring API: the one module a package may import.

Packages are Python source that reads like Daml::

    from participant.engine.api import Party, Decimal, Text, ContractId, Update, choice, template

    @template
    class Iou:
        issuer: Party
        owner: Party
        amount: Decimal
        currency: Text

        def signatory(self) -> list[Party]:
            return [self.issuer, self.owner]

        def ensure(self) -> bool:
            return self.amount > 0

        @choice(controller=lambda self, arg: [self.owner])
        def Transfer(self, ctx: Update, new_owner: Party) -> ContractId["Iou"]:
            return ctx.create(Iou(self.issuer, new_owner, self.amount, self.currency))

Everything here runs inside the sandbox on behalf of package code, so it exposes no
attribute that reaches the engine: the decorators only record what they were given on
the class (under dunder names that package code cannot name), and the engine reads it
after the module body ran. See ``docs/engine.md`` for the full authoring guide.
"""

from __future__ import annotations

import dataclasses
import decimal
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import (
    TYPE_CHECKING,
    Any,
    Generic,
    NoReturn,
    Optional,
    Protocol,
    TypeVar,
    dataclass_transform,
)

from participant.engine.errors import UserAbortError
from participant.engine.values import DECIMAL_BOUND

T = TypeVar("T")
C = TypeVar("C")

TEMPLATE_MARK = "__cd_template__"
RECORD_MARK = "__cd_record__"
VARIANT_MARK = "__cd_variant__"
PACKAGE_MARK = "__cd_package__"
CONTRACT_TEMPLATE = "__cd_contract_template__"
"""Where the engine records, on a :class:`ContractId` it hands to package code, the
template id the id was declared (or created) with; package code cannot name it."""

Text = str
Int = int
Bool = bool
List = list
Map = dict
Unit = None


class Party(str):
    """A party id. Plain ``str`` values of the right form are accepted where a Party is due."""

    __slots__ = ()


class ContractId(str, Generic[T]):
    """The id of a contract of template ``T`` (``ContractId["Iou"]`` in annotations).

    Ids the engine hands to package code (contract fields, choice arguments and results,
    ``ctx.create``, ``ctx.fetch_by_key``, ``ctx.lookup_by_key``) remember their template,
    and ``ctx.fetch`` / ``ctx.exercise`` / ``ctx.archive`` refuse a contract of another
    template, as Daml does. ``ContractId(text)`` built by package code is untyped (Daml's
    ``coerceContractId``). No ``__slots__``: the template is kept in the instance dict.
    """


class _Decimal(decimal.Decimal):
    """Daml's ``Numeric 10``: exact, 10 decimals, fewer than 28 integer digits.

    Build it from a string or an int: ``Decimal("12.50")``. Arithmetic runs under one fixed
    context (38 digits, half-even rounding), and values are rounded to 10 decimals when
    they become ledger values.
    """

    __slots__ = ()

    def __new__(cls, value: str | int = 0) -> _Decimal:
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise TypeError("Decimal takes a str or an int")
        made = super().__new__(cls, value)
        if not made.is_finite() or abs(made) >= DECIMAL_BOUND:
            raise ValueError(f"Decimal {value!r} is outside Numeric(38, 10)")
        if made != 0 and made.adjusted() < -40:
            raise ValueError(f"Decimal {value!r} is too small")
        return made


if TYPE_CHECKING:
    Decimal = decimal.Decimal
else:
    Decimal = _Decimal
    Decimal.__name__ = Decimal.__qualname__ = "Decimal"


@dataclass(frozen=True, slots=True, order=True)
class Time:
    """A ledger time: microseconds since 1970-01-01T00:00:00Z."""

    micros: int

    def add_seconds(self, seconds: int) -> Time:
        return Time(self.micros + seconds * 1_000_000)


@dataclass(frozen=True, slots=True, order=True)
class Date:
    """A calendar date: days since 1970-01-01."""

    days: int

    def add_days(self, days: int) -> Date:
        return Date(self.days + days)


class Update(Protocol):
    """What a choice body can do to the ledger (Daml's ``Update`` actions)."""

    def create(self, contract: C) -> ContractId[C]: ...

    def exercise(self, cid: ContractId[Any], choice: str, **args: Any) -> Any: ...

    def exercise_by_key(self, template: type[C], key: Any, choice: str, **args: Any) -> Any: ...

    def fetch(self, cid: ContractId[C]) -> C: ...

    def fetch_by_key(self, template: type[C], key: Any) -> tuple[ContractId[C], C]: ...

    def lookup_by_key(self, template: type[C], key: Any) -> ContractId[C] | None: ...

    def archive(self, cid: ContractId[Any]) -> None: ...

    def get_time(self) -> Time: ...


@dataclass(frozen=True, slots=True)
class ChoiceDecl:
    """What ``@choice`` recorded; the engine turns it into a typed choice definition."""

    name: str
    body: Callable[..., Any]
    controller: Callable[[Any, Any], Sequence[str]]
    observer: Callable[[Any, Any], Sequence[str]] | None
    consuming: bool


def choice(
    *,
    controller: Callable[[Any, Any], Sequence[str]],
    consuming: bool = True,
    observer: Callable[[Any, Any], Sequence[str]] | None = None,
) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Declare a choice. ``controller(self, arg)`` and ``observer(self, arg)`` get the
    contract and the choice argument (its parameters as attributes)."""

    def wrap(body: Callable[..., T]) -> Callable[..., T]:
        decl = ChoiceDecl(body.__name__, body, controller, observer, consuming)
        return decl  # type: ignore[return-value]

    return wrap


@dataclass_transform(frozen_default=True)
def template(cls: type[T]) -> type[T]:
    """Declare a template: the annotated class attributes are the contract's fields."""
    made = dataclasses.dataclass(frozen=True)(cls)
    setattr(made, TEMPLATE_MARK, True)
    return made


@dataclass_transform(frozen_default=True)
def record(cls: type[T]) -> type[T]:
    """Declare a record type (Daml's ``data X = X with ...``)."""
    made = dataclasses.dataclass(frozen=True)(cls)
    setattr(made, RECORD_MARK, True)
    return made


def variant(cls: type[T]) -> type[T]:
    """Declare a variant: each annotated attribute is a constructor and its payload type.

    ``Side.Buy(None)`` builds a value; ``v.tag`` is the constructor name and ``v.value``
    the payload.
    """
    constructors = tuple(inspect.get_annotations(cls))
    setattr(cls, VARIANT_MARK, constructors)

    def init(self: Any, tag: str, value: Any) -> None:
        if tag not in constructors:
            raise ValueError(f"{cls.__name__} has no constructor {tag!r}")
        object.__setattr__(self, "tag", tag)
        object.__setattr__(self, "value", value)

    def make(tag: str) -> Callable[[Any], Any]:
        def build(value: Any = None) -> Any:
            return cls(tag, value)  # type: ignore[call-arg]

        return build

    def equal(self: Any, other: object) -> bool:
        if type(other) is not type(self):
            return False
        mine: Any = self
        theirs: Any = other
        return bool((mine.tag, mine.value) == (theirs.tag, theirs.value))

    def show(self: Any) -> str:
        return f"{cls.__name__}.{self.tag}({self.value!r})"

    def frozen(self: Any, name: str, value: Any) -> NoReturn:
        raise AttributeError("variant values are immutable")

    target: Any = cls
    target.__init__ = init
    target.__eq__ = equal
    target.__hash__ = lambda self: hash((self.tag, self.value))
    target.__repr__ = show
    target.__setattr__ = frozen
    for tag in constructors:
        setattr(cls, tag, staticmethod(make(tag)))
    return cls


@dataclass(frozen=True, slots=True)
class PackageDecl:
    """Name, version and module of a package, from ``package(...)`` in its source."""

    name: str
    version: str
    module: str


def package(name: str, version: str, module: str | None = None) -> PackageDecl:
    """Name the package: ``PACKAGE = package("iou", "1.0.0")`` (string literals only)."""
    return PackageDecl(name, version, module if module is not None else name.capitalize())


def abort(message: str) -> NoReturn:
    """Stop interpretation with an error (Daml's ``abort``)."""
    raise UserAbortError(str(message))


__all__ = [
    "Bool",
    "ContractId",
    "Date",
    "Decimal",
    "Int",
    "List",
    "Map",
    "Optional",
    "Party",
    "Text",
    "Time",
    "Unit",
    "Update",
    "abort",
    "choice",
    "package",
    "record",
    "template",
    "variant",
]
