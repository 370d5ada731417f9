"""Typed trees: encoding, projections (view trees, informee tree), reassembly, tampering."""

from __future__ import annotations

import dataclasses

import pytest

from protocol.transaction import (
    BlindedNode,
    FullTransactionTree,
    InformeeTree,
    InputContract,
    InvalidTreeError,
    MalformedTransactionMessageError,
    RootHashMismatchError,
    TransactionTree,
    TransactionView,
    TransactionViewTree,
    ViewParticipantData,
    merge_trees,
)
from tests.protocol.transaction.support import (
    ALICE,
    BOB,
    CAROL,
    DAVE,
    OLD_IOU,
    SECRETS,
    sample_tree,
)

FULL = sample_tree()
ROOT = FULL.root_hash()
POSITIONS = [p for p, _ in FULL.views()]


def test_views_are_numbered_parents_first() -> None:
    assert POSITIONS == [(0,), (0, 0), (1,)]
    assert FULL.common_data((0, 0)).informee_parties == {ALICE, BOB}
    assert FULL.common_data((1,)).confirming_parties == {DAVE: 1}


def test_tree_round_trips_and_is_deterministic() -> None:
    data = FULL.to_bytes()
    assert FullTransactionTree.from_bytes(data) == FULL
    assert sample_tree().to_bytes() == data


@pytest.mark.parametrize("position", POSITIONS)
def test_view_tree_keeps_root_hash_and_shows_only_its_view(position: tuple[int, ...]) -> None:
    view_tree = FULL.view_tree(position)
    assert view_tree.root_hash() == ROOT
    assert view_tree.view_hash == FULL.view(position).hash
    view_tree.verify_root_hash(ROOT)
    assert TransactionViewTree.from_bytes(view_tree.to_bytes()) == view_tree
    assert all(isinstance(s, BlindedNode) for s in view_tree.view.subviews)
    visible = [
        p
        for p, v in view_tree.tree.iter_views()
        if isinstance(v, TransactionView) and not isinstance(v.participant, BlindedNode)
    ]
    assert visible == [position]


def test_merging_all_view_trees_gives_back_the_full_tree() -> None:
    merged = merge_trees(FULL.view_tree(p).tree for p in POSITIONS)
    assert merged == FULL.tree
    partial = merge_trees([FULL.view_tree((0, 0)).tree, FULL.view_tree((1,)).tree])
    assert partial.root_hash() == ROOT


def test_merging_trees_of_different_transactions_fails() -> None:
    other = sample_tree(b"\x08" * 32)
    with pytest.raises(RootHashMismatchError):
        merge_trees([FULL.view_tree((0,)).tree, other.view_tree((1,)).tree])


def test_informee_tree_keeps_root_hash_and_blinds_all_participant_data() -> None:
    informee = InformeeTree.of(FULL)
    assert informee.root_hash() == ROOT
    assert [v.position for v in informee.views()] == POSITIONS
    assert [v.view_hash for v in informee.views()] == [FULL.view(p).hash for p in POSITIONS]
    assert informee.informees() == {ALICE, BOB, CAROL, DAVE}
    assert isinstance(informee.tree.participant_metadata, BlindedNode)
    data = informee.to_bytes()
    assert InformeeTree.from_bytes(data) == informee
    for secret in SECRETS:
        assert secret not in data
    assert OLD_IOU.encode() not in data


def test_projections_reject_wrong_blinding() -> None:
    informee = InformeeTree.of(FULL)
    with pytest.raises(InvalidTreeError):
        FullTransactionTree(informee.tree)
    with pytest.raises(InvalidTreeError):
        InformeeTree(FULL.tree)
    with pytest.raises(InvalidTreeError):
        TransactionViewTree(FULL.tree, (0,))
    with pytest.raises(InvalidTreeError):
        TransactionViewTree(FULL.view_tree((0,)).tree, (1,))


def _replace_input(tree: TransactionTree, contract: bytes) -> TransactionTree:
    def change(position: tuple[int, ...], view: TransactionView) -> TransactionView:
        data = view.participant
        if position != (0,) or not isinstance(data, ViewParticipantData):
            return view
        inputs = (InputContract(OLD_IOU, contract),)
        return TransactionView(view.common, dataclasses.replace(data, inputs=inputs), view.subviews)

    return tree.map_views(change)


def test_changing_any_byte_of_a_view_changes_the_root_hash() -> None:
    original = FULL.view((0,)).participant
    assert isinstance(original, ViewParticipantData)
    contract = original.inputs[0].contract
    for index in range(len(contract)):
        tampered_bytes = bytearray(contract)
        tampered_bytes[index] ^= 0x20
        tampered = FullTransactionTree(_replace_input(FULL.tree, bytes(tampered_bytes)))
        assert tampered.root_hash() != ROOT
        with pytest.raises(RootHashMismatchError):
            tampered.view_tree((0,)).verify_root_hash(ROOT)


def test_changing_any_byte_of_an_encoded_view_tree_changes_or_breaks_it() -> None:
    data = FULL.view_tree((0,)).to_bytes()
    decode_errors = 0
    for index in range(len(data)):
        tampered = bytearray(data)
        tampered[index] ^= 0x01
        try:
            decoded = TransactionViewTree.from_bytes(bytes(tampered))
        except MalformedTransactionMessageError:
            decode_errors += 1
            continue
        assert decoded.root_hash() != ROOT, f"byte {index} changed nothing that is hashed"
        with pytest.raises(RootHashMismatchError):
            decoded.verify_root_hash(ROOT)
    assert 0 < decode_errors < len(data)


def test_structural_rules_are_typed_errors() -> None:
    view = FULL.view((0,))
    common = view.common
    assert not isinstance(common, BlindedNode)
    with pytest.raises(InvalidTreeError):
        dataclasses.replace(common, threshold=2)
    with pytest.raises(InvalidTreeError):
        dataclasses.replace(common, informees=tuple(reversed(common.informees)))
    data = view.participant
    assert isinstance(data, ViewParticipantData)
    with pytest.raises(InvalidTreeError):
        dataclasses.replace(data, consumed=("00unknown",))
    with pytest.raises(InvalidTreeError):
        FULL.tree.view((5,))
