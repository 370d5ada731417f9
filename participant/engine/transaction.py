"""Transaction trees: nodes, contract instances, views, and their canonical encoding.

A transaction is a forest of *action nodes* (Daml's ledger model): Create, Exercise (with
its consequences as children), Fetch and LookupByKey. Every node carries its informees
and its required authorizers as computed by the engine, so a confirming participant can
compare them after re-interpretation. Node ids are dotted child-position paths
(``types.NodeId``), stable under blinding, so any sub-tree (a *view*) can be named.

Informees and required authorizers (Daml's rules; see ``docs/engine.md``):

=================  ==========================================  ======================
node               informees                                   required authorizers
=================  ==========================================  ======================
Create             signatories ∪ observers                     signatories
Exercise (cons.)   stakeholders ∪ actors ∪ choice observers    actors
Exercise (non-c.)  signatories ∪ actors ∪ choice observers     actors
Fetch              signatories ∪ actors                        actors
LookupByKey        maintainers                                 maintainers
=================  ==========================================  ======================
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from participant.engine.types import ContractId, NodeId, PartyId, TemplateId
from participant.engine.values import RecordValue, Value, read_value, write_value
from protocol.canonical import Reader, Writer, decode, encode

TX_VERSION = 1


def _parties(w: Writer, parties: frozenset[PartyId]) -> None:
    w.set(parties, Writer.str)


def _read_parties(r: Reader) -> frozenset[PartyId]:
    return frozenset(PartyId(p) for p in r.set(Reader.str))


@dataclass(frozen=True, slots=True)
class GlobalKey:
    """A contract key, qualified by its template."""

    template_id: TemplateId
    key: Value

    def to_bytes(self) -> bytes:
        def write(w: Writer) -> None:
            w.str(self.template_id)
            write_value(w, self.key)

        return encode(write)


@dataclass(frozen=True, slots=True)
class KeyWithMaintainers:
    key: Value
    maintainers: frozenset[PartyId]


def _write_key(w: Writer, key: KeyWithMaintainers) -> None:
    write_value(w, key.key)
    _parties(w, key.maintainers)


def _read_key(r: Reader) -> KeyWithMaintainers:
    return KeyWithMaintainers(read_value(r), _read_parties(r))


@dataclass(frozen=True, slots=True)
class ContractInstance:
    """An active contract as the lookup hands it to the engine, with its metadata."""

    contract_id: ContractId
    template_id: TemplateId
    argument: RecordValue
    signatories: frozenset[PartyId]
    observers: frozenset[PartyId]
    """Stakeholders that are not signatories."""
    key: KeyWithMaintainers | None

    @property
    def stakeholders(self) -> frozenset[PartyId]:
        return self.signatories | self.observers


def write_instance(w: Writer, instance: ContractInstance) -> None:
    w.str(instance.contract_id).str(instance.template_id)
    write_value(w, instance.argument)
    _parties(w, instance.signatories)
    _parties(w, instance.observers)
    w.optional(instance.key, _write_key)


def read_instance(r: Reader) -> ContractInstance:
    cid = ContractId(r.str())
    tid = TemplateId(r.str())
    argument = _read_record(r)
    return ContractInstance(
        cid, tid, argument, _read_parties(r), _read_parties(r), r.optional(_read_key)
    )


@dataclass(frozen=True, slots=True)
class CreateNode:
    node_id: NodeId
    contract_id: ContractId
    template_id: TemplateId
    argument: RecordValue
    signatories: frozenset[PartyId]
    observers: frozenset[PartyId]
    key: KeyWithMaintainers | None
    informees: frozenset[PartyId]
    required_authorizers: frozenset[PartyId]

    def instance(self) -> ContractInstance:
        return ContractInstance(
            self.contract_id,
            self.template_id,
            self.argument,
            self.signatories,
            self.observers,
            self.key,
        )


@dataclass(frozen=True, slots=True)
class ExerciseNode:
    node_id: NodeId
    contract_id: ContractId
    template_id: TemplateId
    choice: str
    consuming: bool
    argument: RecordValue
    actors: frozenset[PartyId]
    choice_observers: frozenset[PartyId]
    signatories: frozenset[PartyId]
    stakeholders: frozenset[PartyId]
    by_key: KeyWithMaintainers | None
    """The key, if the exercise was by key."""
    children: tuple[Node, ...]
    result: Value
    informees: frozenset[PartyId]
    required_authorizers: frozenset[PartyId]


@dataclass(frozen=True, slots=True)
class FetchNode:
    node_id: NodeId
    contract_id: ContractId
    template_id: TemplateId
    actors: frozenset[PartyId]
    signatories: frozenset[PartyId]
    stakeholders: frozenset[PartyId]
    by_key: KeyWithMaintainers | None
    informees: frozenset[PartyId]
    required_authorizers: frozenset[PartyId]


@dataclass(frozen=True, slots=True)
class LookupByKeyNode:
    node_id: NodeId
    template_id: TemplateId
    key: KeyWithMaintainers
    result: ContractId | None
    informees: frozenset[PartyId]
    required_authorizers: frozenset[PartyId]


Node = CreateNode | ExerciseNode | FetchNode | LookupByKeyNode

_CREATE, _EXERCISE, _FETCH, _LOOKUP = range(4)


def write_node(w: Writer, node: Node) -> None:
    """Canonical encoding of a node and (for an exercise) its whole sub-tree."""
    match node:
        case CreateNode():
            w.u8(_CREATE).str(node.node_id).str(node.contract_id).str(node.template_id)
            write_value(w, node.argument)
            _parties(w, node.signatories)
            _parties(w, node.observers)
            w.optional(node.key, _write_key)
        case ExerciseNode():
            w.u8(_EXERCISE).str(node.node_id).str(node.contract_id).str(node.template_id)
            w.str(node.choice).bool(node.consuming)
            write_value(w, node.argument)
            _parties(w, node.actors)
            _parties(w, node.choice_observers)
            _parties(w, node.signatories)
            _parties(w, node.stakeholders)
            w.optional(node.by_key, _write_key)
            w.sequence(node.children, write_node)
            write_value(w, node.result)
        case FetchNode():
            w.u8(_FETCH).str(node.node_id).str(node.contract_id).str(node.template_id)
            _parties(w, node.actors)
            _parties(w, node.signatories)
            _parties(w, node.stakeholders)
            w.optional(node.by_key, _write_key)
        case LookupByKeyNode():
            w.u8(_LOOKUP).str(node.node_id).str(node.template_id)
            _write_key(w, node.key)
            w.optional(node.result, Writer.str)
    _parties(w, node.informees)
    _parties(w, node.required_authorizers)


def read_node(r: Reader) -> Node:
    kind = r.u8()
    node: Node
    if kind == _CREATE:
        nid, cid, tid = NodeId(r.str()), ContractId(r.str()), TemplateId(r.str())
        argument = _read_record(r)
        sigs, obs = _read_parties(r), _read_parties(r)
        key = r.optional(_read_key)
        node = CreateNode(nid, cid, tid, argument, sigs, obs, key, _read_parties(r), frozenset())
    elif kind == _EXERCISE:
        nid, cid, tid = NodeId(r.str()), ContractId(r.str()), TemplateId(r.str())
        choice, consuming = r.str(), r.bool()
        argument = _read_record(r)
        actors, choice_obs = _read_parties(r), _read_parties(r)
        sigs, stakeholders = _read_parties(r), _read_parties(r)
        by_key = r.optional(_read_key)
        children = tuple(r.sequence(read_node))
        result = read_value(r)
        node = ExerciseNode(
            nid, cid, tid, choice, consuming, argument, actors, choice_obs, sigs,
            stakeholders, by_key, children, result, _read_parties(r), frozenset(),
        )  # fmt: skip
    elif kind == _FETCH:
        nid, cid, tid = NodeId(r.str()), ContractId(r.str()), TemplateId(r.str())
        actors, sigs, stakeholders = _read_parties(r), _read_parties(r), _read_parties(r)
        by_key = r.optional(_read_key)
        node = FetchNode(nid, cid, tid, actors, sigs, stakeholders, by_key, _read_parties(r),
                         frozenset())  # fmt: skip
    elif kind == _LOOKUP:
        nid, tid = NodeId(r.str()), TemplateId(r.str())
        key = _read_key(r)
        found = r.optional(Reader.str)
        node = LookupByKeyNode(
            nid, tid, key, None if found is None else ContractId(found), _read_parties(r),
            frozenset(),
        )  # fmt: skip
    else:
        raise ValueError(f"unknown node kind {kind}")
    return replace(node, required_authorizers=_read_parties(r))


def _read_record(r: Reader) -> RecordValue:
    value = read_value(r)
    if not isinstance(value, RecordValue):
        raise ValueError("expected a record value")
    return value


def node_bytes(node: Node) -> bytes:
    return encode(lambda w: write_node(w, node))


def iter_nodes(nodes: tuple[Node, ...]) -> Iterator[Node]:
    """Pre-order walk."""
    for node in nodes:
        yield node
        if isinstance(node, ExerciseNode):
            yield from iter_nodes(node.children)


def write_resolved_key(w: Writer, entry: tuple[GlobalKey, ContractId | None]) -> None:
    w.str(entry[0].template_id)
    write_value(w, entry[0].key)
    w.optional(entry[1], Writer.str)


def read_resolved_key(r: Reader) -> tuple[GlobalKey, ContractId | None]:
    key = GlobalKey(TemplateId(r.str()), read_value(r))
    found = r.optional(Reader.str)
    return key, None if found is None else ContractId(found)


def _write_seed(w: Writer, entry: tuple[NodeId, bytes]) -> None:
    w.str(entry[0]).bytes(entry[1])


@dataclass(frozen=True, slots=True)
class Transaction:
    """The result of interpreting a submission."""

    submitters: frozenset[PartyId]
    """``act_as``: the authorizers of the root nodes."""
    ledger_time: int
    """Microseconds since the epoch; what ``get_time()`` returned to package code."""
    submission_seed: bytes
    roots: tuple[Node, ...]
    node_seeds: tuple[tuple[NodeId, bytes], ...]
    """Seed of every Create and Exercise node, in pre-order."""
    input_contracts: tuple[ContractInstance, ...]
    """Contracts the transaction used that it did not create, ordered by id."""
    resolved_keys: tuple[tuple[GlobalKey, ContractId | None], ...]
    """Key lookups answered by the ledger (not by this transaction's own effects)."""

    def to_bytes(self) -> bytes:
        """Canonical encoding: equal transactions have equal bytes, in any process."""

        def write(w: Writer) -> None:
            w.tag("engine.Transaction", TX_VERSION)
            _parties(w, self.submitters)
            w.i64(self.ledger_time).bytes(self.submission_seed)
            w.sequence(self.roots, write_node)
            w.sequence(self.node_seeds, _write_seed)
            w.sequence(self.input_contracts, write_instance)
            w.sequence(self.resolved_keys, write_resolved_key)

        return encode(write)

    def nodes(self) -> Iterator[Node]:
        return iter_nodes(self.roots)

    def node(self, node_id: NodeId) -> Node:
        for node in self.nodes():
            if node.node_id == node_id:
                return node
        raise KeyError(node_id)

    def seed(self, node_id: NodeId) -> bytes | None:
        return dict(self.node_seeds).get(node_id)

    @property
    def created_contracts(self) -> tuple[ContractId, ...]:
        return tuple(n.contract_id for n in self.nodes() if isinstance(n, CreateNode))

    @property
    def archived_contracts(self) -> tuple[ContractId, ...]:
        """Contracts consumed by the transaction (including ones it created)."""
        return tuple(
            n.contract_id for n in self.nodes() if isinstance(n, ExerciseNode) and n.consuming
        )

    @property
    def informees(self) -> frozenset[PartyId]:
        return frozenset().union(*(n.informees for n in self.nodes()))

    def witnesses(self, node_id: NodeId) -> frozenset[PartyId]:
        """Parties that see ``node_id``: its informees and those of all its ancestors."""
        parts = node_id.split(".")
        seen: set[PartyId] = set()
        for depth in range(1, len(parts) + 1):
            seen |= self.node(NodeId(".".join(parts[:depth]))).informees
        return frozenset(seen)

    def divulgence(self) -> dict[ContractId, frozenset[PartyId]]:
        """Contracts shown (by fetch or exercise) to parties that are not stakeholders."""
        divulged: dict[ContractId, set[PartyId]] = {}
        for node in self.nodes():
            if isinstance(node, FetchNode | ExerciseNode):
                extra = self.witnesses(node.node_id) - node.stakeholders
                if extra:
                    divulged.setdefault(node.contract_id, set()).update(extra)
        return {cid: frozenset(p) for cid, p in sorted(divulged.items())}


def transaction_from_bytes(data: bytes) -> Transaction:
    def read(r: Reader) -> Transaction:
        r.expect_tag("engine.Transaction", TX_VERSION)
        submitters = _read_parties(r)
        ledger_time = r.i64()
        seed = r.bytes()
        roots = tuple(r.sequence(read_node))
        seeds = tuple(r.sequence(lambda r2: (NodeId(r2.str()), r2.bytes())))
        inputs = tuple(r.sequence(read_instance))
        keys = tuple(r.sequence(read_resolved_key))
        return Transaction(submitters, ledger_time, seed, roots, seeds, inputs, keys)

    return decode(data, read, "transaction")
