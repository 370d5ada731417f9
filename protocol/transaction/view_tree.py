"""The participants' projections of a transaction tree: the submitter's
:class:`FullTransactionTree`, and the :class:`TransactionViewTree` of one view that a
recipient decrypts.

A **view tree** (Canton's *light* transaction view tree) for the view at position ``p`` is
the transaction tree with:

* the three metadata leaves visible;
* the view at ``p`` visible with its common and participant data, and **its subviews
  blinded** (each subview travels in its own view tree);
* every ancestor of ``p`` present only as a branch (both data leaves blinded, siblings of
  the path blinded), and every other view blinded.

It has the same root hash as the full tree, so a recipient checks it against the root hash
message, and the subview hashes inside it tie the separately received subviews to it.
Each view is thus encrypted once, without duplicating nested content, and sent to the
participants of its informees *and of its ancestors' informees* (an informee of an
action sees its consequences). A participant reassembles its projection with
:func:`merge_trees`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from protocol.canonical import Reader, Writer, encode
from protocol.transaction.errors import InvalidTreeError, RootHashMismatchError
from protocol.transaction.merkle import BlindedNode
from protocol.transaction.types import (
    RootHash,
    ViewHash,
    ViewPosition,
    decode_strict,
    position_text,
    read_view_position,
    view_position,
    write_view_position,
)
from protocol.transaction.views import (
    MAX_TREE_SIZE,
    CommonMetadata,
    ParticipantMetadata,
    SubmitterMetadata,
    TransactionTree,
    TransactionView,
    ViewCommonData,
    ViewParticipantData,
    blinded,
)

P = TypeVar(
    "P", CommonMetadata, SubmitterMetadata, ParticipantMetadata, ViewCommonData, ViewParticipantData
)


def _visible(part: P | BlindedNode, kind: type[P]) -> P:
    """``part``, which the projection's constructor has checked to be visible."""
    if not isinstance(part, kind):
        raise InvalidTreeError(kind.__name__, "blinded", "must be visible in this projection")
    return part


def _is_ancestor(prefix: ViewPosition, position: ViewPosition) -> bool:
    return len(prefix) < len(position) and position[: len(prefix)] == prefix


def _visible_view(tree: TransactionTree, position: ViewPosition) -> TransactionView:
    found = tree.view(position)
    if not isinstance(found, TransactionView):
        raise InvalidTreeError("view", position_text(position), "must be visible")
    return found


@dataclass(frozen=True, slots=True)
class FullTransactionTree:
    """A transaction tree with nothing blinded: what the submitter builds and keeps."""

    tree: TransactionTree

    def __post_init__(self) -> None:
        t = self.tree
        for name, part in (
            ("common metadata", t.common_metadata),
            ("submitter metadata", t.submitter_metadata),
            ("participant metadata", t.participant_metadata),
        ):
            if isinstance(part, BlindedNode):
                raise InvalidTreeError("full transaction tree", name, "nothing may be blinded")
        for position, view in t.iter_views():
            if isinstance(view, BlindedNode) or any(
                isinstance(part, BlindedNode) for part in (view.common, view.participant)
            ):
                raise InvalidTreeError(
                    "full transaction tree", position_text(position), "nothing may be blinded"
                )

    @property
    def common_metadata(self) -> CommonMetadata:
        return _visible(self.tree.common_metadata, CommonMetadata)

    @property
    def submitter_metadata(self) -> SubmitterMetadata:
        return _visible(self.tree.submitter_metadata, SubmitterMetadata)

    @property
    def participant_metadata(self) -> ParticipantMetadata:
        return _visible(self.tree.participant_metadata, ParticipantMetadata)

    def root_hash(self) -> RootHash:
        return self.tree.root_hash()

    def views(self) -> tuple[tuple[ViewPosition, TransactionView], ...]:
        """Every view with its position, parents before children."""
        return tuple((p, v) for p, v in self.tree.iter_views() if isinstance(v, TransactionView))

    def view(self, position: ViewPosition) -> TransactionView:
        return _visible_view(self.tree, position)

    def common_data(self, position: ViewPosition) -> ViewCommonData:
        return _visible(self.view(position).common, ViewCommonData)

    def view_tree(self, position: ViewPosition) -> TransactionViewTree:
        """The light view tree of the view at ``position`` (module docstring)."""
        view_position(position)
        self.view(position)

        def project(at: ViewPosition, view: TransactionView) -> TransactionView | BlindedNode:
            if at == position:
                return TransactionView(
                    view.common, view.participant, tuple(blinded(s) for s in view.subviews)
                )
            if _is_ancestor(at, position):
                return TransactionView(
                    blinded(view.common), blinded(view.participant), view.subviews
                )
            return blinded(view)

        projected = _map_top_down(self.tree, project)
        return TransactionViewTree(projected, position)

    def to_bytes(self) -> bytes:
        return self.tree.to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> FullTransactionTree:
        """Decode; raises only :class:`MalformedTransactionMessageError`."""
        return decode_strict(
            data, lambda r: cls(TransactionTree.read(r)), "full tree", MAX_TREE_SIZE
        )


def _map_top_down(
    tree: TransactionTree,
    fn: Callable[[ViewPosition, TransactionView], TransactionView | BlindedNode],
) -> TransactionTree:
    """Apply ``fn(position, view)`` parents first; a view it blinds is not entered."""

    def walk(
        level: tuple[TransactionView | BlindedNode, ...], prefix: ViewPosition
    ) -> tuple[TransactionView | BlindedNode, ...]:
        out: list[TransactionView | BlindedNode] = []
        for index, view in enumerate(level):
            if isinstance(view, BlindedNode):
                out.append(view)
                continue
            position = (*prefix, index)
            result = fn(position, view)
            if isinstance(result, TransactionView):
                result = TransactionView(
                    result.common, result.participant, walk(result.subviews, position)
                )
            out.append(result)
        return tuple(out)

    return TransactionTree(
        tree.common_metadata,
        tree.submitter_metadata,
        tree.participant_metadata,
        walk(tree.views, ()),
    )


@dataclass(frozen=True, slots=True)
class TransactionViewTree:
    """One view as a recipient decrypts it: the tree blinded down to that view (module
    docstring). The constructor checks the blinding, so a holder can rely on it."""

    tree: TransactionTree
    position: ViewPosition

    def __post_init__(self) -> None:
        view_position(self.position)
        t = self.tree
        for name, part in (
            ("common metadata", t.common_metadata),
            ("submitter metadata", t.submitter_metadata),
            ("participant metadata", t.participant_metadata),
        ):
            if isinstance(part, BlindedNode):
                raise InvalidTreeError("view tree", name, "metadata must be visible")
        target = t.view(self.position)
        if isinstance(target, BlindedNode):
            raise InvalidTreeError("view tree", position_text(self.position), "view is blinded")
        if isinstance(target.common, BlindedNode) or isinstance(target.participant, BlindedNode):
            raise InvalidTreeError("view tree", position_text(self.position), "data is blinded")
        for at, view in t.iter_views():
            if at == self.position or not isinstance(view, TransactionView):
                continue
            if not _is_ancestor(at, self.position):
                raise InvalidTreeError("view tree", position_text(at), "must be blinded")
            if not isinstance(view.common, BlindedNode) or not isinstance(
                view.participant, BlindedNode
            ):
                raise InvalidTreeError("view tree", position_text(at), "ancestor data visible")

    @property
    def view(self) -> TransactionView:
        return _visible_view(self.tree, self.position)

    @property
    def view_hash(self) -> ViewHash:
        return self.view.hash

    @property
    def common_data(self) -> ViewCommonData:
        return _visible(self.view.common, ViewCommonData)

    @property
    def participant_data(self) -> ViewParticipantData:
        return _visible(self.view.participant, ViewParticipantData)

    @property
    def common_metadata(self) -> CommonMetadata:
        return _visible(self.tree.common_metadata, CommonMetadata)

    @property
    def submitter_metadata(self) -> SubmitterMetadata:
        return _visible(self.tree.submitter_metadata, SubmitterMetadata)

    @property
    def participant_metadata(self) -> ParticipantMetadata:
        return _visible(self.tree.participant_metadata, ParticipantMetadata)

    def root_hash(self) -> RootHash:
        return self.tree.root_hash()

    def verify_root_hash(self, expected: RootHash) -> None:
        """Raise :class:`RootHashMismatchError` unless this view belongs to ``expected``."""
        actual = self.root_hash()
        if actual != expected:
            raise RootHashMismatchError(
                expected.to_multihash(),
                actual.to_multihash(),
                f"view {position_text(self.position)}",
            )

    def write(self, w: Writer) -> None:
        w.tag("TransactionViewTree", 1)
        write_view_position(w, self.position)
        self.tree.write(w)

    @classmethod
    def read(cls, r: Reader) -> TransactionViewTree:
        r.expect_tag("TransactionViewTree", 1)
        position = read_view_position(r)
        return cls(TransactionTree.read(r), position)

    def to_bytes(self) -> bytes:
        return encode(self.write)

    @classmethod
    def from_bytes(cls, data: bytes) -> TransactionViewTree:
        """Decode; raises only :class:`MalformedTransactionMessageError`."""
        return decode_strict(data, cls.read, "transaction view tree", MAX_TREE_SIZE)


# -- reassembly ---------------------------------------------------------------------------


def _merge_part(a: P | BlindedNode, b: P | BlindedNode, what: str) -> P | BlindedNode:
    if blinded(a) != blinded(b):
        raise RootHashMismatchError(
            blinded(a).hash.to_multihash(), blinded(b).hash.to_multihash(), what
        )
    return b if isinstance(a, BlindedNode) else a


def _merge_view(
    a: TransactionView | BlindedNode, b: TransactionView | BlindedNode, what: str
) -> TransactionView | BlindedNode:
    if a.hash != b.hash:
        raise RootHashMismatchError(a.hash.to_multihash(), b.hash.to_multihash(), what)
    if isinstance(a, BlindedNode):
        return b
    if isinstance(b, BlindedNode):
        return a
    common = _merge_part(a.common, b.common, what)
    participant = _merge_part(a.participant, b.participant, what)
    subviews = tuple(
        _merge_view(x, y, f"{what}.{i}")
        for i, (x, y) in enumerate(zip(a.subviews, b.subviews, strict=True))
    )
    return TransactionView(common, participant, subviews)


def merge_trees(trees: Iterable[TransactionTree]) -> TransactionTree:
    """Combine partially blinded trees of one transaction into the tree that shows
    everything any of them shows (a participant's projection from its view trees).

    Raises :class:`RootHashMismatchError` when the trees are not of the same root hash.
    """
    items = list(trees)
    if not items:
        raise InvalidTreeError("trees to merge", items, "at least one")
    merged = items[0]
    for other in items[1:]:
        if other.root_hash() != merged.root_hash():
            raise RootHashMismatchError(
                merged.root_hash().to_multihash(), other.root_hash().to_multihash(), "merge"
            )
        merged = TransactionTree(
            _merge_part(merged.common_metadata, other.common_metadata, "common metadata"),
            _merge_part(merged.submitter_metadata, other.submitter_metadata, "submitter"),
            _merge_part(merged.participant_metadata, other.participant_metadata, "metadata"),
            tuple(
                _merge_view(x, y, f"view {i}")
                for i, (x, y) in enumerate(zip(merged.views, other.views, strict=True))
            ),
        )
    return merged
