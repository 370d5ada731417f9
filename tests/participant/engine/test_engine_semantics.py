"""Daml's ledger-model rules, each case asserting the exact failure and its fields."""

from __future__ import annotations

import pytest

from participant.engine import (
    ArithmeticOverflowError,
    AuthorizationError,
    BudgetExceededError,
    ContractNotActiveError,
    ContractNotFoundError,
    CreateCommand,
    DuplicateKeyError,
    EnsureFailedError,
    ExerciseByKeyCommand,
    ExerciseCommand,
    ExerciseNode,
    FetchNode,
    KeyNotFoundError,
    LookupByKeyNode,
    PackageNotVettedError,
    TypeMismatchError,
)
from participant.engine.ids import contract_id, seed_of_node
from participant.engine.types import NodeId
from participant.engine.values import PartyValue, RecordValue, TextValue

from .conftest import TIME, Harness


def _token(h: Harness, owner: str = "Alice", label: str = "t1") -> str:
    tx = h.submit(
        [
            CreateCommand(
                h.tid("semantics", "Token"), {"issuer": "Bank", "owner": owner, "label": label}
            )
        ],
        ["Bank"],
    )
    return tx.created_contracts[0]


def _runner(h: Harness, user: str = "Alice") -> str:
    tx = h.submit(
        [CreateCommand(h.tid("semantics", "Runner"), {"operator": "Bank", "user": user})], ["Bank"]
    )
    return tx.created_contracts[0]


def test_create_without_signatory_authorization_is_rejected(harness: Harness) -> None:
    with pytest.raises(AuthorizationError) as info:
        harness.interpret(
            [CreateCommand(harness.tid("semantics", "Token"),
                           {"issuer": "Bank", "owner": "Alice", "label": "x"})],
            ["Alice"],
        )  # fmt: skip
    assert info.value.required == {"Bank"}
    assert info.value.authorizers == {"Alice"}
    assert info.value.missing == {"Bank"}


def test_exercise_by_non_controller_is_rejected(harness: Harness) -> None:
    token = _token(harness)
    with pytest.raises(AuthorizationError) as info:
        harness.interpret([ExerciseCommand(harness.tid("semantics", "Token"), token, "Consume")],
                          ["Bob"])  # fmt: skip
    assert info.value.required == {"Alice"}
    assert info.value.authorizers == {"Bob"}
    assert info.value.node.startswith("exercise Consume")


def test_double_consumption_within_one_transaction_is_rejected(harness: Harness) -> None:
    token, runner = _token(harness), _runner(harness)
    with pytest.raises(ContractNotActiveError) as info:
        harness.interpret(
            [ExerciseCommand(harness.tid("semantics", "Runner"), runner, "ConsumeTwice",
                             {"token": token})],
            ["Alice"],
        )  # fmt: skip
    assert info.value.contract_id == token
    assert info.value.consumed_by == "0.0"
    assert info.value.template_id == harness.tid("semantics", "Token")


def test_double_consumption_across_commands_is_rejected(harness: Harness) -> None:
    token = _token(harness)
    consume = ExerciseCommand(harness.tid("semantics", "Token"), token, "Consume")
    with pytest.raises(ContractNotActiveError) as info:
        harness.interpret([consume, consume], ["Alice"])
    assert info.value.consumed_by == "0"


def test_key_uniqueness_against_the_ledger(harness: Harness) -> None:
    existing = _token(harness, label="k")
    with pytest.raises(DuplicateKeyError) as info:
        _token(harness, owner="Bob", label="k")
    assert info.value.existing == existing
    assert info.value.template_id == harness.tid("semantics", "Token")


def test_key_uniqueness_within_a_transaction(harness: Harness) -> None:
    runner = _runner(harness)
    with pytest.raises(DuplicateKeyError) as info:
        harness.interpret(
            [ExerciseCommand(harness.tid("semantics", "Runner"), runner, "CreateTwice",
                             {"label": "dup"})],
            ["Alice"],
        )  # fmt: skip
    tid = harness.tid("semantics", "Token")
    first = RecordValue(
        tid,
        (
            ("issuer", PartyValue("Bank")),
            ("owner", PartyValue("Alice")),
            ("label", TextValue("dup")),
        ),
    )
    seed = seed_of_node(harness.counter.to_bytes(32, "big"), NodeId("0.0"))
    assert info.value.key == "('Bank', 'dup')"
    assert info.value.existing == contract_id(seed, TIME, tid, first)


def test_key_is_free_again_after_archive_in_the_same_transaction(harness: Harness) -> None:
    token, runner = _token(harness, label="again"), _runner(harness)
    tx = harness.submit(
        [ExerciseCommand(harness.tid("semantics", "Runner"), runner, "Recycle", {"token": token})],
        ["Alice"],
    )
    assert tx.archived_contracts == (token,)
    (new,) = tx.created_contracts
    assert harness.ledger.lookup_contract(new) is not None


def test_lookup_by_key_records_its_result_and_needs_maintainers(harness: Harness) -> None:
    token, runner = _token(harness, label="look"), _runner(harness)
    tx = harness.interpret(
        [ExerciseCommand(harness.tid("semantics", "Runner"), runner, "Lookup", {"label": "look"})],
        ["Alice"],
    )
    (lookup,) = [n for n in tx.nodes() if isinstance(n, LookupByKeyNode)]
    assert lookup.result == token
    assert lookup.informees == {"Bank"} and lookup.required_authorizers == {"Bank"}


def test_exercise_by_key_and_missing_key(harness: Harness) -> None:
    token = _token(harness, label="bykey")
    tid = harness.tid("semantics", "Token")
    tx = harness.interpret([ExerciseByKeyCommand(tid, ["Bank", "bykey"], "Peek")], ["Alice"])
    root = tx.roots[0]
    assert isinstance(root, ExerciseNode) and root.contract_id == token
    assert root.by_key is not None and root.by_key.maintainers == {"Bank"}
    with pytest.raises(KeyNotFoundError) as info:
        harness.interpret([ExerciseByKeyCommand(tid, ["Bank", "nope"], "Peek")], ["Alice"])
    assert info.value.template_id == tid
    assert "nope" in info.value.key


def test_non_consuming_choice_leaves_the_contract_active(harness: Harness) -> None:
    token = _token(harness)
    peek = ExerciseCommand(harness.tid("semantics", "Token"), token, "Peek")
    tx = harness.submit([peek, peek], ["Alice"])
    assert [n.consuming for n in tx.roots if isinstance(n, ExerciseNode)] == [False, False]
    assert tx.archived_contracts == ()
    assert harness.ledger.lookup_contract(token) is not None
    first = tx.roots[0]
    assert isinstance(first, ExerciseNode)
    assert first.result.value == "t1"  # type: ignore[union-attr]


def test_non_consuming_informees_exclude_plain_observers(harness: Harness) -> None:
    tid = harness.tid("iou", "Iou")
    created = harness.submit(
        [CreateCommand(tid, {"issuer": "Bank", "owner": "Alice", "amount": "5",
                             "currency": "USD", "observers": ["Carol"]})],
        ["Bank", "Alice"],
    )  # fmt: skip
    iou = created.created_contracts[0]
    disclose = harness.interpret([ExerciseCommand(tid, iou, "Disclose", {"to": "Dave"})], ["Alice"])
    transfer = harness.interpret(
        [ExerciseCommand(tid, iou, "Transfer", {"new_owner": "Bob"})], ["Alice"]
    )
    assert disclose.roots[0].informees == {"Bank", "Alice"}
    assert transfer.roots[0].informees == {"Bank", "Alice", "Carol"}


def test_informees_on_nested_exercises(harness: Harness) -> None:
    token, runner = _token(harness), _runner(harness)
    tx = harness.interpret(
        [ExerciseCommand(harness.tid("semantics", "Runner"), runner, "Nest",
                         {"token": token, "new_owner": "Bob", "watcher": "Dave"})],
        ["Alice"],
    )  # fmt: skip
    root = tx.node("0")
    give = tx.node("0.0")
    create = tx.node("0.0.0")
    assert isinstance(root, ExerciseNode) and not root.consuming
    assert root.informees == {"Bank", "Alice"} and root.required_authorizers == {"Alice"}
    assert isinstance(give, ExerciseNode) and give.choice == "Give" and give.consuming
    assert give.choice_observers == {"Dave"}
    assert give.informees == {"Bank", "Alice", "Dave"}
    assert give.required_authorizers == {"Alice"}
    assert create.informees == {"Bank", "Bob"} and create.required_authorizers == {"Bank"}
    assert tx.witnesses(create.node_id) == {"Bank", "Alice", "Bob", "Dave"}


def test_divulgence_through_fetch(harness: Harness) -> None:
    token = _token(harness, owner="Alice")
    runner = _runner(harness, user="Carol")
    tx = harness.interpret(
        [ExerciseCommand(harness.tid("semantics", "Runner"), runner, "FetchToken",
                         {"token": token})],
        ["Carol"],
    )  # fmt: skip
    fetch = tx.node("0.0")
    assert isinstance(fetch, FetchNode)
    assert fetch.actors == {"Bank"}
    assert fetch.informees == {"Bank"}
    assert "Carol" not in fetch.stakeholders
    assert tx.divulgence() == {token: frozenset({"Carol"})}
    assert [c.contract_id for c in tx.input_contracts] == sorted([token, runner])


def test_fetch_without_a_stakeholder_authorizer_is_rejected(harness: Harness) -> None:
    token = _token(harness, owner="Alice")
    other = harness.submit(
        [CreateCommand(harness.tid("semantics", "Runner"), {"operator": "Zed", "user": "Carol"})],
        ["Zed"],
    ).created_contracts[0]
    with pytest.raises(AuthorizationError) as info:
        harness.interpret(
            [ExerciseCommand(harness.tid("semantics", "Runner"), other, "FetchToken",
                             {"token": token})],
            ["Carol"],
        )  # fmt: skip
    assert info.value.required == {"Bank", "Alice"}
    assert info.value.authorizers == {"Zed", "Carol"}


def test_ensure_failure(harness: Harness) -> None:
    tid = harness.tid("iou", "Iou")
    with pytest.raises(EnsureFailedError) as info:
        harness.interpret(
            [CreateCommand(tid, {"issuer": "Bank", "owner": "Alice", "amount": "0",
                                 "currency": "USD", "observers": []})],
            ["Bank", "Alice"],
        )  # fmt: skip
    assert info.value.template_id == tid


def test_unknown_contract(harness: Harness) -> None:
    missing = "00" + "ab" * 32
    with pytest.raises(ContractNotFoundError) as info:
        harness.interpret([ExerciseCommand(harness.tid("semantics", "Token"), missing, "Peek")],
                          ["Alice"])  # fmt: skip
    assert info.value.contract_id == missing


def test_type_mismatch_in_a_command_argument(harness: Harness) -> None:
    with pytest.raises(TypeMismatchError) as info:
        harness.interpret(
            [CreateCommand(harness.tid("semantics", "Token"),
                           {"issuer": "Bank", "owner": 42, "label": "x"})],
            ["Bank"],
        )  # fmt: skip
    assert info.value.expected == "Party"
    assert info.value.got.startswith("int")


def test_package_not_vetted(harness: Harness) -> None:
    tid = harness.tid("semantics", "Token")
    with pytest.raises(PackageNotVettedError) as info:
        harness.engine.submit(
            [CreateCommand(tid, {"issuer": "Bank", "owner": "Alice", "label": "x"})],
            act_as=["Bank"], lookup=harness.ledger, vetted=set(), seed=bytes(32), ledger_time=0,
        )  # fmt: skip
    assert info.value.package_id == harness.packages["semantics"].package_id
    assert info.value.template_id == tid


def test_step_budget_stops_a_looping_choice(harness: Harness) -> None:
    runner = _runner(harness)
    with pytest.raises(BudgetExceededError) as info:
        harness.interpret([ExerciseCommand(harness.tid("semantics", "Runner"), runner, "Spin")],
                          ["Alice"])  # fmt: skip
    assert info.value.resource == "steps"
    assert info.value.limit == 20_000


def test_int_overflow_is_an_error(harness: Harness) -> None:
    runner = _runner(harness)
    tid = harness.tid("semantics", "Runner")
    ok = harness.interpret(
        [ExerciseCommand(tid, runner, "Square", {"x": 3_000_000_000})], ["Alice"]
    )
    assert ok.roots[0].result.value == 9_000_000_000_000_000_000  # type: ignore[union-attr]
    with pytest.raises(ArithmeticOverflowError) as info:
        harness.interpret([ExerciseCommand(tid, runner, "Square", {"x": 4_000_000_000})], ["Alice"])
    assert info.value.operation == "*"
