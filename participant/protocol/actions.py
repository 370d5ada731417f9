"""From the engine's transaction to views and back: the decomposition rule, the bytes a
view's ``ViewParticipantData.action`` holds, and reassembly of the action nodes from the
view trees a participant received.

**Decomposition** (``docs/transaction-protocol.md`` §3). Walking the action tree from its
roots, an action starts a new view when it is a root or its informees differ from its
parent action's; otherwise it stays in the parent's view. Every node of a view therefore
has the view's informees.

**Action bytes** (opaque to the protocol layer, fixed here)::

    ViewAction = enc(tag "participant.ViewAction" v1,
                     node,              the view's root node (engine encoding) with every
                                        child that starts a subview removed
                     splices,           sequence of (str parent node id, u32 child index,
                                        u32 subview index): where each subview's root goes
                     authorizers)       set of parties: authorizers in scope at the root
                                        node (the act-as parties for a root view, else the
                                        parent exercise's signatories ∪ actors)

A recipient of a view also receives all its subviews (``privacy.py``), so it can put the
removed children back (:func:`reassemble`) and re-interpret the whole sub-tree. Nested
content travels once, in its own view, encrypted only to those entitled to it.

**Confirmation policy.** A view's informees are its nodes' informees (weight 0); its
confirming parties (weight 1, threshold = their count) are, over its own nodes, the
signatories of created contracts, the signatories and actors of exercised and fetched
contracts, and the maintainers of looked-up keys (Canton's signatory policy), restricted
to the informees.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from participant.engine import (
    ContractId,
    CreateNode,
    ExerciseNode,
    FetchNode,
    LookupByKeyNode,
    Node,
    NodeId,
    PartyId,
    Transaction,
    View,
)
from participant.engine.conformance import input_contract_ids, resolved_keys
from participant.engine.transaction import (
    ContractInstance,
    iter_nodes,
    read_instance,
    read_node,
    write_instance,
    write_node,
)
from participant.errors import ActionDecodeError
from protocol.canonical import Reader, Writer, decode, encode
from protocol.errors import MalformedError
from protocol.transaction import (
    Informee,
    InputContract,
    ViewPosition,
    ViewSpec,
)

VIEW_ACTION_TAG = ("participant.ViewAction", 1)


@dataclass(frozen=True, slots=True)
class Splice:
    parent: NodeId
    child_index: int
    subview: int


@dataclass(frozen=True, slots=True)
class ViewAction:
    """The decoded action bytes of one view (module docstring)."""

    node: Node
    splices: tuple[Splice, ...]
    authorizers: frozenset[PartyId]

    def to_bytes(self) -> bytes:
        def write(w: Writer) -> None:
            w.tag(*VIEW_ACTION_TAG)
            write_node(w, self.node)
            w.sequence(
                self.splices,
                lambda w_, s: w_.str(s.parent).u32(s.child_index).u32(s.subview),
            )
            w.set(self.authorizers, Writer.str)

        return encode(write)

    @classmethod
    def from_bytes(cls, data: bytes) -> ViewAction:
        def read(r: Reader) -> ViewAction:
            r.expect_tag(*VIEW_ACTION_TAG)
            node = read_node(r)
            splices = r.sequence(
                lambda r_: Splice(NodeId(r_.str()), r_.u32(), r_.u32()), max_count=1_024
            )
            authorizers = frozenset(PartyId(p) for p in r.set(Reader.str, max_count=1_024))
            return cls(node, tuple(splices), authorizers)

        try:
            return decode(data, read, "view action")
        except (MalformedError, ValueError) as exc:
            raise ActionDecodeError(f"view action: {exc}") from None


def instance_bytes(instance: ContractInstance) -> bytes:
    """The canonical bytes of a contract instance (views, the store, commitments)."""
    return encode(lambda w: write_instance(w, instance))


def instance_from_bytes(data: bytes) -> ContractInstance:
    try:
        return decode(data, read_instance, "contract instance")
    except (MalformedError, ValueError) as exc:
        raise ActionDecodeError(f"contract instance: {exc}") from None


# -- decomposition -------------------------------------------------------------------------


def confirming_of(node: Node) -> frozenset[PartyId]:
    """The parties whose confirmation ``node`` needs (module docstring)."""
    match node:
        case CreateNode():
            return node.signatories
        case ExerciseNode():
            return node.signatories | node.actors
        case FetchNode():
            return node.signatories | node.actors
        case LookupByKeyNode():
            return node.key.maintainers


def used_contract(node: Node) -> ContractId | None:
    if isinstance(node, ExerciseNode | FetchNode):
        return node.contract_id
    if isinstance(node, LookupByKeyNode):
        return node.result
    return None


def _strip(node: Node, informees: frozenset[PartyId], out: list[tuple[NodeId, int, Node]]) -> Node:
    """``node`` without the children that start subviews (collected into ``out`` in
    pre-order, with their parent and position)."""
    if not isinstance(node, ExerciseNode):
        return node
    kept: list[Node] = []
    for index, child in enumerate(node.children):
        if child.informees != informees:
            out.append((node.node_id, index, child))
        else:
            kept.append(_strip(child, informees, out))
    return replace(node, children=tuple(kept))


def _own_nodes(node: Node) -> list[Node]:
    return list(iter_nodes((node,)))


def view_specs(transaction: Transaction) -> list[ViewSpec]:
    """The views of ``transaction`` by the decomposition rule, each with its action bytes,
    inputs, created and consumed contracts and seed."""
    instances = {c.contract_id: c for c in transaction.input_contracts}
    for node in transaction.nodes():
        if isinstance(node, CreateNode):
            instances[node.contract_id] = node.instance()

    def build(node: Node, authorizers: frozenset[PartyId]) -> ViewSpec:
        removed: list[tuple[NodeId, int, Node]] = []
        stripped = _strip(node, node.informees, removed)
        own = _own_nodes(stripped)
        subviews = []
        splices = []
        for index, (parent_id, child_index, child) in enumerate(removed):
            parent = transaction.node(parent_id)
            assert isinstance(parent, ExerciseNode)
            subviews.append(build(child, parent.signatories | parent.actors))
            splices.append(Splice(parent_id, child_index, index))
        created = {n.contract_id for n in own if isinstance(n, CreateNode)}
        used = input_contract_ids(own)
        consumed = {n.contract_id for n in own if isinstance(n, ExerciseNode) and n.consuming}
        confirming = frozenset().union(*(confirming_of(n) for n in own)) & node.informees
        informees = tuple(Informee(p, 1 if p in confirming else 0) for p in sorted(node.informees))
        action = ViewAction(stripped, tuple(splices), authorizers)
        return ViewSpec(
            informees=informees,
            threshold=len(confirming),
            action=action.to_bytes(),
            inputs=tuple(InputContract(c, instance_bytes(instances[c])) for c in used),
            created=tuple(sorted(created)),
            consumed=tuple(sorted(consumed)),
            action_seed=transaction.seed(node.node_id),
            subviews=tuple(subviews),
        )

    return [build(root, transaction.submitters) for root in transaction.roots]


# -- reassembly ----------------------------------------------------------------------------


def _insert(node: Node, parent: NodeId, index: int, child: Node) -> Node:
    if not isinstance(node, ExerciseNode):
        return node
    if node.node_id == parent:
        children = list(node.children)
        if not 0 <= index <= len(children):
            raise ActionDecodeError(f"subview position {parent}.{index} out of range")
        children.insert(index, child)
        return replace(node, children=tuple(children))
    return replace(node, children=tuple(_insert(c, parent, index, child) for c in node.children))


def reassemble(position: ViewPosition, actions: Mapping[ViewPosition, ViewAction]) -> Node:
    """The full sub-tree of the view at ``position``, its subviews put back (every
    descendant must be in ``actions``). Raises :class:`ActionDecodeError` if a subview is
    missing, named at a place that does not exist, or does not have the node id or the
    authorizers its place implies."""
    action = actions.get(position)
    if action is None:
        raise ActionDecodeError(f"view {position} missing")
    node = action.node
    for splice in sorted(action.splices, key=lambda s: (s.parent, s.child_index)):
        sub_position = (*position, splice.subview)
        sub = actions.get(sub_position)
        if sub is None:
            raise ActionDecodeError(f"subview {sub_position} missing")
        expected_id = f"{splice.parent}.{splice.child_index}"
        if sub.node.node_id != expected_id:
            raise ActionDecodeError(
                f"subview {sub_position}: node id {sub.node.node_id}, expected {expected_id}"
            )
        parent = _find(node, splice.parent)
        if not isinstance(parent, ExerciseNode):
            raise ActionDecodeError(f"subview {sub_position}: parent is not an exercise")
        if sub.authorizers != parent.signatories | parent.actors:
            raise ActionDecodeError(f"subview {sub_position}: authorizers differ from its parent's")
        child = reassemble(sub_position, actions)
        node = _insert(node, splice.parent, splice.child_index, child)
    return node


def _find(node: Node, node_id: NodeId) -> Node | None:
    for n in iter_nodes((node,)):
        if n.node_id == node_id:
            return n
    return None


def engine_view(
    node: Node,
    *,
    seed: bytes | None,
    authorizers: frozenset[PartyId],
    ledger_time: int,
    contracts: Mapping[ContractId, ContractInstance],
) -> View:
    """The engine's :class:`View` of a reassembled sub-tree (as ``view_of`` cuts it from a
    whole transaction), with input instances taken from ``contracts``."""
    subtree = _own_nodes(node)
    used = input_contract_ids(subtree)
    missing = [c for c in used if c not in contracts]
    if missing:
        raise ActionDecodeError(f"input contracts not given: {missing}")
    return View(
        node,
        seed,
        authorizers,
        ledger_time,
        tuple(contracts[c] for c in used),
        resolved_keys(subtree),
    )


def node_order(node_id: str) -> tuple[int, ...]:
    """Sort key of node ids in pre-order of the transaction."""
    return tuple(int(p) for p in node_id.split("."))


def all_nodes(nodes: Iterable[Node]) -> list[Node]:
    return list(iter_nodes(tuple(nodes)))
