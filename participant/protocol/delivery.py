"""A delivered batch, sorted by protocol message, and the responses to a checked request.

Steps 5 to 7 of ``processor``'s event read a :class:`~protocol.sequencer_messages.Deliver`
through :func:`sort_batch`: topology payloads are skipped (the member runtime applied them
before the event got here) and an envelope that does not decode is logged and dropped.
:func:`confirmation_responses` signs this participant's answers to a request checked by
``confirmer``. Nothing here does I/O.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from participant.protocol.confirmer import CheckedRequest, RequestMessages
from protocol.crypto.signing import SigningPrivateKey
from protocol.identifiers import DomainId, MemberId
from protocol.sequencer_messages import Deliver, Envelope
from protocol.topology import TopologySnapshot, is_topology_payload
from protocol.transaction import (
    ConfirmationResponse,
    EncryptedViewMessage,
    MalformedTransactionMessageError,
    RequestId,
    RootHashMessage,
    SignedAcsCommitment,
    SignedConfirmationResponse,
    SignedConfirmationResult,
    decode_protocol_message,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SortedBatch:
    """The protocol messages of one delivered batch, by kind, in batch order."""

    request: RequestMessages | None
    """The root hash messages and views, if the batch has any."""
    results: tuple[SignedConfirmationResult, ...]
    commitments: tuple[SignedAcsCommitment, ...]


def sort_batch(event: Deliver) -> SortedBatch:
    """The protocol messages of ``event``'s batch (module docstring)."""
    root_hash_messages: list[tuple[RootHashMessage, frozenset[MemberId]]] = []
    views: list[EncryptedViewMessage] = []
    results: list[SignedConfirmationResult] = []
    commitments: list[SignedAcsCommitment] = []
    for envelope in event.batch.envelopes:
        if is_topology_payload(envelope.payload):
            continue  # the member runtime processed it before this event reached us
        try:
            message = decode_protocol_message(envelope.payload)
        except MalformedTransactionMessageError as exc:
            log.warning("malformed envelope from %s at %d: %s", event.sender, event.timestamp, exc)
            continue
        if isinstance(message, RootHashMessage):
            root_hash_messages.append((message, frozenset(envelope.recipients)))
        elif isinstance(message, EncryptedViewMessage):
            views.append(message)
        elif isinstance(message, SignedConfirmationResult):
            results.append(message)
        elif isinstance(message, SignedAcsCommitment):
            commitments.append(message)
    request = (
        RequestMessages(tuple(root_hash_messages), tuple(views))
        if root_hash_messages or views
        else None
    )
    return SortedBatch(request, tuple(results), tuple(commitments))


def confirmation_responses(
    checked: CheckedRequest,
    *,
    snapshot: TopologySnapshot,
    domain: DomainId,
    me: MemberId,
    signing_key: SigningPrivateKey,
) -> list[Envelope] | None:
    """The signed responses to ``checked``'s verdicts, addressed to the mediator the
    request names (else the domain's first); ``None`` when there is no mediator to
    answer."""
    request = checked.request
    mediator = checked.mediator
    if mediator is None:
        state = snapshot.mediator_state()
        mediator = state.mediators[0] if state is not None and state.mediators else None
    if mediator is None:
        return None
    envelopes = []
    for v in checked.verdicts:
        view_hash = None
        if v.position is not None:
            view_hash = request.views[v.position].view_hash
        response = ConfirmationResponse(
            domain,
            RequestId(request.request_id),
            me,
            v.position,
            view_hash,
            v.verdict,
            frozenset(v.parties),
            request.root_hash,
        )
        signed = SignedConfirmationResponse.sign(response, signing_key)
        envelopes.append(Envelope.of(signed.to_bytes(), {mediator}))
    return envelopes
