"""Projections of a committed transaction to what a Ledger API reader may see.

The participant stores one :class:`~participant.store.StoredUpdate` per commit (the
engine's transaction tree plus where and why it was committed); every Ledger API answer
about it — flat transaction, transaction tree, created events of the active contract set
— is cut from it here, by Daml's visibility rules (see :mod:`.backend`). A backend that
stores committed transactions only needs these functions to answer ``updates``,
``transaction_by_id``/``_by_offset`` and ``active_contracts`` consistently.
"""

from __future__ import annotations

from collections.abc import Iterable

from participant.engine import (
    CreateNode,
    ExerciseNode,
    Node,
    PartyId,
)
from participant.ledger_api.backend import (
    ArchivedEvent,
    CreatedEvent,
    EventId,
    ExercisedEvent,
    FlatEvent,
    Transaction,
    TransactionTree,
    TreeEvent,
    UpdateFilter,
    event_id,
)
from participant.store import StoredUpdate
from protocol.identifiers import DomainId


def _sorted(parties: Iterable[str]) -> tuple[PartyId, ...]:
    return tuple(PartyId(p) for p in sorted(parties))


def created_event(
    committed: StoredUpdate, node: CreateNode, witnesses: Iterable[str]
) -> CreatedEvent:
    return CreatedEvent(
        event_id=event_id(committed.update_id, node.node_id),
        offset=committed.offset,
        node_id=node.node_id,
        contract_id=node.contract_id,
        template_id=node.template_id,
        create_arguments=node.argument,
        signatories=_sorted(node.signatories),
        observers=_sorted(node.observers),
        witness_parties=_sorted(witnesses),
        contract_key=None if node.key is None else node.key.key,
        created_at_micros=committed.transaction.ledger_time,
    )


def _command_fields(committed: StoredUpdate, readers: frozenset[str]) -> tuple[str, str]:
    """Daml shows command and workflow id only to a requesting submitter."""
    if committed.transaction.submitters & readers:
        return committed.command_id, committed.workflow_id
    return "", ""


def flat_events(committed: StoredUpdate, update_filter: UpdateFilter) -> list[FlatEvent]:
    """Create and consuming-exercise (archive) events for stakeholders in the filter.

    A contract created and archived within the transaction (transient) is left out.
    """
    tx = committed.transaction
    created = set(tx.created_contracts)
    archived = set(tx.archived_contracts)
    events: list[FlatEvent] = []
    for node in tx.nodes():
        if isinstance(node, CreateNode):
            if node.contract_id in archived:
                continue
            stakeholders = node.signatories | node.observers
        elif isinstance(node, ExerciseNode) and node.consuming:
            if node.contract_id in created:
                continue
            stakeholders = node.stakeholders
        else:
            continue
        witnesses = [
            f.party
            for f in update_filter.parties
            if f.party in stakeholders and f.admits(node.template_id)
        ]
        if not witnesses:
            continue
        if isinstance(node, CreateNode):
            events.append(created_event(committed, node, witnesses))
        else:
            events.append(
                ArchivedEvent(
                    event_id=event_id(committed.update_id, node.node_id),
                    offset=committed.offset,
                    node_id=node.node_id,
                    contract_id=node.contract_id,
                    template_id=node.template_id,
                    witness_parties=_sorted(witnesses),
                )
            )
    return events


def flat_transaction(
    committed: StoredUpdate, domain_id: DomainId, update_filter: UpdateFilter
) -> Transaction | None:
    """The flat projection, or ``None`` if no event of it is visible to the filter."""
    events = flat_events(committed, update_filter)
    if not events:
        return None
    command_id, workflow_id = _command_fields(committed, update_filter.party_ids)
    return Transaction(
        update_id=committed.update_id,
        command_id=command_id,
        workflow_id=workflow_id,
        effective_at_micros=committed.transaction.ledger_time,
        offset=committed.offset,
        events=tuple(events),
        domain_id=domain_id,
        record_time_micros=committed.record_time,
    )


def transaction_tree(
    committed: StoredUpdate, domain_id: DomainId, parties: frozenset[PartyId]
) -> TransactionTree | None:
    """The tree projection for ``parties``, or ``None`` if they witness no event.

    A node is visible if a requesting party is an informee of it or of an ancestor;
    fetch and lookup-by-key nodes are not events. Visibility only grows downwards, so the
    roots are the topmost visible nodes.
    """
    events: list[tuple[EventId, TreeEvent]] = []
    roots: list[EventId] = []

    def visit(node: Node, inherited: frozenset[str], parent_visible: bool) -> EventId | None:
        witnesses = (inherited | node.informees) & parties
        visible = bool(witnesses) and isinstance(node, CreateNode | ExerciseNode)
        eid = event_id(committed.update_id, node.node_id)
        if isinstance(node, CreateNode):
            if visible:
                events.append((eid, created_event(committed, node, witnesses)))
        elif isinstance(node, ExerciseNode):
            position = len(events)
            child_ids: list[EventId] = []
            for child in node.children:
                cid = visit(child, inherited | node.informees, visible)
                if cid is not None and visible:
                    child_ids.append(cid)
            if visible:
                event = ExercisedEvent(
                    event_id=eid,
                    offset=committed.offset,
                    node_id=node.node_id,
                    contract_id=node.contract_id,
                    template_id=node.template_id,
                    choice=node.choice,
                    choice_argument=node.argument,
                    acting_parties=_sorted(node.actors),
                    consuming=node.consuming,
                    witness_parties=_sorted(witnesses),
                    child_event_ids=tuple(child_ids),
                    exercise_result=node.result,
                )
                events.insert(position, (eid, event))
        if visible and not parent_visible:
            roots.append(eid)
        return eid if visible else None

    for root in committed.transaction.roots:
        visit(root, frozenset(), False)
    if not events:
        return None
    command_id, workflow_id = _command_fields(committed, parties)
    return TransactionTree(
        update_id=committed.update_id,
        command_id=command_id,
        workflow_id=workflow_id,
        effective_at_micros=committed.transaction.ledger_time,
        offset=committed.offset,
        events_by_id=tuple(events),
        root_event_ids=tuple(roots),
        domain_id=domain_id,
        record_time_micros=committed.record_time,
    )


def visible_creates(committed: StoredUpdate, update_filter: UpdateFilter) -> list[CreatedEvent]:
    """The created events of ``committed`` the filter admits (for the active contract set)."""
    return [e for e in flat_events(committed, update_filter) if isinstance(e, CreatedEvent)]
