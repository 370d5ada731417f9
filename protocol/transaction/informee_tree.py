"""The informee tree: the transaction tree as the mediator sees it.

It is the full tree with the participant metadata and **every** view's participant data
blinded. What remains visible is exactly what the mediator needs to decide: the domain and
mediator (common metadata), the submitter and ``max_sequencing_time`` (submitter
metadata), and for every view its position, hash, informees, weights and threshold (view
common data). It never holds an action, a contract or a ledger time. Every view is
present (none blinded), so the mediator knows every view it must collect confirmations
for, and the root hash is that of the full tree, so the mediator can tie every
confirmation response and the root hash messages to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from protocol.canonical import Reader, Writer, encode
from protocol.identifiers import DomainId, MemberId, PartyId
from protocol.transaction.errors import InvalidTreeError
from protocol.transaction.merkle import BlindedNode
from protocol.transaction.types import (
    RootHash,
    ViewHash,
    ViewPosition,
    decode_strict,
    position_text,
)
from protocol.transaction.view_tree import FullTransactionTree
from protocol.transaction.views import (
    MAX_TREE_SIZE,
    CommonMetadata,
    SubmitterMetadata,
    TransactionTree,
    TransactionView,
    ViewCommonData,
    blinded,
)


@dataclass(frozen=True, slots=True)
class InformeeView:
    """What the mediator knows of one view."""

    position: ViewPosition
    view_hash: ViewHash
    common: ViewCommonData


@dataclass(frozen=True, slots=True)
class InformeeTree:
    """A transaction tree blinded for the mediator (module docstring); the constructor
    checks the blinding, so a holder can rely on it."""

    tree: TransactionTree

    def __post_init__(self) -> None:
        t = self.tree
        if not isinstance(t.common_metadata, CommonMetadata):
            raise InvalidTreeError("informee tree", "common metadata", "must be visible")
        if not isinstance(t.submitter_metadata, SubmitterMetadata):
            raise InvalidTreeError("informee tree", "submitter metadata", "must be visible")
        if not isinstance(t.participant_metadata, BlindedNode):
            raise InvalidTreeError("informee tree", "participant metadata", "must be blinded")
        for position, view in t.iter_views():
            where = position_text(position)
            if not isinstance(view, TransactionView):
                raise InvalidTreeError("informee tree", where, "every view must be present")
            if not isinstance(view.common, ViewCommonData):
                raise InvalidTreeError("informee tree", where, "view common data must be visible")
            if not isinstance(view.participant, BlindedNode):
                raise InvalidTreeError("informee tree", where, "participant data must be blinded")

    @classmethod
    def of(cls, full: FullTransactionTree) -> InformeeTree:
        """Blind ``full`` for the mediator; the root hash stays the same."""

        def blind_data(_position: ViewPosition, view: TransactionView) -> TransactionView:
            return TransactionView(view.common, blinded(view.participant), view.subviews)

        t = full.tree.map_views(blind_data)
        return cls(
            TransactionTree(
                t.common_metadata, t.submitter_metadata, blinded(t.participant_metadata), t.views
            )
        )

    @property
    def common_metadata(self) -> CommonMetadata:
        meta = self.tree.common_metadata
        if not isinstance(meta, CommonMetadata):
            raise InvalidTreeError("informee tree", "common metadata", "must be visible")
        return meta

    @property
    def submitter_metadata(self) -> SubmitterMetadata:
        meta = self.tree.submitter_metadata
        if not isinstance(meta, SubmitterMetadata):
            raise InvalidTreeError("informee tree", "submitter metadata", "must be visible")
        return meta

    @property
    def domain(self) -> DomainId:
        return self.common_metadata.domain

    @property
    def mediator(self) -> MemberId:
        return self.common_metadata.mediator

    @property
    def submitting_participant(self) -> MemberId:
        return self.submitter_metadata.submitting_participant

    def root_hash(self) -> RootHash:
        return self.tree.root_hash()

    def views(self) -> tuple[InformeeView, ...]:
        """Every view, parents before children."""
        out = []
        for position, view in self.tree.iter_views():
            if isinstance(view, TransactionView) and isinstance(view.common, ViewCommonData):
                out.append(InformeeView(position, view.hash, view.common))
        return tuple(out)

    def view(self, position: ViewPosition) -> InformeeView:
        found = self.tree.view(position)
        if not isinstance(found, TransactionView) or not isinstance(found.common, ViewCommonData):
            raise InvalidTreeError("informee tree", position_text(position), "no such view")
        return InformeeView(position, found.hash, found.common)

    def informees(self) -> frozenset[PartyId]:
        """Every informee of every view."""
        return frozenset(p for v in self.views() for p in v.common.informee_parties)

    def write(self, w: Writer) -> None:
        w.tag("InformeeTree", 1)
        self.tree.write(w)

    @classmethod
    def read(cls, r: Reader) -> InformeeTree:
        r.expect_tag("InformeeTree", 1)
        return cls(TransactionTree.read(r))

    def to_bytes(self) -> bytes:
        return encode(self.write)

    @classmethod
    def from_bytes(cls, data: bytes) -> InformeeTree:
        """Decode; raises only :class:`MalformedTransactionMessageError`."""
        return decode_strict(data, cls.read, "informee tree", MAX_TREE_SIZE)
