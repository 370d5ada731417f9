"""Who receives what: the recipients of each view, the views a participant must store, and
the envelope list of a confirmation request.

**Recipients of a view.** The participants that host (with any permission, observation
included) an informee of the view *or of any of its ancestor views*: Daml's projection
gives an informee of an action its consequences too, and since view trees are light
(``view_tree.py``) a subview's content reaches its ancestors' informees only through the
subview's own message. A participant stores exactly those views; it confirms only views
where it hosts a confirming party with confirmation permission.

**The request.** :func:`build_confirmation_request` returns the envelopes of the one
submission request, in this order:

1. one :class:`EncryptedViewMessage` per view (parents first) to the view's recipients;
2. one :class:`InformeeMessage` to the mediator;
3. one :class:`RootHashMessage` to every informee participant and the mediator.

Only (1) carries ledger data, and only as ciphertext; the mediator receives (2) and (3)
and no ciphertext, so it never holds even encrypted contents.

Topology is read through :class:`TopologyLookup`, which
:class:`~protocol.topology.snapshot.TopologySnapshot` satisfies; use the snapshot at the
time the request is expected to be sequenced.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from protocol.crypto.encryption import EncryptionPublicKey
from protocol.crypto.signing import SigningPrivateKey
from protocol.identifiers import MemberId, PartyId, parse_member_id
from protocol.sequencer_messages import MAX_PAYLOAD_SIZE
from protocol.topology.mappings import HostingParticipant, ParticipantPermission
from protocol.transaction.errors import (
    InvalidTreeError,
    MissingEncryptionKeyError,
    UnhostedInformeeError,
)
from protocol.transaction.informee_tree import InformeeTree
from protocol.transaction.messages import EncryptedViewMessage, InformeeMessage, RootHashMessage
from protocol.transaction.types import ViewPosition, position_text
from protocol.transaction.view_tree import FullTransactionTree
from protocol.transaction.views import ViewCommonData


class TopologyLookup(Protocol):
    """The two topology questions this module asks (a ``TopologySnapshot`` answers them)."""

    def active_hosts(self, party: PartyId) -> tuple[HostingParticipant, ...]: ...

    def encryption_key(self, member: MemberId) -> EncryptionPublicKey | None: ...


@dataclass(frozen=True, slots=True)
class RequestEnvelope:
    """One envelope of a confirmation request; ``Envelope.of(payload, recipients)`` makes
    the sequencer's envelope of it. Payloads are bounded by the sequencer's limit."""

    payload: bytes
    recipients: frozenset[MemberId]

    def __post_init__(self) -> None:
        if not isinstance(self.payload, bytes):
            raise InvalidTreeError("envelope payload", type(self.payload), "bytes")
        if not isinstance(self.recipients, frozenset) or not self.recipients:
            raise InvalidTreeError("envelope recipients", self.recipients, "a non-empty set")
        for member in self.recipients:
            parse_member_id(member)
        if len(self.payload) > MAX_PAYLOAD_SIZE:
            raise InvalidTreeError(
                "envelope payload", len(self.payload), f"at most {MAX_PAYLOAD_SIZE} bytes"
            )


def informee_participants(
    common: ViewCommonData, topology: TopologyLookup, position: ViewPosition
) -> frozenset[MemberId]:
    """The active participants hosting the view's informees; raises
    :class:`UnhostedInformeeError` for an informee that no active participant hosts."""
    hosts: set[MemberId] = set()
    for informee in common.informees:
        found = topology.active_hosts(informee.party)
        if not found:
            raise UnhostedInformeeError(informee.party, position_text(position))
        hosts.update(h.participant for h in found)
    return frozenset(hosts)


def view_recipients(
    tree: FullTransactionTree, topology: TopologyLookup
) -> dict[ViewPosition, frozenset[MemberId]]:
    """For every view, the participants that must receive it (module docstring)."""
    own = {
        position: informee_participants(tree.common_data(position), topology, position)
        for position, _view in tree.views()
    }
    out: dict[ViewPosition, frozenset[MemberId]] = {}
    for position in own:
        recipients: set[MemberId] = set()
        for depth in range(1, len(position) + 1):
            recipients |= own[position[:depth]]
        out[position] = frozenset(recipients)
    return out


def views_for_participant(
    tree: FullTransactionTree, participant: MemberId, topology: TopologyLookup
) -> tuple[ViewPosition, ...]:
    """The views ``participant`` must receive and may store, parents first."""
    recipients = view_recipients(tree, topology)
    return tuple(p for p, members in recipients.items() if participant in members)


def confirming_parties(
    common: ViewCommonData, participant: MemberId, topology: TopologyLookup
) -> frozenset[PartyId]:
    """The view's confirming parties that ``participant`` hosts with at least confirmation
    permission: the parties it answers for in its confirmation response."""
    out = set()
    for party in common.confirming_parties:
        for host in topology.active_hosts(party):
            if host.participant == participant and (
                host.permission >= ParticipantPermission.CONFIRMATION
            ):
                out.add(party)
    return frozenset(out)


def build_confirmation_request(
    tree: FullTransactionTree, topology: TopologyLookup, signing_key: SigningPrivateKey
) -> tuple[RequestEnvelope, ...]:
    """The envelopes of the confirmation request for ``tree`` (module docstring).

    ``signing_key`` is the submitting participant's. Raises :class:`UnhostedInformeeError`
    or :class:`MissingEncryptionKeyError` if the topology cannot serve the request, and
    :class:`InvalidTreeError` if a message exceeds the sequencer's ``MAX_PAYLOAD_SIZE``.
    """
    recipients = view_recipients(tree, topology)
    keys: dict[MemberId, EncryptionPublicKey] = {}
    for participant in sorted(set().union(*recipients.values())):
        key = topology.encryption_key(participant)
        if key is None:
            raise MissingEncryptionKeyError(participant)
        keys[participant] = key

    envelopes: list[RequestEnvelope] = []
    for position, members in recipients.items():
        message = EncryptedViewMessage.encrypt(
            tree.view_tree(position), [keys[m] for m in sorted(members)]
        )
        envelopes.append(RequestEnvelope(message.to_bytes(), members))

    meta, submitter = tree.common_metadata, tree.submitter_metadata
    informee = InformeeMessage.sign(InformeeTree.of(tree), signing_key)
    envelopes.append(RequestEnvelope(informee.to_bytes(), frozenset({meta.mediator})))
    root = RootHashMessage.sign(
        meta.domain, tree.root_hash(), submitter.submitting_participant, signing_key
    )
    everyone = frozenset(keys) | {meta.mediator}
    envelopes.append(RequestEnvelope(root.to_bytes(), everyone))
    return tuple(envelopes)
