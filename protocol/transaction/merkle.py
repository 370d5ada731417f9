"""Merkle trees with salted leaves and blinding: the hashing under every transaction tree.

This module owns the hash of a tree and nothing about what the leaves mean (``views.py``
maps typed views onto it). A tree is made of three kinds of node:

* :class:`MerkleLeaf` ``(salt, content)``: ``content`` is the tagged canonical encoding of a
  value; its hash is ``H(MERKLE_LEAF, salt ‖ content)``. The salt is exactly 32 bytes, so
  the concatenation is unambiguous.
* :class:`MerkleBranch` ``(label, children)``: its hash is
  ``H(MERKLE_NODE, enc(tag "MerkleBranch" v1, str label, sequence of fixed32 child hashes))``.
  The label names the kind of node (``"TransactionView"``, ``"FullTransactionTree"``), so a
  view's hash can never be presented as a whole tree's.
* :class:`BlindedNode` ``(hash)``: a subtree replaced by its hash.

**Blinding** replaces any subtree by a :class:`BlindedNode` holding that subtree's hash.
The hash of a branch depends only on its children's hashes, so blinding never changes the
root hash: a recipient can check a partially blinded tree against the root hash that every
recipient received, and learn nothing of the blinded parts but their hashes.

**Salts.** Leaf contents have little entropy (a set of informees, an amount, a contract id a
recipient already knows), so an unsalted hash of a blinded leaf could be inverted by
guessing. Every leaf therefore carries a 32-byte salt, and the hash of a blinded leaf is a
commitment that hides its content. The submitter derives the salts from one secret,
random 32-byte *transaction seed*::

    salt(seed, path) = HMAC-SHA256(key = seed, msg = enc(tag "MerkleSalt" v1, sequence u32 path))

where ``path`` is the leaf's position (child indices from the root). The seed never leaves
the submitter; it lets the submitter rebuild the same tree (and root hash) after a crash.
A recipient of an unblinded leaf learns that leaf's salt and nothing about any other salt
(HMAC is a PRF). The seed must not be reused across transactions, and is independent of
the engine's submission seed, whose derivatives (node seeds) appear in views.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import NewType

from protocol.canonical import Writer, encode
from protocol.crypto.hashing import HASH_SIZE, Hash, HashPurpose, hash_bytes
from protocol.transaction.errors import InvalidTreeError, RootHashMismatchError

SALT_SIZE = 32
TRANSACTION_SEED_SIZE = 32
MAX_MERKLE_DEPTH = 64
MAX_BRANCH_CHILDREN = 4_096
MAX_LABEL_LENGTH = 64

Salt = NewType("Salt", bytes)
"""32 bytes mixed into a leaf's hash so that a blinded leaf cannot be guessed."""

MerklePath = tuple[int, ...]
"""Child indices from the root to a node; ``()`` is the root itself."""


def salt(value: bytes) -> Salt:
    """Validate ``value`` as a salt."""
    if not isinstance(value, bytes) or len(value) != SALT_SIZE:
        raise InvalidTreeError("salt", value, f"must be {SALT_SIZE} bytes")
    return Salt(value)


def derive_salt(transaction_seed: bytes, path: MerklePath) -> Salt:
    """The salt of the leaf at ``path`` (see the module docstring)."""
    if not isinstance(transaction_seed, bytes) or len(transaction_seed) != TRANSACTION_SEED_SIZE:
        raise InvalidTreeError(
            "transaction seed", transaction_seed, f"must be {TRANSACTION_SEED_SIZE} bytes"
        )
    message = encode(lambda w: w.tag("MerkleSalt", 1).sequence(path, Writer.u32))
    return Salt(hmac.new(transaction_seed, message, hashlib.sha256).digest())


def leaf_hash(leaf_salt: bytes, content: bytes) -> Hash:
    """``H(MERKLE_LEAF, salt ‖ content)``."""
    return hash_bytes(HashPurpose.MERKLE_LEAF, salt(leaf_salt) + content)


def branch_hash(label: str, child_hashes: Iterable[Hash]) -> Hash:
    """``H(MERKLE_NODE, enc(tag "MerkleBranch" v1, label, child hashes))``."""

    def write(w: Writer) -> None:
        w.tag("MerkleBranch", 1).str(label)
        w.sequence(child_hashes, lambda w_, h: w_.fixed(h.digest, HASH_SIZE))

    return hash_bytes(HashPurpose.MERKLE_NODE, encode(write))


@dataclass(frozen=True, slots=True)
class MerkleLeaf:
    """A salted leaf."""

    salt: bytes
    """32 bytes; derived with :func:`derive_salt` by the submitter."""

    content: bytes
    """The tagged canonical encoding of the leaf's value (without the salt)."""

    def __post_init__(self) -> None:
        salt(self.salt)
        if not isinstance(self.content, bytes):
            raise InvalidTreeError("leaf content", type(self.content), "must be bytes")


@dataclass(frozen=True, slots=True)
class MerkleBranch:
    """An inner node: a label and its ordered children."""

    label: str
    """What the node is; part of its hash."""

    children: tuple[MerkleNode, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.label, str) or not 1 <= len(self.label) <= MAX_LABEL_LENGTH:
            raise InvalidTreeError("branch label", self.label, f"1..{MAX_LABEL_LENGTH} chars")
        if not isinstance(self.children, tuple) or len(self.children) > MAX_BRANCH_CHILDREN:
            raise InvalidTreeError(
                "branch children", self.children, f"a tuple of at most {MAX_BRANCH_CHILDREN}"
            )


@dataclass(frozen=True, slots=True)
class BlindedNode:
    """A subtree replaced by its hash."""

    hash: Hash


MerkleNode = MerkleLeaf | MerkleBranch | BlindedNode
"""Any node of a (possibly partially blinded) Merkle tree."""


def node_hash(node: MerkleNode) -> Hash:
    """The hash of ``node``; equal for a subtree and its blinded form."""
    return _node_hash(node, 0)


def _node_hash(node: MerkleNode, depth: int) -> Hash:
    if depth > MAX_MERKLE_DEPTH:
        raise InvalidTreeError("merkle tree", depth, f"depth at most {MAX_MERKLE_DEPTH}")
    if isinstance(node, BlindedNode):
        return node.hash
    if isinstance(node, MerkleLeaf):
        return leaf_hash(node.salt, node.content)
    return branch_hash(node.label, [_node_hash(c, depth + 1) for c in node.children])


root_hash = node_hash
"""The hash of a tree's root node (an alias of :func:`node_hash`, for readability)."""


def verify_root(node: MerkleNode, expected: Hash, what: str = "merkle tree") -> None:
    """Raise :class:`RootHashMismatchError` unless ``node`` hashes to ``expected``."""
    actual = node_hash(node)
    if actual != expected:
        raise RootHashMismatchError(expected.to_multihash(), actual.to_multihash(), what)


def build_leaf(transaction_seed: bytes, path: MerklePath, content: bytes) -> MerkleLeaf:
    """A leaf at ``path`` whose salt is derived from ``transaction_seed``."""
    return MerkleLeaf(derive_salt(transaction_seed, path), content)


def iter_nodes(node: MerkleNode, path: MerklePath = ()) -> Iterator[tuple[MerklePath, MerkleNode]]:
    """Every node with its path, parents before children, children in order."""
    yield path, node
    if isinstance(node, MerkleBranch):
        for index, child in enumerate(node.children):
            yield from iter_nodes(child, (*path, index))


def subtree(node: MerkleNode, path: MerklePath) -> MerkleNode:
    """The node at ``path``; raises :class:`InvalidTreeError` if there is none (or a blinded
    node or a leaf lies on the way)."""
    current = node
    for depth, index in enumerate(path):
        if not isinstance(current, MerkleBranch) or not 0 <= index < len(current.children):
            raise InvalidTreeError("merkle path", path, f"no node at step {depth}")
        current = current.children[index]
    return current


def blind_where(
    node: MerkleNode, predicate: Callable[[MerklePath, MerkleNode], bool], path: MerklePath = ()
) -> MerkleNode:
    """Blind every maximal subtree for which ``predicate(path, node)`` holds.

    The predicate is asked parents first; a subtree it selects is blinded whole and its
    descendants are not asked.
    """
    if isinstance(node, BlindedNode):
        return node
    if predicate(path, node):
        return BlindedNode(node_hash(node))
    if isinstance(node, MerkleLeaf):
        return node
    children = tuple(
        blind_where(child, predicate, (*path, index)) for index, child in enumerate(node.children)
    )
    return MerkleBranch(node.label, children)


def blind(node: MerkleNode, paths: Iterable[MerklePath]) -> MerkleNode:
    """Blind the subtrees at ``paths`` (each must exist); the root hash is unchanged."""
    targets = set(paths)
    for path in targets:
        subtree(node, path)
    return blind_where(node, lambda path, _node: path in targets)
