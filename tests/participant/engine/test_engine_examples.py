"""The three example packages, end to end through the engine and an in-memory ledger."""

from __future__ import annotations

import decimal

import pytest

from participant.engine import (
    CreateCommand,
    ExerciseByKeyCommand,
    ExerciseCommand,
    ExerciseNode,
    UserAbortError,
)
from participant.engine.values import DecimalValue

from .conftest import Harness


def _amount(h: Harness, cid: str) -> decimal.Decimal:
    instance = h.ledger.lookup_contract(cid)  # type: ignore[arg-type]
    assert instance is not None
    amount = instance.argument.field("amount")
    assert isinstance(amount, DecimalValue)
    return amount.value


def test_iou_issue_transfer_split_merge(harness: Harness) -> None:
    iou_t, prop_t, acct_t = (
        harness.tid("iou", n) for n in ("Iou", "IouTransferProposal", "Account")
    )
    account = {"bank": "Bank", "owner": "Bob", "currency": "USD"}
    harness.submit([CreateCommand(acct_t, account)], ["Bob"])
    issued = harness.submit(
        [CreateCommand(iou_t, {"issuer": "Bank", "owner": "Alice", "amount": "100",
                               "currency": "USD", "observers": []})],
        ["Bank", "Alice"],
    ).created_contracts[0]  # fmt: skip
    proposal = harness.submit(
        [ExerciseCommand(iou_t, issued, "Transfer", {"new_owner": "Bob"})], ["Alice"]
    ).created_contracts[0]
    without_account = [
        ExerciseByKeyCommand(acct_t, {"owner": "Bob", "currency": "USD"}, "Archive"),
        ExerciseCommand(prop_t, proposal, "Accept"),
    ]
    with pytest.raises(UserAbortError) as info:
        harness.interpret(without_account, ["Bob"])
    assert info.value.message == "the new owner has no account for this currency"
    accepted = harness.submit([ExerciseCommand(prop_t, proposal, "Accept")], ["Bob"])
    (bob_iou,) = accepted.created_contracts
    assert harness.ledger.lookup_contract(issued) is None
    split = harness.submit([ExerciseCommand(iou_t, bob_iou, "Split", {"split_amount": "30.25"})],
                           ["Bob"])  # fmt: skip
    first, second = split.created_contracts
    assert (_amount(harness, first), _amount(harness, second)) == (
        decimal.Decimal("30.25"),
        decimal.Decimal("69.75"),
    )
    merged = harness.submit([ExerciseCommand(iou_t, first, "Merge", {"other": second})], ["Bob"])
    (total,) = merged.created_contracts
    assert _amount(harness, total) == decimal.Decimal(100)
    assert set(merged.archived_contracts) == {first, second}
    assert [i.template_id for i in harness.ledger.active.values()].count(iou_t) == 1


def test_dvp_settles_atomically_across_buyer_seller_and_bank(harness: Harness) -> None:
    tid = lambda name: harness.tid("dvp", name)  # noqa: E731
    asset = harness.submit(
        [CreateCommand(tid("Asset"), {"bank": "Bank", "owner": "Seller", "name": "ACME",
                                      "quantity": 10})], ["Bank"],
    ).created_contracts[0]  # fmt: skip
    cash = harness.submit(
        [CreateCommand(tid("Cash"), {"bank": "Bank", "owner": "Buyer", "amount": "250",
                                     "currency": "EUR"})], ["Bank"],
    ).created_contracts[0]  # fmt: skip
    trade = harness.submit(
        [CreateCommand(tid("TradeProposal"), {"seller": "Seller", "buyer": "Buyer", "bank": "Bank",
                       "asset": asset, "price": "250", "currency": "EUR"})], ["Seller"],
    ).created_contracts[0]  # fmt: skip
    tx = harness.submit([ExerciseCommand(tid("TradeProposal"), trade, "Settle",
                                         {"payment": cash})], ["Buyer"])  # fmt: skip
    root = tx.roots[0]
    assert isinstance(root, ExerciseNode)
    assert [type(n).__name__ for n in root.children] == [
        "FetchNode", "FetchNode", "ExerciseNode", "ExerciseNode",
    ]  # fmt: skip
    transfer_asset, transfer_cash = root.children[2], root.children[3]
    assert isinstance(transfer_asset, ExerciseNode) and transfer_asset.actors == {"Seller"}
    assert isinstance(transfer_cash, ExerciseNode) and transfer_cash.actors == {"Buyer"}
    assert tx.informees == {"Seller", "Buyer", "Bank"}
    new_asset, new_cash = tx.created_contracts
    asset_now = harness.ledger.lookup_contract(new_asset)
    cash_now = harness.ledger.lookup_contract(new_cash)
    assert asset_now is not None and asset_now.observers == {"Buyer"}
    assert cash_now is not None and cash_now.observers == {"Seller"}
    assert harness.ledger.lookup_contract(asset) is None
    assert harness.ledger.lookup_contract(cash) is None


def test_multi_party_agreement_propose_and_sign(harness: Harness) -> None:
    prop_t, agr_t = (
        harness.tid("agreement", "AgreementProposal"),
        harness.tid("agreement", "Agreement"),
    )
    parties = ["Alice", "Bob", "Carol"]
    proposal = harness.submit(
        [CreateCommand(prop_t, {"parties": parties, "signed": ["Alice"], "terms": "share"})],
        ["Alice"],
    ).created_contracts[0]
    with pytest.raises(UserAbortError) as early:
        harness.interpret([ExerciseCommand(prop_t, proposal, "Finalize", {"finalizer": "Alice"})],
                          ["Alice"])  # fmt: skip
    assert early.value.message == "not signed yet by ['Bob', 'Carol']"
    for signer in ("Bob", "Carol"):
        signed = harness.submit(
            [ExerciseCommand(prop_t, proposal, "Sign", {"signer": signer})], [signer]
        )
        create = signed.node("0.0")
        assert create.required_authorizers == set(parties[: parties.index(signer) + 1])
        (proposal,) = signed.created_contracts
    done = harness.submit([ExerciseCommand(prop_t, proposal, "Finalize", {"finalizer": "Carol"})],
                          ["Carol"])  # fmt: skip
    (agreement,) = done.created_contracts
    instance = harness.ledger.lookup_contract(agreement)
    assert instance is not None and instance.template_id == agr_t
    assert instance.signatories == set(parties)
