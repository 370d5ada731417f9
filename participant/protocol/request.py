"""A confirmation request as this participant holds it while it is pending: the view
trees it decrypted (only those: a participant stores nothing else of a request), their
decoded actions, the contract and key locks it took, and its deadline; with the encoding
the store keeps and the projection it commits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from participant.engine import ContractId, CreateNode, ExerciseNode, Node, PartyId, Transaction
from participant.engine.transaction import ContractInstance, iter_nodes
from participant.errors import ActionDecodeError
from participant.protocol.actions import (
    ViewAction,
    instance_bytes,
    instance_from_bytes,
    node_order,
    reassemble,
)
from participant.store.changes import CreatedContract
from participant.store.types import KeyHash
from protocol.canonical import Reader, Writer, decode, encode
from protocol.identifiers import MemberId, read_member_id, write_member_id
from protocol.timestamp import Timestamp
from protocol.transaction import RootHash, TransactionViewTree, ViewPosition
from protocol.transaction.types import read_root_hash

RECORD_TAG = ("participant.PendingRequest", 1)


def update_id_of(root_hash: RootHash) -> str:
    """The update id of a committed request: equal on every participant."""
    return "u-" + root_hash.digest.hex()


@dataclass
class PendingRequest:
    """A sequenced request awaiting its verdict (or its deadline)."""

    request_id: Timestamp
    root_hash: RootHash
    submitter: MemberId
    deadline: Timestamp
    views: dict[ViewPosition, TransactionViewTree] = field(default_factory=dict)
    locks: tuple[ContractId, ...] = ()
    rejected: bool = False
    """Whether this participant rejected (a view, or the whole request)."""
    actions: dict[ViewPosition, ViewAction] = field(default_factory=dict)
    key_locks: tuple[KeyHash, ...] = ()
    """Keys maintained here that the request creates or frees, locked until its end."""

    def encode_record(self) -> bytes:
        def write(w: Writer) -> None:
            w.tag(*RECORD_TAG)
            self.root_hash.write(w)
            write_member_id(w, self.submitter)
            w.bool(self.rejected)
            w.sequence(
                [self.views[p] for p in sorted(self.views)], lambda w_, t: w_.bytes(t.to_bytes())
            )

        return encode(write)

    @classmethod
    def decode_record(
        cls,
        request_id: Timestamp,
        deadline: Timestamp,
        locks: tuple[ContractId, ...],
        data: bytes,
        key_locks: tuple[KeyHash, ...] = (),
    ) -> PendingRequest:
        def read(r: Reader) -> PendingRequest:
            r.expect_tag(*RECORD_TAG)
            root_hash = read_root_hash(r)
            submitter = read_member_id(r)
            rejected = r.bool()
            trees = [TransactionViewTree.from_bytes(b) for b in r.sequence(Reader.bytes)]
            views = {t.position: t for t in trees}
            request = cls(request_id, root_hash, submitter, deadline, views, locks, rejected)
            request.actions = decode_actions(views)
            request.key_locks = key_locks
            return request

        return decode(data, read, "pending request")

    # -- what the views say ------------------------------------------------------------------

    @property
    def any_view(self) -> TransactionViewTree | None:
        return self.views[min(self.views)] if self.views else None

    def top_positions(self) -> list[ViewPosition]:
        """Held views whose parent view is not held (the roots of the projection)."""
        return [p for p in sorted(self.views) if len(p) == 1 or p[:-1] not in self.views]

    def input_instances(self) -> dict[ContractId, ContractInstance]:
        out: dict[ContractId, ContractInstance] = {}
        for tree in self.views.values():
            for c in tree.participant_data.inputs:
                out[ContractId(c.contract_id)] = instance_from_bytes(c.contract)
        return out

    def created_ids(self) -> frozenset[ContractId]:
        return frozenset(
            ContractId(c) for t in self.views.values() for c in t.participant_data.created
        )

    def projection(self) -> Transaction:
        """The participant's projection of the transaction: every node of the views it
        holds, rooted at the top-most ones, in transaction order."""
        tree = self.any_view
        if tree is None:
            raise ActionDecodeError("no views to project")
        roots = sorted(
            (reassemble(p, self.actions) for p in self.top_positions()),
            key=lambda n: node_order(n.node_id),
        )
        seeds = {
            self.actions[p].node.node_id: s
            for p, t in self.views.items()
            if (s := t.participant_data.action_seed) is not None
        }
        inputs = self.input_instances()
        return Transaction(
            frozenset(PartyId(p) for p in tree.submitter_metadata.act_as),
            tree.participant_metadata.ledger_time,
            b"",
            tuple(roots),
            tuple(sorted(seeds.items(), key=lambda kv: node_order(kv[0]))),
            tuple(inputs[c] for c in sorted(inputs)),
            (),
        )


def decode_actions(
    views: dict[ViewPosition, TransactionViewTree],
) -> dict[ViewPosition, ViewAction]:
    return {p: ViewAction.from_bytes(t.participant_data.action) for p, t in views.items()}


@dataclass(frozen=True, slots=True)
class Effects:
    """What committing a projection changes for this participant."""

    created: tuple[CreatedContract, ...]
    archived: tuple[ContractId, ...]
    witnesses: frozenset[PartyId]
    templates: frozenset[str]


def effects(
    projection: Transaction,
    hosted: frozenset[PartyId],
    is_active: Callable[[ContractId], bool],
) -> Effects:
    """Contracts created for hosted stakeholders (not archived in the same transaction),
    contracts archived that this participant holds (``is_active(cid)``), the hosted
    parties that witness a node, and the templates involved."""
    nodes: list[Node] = list(iter_nodes(projection.roots))
    consumed = {n.contract_id for n in nodes if isinstance(n, ExerciseNode) and n.consuming}
    created = tuple(
        CreatedContract(n.instance(), instance_bytes(n.instance()), n.node_id)
        for n in nodes
        if isinstance(n, CreateNode)
        and n.contract_id not in consumed
        and (n.signatories | n.observers) & hosted
    )
    created_here = {n.contract_id for n in nodes if isinstance(n, CreateNode)}
    archived = tuple(sorted(c for c in consumed if c not in created_here and is_active(c)))
    witnesses: set[PartyId] = set()

    def walk(node: Node, inherited: frozenset[PartyId]) -> None:
        seen = inherited | node.informees
        witnesses.update(seen & hosted)
        if isinstance(node, ExerciseNode):
            for child in node.children:
                walk(child, seen)

    for root in projection.roots:
        walk(root, frozenset())
    templates = frozenset(n.template_id for n in nodes)
    return Effects(created, archived, frozenset(witnesses), templates)
