"""Backend values → Ledger API response messages."""

from __future__ import annotations

from participant.ledger_api.backend import (
    ActiveContract,
    ArchivedEvent,
    CreatedEvent,
    ExercisedEvent,
    PackageDetails,
    PartyDetails,
    Transaction,
    TransactionTree,
)
from participant.ledger_api.convert.values import identifier_of, record_to_proto, value_to_proto
from participant.ledger_api.status import completion_rpc_status
from participant.store import Completion
from protocol.ledger_api.v2 import completion_pb2, event_pb2, state_service_pb2
from protocol.ledger_api.v2.admin import (
    package_management_service_pb2,
    party_management_service_pb2,
)


def created_event(e: CreatedEvent) -> event_pb2.CreatedEvent:
    out = event_pb2.CreatedEvent(
        offset=e.offset,
        event_id=e.event_id,
        node_id=e.node_id,
        contract_id=e.contract_id,
        template_id=identifier_of(e.template_id),
        create_arguments=record_to_proto(e.create_arguments),
        witness_parties=e.witness_parties,
        signatories=e.signatories,
        observers=e.observers,
        created_at=e.created_at_micros,
    )
    if e.contract_key is not None:
        out.contract_key.CopyFrom(value_to_proto(e.contract_key))
    return out


def archived_event(e: ArchivedEvent) -> event_pb2.ArchivedEvent:
    return event_pb2.ArchivedEvent(
        offset=e.offset,
        event_id=e.event_id,
        node_id=e.node_id,
        contract_id=e.contract_id,
        template_id=identifier_of(e.template_id),
        witness_parties=e.witness_parties,
    )


def exercised_event(e: ExercisedEvent) -> event_pb2.ExercisedEvent:
    return event_pb2.ExercisedEvent(
        offset=e.offset,
        event_id=e.event_id,
        node_id=e.node_id,
        contract_id=e.contract_id,
        template_id=identifier_of(e.template_id),
        choice=e.choice,
        choice_argument=value_to_proto(e.choice_argument),
        acting_parties=e.acting_parties,
        consuming=e.consuming,
        witness_parties=e.witness_parties,
        child_event_ids=e.child_event_ids,
        exercise_result=value_to_proto(e.exercise_result),
    )


def transaction(tx: Transaction) -> event_pb2.Transaction:
    events = [
        event_pb2.Event(created=created_event(e))
        if isinstance(e, CreatedEvent)
        else event_pb2.Event(archived=archived_event(e))
        for e in tx.events
    ]
    return event_pb2.Transaction(
        update_id=tx.update_id,
        command_id=tx.command_id,
        workflow_id=tx.workflow_id,
        effective_at=tx.effective_at_micros,
        events=events,
        offset=tx.offset,
        domain_id=tx.domain_id,
        record_time=tx.record_time_micros,
    )


def transaction_tree(tree: TransactionTree) -> event_pb2.TransactionTree:
    out = event_pb2.TransactionTree(
        update_id=tree.update_id,
        command_id=tree.command_id,
        workflow_id=tree.workflow_id,
        effective_at=tree.effective_at_micros,
        offset=tree.offset,
        root_event_ids=tree.root_event_ids,
        domain_id=tree.domain_id,
        record_time=tree.record_time_micros,
    )
    for eid, event in tree.events_by_id:
        if isinstance(event, CreatedEvent):
            out.events_by_id[eid].created.CopyFrom(created_event(event))
        else:
            out.events_by_id[eid].exercised.CopyFrom(exercised_event(event))
    return out


def completion(c: Completion) -> completion_pb2.Completion:
    return completion_pb2.Completion(
        command_id=c.command_id,
        status=completion_rpc_status(c.status),
        update_id=c.update_id or "",
        application_id=c.application_id,
        act_as=c.act_as,
        submission_id=c.submission_id,
        offset=c.offset,
        domain_id=c.domain_id or "",
        record_time=c.record_time,
    )


def active_contract(c: ActiveContract) -> state_service_pb2.ActiveContract:
    return state_service_pb2.ActiveContract(
        created_event=created_event(c.created_event), domain_id=c.domain_id
    )


def party_details(p: PartyDetails) -> party_management_service_pb2.PartyDetails:
    return party_management_service_pb2.PartyDetails(
        party=p.party, display_name=p.display_name, is_local=p.is_local
    )


def package_details(p: PackageDetails) -> package_management_service_pb2.PackageDetails:
    return package_management_service_pb2.PackageDetails(
        package_id=p.package_id,
        package_size=p.size,
        known_since=p.known_since_micros,
        name=p.name,
        version=p.version,
        module_name=p.module,
        template_ids=p.templates,
    )
