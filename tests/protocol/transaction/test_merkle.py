"""Merkle hashing: blinding never changes the root; any change to any byte does."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.transaction import (
    BlindedNode,
    MerkleBranch,
    MerkleLeaf,
    MerkleNode,
    RootHashMismatchError,
    blind,
    derive_salt,
    node_hash,
    verify_root,
)
from protocol.transaction.errors import InvalidTreeError
from protocol.transaction.merkle import iter_nodes, subtree
from tests.protocol.transaction.support import sample_tree

TREE = sample_tree().tree.to_merkle()
ROOT = node_hash(TREE)
ALL_PATHS = [path for path, _node in iter_nodes(TREE)]


def test_typed_root_hash_is_the_merkle_root_hash() -> None:
    assert sample_tree().root_hash() == ROOT


@pytest.mark.parametrize("path", ALL_PATHS, ids=lambda p: ".".join(map(str, p)) or "root")
def test_blinding_any_subtree_keeps_the_root_hash(path: tuple[int, ...]) -> None:
    blinded = blind(TREE, [path])
    assert isinstance(subtree(blinded, path), BlindedNode)
    assert node_hash(blinded) == ROOT
    verify_root(blinded, ROOT)


@settings(max_examples=60, deadline=None)
@given(st.sets(st.sampled_from(ALL_PATHS)))
def test_blinding_any_set_of_subtrees_keeps_the_root_hash(paths: set[tuple[int, ...]]) -> None:
    assert node_hash(blind(TREE, paths)) == ROOT


def _flip(node: MerkleNode, path: tuple[int, ...], change: str, index: int) -> MerkleNode:
    if not path:
        assert isinstance(node, MerkleLeaf)
        data = bytearray(node.salt if change == "salt" else node.content)
        data[index] ^= 0x01
        if change == "salt":
            return MerkleLeaf(bytes(data), node.content)
        return MerkleLeaf(node.salt, bytes(data))
    assert isinstance(node, MerkleBranch)
    children = list(node.children)
    children[path[0]] = _flip(children[path[0]], path[1:], change, index)
    return MerkleBranch(node.label, tuple(children))


LEAVES = [(p, n) for p, n in iter_nodes(TREE) if isinstance(n, MerkleLeaf)]


@pytest.mark.parametrize("path", [p for p, _ in LEAVES], ids=lambda p: ".".join(map(str, p)))
def test_changing_any_byte_of_any_leaf_changes_the_root_hash(path: tuple[int, ...]) -> None:
    leaf = subtree(TREE, path)
    assert isinstance(leaf, MerkleLeaf)
    for change, size in (("content", len(leaf.content)), ("salt", len(leaf.salt))):
        for index in range(size):
            tampered = _flip(TREE, path, change, index)
            assert node_hash(tampered) != ROOT
            with pytest.raises(RootHashMismatchError) as info:
                verify_root(tampered, ROOT)
            assert info.value.expected == ROOT.to_multihash()


def test_reordering_or_relabelling_changes_the_root_hash() -> None:
    assert isinstance(TREE, MerkleBranch)
    swapped = MerkleBranch(TREE.label, (TREE.children[1], TREE.children[0], *TREE.children[2:]))
    relabelled = MerkleBranch("TransactionView", TREE.children)
    assert node_hash(swapped) != ROOT
    assert node_hash(relabelled) != ROOT


def test_salts_are_deterministic_and_distinct_per_path_and_seed() -> None:
    seed = b"\x01" * 32
    assert derive_salt(seed, (3, 0)) == derive_salt(seed, (3, 0))
    salts = {derive_salt(seed, p) for p in [(0,), (1,), (3, 0), (3, 1), (3, 2, 0), (30,)]}
    assert len(salts) == 6
    assert derive_salt(b"\x02" * 32, (3, 0)) != derive_salt(seed, (3, 0))
    assert sample_tree(b"\x01" * 32).root_hash() != sample_tree(b"\x02" * 32).root_hash()
    assert sample_tree(b"\x01" * 32).root_hash() == sample_tree(b"\x01" * 32).root_hash()


def test_bad_inputs_are_typed_errors() -> None:
    with pytest.raises(InvalidTreeError):
        derive_salt(b"short", ())
    with pytest.raises(InvalidTreeError):
        MerkleLeaf(b"\x00" * 31, b"")
    with pytest.raises(InvalidTreeError):
        blind(TREE, [(99,)])
