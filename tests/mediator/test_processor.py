"""MediatorProcessor on a real topology store and a real sqlite store, fed the events a
scripted participant's requests and responses become."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediator import (
    MediatorProcessor,
    MediatorStore,
    OutboxState,
    OutgoingVerdict,
    ResponseStatus,
)
from mediator.rejections import public_reason
from protocol.sequencer_messages import Envelope
from protocol.timestamp import Timestamp
from protocol.transaction import (
    Approve,
    InformeeMessage,
    InformeeTree,
    LocalReject,
    LocalRejectCode,
    MediatorReject,
    MediatorRejectCode,
    Reject,
    RequestId,
    RootHashMessage,
    Timeout,
    Verdict,
)
from tests.mediator.conftest import make_processor
from tests.mediator.support import RESPONSE_TIMEOUT, SECOND, T0, ScriptedDomain


def only(verdicts: list[OutgoingVerdict]) -> OutgoingVerdict:
    assert len(verdicts) == 1, verdicts
    return verdicts[0]


def verdict_of(out: OutgoingVerdict) -> Verdict:
    return out.result.result.verdict


async def test_transfer_is_approved_when_every_view_reaches_its_threshold(
    domain: ScriptedDomain, processor: MediatorProcessor, store: MediatorStore
) -> None:
    request, tree = domain.request(T0)
    assert await processor.handle(request) == []
    assert set(processor.pending) == {T0}
    approve_alice = domain.response(T0 + SECOND, "p1", tree, T0, (0,), ["alice"])
    assert await processor.handle(approve_alice) == []
    approve_bob = domain.response(T0 + 2 * SECOND, "p2", tree, T0, (0, 0), ["bob"])
    out = only(await processor.handle(approve_bob))

    assert verdict_of(out) == Approve()
    result = out.result.result
    assert (result.request_id, result.root_hash, result.mediator) == (
        T0,
        tree.root_hash(),
        domain.mediator.member,
    )
    out.result.verify(domain.mediator.signing_key.public_key)
    # every informee participant (Carol's P3 too) and the submitter
    assert out.recipients == {domain.member("p1"), domain.member("p2"), domain.member("p3")}
    assert out.max_sequencing_time == T0 + RESPONSE_TIMEOUT + 30 * SECOND
    assert processor.pending == {}
    stored = await store.verdict(RequestId(T0))
    assert stored is not None and stored.result == out.result
    assert stored.state is OutboxState.PENDING
    metrics = processor.metrics.registry
    assert metrics.get_sample_value("mediator_verdicts_total", {"kind": "approve"}) == 1
    assert metrics.get_sample_value("mediator_verdict_latency_seconds_count") == 1
    assert metrics.get_sample_value("mediator_verdict_latency_seconds_sum") == 2.0
    assert metrics.get_sample_value("mediator_pending_requests") == 0


async def test_a_rejection_decides_at_once_with_the_participants_reason(
    domain: ScriptedDomain, processor: MediatorProcessor
) -> None:
    request, tree = domain.request(T0)
    await processor.handle(request)
    reject = LocalReject(LocalRejectCode.CONTRACT_NOT_ACTIVE, "input contract archived")
    out = only(
        await processor.handle(
            domain.response(T0 + SECOND, "p2", tree, T0, (0, 0), ["bob"], reject)
        )
    )
    verdict = verdict_of(out)
    assert isinstance(verdict, Reject)
    assert [(r.participant, r.parties, r.reject) for r in verdict.reasons] == [
        (domain.member("p2"), frozenset({domain.party("bob")}), reject)
    ]
    # Alice's approval after the decision is recorded and ignored
    late = domain.response(T0 + 2 * SECOND, "p1", tree, T0, (0,), ["alice"])
    assert await processor.handle(late) == []
    rows = await processor.store.responses(RequestId(T0))
    assert [r.status for r in rows] == [ResponseStatus.ACCEPTED, ResponseStatus.AFTER_DECISION]


async def test_a_party_on_two_participants_needs_both_for_threshold_two(
    domain: ScriptedDomain, processor: MediatorProcessor
) -> None:
    tree = domain.tree(domain.dave_views(), seed="dave")
    request, _ = domain.request(T0, tree)
    await processor.handle(request)
    assert await processor.handle(domain.response(T0 + 1, "p1", tree, T0, (0,), ["alice"])) == []
    # one of Dave's two hosts is not enough
    assert await processor.handle(domain.response(T0 + 2, "p2", tree, T0, (0,), ["dave"])) == []
    assert set(processor.pending) == {T0}
    out = only(await processor.handle(domain.response(T0 + 3, "p3", tree, T0, (0,), ["dave"])))
    assert verdict_of(out) == Approve()


async def test_one_host_rejecting_makes_a_threshold_two_party_reject(
    domain: ScriptedDomain, processor: MediatorProcessor
) -> None:
    tree = domain.tree(domain.dave_views(), seed="dave-reject")
    request, _ = domain.request(T0, tree)
    await processor.handle(request)
    await processor.handle(domain.response(T0 + 1, "p2", tree, T0, (0,), ["dave"]))
    reject = LocalReject(LocalRejectCode.MODEL_CONFORMANCE, "re-interpretation differs")
    out = only(
        await processor.handle(domain.response(T0 + 2, "p3", tree, T0, (0,), ["dave"], reject))
    )
    verdict = verdict_of(out)
    assert isinstance(verdict, Reject)
    assert verdict.reasons[0].participant == domain.member("p3")


async def test_timeout_by_sequencer_time_then_late_responses_are_ignored(
    domain: ScriptedDomain, processor: MediatorProcessor
) -> None:
    request, tree = domain.request(T0)
    await processor.handle(request)
    await processor.handle(domain.response(T0 + SECOND, "p1", tree, T0, (0,), ["alice"]))
    assert processor.next_deadline() == T0 + RESPONSE_TIMEOUT
    # an event exactly at the deadline does not time out; one after it does
    assert await processor.handle(domain.tick(T0 + RESPONSE_TIMEOUT)) == []
    out = only(await processor.handle(domain.tick(T0 + RESPONSE_TIMEOUT + 1)))
    assert verdict_of(out) == Timeout()
    assert processor.next_deadline() is None
    late = domain.response(T0 + RESPONSE_TIMEOUT + 2, "p2", tree, T0, (0, 0), ["bob"])
    assert await processor.handle(late) == []
    rows = await processor.store.responses(RequestId(T0))
    assert rows[-1].status is ResponseStatus.AFTER_DECISION


async def test_a_response_sequenced_at_the_deadline_still_counts(
    domain: ScriptedDomain, processor: MediatorProcessor
) -> None:
    request, tree = domain.request(T0)
    await processor.handle(request)
    await processor.handle(domain.response(T0 + 1, "p1", tree, T0, (0,), ["alice"]))
    last = domain.response(T0 + RESPONSE_TIMEOUT, "p2", tree, T0, (0, 0), ["bob"])
    assert verdict_of(only(await processor.handle(last))) == Approve()


async def mediator_reject(processor: MediatorProcessor, event: object) -> MediatorReject:
    out = only(await processor.handle(event))  # type: ignore[arg-type]
    verdict = verdict_of(out)
    assert isinstance(verdict, MediatorReject), verdict
    assert processor.pending == {}
    return verdict


async def test_root_hash_message_of_another_transaction_is_rejected(
    domain: ScriptedDomain, processor: MediatorProcessor
) -> None:
    tree, other = domain.tree(seed="a"), domain.tree(seed="b")
    informee = domain.request_envelopes(tree)[-2]
    root = domain.request_envelopes(other)[-1]
    event = domain.deliver(T0, domain.member("p1"), [informee, root])
    verdict = await mediator_reject(processor, event)
    assert verdict.code is MediatorRejectCode.ROOT_HASH_MISMATCH


async def test_garbage_with_a_root_hash_message_is_malformed_and_answered(
    domain: ScriptedDomain, processor: MediatorProcessor
) -> None:
    tree = domain.tree()
    root = domain.request_envelopes(tree)[-1]
    garbage = Envelope.of(b"\x00not a protocol message", {domain.mediator.member})
    out = only(await processor.handle(domain.deliver(T0, domain.member("p1"), [garbage, root])))
    verdict = verdict_of(out)
    assert isinstance(verdict, MediatorReject)
    assert verdict.code is MediatorRejectCode.MALFORMED_REQUEST
    assert out.result.result.root_hash == tree.root_hash()
    # sent to everyone the root hash message names
    assert out.recipients == root.recipients - {domain.mediator.member}


async def test_informee_message_signed_by_another_key_is_rejected(
    domain: ScriptedDomain, processor: MediatorProcessor
) -> None:
    tree = domain.tree()
    envelopes = domain.request_envelopes(tree)
    forged = InformeeMessage.sign(InformeeTree.of(tree), domain.key("p4"))
    envelopes[-2] = Envelope.of(forged.to_bytes(), envelopes[-2].recipients)
    verdict = await mediator_reject(processor, domain.deliver(T0, domain.member("p1"), envelopes))
    assert verdict.code is MediatorRejectCode.INVALID_SIGNATURE


async def test_request_sent_by_another_participant_than_it_names_is_rejected(
    domain: ScriptedDomain, processor: MediatorProcessor
) -> None:
    tree = domain.tree()
    event = domain.deliver(T0, domain.member("p2"), domain.request_envelopes(tree))
    verdict = await mediator_reject(processor, event)
    assert verdict.code is MediatorRejectCode.INVALID_SUBMITTER


async def test_submitting_for_a_party_the_submitter_does_not_host_is_rejected(
    domain: ScriptedDomain, processor: MediatorProcessor, caplog: pytest.LogCaptureFixture
) -> None:
    tree = domain.tree(act_as="bob")
    verdict = await mediator_reject(processor, domain.request(T0, tree)[0])
    assert verdict.code is MediatorRejectCode.INVALID_SUBMITTER
    # the verdict is public: it names no party; the mediator's log says which
    assert verdict.reason == public_reason(MediatorRejectCode.INVALID_SUBMITTER)
    assert domain.party("bob") not in verdict.reason
    assert f"may not submit for {domain.party('bob')}" in caplog.text


async def test_wrong_confirmation_policy_is_rejected(
    domain: ScriptedDomain, processor: MediatorProcessor, caplog: pytest.LogCaptureFixture
) -> None:
    views = domain.dave_views()
    weak = [type(views[0])(informees=views[0].informees, threshold=1, action=b"x")]
    verdict = await mediator_reject(processor, domain.request(T0, domain.tree(weak))[0])
    assert verdict.code is MediatorRejectCode.WRONG_CONFIRMATION_POLICY
    # a per-view rule names the view, never the threshold or parties (those are logged)
    assert verdict.reason == public_reason(MediatorRejectCode.WRONG_CONFIRMATION_POLICY, (0,))
    assert "view 0: threshold 1" in caplog.text


async def test_request_sequenced_after_its_max_sequencing_time_is_rejected(
    domain: ScriptedDomain, processor: MediatorProcessor
) -> None:
    tree = domain.tree(max_sequencing_time=T0 - 1)
    verdict = await mediator_reject(processor, domain.request(T0, tree)[0])
    assert verdict.code is MediatorRejectCode.MAX_SEQUENCING_TIME_EXCEEDED


async def test_root_hash_message_not_sent_to_an_informee_participant_is_rejected(
    domain: ScriptedDomain, processor: MediatorProcessor
) -> None:
    tree = domain.tree()
    envelopes = domain.request_envelopes(tree)
    root = envelopes[-1]
    envelopes[-1] = Envelope.of(root.payload, root.recipients - {domain.member("p3")})
    verdict = await mediator_reject(processor, domain.deliver(T0, domain.member("p1"), envelopes))
    assert verdict.code is MediatorRejectCode.ROOT_HASH_MISMATCH


async def test_request_for_another_mediator_is_ignored(
    domain: ScriptedDomain, processor: MediatorProcessor, store: MediatorStore
) -> None:
    from protocol.identifiers import MemberKind, make_member_id, member_namespace

    other = make_member_id(MemberKind.MEDIATOR, "other", member_namespace(domain.mediator.member))
    tree = domain.tree(mediator=other)
    informee = InformeeMessage.sign(InformeeTree.of(tree), domain.key("p1"))
    root = RootHashMessage.sign(
        domain.domain, tree.root_hash(), domain.member("p1"), domain.key("p1")
    )
    event = domain.deliver(
        T0,
        domain.member("p1"),
        [
            Envelope.of(informee.to_bytes(), {domain.mediator.member}),
            Envelope.of(root.to_bytes(), {domain.mediator.member, domain.member("p1")}),
        ],
    )
    assert await processor.handle(event) == []
    assert processor.pending == {}
    assert await store.request(RequestId(T0)) is None


async def test_forged_response_signature_does_not_count(
    domain: ScriptedDomain, processor: MediatorProcessor
) -> None:
    request, tree = domain.request(T0)
    await processor.handle(request)
    forged = domain.response(T0 + 1, "p1", tree, T0, (0,), ["alice"], signer="p4")
    assert await processor.handle(forged) == []
    assert await processor.handle(domain.response(T0 + 2, "p2", tree, T0, (0, 0), ["bob"])) == []
    assert set(processor.pending) == {T0}
    rows = await processor.store.responses(RequestId(T0))
    assert rows[0].status is ResponseStatus.INVALID and "signature" in rows[0].reason
    assert processor.pending[RequestId(T0)].votes[0].participant == domain.member("p2")


async def test_response_for_a_party_the_participant_does_not_host_does_not_count(
    domain: ScriptedDomain, processor: MediatorProcessor
) -> None:
    request, tree = domain.request(T0)
    await processor.handle(request)
    # P3 hosts Carol (a plain informee here), not Alice
    assert await processor.handle(domain.response(T0 + 1, "p3", tree, T0, (0,), ["alice"])) == []
    rows = await processor.store.responses(RequestId(T0))
    assert rows[0].status is ResponseStatus.INVALID
    assert "may not confirm" in rows[0].reason
    assert processor.pending[RequestId(T0)].votes == ()


async def test_a_non_confirming_informee_vetoes_a_view_with_model_conformance(
    domain: ScriptedDomain, processor: MediatorProcessor
) -> None:
    # the submitter declared Alice confirming and Carol a mere informee of view 0; Carol's
    # participant says the declaration is wrong (her party should confirm)
    request, tree = domain.request(T0)
    await processor.handle(request)
    assert processor.pending[RequestId(T0)].record.views[0].other_informees[0].party == (
        domain.party("carol")
    )
    await processor.handle(domain.response(T0 + 1, "p1", tree, T0, (0,), ["alice"]))
    veto = LocalReject(
        LocalRejectCode.MODEL_CONFORMANCE,
        "view confirming parties differ from those its nodes need",
    )
    out = only(
        await processor.handle(domain.response(T0 + 2, "p3", tree, T0, (0,), ["carol"], veto))
    )
    verdict = verdict_of(out)
    assert isinstance(verdict, Reject)
    assert [(r.participant, r.parties, r.reject) for r in verdict.reasons] == [
        (domain.member("p3"), frozenset({domain.party("carol")}), veto)
    ]
    rows = await processor.store.responses(RequestId(T0))
    assert [r.status for r in rows] == [ResponseStatus.ACCEPTED, ResponseStatus.ACCEPTED]


async def test_a_non_confirming_informee_can_neither_reject_otherwise_nor_approve(
    domain: ScriptedDomain, processor: MediatorProcessor
) -> None:
    request, tree = domain.request(T0)
    await processor.handle(request)
    other = LocalReject(LocalRejectCode.CONTRACT_NOT_ACTIVE, "never heard of that Iou")
    viewless = LocalReject(LocalRejectCode.MALFORMED, "a view-less rejection")
    for at, position, verdict in (
        (T0 + 1, (0,), other),
        (T0 + 2, (0,), None),  # an approval for Carol
        (T0 + 3, None, viewless),
        # Carol is no informee of view 0.0: nothing to veto there
        (T0 + 4, (0, 0), LocalReject(LocalRejectCode.MODEL_CONFORMANCE, "not an informee")),
    ):
        event = domain.response(at, "p3", tree, T0, position, ["carol"], verdict)
        assert await processor.handle(event) == []
    rows = await processor.store.responses(RequestId(T0))
    assert [r.status for r in rows] == [ResponseStatus.INVALID] * 4
    assert all("may not confirm for" in r.reason for r in rows)
    assert processor.pending[RequestId(T0)].votes == ()
    # the declared confirming parties still decide
    await processor.handle(domain.response(T0 + 5, "p1", tree, T0, (0,), ["alice"]))
    out = only(await processor.handle(domain.response(T0 + 6, "p2", tree, T0, (0, 0), ["bob"])))
    assert verdict_of(out) == Approve()


async def test_an_informee_veto_counts_after_a_restart(
    tmp_path: Path, domain: ScriptedDomain, store: MediatorStore
) -> None:
    first = make_processor(domain, store)
    await first.recover()
    request, tree = domain.request(T0)
    await first.handle(request)
    await store.close()
    reopened = await MediatorStore.open(
        tmp_path / "mediator.sqlite", domain.domain, domain.mediator.member
    )
    try:
        second = make_processor(domain, reopened)
        await second.recover()
        veto = LocalReject(LocalRejectCode.MODEL_CONFORMANCE, "Carol must confirm")
        out = only(
            await second.handle(domain.response(T0 + 1, "p3", tree, T0, (0,), ["carol"], veto))
        )
        assert isinstance(verdict_of(out), Reject)
    finally:
        await reopened.close()


async def test_a_second_response_for_the_same_party_is_a_duplicate(
    domain: ScriptedDomain, processor: MediatorProcessor
) -> None:
    request, tree = domain.request(T0)
    await processor.handle(request)
    await processor.handle(domain.response(T0 + 1, "p1", tree, T0, (0,), ["alice"]))
    reject = LocalReject(LocalRejectCode.CONTRACT_LOCKED, "changed its mind")
    again = domain.response(T0 + 2, "p1", tree, T0, (0,), ["alice"], reject)
    assert await processor.handle(again) == []
    rows = await processor.store.responses(RequestId(T0))
    assert [r.status for r in rows] == [ResponseStatus.ACCEPTED, ResponseStatus.DUPLICATE]


async def test_a_view_less_malformed_rejection_rejects(
    domain: ScriptedDomain, processor: MediatorProcessor
) -> None:
    request, tree = domain.request(T0)
    await processor.handle(request)
    reject = LocalReject(LocalRejectCode.ROOT_HASH_MISMATCH, "view not of this root hash")
    out = only(await processor.handle(domain.response(T0 + 1, "p2", tree, T0, None, [], reject)))
    verdict = verdict_of(out)
    assert isinstance(verdict, Reject)
    assert verdict.reasons[0].parties == {domain.party("bob")}


async def test_a_request_with_a_known_root_hash_is_rejected_as_duplicate(
    domain: ScriptedDomain, processor: MediatorProcessor, caplog: pytest.LogCaptureFixture
) -> None:
    request, tree = domain.request(T0)
    await processor.handle(request)
    again, _ = domain.request(T0 + SECOND, tree)
    verdict = await mediator_reject_keeping(processor, again, pending={T0})
    assert verdict.code is MediatorRejectCode.MALFORMED_REQUEST
    # the public reason says only the code's phrase; which request it repeats is logged
    assert verdict.reason == public_reason(MediatorRejectCode.MALFORMED_REQUEST)
    assert f"duplicate of request {T0}" in caplog.text
    # the first request is unaffected
    await processor.handle(domain.response(T0 + 2 * SECOND, "p1", tree, T0, (0,), ["alice"]))
    out = only(
        await processor.handle(domain.response(T0 + 3 * SECOND, "p2", tree, T0, (0, 0), ["bob"]))
    )
    assert verdict_of(out) == Approve() and out.request_id == T0


async def mediator_reject_keeping(
    processor: MediatorProcessor, event: object, pending: set[int]
) -> MediatorReject:
    out = only(await processor.handle(event))  # type: ignore[arg-type]
    verdict = verdict_of(out)
    assert isinstance(verdict, MediatorReject)
    assert set(processor.pending) == pending
    return verdict


async def test_events_replayed_after_a_crash_change_nothing_and_pending_resumes(
    tmp_path: Path, domain: ScriptedDomain, store: MediatorStore
) -> None:
    first = make_processor(domain, store)
    await first.recover()
    request, tree = domain.request(T0)
    approve_alice = domain.response(T0 + SECOND, "p1", tree, T0, (0,), ["alice"])
    await first.handle(request)
    await first.handle(approve_alice)
    await store.close()

    # restart: a new store connection and processor; the runtime re-delivers the last event
    reopened = await MediatorStore.open(
        tmp_path / "mediator.sqlite", domain.domain, domain.mediator.member
    )
    try:
        second = make_processor(domain, reopened)
        assert await second.recover() == []
        assert set(second.pending) == {T0}
        assert len(second.pending[RequestId(T0)].votes) == 1
        assert await second.handle(approve_alice) == []
        assert await second.handle(request) == []
        assert len(await reopened.responses(RequestId(T0))) == 1
        out = only(
            await second.handle(domain.response(T0 + 2 * SECOND, "p2", tree, T0, (0, 0), ["bob"]))
        )
        assert verdict_of(out) == Approve()
    finally:
        await reopened.close()


async def test_a_verdict_decided_but_not_sent_is_sent_again_byte_for_byte(
    tmp_path: Path, domain: ScriptedDomain, store: MediatorStore
) -> None:
    first = make_processor(domain, store)
    await first.recover()
    request, _tree = domain.request(T0)
    await first.handle(request)
    decided = only(await first.handle(domain.tick(T0 + RESPONSE_TIMEOUT + 1)))
    await store.close()  # crash before the outbox sent it

    reopened = await MediatorStore.open(
        tmp_path / "mediator.sqlite", domain.domain, domain.mediator.member
    )
    try:
        second = make_processor(domain, reopened)
        owed = await second.recover()
        assert owed == [decided]
        assert owed[0].result.to_bytes() == decided.result.to_bytes()
        # replaying the deciding event neither decides again nor changes the verdict
        assert await second.handle(domain.tick(T0 + RESPONSE_TIMEOUT + 1)) == []
        stored = await reopened.verdict(RequestId(T0))
        assert stored is not None and stored.result == decided.result
    finally:
        await reopened.close()


async def test_receipt_marks_a_verdict_sequenced_and_a_deliver_error_retries_it(
    domain: ScriptedDomain, processor: MediatorProcessor, store: MediatorStore
) -> None:
    from protocol.sequencer_messages import DeliverErrorCode

    request, _ = domain.request(T0)
    await processor.handle(request)
    decided = only(await processor.handle(domain.tick(T0 + RESPONSE_TIMEOUT + 1)))
    assert decided.message_id == f"verdict-{T0}-0"
    error = domain.deliver_error(
        T0 + RESPONSE_TIMEOUT + 2, decided.message_id, DeliverErrorCode.UNKNOWN_RECIPIENTS
    )
    retry = only(await processor.handle(error))
    assert retry.attempt == 1 and retry.result == decided.result
    # a duplicate-id error says an earlier copy exists: nothing to do
    dup = domain.deliver_error(
        T0 + RESPONSE_TIMEOUT + 3, retry.message_id, DeliverErrorCode.DUPLICATE_MESSAGE_ID
    )
    assert await processor.handle(dup) == []
    receipt = domain.deliver(
        T0 + RESPONSE_TIMEOUT + 4, domain.mediator.member, [], message_id=retry.message_id
    )
    assert await processor.handle(receipt) == []
    stored = await store.verdict(RequestId(T0))
    assert stored is not None and stored.state is OutboxState.SEQUENCED
    assert await store.outbox() == []


async def test_a_decision_after_its_deadline_is_stored_expired_and_not_sent(
    domain: ScriptedDomain, processor: MediatorProcessor, store: MediatorStore
) -> None:
    request, _ = domain.request(T0)
    await processor.handle(request)
    # the mediator was down through the whole reaction window
    assert await processor.handle(domain.tick(T0 + 3600 * SECOND)) == []
    stored = await store.verdict(RequestId(T0))
    assert stored is not None and stored.state is OutboxState.EXPIRED
    assert verdict_of(stored) == Timeout()


async def test_time_moves_only_forward_in_the_store(
    domain: ScriptedDomain, processor: MediatorProcessor, store: MediatorStore
) -> None:
    await processor.handle(domain.tick(T0))
    assert store.last_event_at == Timestamp(T0)
    assert await processor.handle(domain.tick(T0 - 1)) == []
    assert store.last_event_at == Timestamp(T0)
