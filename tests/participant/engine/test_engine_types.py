"""Every ledger field type in a template, round-tripped; the remaining choice-body actions.

One package declares a template with a field of each kind (Party, Text, Int, Decimal, Bool,
Time, Date, ContractId, List, Optional, Map, a nested record, a variant). Creating it from
plain data, reading it back in a choice body, re-creating it from package code and encoding
the transaction must all give the same ledger value. The same package exercises what a
choice body can do besides create/exercise/fetch/archive: fetchByKey, exerciseByKey and
create-and-exercise, and it hits the value-size budget.
"""

from __future__ import annotations

import decimal

import pytest

from participant.engine import (
    ArithmeticOverflowError,
    BudgetExceededError,
    ConformanceError,
    CreateAndExerciseCommand,
    CreateCommand,
    CreateNode,
    ExerciseCommand,
    ExerciseNode,
    FetchNode,
    PackageNotVettedError,
    PackageValidationError,
    Transaction,
    TypeMismatchError,
    transaction_from_bytes,
)
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
    VariantValue,
)

from .conftest import Harness

KINDS_SOURCE = """
from participant.engine.api import (
    ContractId, Date, Decimal, Optional, Party, Text, Time, Update, choice, package, record,
    template, variant,
)

PACKAGE = package("kinds", "1.0.0", module="Kinds")


@record
class Point:
    x: int
    y: int


@record
class Shape:
    name: Text
    corners: list[Point]


@variant
class Side:
    Buy: None
    Sell: Decimal
    At: Point


@template
class Holder:
    owner: Party
    flag: bool
    qty: int
    price: Decimal
    label: Text
    at: Time
    day: Date
    tags: list[Text]
    note: Optional[Text]
    limits: dict[Text, int]
    shape: Shape
    side: Side
    friend: Optional[ContractId["Holder"]]

    def signatory(self) -> list[Party]:
        return [self.owner]

    def key(self) -> tuple[Party, Text]:
        return (self.owner, self.label)

    @staticmethod
    def maintainer(key: tuple[Party, Text]) -> list[Party]:
        return [key[0]]

    @choice(controller=lambda self, arg: [self.owner], consuming=False)
    def Echo(self, ctx: Update) -> "Holder":
        return self

    @choice(controller=lambda self, arg: [self.owner])
    def Rebuild(self, ctx: Update, extra: Optional[Side]) -> ContractId["Holder"]:
        side = self.side if extra is None else extra
        limits = {k: v + 1 for k, v in self.limits.items()}
        corners = [Point(p.y, p.x) for p in self.shape.corners]
        return ctx.create(
            Holder(
                self.owner, not self.flag, self.qty + 1, self.price * 2, self.label,
                self.at.add_seconds(1), self.day.add_days(1), [*self.tags, "more"],
                None if self.note is None else self.note + "!", limits,
                Shape(self.shape.name, corners), side, self.friend,
            )
        )

    @choice(controller=lambda self, arg: [self.owner], consuming=False)
    def Describe(self, ctx: Update) -> Text:
        if self.side.tag == "Sell":
            return f"sell at {self.side.value}"
        if self.side.tag == "At":
            return f"at {self.side.value.x},{self.side.value.y}"
        return "buy"

    @choice(controller=lambda self, arg: [self.owner], consuming=False)
    def Blow(self, ctx: Update, n: int) -> int:
        big = [0] * n
        return len(big)

    @choice(controller=lambda self, arg: [self.owner], consuming=False)
    def Double(self, ctx: Update, how: Text, n: int) -> int:
        text = "ab"
        items = ["a", "b"]
        table = {"a": 1}
        for i in range(n):
            if how == "f-string":
                text = f"{text}{text}"
            elif how == "list":
                items = [*items, *items]
            elif how == "tuple":
                items = (*items, *items)
            else:
                table = {**table, **{"b": i}}
        return len(text) + len(items) + len(table)

    @choice(controller=lambda self, arg: [self.owner], consuming=False)
    def Nest(self, ctx: Update, how: Text, n: int) -> bool:
        x = ["a"]
        y = ["a"]
        for i in range(n):
            x = [x] * 10
            y = [y] * 10
        if how == "str":
            return len(str(x)) > 0
        if how == "f-string":
            return len(f"{x}") > 0
        if how == "==":
            return x == y
        if how == "in":
            return y in [x]
        if how == "dict key":
            t = ("a",)
            for i in range(n):
                t = (t,) * 10
            return {t: 1}[t] == 1
        return len(sorted([x, y])) == 2


@template
class Finder:
    owner: Party

    def signatory(self) -> list[Party]:
        return [self.owner]

    @choice(controller=lambda self, arg: [self.owner], consuming=False)
    def FetchIt(self, ctx: Update, label: Text) -> int:
        found: tuple[ContractId[Holder], Holder] = ctx.fetch_by_key(Holder, (self.owner, label))
        return found[1].qty

    @choice(controller=lambda self, arg: [self.owner], consuming=False)
    def EchoIt(self, ctx: Update, label: Text) -> Text:
        echoed: Holder = ctx.exercise_by_key(Holder, (self.owner, label), "Echo")
        return echoed.label
"""

PLAIN = {
    "owner": "Alice",
    "flag": True,
    "qty": -(2**63),
    "price": "1234.5000000001",
    "label": "Grüße ✓",
    "at": 1_700_000_000_123_456,
    "day": 19_700,
    "tags": ["a", "b"],
    "note": "hello",
    "limits": {"z": 1, "a": 2},
    "shape": {"name": "tri", "corners": [{"x": 1, "y": 2}, {"x": 3, "y": 4}]},
    "side": {"tag": "Sell", "value": "9.75"},
    "friend": None,
}


@pytest.fixture
def kinds(harness: Harness) -> Harness:
    harness.packages["kinds"] = harness.store.upload(KINDS_SOURCE, "kinds.py")
    return harness


def _holder(h: Harness, **changes: object) -> tuple[Transaction, str]:
    tx = h.submit([CreateCommand(h.tid("kinds", "Holder"), {**PLAIN, **changes})], ["Alice"])
    return tx, tx.created_contracts[0]


def _type(h: Harness, name: str) -> str:
    return h.tid("kinds", name)


def _point(h: Harness, x: int, y: int) -> RecordValue:
    return RecordValue(_type(h, "Point"), (("x", IntValue(x)), ("y", IntValue(y))))


def test_every_field_type_is_stored_as_its_ledger_value(kinds: Harness) -> None:
    tx, cid = _holder(kinds)
    (create,) = tx.roots
    assert isinstance(create, CreateNode)
    fields = dict(create.argument.fields)
    assert fields["owner"] == PartyValue("Alice")
    assert fields["flag"] == BoolValue(True)
    assert fields["qty"] == IntValue(-(2**63))
    assert fields["price"] == DecimalValue(decimal.Decimal("1234.5000000001"))
    assert fields["label"] == TextValue("Grüße ✓")
    assert fields["at"] == TimeValue(1_700_000_000_123_456)
    assert fields["day"] == DateValue(19_700)
    assert fields["tags"] == ListValue((TextValue("a"), TextValue("b")))
    assert fields["note"] == OptionalValue(TextValue("hello"))
    limits = fields["limits"]
    assert isinstance(limits, MapValue)
    assert [k for k, _ in limits.entries] == [TextValue("a"), TextValue("z")]  # ordered
    assert fields["shape"] == RecordValue(
        _type(kinds, "Shape"),
        (
            ("name", TextValue("tri")),
            ("corners", ListValue((_point(kinds, 1, 2), _point(kinds, 3, 4)))),
        ),
    )
    assert fields["side"] == VariantValue(
        _type(kinds, "Side"), "Sell", DecimalValue(decimal.Decimal("9.75"))
    )
    assert fields["friend"] == OptionalValue(None)
    assert transaction_from_bytes(tx.to_bytes()) == tx
    assert kinds.ledger.lookup_contract(cid) is not None  # type: ignore[arg-type]


def test_package_code_sees_and_returns_every_field_unchanged(kinds: Harness) -> None:
    tx, cid = _holder(kinds)
    (create,) = tx.roots
    assert isinstance(create, CreateNode)
    echo = kinds.interpret([ExerciseCommand(kinds.tid("kinds", "Holder"), cid, "Echo")], ["Alice"])
    root = echo.roots[0]
    assert isinstance(root, ExerciseNode)
    assert root.result == create.argument  # ledger value → Python → ledger value


def test_package_code_builds_every_field_type(kinds: Harness) -> None:
    _, friend = _holder(kinds, label="friend")
    _, cid = _holder(kinds, friend=friend, side={"tag": "At", "value": {"x": 5, "y": 6}})
    tx = kinds.submit(
        [ExerciseCommand(kinds.tid("kinds", "Holder"), cid, "Rebuild", {"extra": None})],
        ["Alice"],
    )
    (new,) = tx.created_contracts
    instance = kinds.ledger.lookup_contract(new)
    assert instance is not None
    fields = dict(instance.argument.fields)
    assert fields["flag"] == BoolValue(False)
    assert fields["qty"] == IntValue(-(2**63) + 1)
    assert fields["price"] == DecimalValue(decimal.Decimal("2469.0000000002"))
    assert fields["at"] == TimeValue(1_700_000_001_123_456)
    assert fields["day"] == DateValue(19_701)
    assert fields["tags"] == ListValue((TextValue("a"), TextValue("b"), TextValue("more")))
    assert fields["note"] == OptionalValue(TextValue("hello!"))
    assert dict(fields["limits"].entries) == {  # type: ignore[attr-defined]
        TextValue("a"): IntValue(3),
        TextValue("z"): IntValue(2),
    }
    corners = fields["shape"].field("corners")  # type: ignore[attr-defined]
    assert [dict(p.fields) for p in corners.items] == [
        {"x": IntValue(2), "y": IntValue(1)},
        {"x": IntValue(4), "y": IntValue(3)},
    ]
    side = fields["side"]
    assert isinstance(side, VariantValue) and side.constructor == "At"
    assert fields["friend"] == OptionalValue(ContractIdValue(friend))


@pytest.mark.parametrize(
    ("side", "text"),
    [
        ({"tag": "Buy", "value": None}, "buy"),
        ({"tag": "Sell", "value": 3}, "sell at 3.0000000000"),
        ({"tag": "At", "value": {"x": 7, "y": -1}}, "at 7,-1"),
    ],
)
def test_variant_constructors_are_matched_by_package_code(
    kinds: Harness, side: dict[str, object], text: str
) -> None:
    tx = kinds.interpret(
        [
            CreateAndExerciseCommand(
                kinds.tid("kinds", "Holder"), {**PLAIN, "side": side}, "Describe"
            )
        ],
        ["Alice"],
    )
    create, exercise = tx.roots
    assert isinstance(create, CreateNode) and isinstance(exercise, ExerciseNode)
    assert exercise.contract_id == create.contract_id
    assert exercise.result == TextValue(text)


@pytest.mark.parametrize(
    ("field", "bad", "expected"),
    [
        ("flag", "yes", "Bool"),
        ("at", "noon", "Time"),
        ("day", "monday", "Date"),
        ("tags", ["a", 1], "Text"),
        ("note", 5, "Text"),
        ("limits", {"a": "b"}, "Int"),
        ("friend", "not-a-contract-id", "ContractId Holder"),
        ("shape", {"name": "x"}, "{Shape} with fields ['name', 'corners']"),
        ("side", {"tag": "Hold", "value": None}, "{Side} as {{tag, value}}"),
    ],
)
def test_ill_typed_fields_are_refused(
    kinds: Harness, field: str, bad: object, expected: str
) -> None:
    with pytest.raises(TypeMismatchError) as info:
        kinds.interpret(
            [CreateCommand(kinds.tid("kinds", "Holder"), {**PLAIN, field: bad})], ["Alice"]
        )
    names = {"Shape": _type(kinds, "Shape"), "Side": _type(kinds, "Side")}
    assert info.value.expected == expected.format(**names)
    assert info.value.where == f"create argument.{field}"


def test_an_int_outside_64_bits_is_an_overflow(kinds: Harness) -> None:
    with pytest.raises(ArithmeticOverflowError) as info:
        kinds.interpret(
            [CreateCommand(kinds.tid("kinds", "Holder"), {**PLAIN, "qty": 2**63})], ["Alice"]
        )
    assert info.value.operation == "create argument.qty"


def test_create_and_exercise_is_one_transaction(kinds: Harness) -> None:
    tx = kinds.submit(
        [CreateAndExerciseCommand(kinds.tid("kinds", "Holder"), PLAIN, "Rebuild", {"extra": None})],
        ["Alice"],
    )
    create, exercise = tx.roots
    assert isinstance(create, CreateNode) and isinstance(exercise, ExerciseNode)
    assert exercise.contract_id == create.contract_id and exercise.consuming
    assert tx.archived_contracts == (create.contract_id,)
    assert len(tx.created_contracts) == 2
    assert kinds.ledger.lookup_contract(create.contract_id) is None
    for node in tx.nodes():
        assert kinds.engine.conforms(kinds.engine.view(tx, node.node_id), kinds.vetted)


def test_fetch_by_key_in_a_choice_body(kinds: Harness) -> None:
    _, holder = _holder(kinds)
    finder = kinds.submit([CreateCommand(kinds.tid("kinds", "Finder"), {"owner": "Alice"})],
                          ["Alice"]).created_contracts[0]  # fmt: skip
    fetch_it = ExerciseCommand(
        kinds.tid("kinds", "Finder"), finder, "FetchIt", {"label": PLAIN["label"]}
    )
    tx = kinds.interpret([fetch_it], ["Alice"])
    fetch = tx.node("0.0")  # type: ignore[arg-type]
    assert isinstance(fetch, FetchNode)
    assert fetch.contract_id == holder
    assert fetch.by_key is not None and fetch.by_key.maintainers == {"Alice"}
    assert tx.roots[0].result == IntValue(-(2**63))  # type: ignore[union-attr]
    assert kinds.engine.conforms(kinds.engine.view(tx, "0.0"), kinds.vetted)


def test_exercise_by_key_in_a_choice_body(kinds: Harness) -> None:
    _, holder = _holder(kinds)
    finder = kinds.submit([CreateCommand(kinds.tid("kinds", "Finder"), {"owner": "Alice"})],
                          ["Alice"]).created_contracts[0]  # fmt: skip
    tx = kinds.interpret(
        [ExerciseCommand(kinds.tid("kinds", "Finder"), finder, "EchoIt", {"label": "Grüße ✓"})],
        ["Alice"],
    )
    inner = tx.node("0.0")  # type: ignore[arg-type]
    assert isinstance(inner, ExerciseNode)
    assert inner.contract_id == holder and inner.choice == "Echo"
    assert inner.by_key is not None
    assert tx.roots[0].result == TextValue("Grüße ✓")  # type: ignore[union-attr]
    assert kinds.engine.conforms(kinds.engine.view(tx, "0.0"), kinds.vetted)


def test_value_size_budget_stops_a_memory_bomb(kinds: Harness) -> None:
    _, cid = _holder(kinds)
    tid = kinds.tid("kinds", "Holder")
    small = kinds.interpret([ExerciseCommand(tid, cid, "Blow", {"n": 1000})], ["Alice"])
    assert small.roots[0].result == IntValue(1000)  # type: ignore[union-attr]
    with pytest.raises(BudgetExceededError) as info:
        kinds.interpret([ExerciseCommand(tid, cid, "Blow", {"n": 10**12})], ["Alice"])
    assert info.value.resource == "value_size"
    assert info.value.limit == kinds.engine.max_value_size


@pytest.mark.parametrize("how", ["f-string", "list", "tuple"])
def test_value_size_budget_stops_growth_by_displays(kinds: Harness, how: str) -> None:
    """Doubling by an f-string or by unpacking in a display needs no operator; without a
    size check 40 iterations would allocate 2**40 elements."""
    _, cid = _holder(kinds)
    tid = kinds.tid("kinds", "Holder")
    small = kinds.interpret([ExerciseCommand(tid, cid, "Double", {"how": how, "n": 3})], ["Alice"])
    assert small.roots[0].result == IntValue(  # type: ignore[union-attr]
        {"f-string": 16 + 2 + 1, "list": 2 + 16 + 1, "tuple": 2 + 16 + 1}[how]
    )
    with pytest.raises(BudgetExceededError) as info:
        kinds.interpret([ExerciseCommand(tid, cid, "Double", {"how": how, "n": 40})], ["Alice"])
    assert info.value.resource == "value_size"


@pytest.mark.parametrize("how", ["str", "f-string", "==", "in", "sorted", "dict key"])
def test_operations_over_shared_nesting_are_charged_by_logical_size(
    kinds: Harness, how: str
) -> None:
    """``x = [x] * 10`` twelve times is 10**12 logical elements built in a few steps;
    ``str``/``==``/``sorted`` over it would run unbounded in C if charged one step."""
    _, cid = _holder(kinds)
    tid = kinds.tid("kinds", "Holder")
    small = kinds.interpret([ExerciseCommand(tid, cid, "Nest", {"how": how, "n": 2})], ["Alice"])
    assert small.roots[0].result == BoolValue(True)  # type: ignore[union-attr]
    with pytest.raises(BudgetExceededError) as info:
        kinds.interpret([ExerciseCommand(tid, cid, "Nest", {"how": how, "n": 12})], ["Alice"])
    assert info.value.resource in {"value_size", "steps"}


def test_reinterpretation_refuses_a_package_the_confirmer_has_not_vetted(kinds: Harness) -> None:
    _, cid = _holder(kinds)
    tx = kinds.interpret([ExerciseCommand(kinds.tid("kinds", "Holder"), cid, "Echo")], ["Alice"])
    view = kinds.engine.view(tx, "0")
    others = kinds.vetted - {kinds.packages["kinds"].package_id}
    with pytest.raises(ConformanceError) as info:
        kinds.engine.reinterpret(view, others)
    cause = info.value.__cause__
    assert isinstance(cause, PackageNotVettedError)
    assert cause.package_id == kinds.packages["kinds"].package_id
    assert info.value.actual is None


LOOKALIKE_SOURCE = """
from participant.engine.api import ContractId, Decimal, Party, Text, Update, choice, package
from participant.engine.api import template

PACKAGE = package("lookalike", "1.0.0", module="Fake")


@template
class Iou:
    issuer: Party
    owner: Party
    amount: Decimal
    currency: Text
    observers: list[Party]

    def signatory(self) -> list[Party]:
        return [self.owner]

    @choice(controller=lambda self, arg: [self.owner], consuming=False)
    def Peek(self, ctx: Update, real: ContractId["Iou"]) -> Decimal:
        seen: Iou = ctx.fetch(real)
        return seen.amount

    @choice(controller=lambda self, arg: [self.owner], consuming=False)
    def Untyped(self, ctx: Update, real: Text) -> Decimal:
        seen: Iou = ctx.fetch(ContractId(real))
        return seen.amount
"""


def _lookalike(h: Harness) -> tuple[str, str, str]:
    """A real Iou (signed by the bank) and a look-alike of another package signed by Alice."""
    h.packages["lookalike"] = h.store.upload(LOOKALIKE_SOURCE, "lookalike.py")
    plain = {"issuer": "Bank", "owner": "Alice", "currency": "USD", "observers": []}
    real = h.submit(
        [CreateCommand(h.tid("iou", "Iou"), {**plain, "amount": "1"})], ["Bank", "Alice"]
    ).created_contracts[0]
    fake = h.submit(
        [CreateCommand(h.tid("lookalike", "Iou"), {**plain, "amount": "1000000"})], ["Alice"]
    ).created_contracts[0]
    return real, fake, h.tid("lookalike", "Iou")


def test_a_contract_of_another_template_is_refused_where_a_typed_id_is_due(
    harness: Harness,
) -> None:
    """Merging a look-alike must not mint a bank-signed Iou: ``other: ContractId["Iou"]``
    only accepts contracts of the Iou package's Iou (Daml's wrongly-typed-contract check)."""
    real, fake, fake_tid = _lookalike(harness)
    iou_tid = harness.tid("iou", "Iou")
    with pytest.raises(TypeMismatchError) as info:
        harness.interpret([ExerciseCommand(iou_tid, real, "Merge", {"other": fake})], ["Alice"])
    assert info.value.where == f"contract {fake}"
    assert info.value.expected == iou_tid
    assert info.value.got == fake_tid
    # the fetch-typed path: a choice argument declared ContractId[Iou] of the look-alike
    with pytest.raises(TypeMismatchError) as fetched:
        harness.interpret([ExerciseCommand(fake_tid, fake, "Peek", {"real": real})], ["Alice"])
    assert (fetched.value.expected, fetched.value.got) == (fake_tid, iou_tid)


def test_an_id_built_by_package_code_is_untyped(harness: Harness) -> None:
    real, fake, fake_tid = _lookalike(harness)
    tx = harness.interpret([ExerciseCommand(fake_tid, fake, "Untyped", {"real": real})], ["Alice"])
    assert tx.roots[0].result == DecimalValue(decimal.Decimal(1))  # type: ignore[union-attr]


def test_contract_id_of_a_name_that_is_not_a_template_is_refused_at_upload(
    harness: Harness,
) -> None:
    source = KINDS_SOURCE.replace(
        'friend: Optional[ContractId["Holder"]]', 'friend: Optional[ContractId["Point"]]'
    )
    with pytest.raises(PackageValidationError) as info:
        harness.store.upload(source, "kinds.py")
    assert "ContractId['Point']: Point is not a template of this package" in info.value.reason
    missing = KINDS_SOURCE.replace('ContractId["Holder"]]', 'ContractId["Nobody"]]')
    with pytest.raises(PackageValidationError) as unknown:
        harness.store.upload(missing, "kinds.py")
    assert "Nobody is not a template of this package" in unknown.value.reason
