"""Views and the re-interpretation check (Canton's model conformance).

A *view* is one action node with its sub-tree, plus what a participant needs to
re-interpret it without the rest of the transaction: the node's seed, the authorizers in
scope where it sits, the ledger time, the contracts it uses that it did not create, and
how each contract key it touches was resolved. A confirming participant re-runs the
view's action with the engine and requires the resulting sub-tree to be *byte-identical*
to the view's: any changed argument, added or removed node, or changed informee or
authorizer set shows up as a difference (or as a failure to interpret at all).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from participant.engine.transaction import (
    ContractInstance,
    CreateNode,
    ExerciseNode,
    FetchNode,
    GlobalKey,
    LookupByKeyNode,
    Node,
    Transaction,
    iter_nodes,
    write_instance,
    write_node,
    write_resolved_key,
)
from participant.engine.types import ContractId, NodeId, PartyId
from protocol.canonical import Writer, encode


@dataclass(frozen=True, slots=True)
class View:
    """A sub-tree of a transaction with the data to re-interpret it on its own."""

    node: Node
    seed: bytes | None
    """Seed of ``node`` (``None`` for Fetch and LookupByKey nodes, which need none)."""
    authorizers: frozenset[PartyId]
    """Authorizers in scope at ``node``: the submitters for a root, else the parent
    exercise's signatories ∪ actors."""
    ledger_time: int
    input_contracts: tuple[ContractInstance, ...]
    """Contracts the sub-tree uses and does not create, ordered by id."""
    resolved_keys: tuple[tuple[GlobalKey, ContractId | None], ...]
    """The first resolution of each key the sub-tree touches, in pre-order."""

    @property
    def node_id(self) -> NodeId:
        return self.node.node_id

    def to_bytes(self) -> bytes:
        def write(w: Writer) -> None:
            w.tag("engine.View", 1)
            write_node(w, self.node)
            w.optional(self.seed, Writer.bytes)
            w.set(self.authorizers, Writer.str)
            w.i64(self.ledger_time)
            w.sequence(self.input_contracts, write_instance)
            w.sequence(self.resolved_keys, write_resolved_key)

        return encode(write)


def parent_of(node_id: NodeId) -> NodeId | None:
    head, _, _ = node_id.rpartition(".")
    return NodeId(head) if head else None


def view_of(transaction: Transaction, node_id: NodeId) -> View:
    """Cut the view rooted at ``node_id`` out of a transaction."""
    node = transaction.node(node_id)
    parent_id = parent_of(node_id)
    if parent_id is None:
        authorizers = transaction.submitters
    else:
        parent = transaction.node(parent_id)
        if not isinstance(parent, ExerciseNode):
            raise KeyError(node_id)
        authorizers = parent.signatories | parent.actors
    instances = {c.contract_id: c for c in transaction.input_contracts}
    instances.update(
        (n.contract_id, n.instance()) for n in transaction.nodes() if isinstance(n, CreateNode)
    )
    subtree = list(iter_nodes((node,)))
    return View(
        node,
        transaction.seed(node_id),
        authorizers,
        transaction.ledger_time,
        tuple(instances[cid] for cid in input_contract_ids(subtree)),
        resolved_keys(subtree),
    )


def input_contract_ids(nodes: Iterable[Node]) -> list[ContractId]:
    """The contracts ``nodes`` exercise or fetch and do not create: a view's input
    contracts, sorted, each once."""
    nodes = list(nodes)
    created = {n.contract_id for n in nodes if isinstance(n, CreateNode)}
    return sorted(
        {
            n.contract_id
            for n in nodes
            if isinstance(n, ExerciseNode | FetchNode) and n.contract_id not in created
        }
    )


def resolved_keys(nodes: Iterable[Node]) -> tuple[tuple[GlobalKey, ContractId | None], ...]:
    """Every contract key ``nodes`` use, with what it resolved to (``None``: no contract,
    or one created here), the first use winning; sorted by the key's encoding."""
    keys: dict[bytes, tuple[GlobalKey, ContractId | None]] = {}
    for n in nodes:
        entry: tuple[GlobalKey, ContractId | None] | None = None
        if isinstance(n, ExerciseNode | FetchNode) and n.by_key is not None:
            entry = (GlobalKey(n.template_id, n.by_key.key), n.contract_id)
        elif isinstance(n, LookupByKeyNode):
            entry = (GlobalKey(n.template_id, n.key.key), n.result)
        elif isinstance(n, CreateNode) and n.key is not None:
            entry = (GlobalKey(n.template_id, n.key.key), None)
        if entry is not None:
            keys.setdefault(entry[0].to_bytes(), entry)
    return tuple(keys[k] for k in sorted(keys))


class ViewLookup:
    """The contract lookup a re-interpretation runs against: only the view's own data."""

    def __init__(self, view: View) -> None:
        self._contracts = {c.contract_id: c for c in view.input_contracts}
        self._keys = {key.to_bytes(): cid for key, cid in view.resolved_keys}

    def lookup_contract(self, contract_id: ContractId) -> ContractInstance | None:
        return self._contracts.get(contract_id)

    def lookup_key(self, key: GlobalKey) -> ContractId | None:
        return self._keys.get(key.to_bytes())
