"""Re-interpretation of views (model conformance) accepts honest views, detects tampering."""

from __future__ import annotations

from dataclasses import replace

import pytest

from participant.engine import (
    ConformanceError,
    CreateCommand,
    ExerciseCommand,
    ExerciseNode,
    Transaction,
    View,
)
from participant.engine.values import PartyValue

from .conftest import Harness


def _transfer(h: Harness) -> Transaction:
    tid = h.tid("iou", "Iou")
    created = h.submit(
        [CreateCommand(tid, {"issuer": "Bank", "owner": "Alice", "amount": "10",
                             "currency": "USD", "observers": ["Carol"]})],
        ["Bank", "Alice"],
    )  # fmt: skip
    return h.interpret(
        [ExerciseCommand(tid, created.created_contracts[0], "Transfer", {"new_owner": "Bob"})],
        ["Alice"],
    )


def _root(view: View) -> ExerciseNode:
    assert isinstance(view.node, ExerciseNode)
    return view.node


def test_every_view_of_an_honest_transaction_conforms(harness: Harness) -> None:
    tx = _transfer(harness)
    for node in tx.nodes():
        view = harness.engine.view(tx, node.node_id)
        assert harness.engine.reinterpret(view, harness.vetted) == node


def test_nested_view_with_fetch_and_keys_conforms(harness: Harness) -> None:
    token = harness.submit(
        [CreateCommand(harness.tid("semantics", "Token"),
                       {"issuer": "Bank", "owner": "Alice", "label": "v"})], ["Bank"],
    ).created_contracts[0]  # fmt: skip
    runner = harness.submit(
        [CreateCommand(harness.tid("semantics", "Runner"), {"operator": "Bank", "user": "Alice"})],
        ["Bank"],
    ).created_contracts[0]
    tx = harness.interpret(
        [ExerciseCommand(harness.tid("semantics", "Runner"), runner, "Recycle", {"token": token}),
         ExerciseCommand(harness.tid("semantics", "Runner"), runner, "Lookup", {"label": "v"})],
        ["Alice"],
    )  # fmt: skip
    for node_id in ("0", "0.1", "0.2", "1", "1.0"):
        assert harness.engine.conforms(harness.engine.view(tx, node_id), harness.vetted)


def test_changed_argument_is_detected(harness: Harness) -> None:
    view = harness.engine.view(_transfer(harness), "0")
    root = _root(view)
    tampered_arg = replace(root.argument, fields=(("new_owner", PartyValue("Mallory")),))
    tampered = replace(view, node=replace(root, argument=tampered_arg))
    with pytest.raises(ConformanceError) as info:
        harness.engine.reinterpret(tampered, harness.vetted)
    assert info.value.node_id == "0"
    assert info.value.reason == "re-interpreted sub-tree differs"
    assert info.value.actual is not None and info.value.actual != info.value.expected


def test_removed_node_is_detected(harness: Harness) -> None:
    view = harness.engine.view(_transfer(harness), "0")
    tampered = replace(view, node=replace(_root(view), children=()))
    with pytest.raises(ConformanceError) as info:
        harness.engine.reinterpret(tampered, harness.vetted)
    assert info.value.reason == "re-interpreted sub-tree differs"


def test_added_node_is_detected(harness: Harness) -> None:
    view = harness.engine.view(_transfer(harness), "0")
    root = _root(view)
    extra = replace(root.children[0], node_id="0.1")
    tampered = replace(view, node=replace(root, children=(*root.children, extra)))
    assert not harness.engine.conforms(tampered, harness.vetted)


def test_changed_informee_is_detected(harness: Harness) -> None:
    view = harness.engine.view(_transfer(harness), "0")
    root = _root(view)
    tampered = replace(view, node=replace(root, informees=root.informees - {"Carol"}))
    with pytest.raises(ConformanceError) as info:
        harness.engine.reinterpret(tampered, harness.vetted)
    assert info.value.node_id == "0"


def test_view_claiming_authority_it_lacks_fails_reinterpretation(harness: Harness) -> None:
    view = harness.engine.view(_transfer(harness), "0")
    tampered = replace(view, authorizers=frozenset({"Mallory"}))
    with pytest.raises(ConformanceError) as info:
        harness.engine.reinterpret(tampered, harness.vetted)
    assert info.value.actual is None
    assert info.value.reason.startswith("re-interpretation failed")
