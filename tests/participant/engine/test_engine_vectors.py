"""Golden vectors: the canonical bytes of ledger values and of a transaction never drift.

A change to these bytes changes every contract id and transaction hash on a running
ledger, so it must be a deliberate, versioned decision: regenerate with
``REGENERATE_VECTORS=1 pytest tests/participant/engine/test_engine_vectors.py`` and say
why in the commit.
"""

from __future__ import annotations

import decimal
import json
import os
from pathlib import Path

from participant.engine import (
    CreateCommand,
    Engine,
    ExerciseCommand,
    InMemoryLedger,
    PackageStore,
    transaction_from_bytes,
    value_bytes,
    value_from_bytes,
)
from participant.engine.examples import example_source
from participant.engine.values import (
    BoolValue,
    DateValue,
    DecimalValue,
    IntValue,
    ListValue,
    OptionalValue,
    PartyValue,
    RecordValue,
    TextValue,
    TimeValue,
    UnitValue,
    Value,
    VariantValue,
    make_map,
)

VECTORS = Path(__file__).resolve().parents[2] / "vectors"


def sample_values() -> dict[str, Value]:
    return {
        "unit": UnitValue(),
        "bool_true": BoolValue(True),
        "int_min": IntValue(-(2**63)),
        "int_42": IntValue(42),
        "decimal": DecimalValue(decimal.Decimal("-1234.5000000001")),
        "text_utf8": TextValue("Grüße ✓"),
        "party": PartyValue("Alice"),
        "time": TimeValue(1_700_000_000_123_456),
        "date": DateValue(19_700),
        "list": ListValue((IntValue(1), IntValue(2))),
        "optional_none": OptionalValue(None),
        "optional_some": OptionalValue(TextValue("x")),
        "map": make_map([(TextValue("b"), IntValue(2)), (TextValue("a"), IntValue(1))]),
        "record": RecordValue(
            "Iou:AccountKey", (("owner", PartyValue("Alice")), ("currency", TextValue("EUR")))
        ),
        "variant": VariantValue("Dvp:Side", "Buy", UnitValue()),
    }


def dvp_settlement_bytes() -> bytes:
    store = PackageStore()
    dvp = store.upload(example_source("dvp"))
    engine, ledger = Engine(store), InMemoryLedger()
    vetted = {dvp.package_id}

    def tid(name: str) -> str:
        return f"{dvp.package_id}:Dvp:{name}"

    def run(commands: list, act_as: list[str], n: int):  # type: ignore[no-untyped-def]
        tx = engine.submit(
            commands, act_as=act_as, lookup=ledger, vetted=vetted,
            seed=bytes([n]) * 32, ledger_time=1_000_000,
        )  # fmt: skip
        ledger.commit(tx)
        return tx

    asset = run(
        [CreateCommand(tid("Asset"), {"bank": "Bank", "owner": "Seller", "name": "ACME",
                                      "quantity": 10})], ["Bank"], 1,
    ).created_contracts[0]  # fmt: skip
    cash = run(
        [CreateCommand(tid("Cash"), {"bank": "Bank", "owner": "Buyer", "amount": "250.5",
                                     "currency": "EUR"})], ["Bank"], 2,
    ).created_contracts[0]  # fmt: skip
    trade = run(
        [CreateCommand(tid("TradeProposal"), {"seller": "Seller", "buyer": "Buyer",
                       "bank": "Bank", "asset": asset, "price": "250.50", "currency": "EUR"})],
        ["Seller"], 3,
    ).created_contracts[0]  # fmt: skip
    settle = ExerciseCommand(tid("TradeProposal"), trade, "Settle", {"payment": cash})
    return bytes(run([settle], ["Buyer"], 4).to_bytes())


def _check(name: str, actual: dict[str, str]) -> None:
    path = VECTORS / name
    if os.environ.get("REGENERATE_VECTORS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(actual, indent=2, sort_keys=True) + "\n")
    expected = json.loads(path.read_text())
    assert actual == expected


def test_value_encodings_match_golden_vectors() -> None:
    values = sample_values()
    encoded = {name: value_bytes(v).hex() for name, v in values.items()}
    _check("engine_values.json", encoded)
    for name, value in values.items():
        assert value_from_bytes(bytes.fromhex(encoded[name])) == value


def test_transaction_encoding_matches_golden_vector() -> None:
    data = dvp_settlement_bytes()
    _check("engine_transaction_dvp.json", {"dvp_settlement": data.hex()})
    assert transaction_from_bytes(data).to_bytes() == data


def test_contract_ids_are_stable() -> None:
    cid = transaction_from_bytes(dvp_settlement_bytes()).created_contracts[0]
    _check("engine_contract_id.json", {"first_created_in_dvp_settlement": str(cid)})
