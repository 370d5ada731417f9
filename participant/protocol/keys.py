"""Contract key uniqueness at the key maintainers' participants (no I/O).

A key's maintainers are signatories of every contract with that key, so they are
informees of every node that assigns, frees or resolves it: a participant hosting a
maintainer holds, among the views it receives, every such node of a request. It alone
can vouch that the key is unique, and it does (Canton's unique contract keys mode):

======================  ==================================================================
node (key maintained    rule, walking the participant's projection in tree order (pre-order)
here)                   from the key state of its ACS at the request
======================  ==================================================================
Create with key ``k``   ``k`` is free: no active holder, or the holder was archived earlier
                        in this transaction; then ``k`` is assigned to the new contract
                        (a second create of ``k`` in the transaction is a conflict)
consuming Exercise of   ``k`` becomes free (at the exercise node, before its consequences:
a contract with ``k``   Daml archives a consumed contract when the choice begins)
LookupByKey ``k``       its result is ``k``'s holder at that point (None: free)
Fetch / Exercise by     the contract used is ``k``'s holder at that point
key ``k``
======================  ==================================================================

A node that breaks a rule is a :class:`KeyConflict`; the view holding it is rejected with
``KEY_CONFLICT``. Every node touching a key maintained here is a :class:`KeyUse`; those that
create or free a key (``changes``) lock it while the request is pending, and a request
that uses a key locked by another pending request is rejected (``docs/participant.md``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from participant.engine import (
    ContractId,
    CreateNode,
    ExerciseNode,
    FetchNode,
    LookupByKeyNode,
    Node,
    NodeId,
    PartyId,
    TemplateId,
)
from participant.engine.transaction import ContractInstance, GlobalKey, KeyWithMaintainers
from participant.store import KeyHash
from protocol.crypto.hashing import HashPurpose, hash_bytes


def key_hash(key: GlobalKey) -> KeyHash:
    """The multihash text of a key (template id and key value), as locks and the local
    rejection detail name it; never the key value itself (it may be confidential).

    Unsalted, so it stays on this participant: anyone holding it can confirm a guessed
    low-entropy key (bank, owner, currency). It never appears in a response
    (``participant/protocol/rejections.py``)."""
    return KeyHash(hash_bytes(HashPurpose.CONTRACT_KEY, key.to_bytes()).to_multihash())


@dataclass(frozen=True, slots=True)
class KeyUse:
    """A node that touches a key maintained here."""

    node_id: NodeId
    template_id: TemplateId
    key_hash: KeyHash
    changes: bool
    """The node assigns (create) or frees (consuming exercise) the key."""


@dataclass(frozen=True, slots=True)
class KeyConflict:
    """A node that breaks a key rule (module docstring)."""

    node_id: NodeId
    template_id: TemplateId
    key_hash: KeyHash
    detail: str
    """What disagrees, with node, template, key hash and contract ids: local only (the
    response says ``KEY_CONFLICT`` and a fixed phrase)."""


@dataclass(frozen=True, slots=True)
class KeyCheck:
    """The outcome of :func:`check_keys` over one request's projection."""

    uses: tuple[KeyUse, ...]
    conflicts: tuple[KeyConflict, ...]

    def conflict_at(self, node_ids: Iterable[NodeId]) -> KeyConflict | None:
        """The first conflict (tree order) at one of ``node_ids``."""
        wanted = frozenset(node_ids)
        return next((c for c in self.conflicts if c.node_id in wanted), None)

    def uses_at(self, node_ids: Iterable[NodeId]) -> tuple[KeyUse, ...]:
        wanted = frozenset(node_ids)
        return tuple(u for u in self.uses if u.node_id in wanted)

    @property
    def changed(self) -> tuple[KeyHash, ...]:
        """The keys the request creates or frees, sorted (what it locks)."""
        return tuple(sorted({u.key_hash for u in self.uses if u.changes}))


def _holder_text(holders: frozenset[ContractId]) -> str:
    return ", ".join(sorted(holders)) if holders else "no contract (free)"


def check_keys(
    nodes: Iterable[Node],
    *,
    hosted: frozenset[PartyId],
    holders: Callable[[GlobalKey], frozenset[ContractId]],
    inputs: Mapping[ContractId, ContractInstance],
) -> KeyCheck:
    """Walk ``nodes`` (a projection in pre-order) against the key state ``holders`` gives
    (the active contracts with a key, from this participant's ACS) and return every use of
    a key with a maintainer in ``hosted`` and every conflict (module docstring).
    ``inputs`` are the request's input contracts (the keys of consumed contracts).

    The rules, per node (``docs/participant.md`` § Contract keys):

    1. **Create** with key ``k``: ``k`` is free, else a conflict; ``k`` is then held by
       the new contract (:meth:`_KeyWalk.create`).
    2. **Consuming Exercise** of a contract with key ``k``: ``k`` is free from this node
       on (:meth:`_KeyWalk.consume`).
    3. **LookupByKey** ``k``: its result is ``k``'s holder, or none when ``k`` is free
       (:meth:`_KeyWalk.lookup`).
    4. **Fetch / Exercise by key** ``k``: the contract used is ``k``'s holder
       (:meth:`_KeyWalk.by_key`); for a consuming exercise, checked before rule 2.
    """
    walk = _KeyWalk(hosted, holders, inputs)
    for node in nodes:
        if isinstance(node, CreateNode):
            walk.create(node)
        elif isinstance(node, LookupByKeyNode):
            walk.lookup(node)
        elif isinstance(node, ExerciseNode | FetchNode):
            walk.by_key(node)
            if isinstance(node, ExerciseNode) and node.consuming:
                walk.consume(node)
    return KeyCheck(tuple(walk.uses), tuple(walk.conflicts))


class _KeyWalk:
    """The key state while :func:`check_keys` walks one projection, and what it found."""

    def __init__(
        self,
        hosted: frozenset[PartyId],
        holders: Callable[[GlobalKey], frozenset[ContractId]],
        inputs: Mapping[ContractId, ContractInstance],
    ) -> None:
        self.hosted = hosted
        self.holders = holders
        self.inputs = inputs
        self.created: dict[ContractId, ContractInstance] = {}
        """Contracts created so far in this transaction."""
        self.created_at: dict[ContractId, NodeId] = {}
        """Keyed contracts created in this transaction: the creating node."""
        self.state: dict[KeyHash, frozenset[ContractId]] = {}
        """Each key's holders as of the current node, where it changed or was read."""
        self.uses: list[KeyUse] = []
        self.conflicts: list[KeyConflict] = []

    def _maintained(self, key: KeyWithMaintainers | None) -> bool:
        return key is not None and bool(key.maintainers & self.hosted)

    def _current(self, key: GlobalKey, kh: KeyHash) -> frozenset[ContractId]:
        if kh not in self.state:
            self.state[kh] = self.holders(key)
        return self.state[kh]

    def _conflict(self, node: Node, template_id: TemplateId, kh: KeyHash, detail: str) -> None:
        self.conflicts.append(KeyConflict(node.node_id, template_id, kh, detail))

    def create(self, node: CreateNode) -> None:
        """Rule 1: a create of a key held here is a conflict; the new contract holds it."""
        self.created[node.contract_id] = node.instance()
        if node.key is None or not self._maintained(node.key):
            return
        key = GlobalKey(node.template_id, node.key.key)
        kh = key_hash(key)
        self.uses.append(KeyUse(node.node_id, node.template_id, kh, True))
        now = self._current(key, kh)
        if now:
            earlier = sorted(self.created_at[c] for c in now if c in self.created_at)
            why = (
                f"the transaction creates the key twice (first at node {earlier[0]})"
                if earlier
                else f"the key is assigned to the active contract {_holder_text(now)}"
            )
            self._conflict(
                node,
                node.template_id,
                kh,
                f"create of {node.template_id} at node {node.node_id} with key {kh}: " + why,
            )
        self.state[kh] = frozenset({node.contract_id})
        self.created_at[node.contract_id] = node.node_id

    def lookup(self, node: LookupByKeyNode) -> None:
        """Rule 3: a lookup's result is the key's holder (none: free)."""
        if not self._maintained(node.key):
            return
        key = GlobalKey(node.template_id, node.key.key)
        kh = key_hash(key)
        self.uses.append(KeyUse(node.node_id, node.template_id, kh, False))
        now = self._current(key, kh)
        agrees = node.result in now if node.result is not None else not now
        if not agrees:
            self._conflict(
                node,
                node.template_id,
                kh,
                f"lookup of key {kh} of {node.template_id} at node {node.node_id} "
                f"found {node.result or 'nothing'}, the key is assigned to {_holder_text(now)}",
            )

    def by_key(self, node: ExerciseNode | FetchNode) -> None:
        """Rule 4: a fetch or exercise by key uses the key's holder (a consuming
        exercise's use of the key is recorded by rule 2)."""
        if node.by_key is None or not self._maintained(node.by_key):
            return
        key = GlobalKey(node.template_id, node.by_key.key)
        kh = key_hash(key)
        now = self._current(key, kh)
        if node.contract_id not in now:
            kind = "exercise" if isinstance(node, ExerciseNode) else "fetch"
            self._conflict(
                node,
                node.template_id,
                kh,
                f"{kind} by key {kh} of {node.template_id} at node {node.node_id} "
                f"used {node.contract_id}, the key is assigned to {_holder_text(now)}",
            )
        if not (isinstance(node, ExerciseNode) and node.consuming):
            self.uses.append(KeyUse(node.node_id, node.template_id, kh, False))

    def consume(self, node: ExerciseNode) -> None:
        """Rule 2: the consumed contract's key is free from this node on (Daml archives a
        consumed contract when the choice begins, before its consequences)."""
        instance = self.created.get(node.contract_id) or self.inputs.get(node.contract_id)
        if instance is None or instance.key is None or not self._maintained(instance.key):
            return
        key = GlobalKey(instance.template_id, instance.key.key)
        kh = key_hash(key)
        self.uses.append(KeyUse(node.node_id, instance.template_id, kh, True))
        self.state[kh] = self._current(key, kh) - {node.contract_id}
