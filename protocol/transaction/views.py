"""Transaction trees and views: what a confirmation request is about, as a Merkle tree.

This module owns the typed tree (its leaves, views, canonical encoding, Merkle mapping and
construction). Its checked projections live in ``view_tree.py`` (the submitter's full
tree, and one light tree per view for participants) and ``informee_tree.py`` (for the
mediator).

**Shape.** A :class:`TransactionTree` is a Merkle branch labelled ``"TransactionTree"``::

    TransactionTree
    ├── 0  CommonMetadata        leaf: domain, mediator               (everyone)
    ├── 1  SubmitterMetadata     leaf: act-as, submitting participant,
    │                            application/command id, max_sequencing_time  (everyone)
    ├── 2  ParticipantMetadata   leaf: ledger time, workflow id      (participants only)
    └── 3+i  TransactionView i   branch "TransactionView"
             ├── 0  ViewCommonData       leaf: informees + weights, threshold  (everyone)
             ├── 1  ViewParticipantData  leaf: action bytes, inputs, created,
             │                           consumed, action seed   (the view's participants)
             └── 2+j  TransactionView j (subview), same shape

Every part can be blinded (replaced by its hash) without changing the root hash
(``merkle.py``). The *view hash* is the hash of a TransactionView branch, subviews
included; a *view position* is the path of view indices ``(i, j, ...)``.

**Decomposition rule** (the participant applies it to the engine's transaction): walking
the action tree from its roots, an action starts a new view when it is a root action or
when its informees differ from its parent action's informees; every other action belongs
to its parent's view (its bytes are inside the parent action's bytes). A view's
``ViewParticipantData.action`` is the canonical bytes of its root action *including* the
consequences that stay in the view; consequences that start subviews appear as subviews.
A party that is an informee of a view is entitled to that view and all its subviews (Daml's
projection: an informee of an action sees its consequences), which is why a view's
recipients include the participants of its ancestors' informees (``privacy.py``).

**Confirmation policy.** ``ViewCommonData.informees`` lists every informee with a weight:
``0`` for a plain informee (an observer), ``>= 1`` for a confirming party. The view is
approved when the weights of the confirming parties that approved reach ``threshold``. The
submitter sets weight 1 for every confirming party and the threshold to their count (all
must approve); the mediator recomputes the policy from the topology at the request time and
rejects a request whose view common data disagrees. Whether a *party* approved (how many of
its hosting participants must confirm) is the mediator's business, from the party's
``PartyToParticipant.threshold``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from protocol.canonical import Reader, Writer, encode
from protocol.crypto.hashing import Hash
from protocol.identifiers import (
    DomainId,
    MemberId,
    MemberKind,
    PartyId,
    member_kind,
    parse_domain_id,
    parse_party_id,
    read_domain_id,
    read_member_id,
    read_party_id,
    write_domain_id,
    write_member_id,
    write_party_id,
)
from protocol.timestamp import Timestamp, read_timestamp, timestamp, write_timestamp
from protocol.transaction.errors import InvalidTreeError, MalformedTransactionMessageError
from protocol.transaction.merkle import (
    SALT_SIZE,
    BlindedNode,
    MerkleBranch,
    MerkleLeaf,
    MerkleNode,
    MerklePath,
    branch_hash,
    derive_salt,
    leaf_hash,
    salt,
)
from protocol.transaction.types import (
    MAX_VIEW_DEPTH,
    MAX_VIEWS_PER_LEVEL,
    ContractId,
    RootHash,
    ViewHash,
    ViewPosition,
    decode_strict,
    parse_contract_id,
    read_contract_id,
    write_contract_id,
)

L = TypeVar("L")

MAX_INFORMEES = 1_024
MAX_WEIGHT = 2**16 - 1
MAX_ACT_AS = 256
MAX_APPLICATION_ID_LENGTH = 255
MAX_COMMAND_ID_LENGTH = 255
MAX_WORKFLOW_ID_LENGTH = 255
MAX_ACTION_SIZE = 1 << 20
MAX_CONTRACT_SIZE = 1 << 20
MAX_CONTRACTS_PER_VIEW = 4_096
ACTION_SEED_SIZE = 32
MAX_TREE_SIZE = 16 * 1024 * 1024

TREE_LABEL = "TransactionTree"
VIEW_LABEL = "TransactionView"
FIRST_VIEW_INDEX = 3
"""Merkle child index of the first root view (after the three metadata leaves)."""
FIRST_SUBVIEW_INDEX = 2
"""Merkle child index of a view's first subview (after its two data leaves)."""


def _text(value: object, what: str, limit: int) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= limit:
        raise InvalidTreeError(what, value, f"a str of 1..{limit} characters")
    if not value.isprintable():
        raise InvalidTreeError(what, value, "printable characters only")
    return value


def _member(value: MemberId, kind: MemberKind, what: str) -> None:
    if member_kind(value) is not kind:
        raise InvalidTreeError(what, value, f"must be a {kind.name.lower()} id")


def _sorted_unique(values: Sequence[str], what: str, limit: int, minimum: int = 0) -> None:
    if not minimum <= len(values) <= limit:
        raise InvalidTreeError(what, len(values), f"{minimum}..{limit} entries")
    if list(values) != sorted(set(values)):
        raise InvalidTreeError(what, values, "sorted and distinct")


# -- leaves -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CommonMetadata:
    """Where the request is decided: its domain and mediator. Seen by every recipient."""

    domain: DomainId
    mediator: MemberId
    salt: bytes

    def __post_init__(self) -> None:
        parse_domain_id(self.domain)
        _member(self.mediator, MemberKind.MEDIATOR, "mediator")
        salt(self.salt)

    def write_content(self, w: Writer) -> None:
        w.tag("CommonMetadata", 1)
        write_domain_id(w, self.domain)
        write_member_id(w, self.mediator)

    @classmethod
    def read_content(cls, r: Reader, leaf_salt: bytes) -> CommonMetadata:
        r.expect_tag("CommonMetadata", 1)
        return cls(read_domain_id(r), read_member_id(r), leaf_salt)


@dataclass(frozen=True, slots=True)
class SubmitterMetadata:
    """Who submitted, and until when the request may be sequenced. Seen by every recipient
    (the mediator checks the submitting participant against the request's signature).

    ``application_id`` and ``command_id`` identify the command for deduplication (with
    ``act_as`` they form the change id); they are chosen by the application and must not
    carry ledger data, since the mediator sees them.
    """

    act_as: frozenset[PartyId]
    submitting_participant: MemberId
    application_id: str
    command_id: str
    max_sequencing_time: Timestamp
    salt: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.act_as, frozenset) or not 1 <= len(self.act_as) <= MAX_ACT_AS:
            raise InvalidTreeError("act_as", self.act_as, f"a frozenset of 1..{MAX_ACT_AS}")
        for party in self.act_as:
            parse_party_id(party)
        _member(self.submitting_participant, MemberKind.PARTICIPANT, "submitting participant")
        _text(self.application_id, "application id", MAX_APPLICATION_ID_LENGTH)
        _text(self.command_id, "command id", MAX_COMMAND_ID_LENGTH)
        timestamp(self.max_sequencing_time)
        salt(self.salt)

    def write_content(self, w: Writer) -> None:
        w.tag("SubmitterMetadata", 1)
        w.set(self.act_as, write_party_id)
        write_member_id(w, self.submitting_participant)
        w.str(self.application_id).str(self.command_id)
        write_timestamp(w, self.max_sequencing_time)

    @classmethod
    def read_content(cls, r: Reader, leaf_salt: bytes) -> SubmitterMetadata:
        r.expect_tag("SubmitterMetadata", 1)
        act_as = frozenset(r.set(read_party_id, max_count=MAX_ACT_AS))
        return cls(act_as, read_member_id(r), r.str(), r.str(), read_timestamp(r), leaf_salt)


@dataclass(frozen=True, slots=True)
class ParticipantMetadata:
    """Ledger time and workflow id: for participants only (blinded for the mediator)."""

    ledger_time: Timestamp
    workflow_id: str | None
    salt: bytes

    def __post_init__(self) -> None:
        timestamp(self.ledger_time)
        if self.workflow_id is not None:
            _text(self.workflow_id, "workflow id", MAX_WORKFLOW_ID_LENGTH)
        salt(self.salt)

    def write_content(self, w: Writer) -> None:
        w.tag("ParticipantMetadata", 1)
        write_timestamp(w, self.ledger_time)
        w.optional(self.workflow_id, Writer.str)

    @classmethod
    def read_content(cls, r: Reader, leaf_salt: bytes) -> ParticipantMetadata:
        r.expect_tag("ParticipantMetadata", 1)
        return cls(read_timestamp(r), r.optional(Reader.str), leaf_salt)


@dataclass(frozen=True, slots=True)
class Informee:
    """A party informed of a view; ``weight >= 1`` makes it a confirming party."""

    party: PartyId
    weight: int
    """0 for a plain informee; otherwise its weight towards the view's threshold."""

    def __post_init__(self) -> None:
        parse_party_id(self.party)
        ok = isinstance(self.weight, int) and not isinstance(self.weight, bool)
        if not ok or not 0 <= self.weight <= MAX_WEIGHT:
            raise InvalidTreeError("informee weight", self.weight, f"an int in 0..{MAX_WEIGHT}")

    @property
    def is_confirming(self) -> bool:
        return self.weight > 0

    def write(self, w: Writer) -> None:
        write_party_id(w, self.party)
        w.u16(self.weight)

    @classmethod
    def read(cls, r: Reader) -> Informee:
        return cls(read_party_id(r), r.u16())


@dataclass(frozen=True, slots=True)
class ViewCommonData:
    """Who is informed of a view and the confirmation policy. Seen by every recipient."""

    informees: tuple[Informee, ...]
    """Sorted by party, distinct, non-empty."""

    threshold: int
    """Sum of confirming weights needed to approve: ``1..sum of weights``."""

    salt: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.informees, tuple):
            raise InvalidTreeError("informees", self.informees, "a tuple")
        _sorted_unique([i.party for i in self.informees], "informees", MAX_INFORMEES, 1)
        total = sum(i.weight for i in self.informees)
        ok = isinstance(self.threshold, int) and not isinstance(self.threshold, bool)
        if not ok or not 1 <= self.threshold <= total:
            raise InvalidTreeError(
                "view threshold", self.threshold, f"an int in 1..{total} (the sum of weights)"
            )
        salt(self.salt)

    @property
    def informee_parties(self) -> frozenset[PartyId]:
        return frozenset(i.party for i in self.informees)

    @property
    def confirming_parties(self) -> dict[PartyId, int]:
        """Confirming parties and their weights."""
        return {i.party: i.weight for i in self.informees if i.weight > 0}

    def write_content(self, w: Writer) -> None:
        w.tag("ViewCommonData", 1)
        w.sequence(self.informees, lambda w_, i: i.write(w_))
        w.u32(self.threshold)

    @classmethod
    def read_content(cls, r: Reader, leaf_salt: bytes) -> ViewCommonData:
        r.expect_tag("ViewCommonData", 1)
        informees = tuple(r.sequence(Informee.read, max_count=MAX_INFORMEES))
        return cls(informees, r.u32(), leaf_salt)


@dataclass(frozen=True, slots=True)
class InputContract:
    """A contract the view uses, with its canonical bytes as the engine encodes them."""

    contract_id: ContractId
    contract: bytes

    def __post_init__(self) -> None:
        parse_contract_id(self.contract_id)
        if not isinstance(self.contract, bytes) or len(self.contract) > MAX_CONTRACT_SIZE:
            raise InvalidTreeError("input contract", self.contract_id, "bytes of bounded size")

    def write(self, w: Writer) -> None:
        write_contract_id(w, self.contract_id)
        w.bytes(self.contract)

    @classmethod
    def read(cls, r: Reader) -> InputContract:
        return cls(read_contract_id(r), r.bytes())


@dataclass(frozen=True, slots=True)
class ViewParticipantData:
    """What a view does: for the participants of its informees (and their ancestors') only.

    ``action`` is opaque to the protocol: the engine's canonical bytes of the view's root
    action (with the consequences that stay in this view). A confirming participant
    re-interprets it and compares; the other fields are what conflict detection and the
    active contract store need without decoding the action.
    """

    action: bytes
    inputs: tuple[InputContract, ...]
    """Contracts used (fetched, exercised, looked up) that exist before the transaction;
    sorted by id, distinct."""
    created: tuple[ContractId, ...]
    """Contracts created by this view's own actions; sorted, distinct."""
    consumed: tuple[ContractId, ...]
    """Contracts archived by this view's own actions (inputs or created here); sorted."""
    action_seed: bytes | None
    """The engine's 32-byte node seed of the root action (Create and Exercise), from which
    contract ids are derived; None for Fetch and LookupByKey."""
    salt: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.action, bytes) or not 1 <= len(self.action) <= MAX_ACTION_SIZE:
            raise InvalidTreeError("action", type(self.action), f"1..{MAX_ACTION_SIZE} bytes")
        if not isinstance(self.inputs, tuple):
            raise InvalidTreeError("inputs", self.inputs, "a tuple")
        ids = [c.contract_id for c in self.inputs]
        _sorted_unique(ids, "input contracts", MAX_CONTRACTS_PER_VIEW)
        for what, cids in (("created contracts", self.created), ("consumed", self.consumed)):
            if not isinstance(cids, tuple):
                raise InvalidTreeError(what, cids, "a tuple")
            for cid in cids:
                parse_contract_id(cid)
            _sorted_unique(cids, what, MAX_CONTRACTS_PER_VIEW)
        unknown = set(self.consumed) - set(ids) - set(self.created)
        if unknown:
            raise InvalidTreeError("consumed", sorted(unknown), "must be inputs or created")
        if self.action_seed is not None and (
            not isinstance(self.action_seed, bytes) or len(self.action_seed) != ACTION_SEED_SIZE
        ):
            raise InvalidTreeError("action seed", self.action_seed, f"{ACTION_SEED_SIZE} bytes")
        salt(self.salt)

    def write_content(self, w: Writer) -> None:
        w.tag("ViewParticipantData", 1)
        w.bytes(self.action)
        w.sequence(self.inputs, lambda w_, c: c.write(w_))
        w.sequence(self.created, write_contract_id)
        w.sequence(self.consumed, write_contract_id)
        w.optional(self.action_seed, lambda w_, s: w_.fixed(s, ACTION_SEED_SIZE))

    @classmethod
    def read_content(cls, r: Reader, leaf_salt: bytes) -> ViewParticipantData:
        r.expect_tag("ViewParticipantData", 1)
        action = r.bytes()
        inputs = tuple(r.sequence(InputContract.read, max_count=MAX_CONTRACTS_PER_VIEW))
        created = tuple(r.sequence(read_contract_id, max_count=MAX_CONTRACTS_PER_VIEW))
        consumed = tuple(r.sequence(read_contract_id, max_count=MAX_CONTRACTS_PER_VIEW))
        seed = r.optional(lambda r_: r_.fixed(ACTION_SEED_SIZE))
        return cls(action, inputs, created, consumed, seed, leaf_salt)


Leaf = (
    CommonMetadata | SubmitterMetadata | ParticipantMetadata | ViewCommonData | ViewParticipantData
)


def leaf_content(leaf: Leaf) -> bytes:
    """The tagged canonical encoding of a leaf's value, without its salt (what is hashed
    after the salt)."""
    return encode(leaf.write_content)


def _leaf_node(leaf: Leaf | BlindedNode) -> MerkleNode:
    if isinstance(leaf, BlindedNode):
        return leaf
    return MerkleLeaf(leaf.salt, leaf_content(leaf))


def _leaf_hash(leaf: Leaf | BlindedNode) -> Hash:
    return leaf.hash if isinstance(leaf, BlindedNode) else leaf_hash(leaf.salt, leaf_content(leaf))


# -- views and trees ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TransactionView:
    """One view: its common data, participant data and subviews, each possibly blinded."""

    common: ViewCommonData | BlindedNode
    participant: ViewParticipantData | BlindedNode
    subviews: tuple[TransactionView | BlindedNode, ...] = ()

    _hash: ViewHash = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.common, ViewCommonData | BlindedNode):
            raise InvalidTreeError("view common data", type(self.common), "ViewCommonData")
        if not isinstance(self.participant, ViewParticipantData | BlindedNode):
            raise InvalidTreeError("view participant data", type(self.participant), "data")
        if not isinstance(self.subviews, tuple) or len(self.subviews) > MAX_VIEWS_PER_LEVEL:
            raise InvalidTreeError("subviews", self.subviews, f"at most {MAX_VIEWS_PER_LEVEL}")
        hashes = [_leaf_hash(self.common), _leaf_hash(self.participant)]
        hashes += [v.hash for v in self.subviews]
        object.__setattr__(self, "_hash", ViewHash(branch_hash(VIEW_LABEL, hashes)))

    @property
    def hash(self) -> ViewHash:
        """The view hash: the Merkle hash of this view and all its subviews."""
        return self._hash

    def to_merkle(self) -> MerkleBranch:
        children = [_leaf_node(self.common), _leaf_node(self.participant)]
        children += [_view_node(v) for v in self.subviews]
        return MerkleBranch(VIEW_LABEL, tuple(children))


def _view_node(view: TransactionView | BlindedNode) -> MerkleNode:
    return view if isinstance(view, BlindedNode) else view.to_merkle()


def blinded(part: Leaf | TransactionView | BlindedNode) -> BlindedNode:
    """``part`` replaced by its hash."""
    if isinstance(part, BlindedNode):
        return part
    if isinstance(part, TransactionView):
        return BlindedNode(part.hash)
    return BlindedNode(_leaf_hash(part))


@dataclass(frozen=True, slots=True)
class TransactionTree:
    """A transaction tree, possibly partially blinded (see the module docstring).

    :class:`~protocol.transaction.view_tree.FullTransactionTree`,
    :class:`~protocol.transaction.informee_tree.InformeeTree` and
    :class:`~protocol.transaction.view_tree.TransactionViewTree` are its three checked
    projections; every one of them has the same :meth:`root_hash`.
    """

    common_metadata: CommonMetadata | BlindedNode
    submitter_metadata: SubmitterMetadata | BlindedNode
    participant_metadata: ParticipantMetadata | BlindedNode
    views: tuple[TransactionView | BlindedNode, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.views, tuple) or not 1 <= len(self.views) <= MAX_VIEWS_PER_LEVEL:
            raise InvalidTreeError("root views", self.views, f"1..{MAX_VIEWS_PER_LEVEL} views")

    def to_merkle(self) -> MerkleBranch:
        children = [
            _leaf_node(self.common_metadata),
            _leaf_node(self.submitter_metadata),
            _leaf_node(self.participant_metadata),
        ]
        children += [_view_node(v) for v in self.views]
        return MerkleBranch(TREE_LABEL, tuple(children))

    def root_hash(self) -> RootHash:
        """The root hash; equal to ``merkle.node_hash(self.to_merkle())``, computed from the
        views' cached hashes."""
        hashes = [
            _leaf_hash(self.common_metadata),
            _leaf_hash(self.submitter_metadata),
            _leaf_hash(self.participant_metadata),
        ]
        hashes += [v.hash for v in self.views]
        return RootHash(branch_hash(TREE_LABEL, hashes))

    def view(self, position: ViewPosition) -> TransactionView | BlindedNode:
        """The view at ``position``; raises :class:`InvalidTreeError` if it is not there
        (or an ancestor is blinded)."""
        level: tuple[TransactionView | BlindedNode, ...] = self.views
        current: TransactionView | BlindedNode | None = None
        for depth, index in enumerate(position):
            if not 0 <= index < len(level):
                raise InvalidTreeError("view position", position, f"no view at step {depth}")
            current = level[index]
            if depth + 1 < len(position):
                if isinstance(current, BlindedNode):
                    raise InvalidTreeError("view position", position, "an ancestor is blinded")
                level = current.subviews
        if current is None:
            raise InvalidTreeError("view position", position, "must not be empty")
        return current

    def iter_views(self) -> Iterator[tuple[ViewPosition, TransactionView | BlindedNode]]:
        """Every view reachable without crossing a blinded one, parents first."""

        def walk(
            level: tuple[TransactionView | BlindedNode, ...], prefix: ViewPosition
        ) -> Iterator[tuple[ViewPosition, TransactionView | BlindedNode]]:
            for index, view in enumerate(level):
                position = (*prefix, index)
                yield position, view
                if isinstance(view, TransactionView):
                    yield from walk(view.subviews, position)

        return walk(self.views, ())

    def map_views(
        self, change: Callable[[ViewPosition, TransactionView], TransactionView | BlindedNode]
    ) -> TransactionTree:
        """A copy where each unblinded view is replaced by ``change(position, view)``,
        applied to the view with its subviews already changed (children first)."""

        def walk(
            level: tuple[TransactionView | BlindedNode, ...], prefix: ViewPosition
        ) -> tuple[TransactionView | BlindedNode, ...]:
            out: list[TransactionView | BlindedNode] = []
            for index, view in enumerate(level):
                if isinstance(view, BlindedNode):
                    out.append(view)
                    continue
                position = (*prefix, index)
                inner = TransactionView(
                    view.common, view.participant, walk(view.subviews, position)
                )
                out.append(change(position, inner))
            return tuple(out)

        return TransactionTree(
            self.common_metadata,
            self.submitter_metadata,
            self.participant_metadata,
            walk(self.views, ()),
        )

    # -- encoding ------------------------------------------------------------------------

    def write(self, w: Writer) -> None:
        w.tag("TransactionTree", 1)
        _write_part(w, self.common_metadata)
        _write_part(w, self.submitter_metadata)
        _write_part(w, self.participant_metadata)
        w.sequence(self.views, _write_view)

    @classmethod
    def read(cls, r: Reader) -> TransactionTree:
        r.expect_tag("TransactionTree", 1)
        common = _read_part(r, CommonMetadata.read_content)
        submitter = _read_part(r, SubmitterMetadata.read_content)
        participant = _read_part(r, ParticipantMetadata.read_content)
        views = tuple(r.sequence(lambda r_: _read_view(r_, 1), max_count=MAX_VIEWS_PER_LEVEL))
        return cls(common, submitter, participant, views)

    def to_bytes(self) -> bytes:
        return encode(self.write)

    @classmethod
    def from_bytes(cls, data: bytes) -> TransactionTree:
        """Decode; raises only :class:`MalformedTransactionMessageError`."""
        return decode_strict(data, cls.read, "transaction tree", MAX_TREE_SIZE)


_BLINDED = 0
_VISIBLE = 1


def _write_part(w: Writer, part: Leaf | BlindedNode) -> None:
    if isinstance(part, BlindedNode):
        w.u8(_BLINDED)
        part.hash.write(w)
    else:
        w.u8(_VISIBLE).fixed(part.salt, SALT_SIZE)
        part.write_content(w)


def _read_part(r: Reader, read: Callable[[Reader, bytes], L]) -> L | BlindedNode:
    start = r.offset
    flag = r.u8()
    if flag == _BLINDED:
        return BlindedNode(Hash.read(r))
    if flag != _VISIBLE:
        raise MalformedTransactionMessageError(r.what, f"blinding flag {flag}", start)
    leaf_salt = r.fixed(SALT_SIZE)
    return read(r, leaf_salt)


def _write_view(w: Writer, view: TransactionView | BlindedNode) -> None:
    if isinstance(view, BlindedNode):
        w.u8(_BLINDED)
        view.hash.write(w)
        return
    w.u8(_VISIBLE)
    _write_part(w, view.common)
    _write_part(w, view.participant)
    w.sequence(view.subviews, _write_view)


def _read_view(r: Reader, depth: int) -> TransactionView | BlindedNode:
    start = r.offset
    if depth > MAX_VIEW_DEPTH:
        raise MalformedTransactionMessageError(r.what, f"views nested deeper than {MAX_VIEW_DEPTH}")
    flag = r.u8()
    if flag == _BLINDED:
        return BlindedNode(Hash.read(r))
    if flag != _VISIBLE:
        raise MalformedTransactionMessageError(r.what, f"blinding flag {flag}", start)
    common = _read_part(r, ViewCommonData.read_content)
    participant = _read_part(r, ViewParticipantData.read_content)
    subviews = r.sequence(lambda r_: _read_view(r_, depth + 1), max_count=MAX_VIEWS_PER_LEVEL)
    return TransactionView(common, participant, tuple(subviews))


# -- building -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ViewSpec:
    """One view as the submitting participant describes it, before salts are added.

    The participant produces these from the engine's transaction by the decomposition
    rule (module docstring); :func:`build_transaction_tree` turns them into a tree.
    """

    informees: tuple[Informee, ...]
    threshold: int
    action: bytes
    inputs: tuple[InputContract, ...] = ()
    created: tuple[ContractId, ...] = ()
    consumed: tuple[ContractId, ...] = ()
    action_seed: bytes | None = None
    subviews: tuple[ViewSpec, ...] = ()


def view_merkle_path(position: ViewPosition) -> MerklePath:
    """The Merkle path of the view at ``position`` (each index shifted past the leaves)."""
    if not position:
        raise InvalidTreeError("view position", position, "must not be empty")
    head, *rest = position
    return (FIRST_VIEW_INDEX + head, *(FIRST_SUBVIEW_INDEX + i for i in rest))


def _build_view(seed: bytes, spec: ViewSpec, position: ViewPosition, depth: int) -> TransactionView:
    if depth > MAX_VIEW_DEPTH:
        raise InvalidTreeError("view position", position, f"depth at most {MAX_VIEW_DEPTH}")
    path = view_merkle_path(position)
    informees = tuple(sorted(spec.informees, key=lambda i: i.party))
    common = ViewCommonData(informees, spec.threshold, derive_salt(seed, (*path, 0)))
    participant = ViewParticipantData(
        spec.action,
        tuple(sorted(spec.inputs, key=lambda c: c.contract_id)),
        tuple(sorted(spec.created)),
        tuple(sorted(spec.consumed)),
        spec.action_seed,
        derive_salt(seed, (*path, 1)),
    )
    subviews = tuple(
        _build_view(seed, sub, (*position, index), depth + 1)
        for index, sub in enumerate(spec.subviews)
    )
    return TransactionView(common, participant, subviews)


def build_transaction_tree(
    *,
    transaction_seed: bytes,
    domain: DomainId,
    mediator: MemberId,
    submitting_participant: MemberId,
    act_as: frozenset[PartyId],
    application_id: str,
    command_id: str,
    max_sequencing_time: Timestamp,
    ledger_time: Timestamp,
    workflow_id: str | None,
    views: Sequence[ViewSpec],
) -> TransactionTree:
    """Build the full (unblinded) tree, every salt derived from ``transaction_seed``.

    Deterministic: the same arguments give the same tree and root hash, so a submitter that
    kept the seed can rebuild its request after a crash. Informees and contract lists are
    sorted here, so callers may pass them in any order.
    """
    common = CommonMetadata(domain, mediator, derive_salt(transaction_seed, (0,)))
    submitter = SubmitterMetadata(
        act_as,
        submitting_participant,
        application_id,
        command_id,
        max_sequencing_time,
        derive_salt(transaction_seed, (1,)),
    )
    participant = ParticipantMetadata(ledger_time, workflow_id, derive_salt(transaction_seed, (2,)))
    built = tuple(
        _build_view(transaction_seed, spec, (index,), 1) for index, spec in enumerate(views)
    )
    return TransactionTree(common, submitter, participant, built)
