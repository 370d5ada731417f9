"""Canonical encoding of ledger values: round trips and rejection of non-canonical bytes."""

from __future__ import annotations

import decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

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
    make_map,
    normalize_decimal,
    value_bytes,
    value_from_bytes,
)
from protocol.errors import NonCanonicalError

i64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
names = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,8}", fullmatch=True)
decimals = st.decimals(
    min_value=-(10**28) + 1, max_value=10**28 - 1, allow_nan=False, allow_infinity=False, places=10
).map(normalize_decimal)

leaves: st.SearchStrategy[Value] = st.one_of(
    st.just(UnitValue()),
    st.booleans().map(BoolValue),
    i64.map(IntValue),
    decimals.map(DecimalValue),
    st.text(max_size=20).map(TextValue),
    st.from_regex(r"[A-Za-z0-9:_\-]{1,20}", fullmatch=True).map(PartyValue),
    i64.map(TimeValue),
    i64.map(DateValue),
    st.binary(min_size=32, max_size=32).map(lambda b: ContractIdValue("00" + b.hex())),
)


def _extend(children: st.SearchStrategy[Value]) -> st.SearchStrategy[Value]:
    return st.one_of(
        st.lists(children, max_size=4).map(lambda xs: ListValue(tuple(xs))),
        st.one_of(st.none(), children).map(OptionalValue),
        st.lists(st.tuples(children, children), max_size=4).map(
            lambda es: make_map(list({value_bytes(k): (k, v) for k, v in es}.values()))
        ),
        st.tuples(names, st.lists(st.tuples(names, children), max_size=4)).map(
            lambda t: RecordValue(t[0], tuple(t[1]))
        ),
        st.tuples(names, names, children).map(lambda t: VariantValue(*t)),
    )


values = st.recursive(leaves, _extend, max_leaves=20)


@given(values)
def test_value_round_trip(value: Value) -> None:
    data = value_bytes(value)
    assert value_from_bytes(data) == value
    assert value_bytes(value_from_bytes(data)) == data


def test_map_order_does_not_depend_on_insertion_order() -> None:
    a = make_map([(TextValue("b"), IntValue(2)), (TextValue("a"), IntValue(1))])
    b = make_map([(TextValue("a"), IntValue(1)), (TextValue("b"), IntValue(2))])
    assert value_bytes(a) == value_bytes(b)


def test_unsorted_map_bytes_are_rejected() -> None:
    good = value_bytes(make_map([(TextValue("a"), UnitValue()), (TextValue("b"), UnitValue())]))
    swapped = MapValue(((TextValue("b"), UnitValue()), (TextValue("a"), UnitValue())))
    entry_a, entry_b = value_bytes(TextValue("a")) + b"\x00", value_bytes(TextValue("b")) + b"\x00"
    bad = good.replace(entry_a + entry_b, entry_b + entry_a)
    with pytest.raises(NonCanonicalError) as info:
        value_from_bytes(bad)
    assert "map keys not strictly sorted" in info.value.detail
    with pytest.raises(ValueError, match="sorted strictly"):
        value_bytes(swapped)


def test_decimal_has_one_encoding() -> None:
    one = DecimalValue(normalize_decimal(decimal.Decimal("1")))
    same = DecimalValue(normalize_decimal(decimal.Decimal("1.00000000000")))
    assert value_bytes(one) == value_bytes(same)
    assert normalize_decimal(decimal.Decimal("0.00000000005")) == decimal.Decimal("0E-10")
    with pytest.raises(ValueError, match="28 integer digits"):
        normalize_decimal(decimal.Decimal(10) ** 28)
    bad = value_bytes(one).replace(b"1.0000000000", b"1.000000000 ")
    with pytest.raises(NonCanonicalError):
        value_from_bytes(bad)
