"""The participant's protocol core over the in-memory ordering fake, with real processors,
real sqlite stores, the real mediator logic and the example packages."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from participant.engine import CreateCommand, Engine, ExerciseCommand, PartyId, TemplateId
from participant.errors import DuplicateCommandError
from participant.protocol import ProcessorConfig, SubmissionCommand, view_specs
from participant.protocol.rejections import public_reason
from participant.store import Completion, CompletionCode
from protocol.sequencer_messages import Envelope
from protocol.timestamp import Timestamp
from protocol.transaction import (
    ConfirmationResponse,
    EncryptedViewMessage,
    FullTransactionTree,
    Informee,
    LocalApprove,
    LocalReject,
    LocalRejectCode,
    Reject,
    RequestId,
    RootHashMessage,
    SignedConfirmationResponse,
    SignedConfirmationResult,
    ViewSpec,
    build_confirmation_request,
    build_transaction_tree,
    decode_protocol_message,
)
from tests.participant.protocol.support import (
    SECOND,
    STEP,
    ProtocolDomain,
    command,
    local_rejection,
    make_test_domain,
    template,
)


@pytest.fixture
async def d(tmp_path: Path) -> AsyncIterator[ProtocolDomain]:
    domain = await make_test_domain(tmp_path)
    yield domain
    await domain.close()


async def run(d: ProtocolDomain, participant: str, cmd: object) -> Completion:
    """Submit on ``participant``, sequence everything, return the completion."""
    assert isinstance(cmd, SubmissionCommand)
    await d.processors[participant].submit(cmd)
    await d.ordering.flush()
    return await completion(d, participant, cmd.command_id)


async def completion(d: ProtocolDomain, participant: str, command_id: str) -> Completion:
    found = [c for c in await d.stores[participant].completions(0) if c.command_id == command_id]
    assert len(found) == 1, found
    return found[0]


def iou_create(d: ProtocolDomain, owner: str, issuer: str, observers: list[str]) -> CreateCommand:
    return CreateCommand(
        TemplateId(template(d, "iou", "Iou")),
        {
            "issuer": d.party(issuer),
            "owner": d.party(owner),
            "amount": "100.5",
            "currency": "EUR",
            "observers": [d.party(o) for o in observers],
        },
    )


async def create_iou(d: ProtocolDomain, observers: list[str] | None = None) -> str:
    done = await run(
        d, "p1", command(d, ["alice"], iou_create(d, "alice", "alice", observers or ["carol"]))
    )
    assert done.status.ok, done.status
    return await active_id(d, "p1", "Iou")


async def active_id(d: ProtocolDomain, participant: str, name: str) -> str:
    ids = [
        c.contract_id
        for c in await d.stores[participant].active_contracts()
        if c.template_id.endswith(f":{name}")
    ]
    assert len(ids) == 1, ids
    return ids[0]


async def active_templates(d: ProtocolDomain, participant: str) -> list[str]:
    return sorted(
        c.template_id.rsplit(":", 1)[1] for c in await d.stores[participant].active_contracts()
    )


def transfer(d: ProtocolDomain, iou: str, to: str = "bob") -> ExerciseCommand:
    return ExerciseCommand(
        TemplateId(template(d, "iou", "Iou")), iou, "Transfer", {"new_owner": d.party(to)}
    )


# -- commit, visibility ---------------------------------------------------------------------


async def test_iou_transfer_commits_everywhere_and_each_sees_its_part(d: ProtocolDomain) -> None:
    iou = await create_iou(d)
    assert await active_templates(d, "p2") == []  # Bob is no stakeholder yet
    assert await active_templates(d, "p3") == ["Iou"]  # Carol observes

    done = await run(d, "p1", command(d, ["alice"], transfer(d, iou)))
    assert done.status.ok and done.update_id is not None

    # each participant committed the same update id, with only its part
    updates = {n: (await d.stores[n].updates(0))[-1] for n in ("p1", "p2", "p3")}
    assert {u.update_id for u in updates.values()} == {done.update_id}
    roots = {n: [r.node_id for r in u.transaction.roots] for n, u in updates.items()}
    assert roots["p1"] == ["0"] and roots["p3"] == ["0"]
    assert roots["p2"] == ["0.0"]  # Bob sees the proposal's creation, not Alice's Iou
    assert updates["p2"].command_id == "" and updates["p1"].command_id == done.command_id
    assert updates["p2"].witnesses == {d.party("bob")}
    assert updates["p3"].witnesses == {d.party("carol")}
    assert await active_templates(d, "p1") == ["IouTransferProposal"]
    assert await active_templates(d, "p2") == ["IouTransferProposal"]
    assert await active_templates(d, "p3") == []  # the Iou is archived, the proposal unseen
    assert _responses(d, "p3") == []  # Carol only observes: nothing wrong, nothing sent
    # offsets are dense per participant; the ledger end follows them
    assert [u.offset for u in await d.stores["p3"].updates(0)] == [1, 2]
    assert await d.stores["p2"].ledger_end() == 1


async def test_bob_accepts_with_a_key_lookup_and_carol_sees_nothing(d: ProtocolDomain) -> None:
    iou = await create_iou(d)
    account = CreateCommand(
        TemplateId(template(d, "iou", "Account")),
        {"bank": d.party("alice"), "owner": d.party("bob"), "currency": "EUR"},
    )
    assert (await run(d, "p2", command(d, ["bob"], account))).status.ok
    assert (await run(d, "p1", command(d, ["alice"], transfer(d, iou)))).status.ok
    proposal = await active_id(d, "p2", "IouTransferProposal")
    accept = ExerciseCommand(
        TemplateId(template(d, "iou", "IouTransferProposal")), proposal, "Accept", {}
    )
    before = await d.stores["p3"].ledger_end()
    done = await run(d, "p2", command(d, ["bob"], accept))
    assert done.status.ok, done.status
    assert sorted(await active_templates(d, "p2")) == ["Account", "Iou"]
    assert sorted(await active_templates(d, "p1")) == ["Account", "Iou"]
    assert await d.stores["p3"].ledger_end() == before


# -- atomicity, conflicts -------------------------------------------------------------------


async def _dvp_setup(d: ProtocolDomain) -> tuple[str, str]:
    """Bank (P1) issues Cash to Bob (P2) and an Asset to Carol (P3); Carol proposes."""
    cash = CreateCommand(
        TemplateId(template(d, "dvp", "Cash")),
        {"bank": d.party("bank"), "owner": d.party("bob"), "amount": "50", "currency": "USD"},
    )
    asset = CreateCommand(
        TemplateId(template(d, "dvp", "Asset")),
        {"bank": d.party("bank"), "owner": d.party("carol"), "name": "bond", "quantity": 3},
    )
    assert (await run(d, "p1", command(d, ["bank"], cash, asset))).status.ok
    cash_id = await active_id(d, "p2", "Cash")
    asset_id = await active_id(d, "p3", "Asset")
    proposal = CreateCommand(
        TemplateId(template(d, "dvp", "TradeProposal")),
        {
            "seller": d.party("carol"),
            "buyer": d.party("bob"),
            "bank": d.party("bank"),
            "asset": asset_id,
            "price": "50",
            "currency": "USD",
        },
    )
    assert (await run(d, "p3", command(d, ["carol"], proposal))).status.ok
    return await active_id(d, "p2", "TradeProposal"), cash_id


def settle(d: ProtocolDomain, proposal: str, cash: str) -> ExerciseCommand:
    return ExerciseCommand(
        TemplateId(template(d, "dvp", "TradeProposal")), proposal, "Settle", {"payment": cash}
    )


async def test_dvp_commits_atomically_across_three_participants(d: ProtocolDomain) -> None:
    proposal, cash = await _dvp_setup(d)
    done = await run(d, "p2", command(d, ["bob"], settle(d, proposal, cash), read_as=["bank"]))
    assert done.status.ok, done.status
    assert await active_templates(d, "p1") == ["Asset", "Cash"]  # the bank's new ones
    # Bob holds the bond; P2 also hosts Bank (observation), so it sees the bank's new cash
    assert await active_templates(d, "p2") == ["Asset", "Cash"]
    assert await active_templates(d, "p3") == ["Cash"]  # Carol got paid
    ids = {n: (await d.stores[n].updates(0))[-1].update_id for n in ("p1", "p2", "p3")}
    assert len(set(ids.values())) == 1


async def test_dvp_with_one_rejecting_participant_commits_nowhere(d: ProtocolDomain) -> None:
    proposal, cash = await _dvp_setup(d)
    # the bank's participant no longer holds the cash (its ACS disagrees)
    d.processors["p1"].acs.archive(cash)  # type: ignore[arg-type]
    ends = {n: await d.stores[n].ledger_end() for n in ("p1", "p3")}
    done = await run(d, "p2", command(d, ["bob"], settle(d, proposal, cash), read_as=["bank"]))
    assert done.status.code is CompletionCode.INCONSISTENT_CONTRACTS
    assert "CONTRACT_NOT_ACTIVE" in done.status.message
    assert {n: await d.stores[n].ledger_end() for n in ("p1", "p3")} == ends
    assert await active_templates(d, "p2") == ["Asset", "Cash", "TradeProposal"]
    assert await active_templates(d, "p3") == ["Asset", "TradeProposal"]
    for name in ("p1", "p2", "p3"):
        assert d.processors[name].acs.locks == {}
        assert d.processors[name].pending == {}


async def test_two_conflicting_transfers_one_commits_the_other_is_locked(d: ProtocolDomain) -> None:
    iou = await create_iou(d)
    first = command(d, ["alice"], transfer(d, iou, "bob"))
    second = command(d, ["alice"], transfer(d, iou, "carol"))
    await d.processors["p1"].submit(first)  # type: ignore[arg-type]
    await d.processors["p1"].submit(second)  # type: ignore[arg-type]
    await d.ordering.flush()
    a = await completion(d, "p1", first.command_id)  # type: ignore[attr-defined]
    b = await completion(d, "p1", second.command_id)  # type: ignore[attr-defined]
    assert a.status.ok
    assert b.status.code is CompletionCode.LOCKED_CONTRACTS
    assert "CONTRACT_LOCKED" in b.status.message
    assert await active_templates(d, "p1") == ["IouTransferProposal"]
    assert d.processors["p1"].acs.locks == {}


async def test_a_duplicate_command_is_refused_in_flight_and_after_commit(d: ProtocolDomain) -> None:
    cmd = command(d, ["alice"], iou_create(d, "alice", "alice", []))
    await d.processors["p1"].submit(cmd)  # type: ignore[arg-type]
    again = dataclasses.replace(cmd, submission_id="other")  # type: ignore[type-var]
    with pytest.raises(DuplicateCommandError) as exc:
        await d.processors["p1"].submit(again)
    assert exc.value.completion_offset is None
    await d.ordering.flush()
    with pytest.raises(DuplicateCommandError) as exc:
        await d.processors["p1"].submit(again)
    assert exc.value.completion_offset == 1
    assert len(await d.stores["p1"].completions(0)) == 1


# -- malicious submitter --------------------------------------------------------------------


async def _forged_request(
    d: ProtocolDomain,
    *,
    act_as: list[str],
    interpret_as: list[str],
    commands: list[object],
    submitter: str = "p1",
    confirming: list[str] | None = None,
) -> FullTransactionTree:
    """A tree built from an interpretation as ``interpret_as`` but claiming ``act_as``
    (and, if given, declaring ``confirming`` the only confirming parties of every view)."""
    p1 = d.processors[submitter]
    now = d.ordering.now
    tx = Engine(d.packages).submit(
        commands,  # type: ignore[arg-type]
        act_as=[d.party(p) for p in interpret_as],
        lookup=p1.acs.lookup_for([d.party(p) for p in interpret_as]),
        vetted=p1._vetted(now),
        seed=secrets.token_bytes(32),
        ledger_time=now,
    )
    forged = dataclasses.replace(tx, submitters=frozenset(PartyId(d.party(p)) for p in act_as))
    tree = build_transaction_tree(
        transaction_seed=secrets.token_bytes(32),
        domain=d.domain,
        mediator=d.mediator.member,
        submitting_participant=d.member(submitter),
        act_as=frozenset(PartyId(d.party(p)) for p in act_as),
        application_id="evil",
        command_id=f"evil-{secrets.token_hex(4)}",
        max_sequencing_time=Timestamp(now + 60 * SECOND),
        ledger_time=Timestamp(now),
        workflow_id=None,
        views=_declare(view_specs(forged), {d.party(p) for p in confirming})
        if confirming is not None
        else view_specs(forged),
    )
    return FullTransactionTree(tree)


def _declare(specs: list[ViewSpec], confirming: set[str]) -> list[ViewSpec]:
    """``specs`` with ``confirming`` (where informees) as the only confirming parties."""
    out = []
    for spec in specs:
        informees = tuple(
            Informee(i.party, 1 if i.party in confirming else 0) for i in spec.informees
        )
        out.append(
            dataclasses.replace(
                spec,
                informees=informees,
                threshold=sum(i.weight for i in informees),
                subviews=tuple(_declare(list(spec.subviews), confirming)),
            )
        )
    return out


def _envelopes(d: ProtocolDomain, tree: FullTransactionTree, signer: str = "p1") -> list[Envelope]:
    snapshot = d.topology.snapshot_at(d.ordering.now)
    built = build_confirmation_request(tree, snapshot, d.participants[signer].signing_key)
    return [Envelope.of(e.payload, e.recipients) for e in built]


def _responses(d: ProtocolDomain, sender: str) -> list[SignedConfirmationResponse]:
    out = []
    for event in d.ordering.delivered[d.mediator.member]:
        for env in getattr(event, "batch", None).envelopes if hasattr(event, "batch") else ():
            msg = decode_protocol_message(env.payload)
            if isinstance(msg, SignedConfirmationResponse) and msg.response.sender == d.member(
                sender
            ):
                out.append(msg)
    return out


def _verdicts(d: ProtocolDomain, participant: str) -> list[SignedConfirmationResult]:
    out = []
    for event in d.ordering.delivered[d.member(participant)]:
        for env in event.batch.envelopes if hasattr(event, "batch") else ():
            msg = decode_protocol_message(env.payload)
            if isinstance(msg, SignedConfirmationResult):
                out.append(msg)
    return out


async def test_forged_authorization_is_rejected_by_the_honest_confirmer(d: ProtocolDomain) -> None:
    # Alice claims an Iou issued by Carol: only Alice is act-as, Carol never authorized
    tree = await _forged_request(
        d,
        act_as=["alice"],
        interpret_as=["alice", "carol"],
        commands=[iou_create(d, "alice", "carol", [])],
    )
    await d.ordering.sender_for(d.member("p1"))(_envelopes(d, tree), message_id="evil-1")
    await d.ordering.flush()
    (response,) = _responses(d, "p3")
    assert isinstance(response.response.verdict, LocalReject)
    assert response.response.verdict.code is LocalRejectCode.AUTHORIZATION
    (verdict,) = _verdicts(d, "p3")
    assert isinstance(verdict.result.verdict, Reject)
    for name in ("p1", "p2", "p3"):
        assert await d.stores[name].ledger_end() == 0


async def test_an_owner_left_out_of_the_confirming_parties_vetoes_the_theft(
    d: ProtocolDomain,
) -> None:
    # Bob observes Alice's Iou. Bob's participant, malicious, transfers it to Bob
    # (interpreted as Alice, claiming Bob) and declares Bob the only confirming party of
    # every view: Alice is a mere informee, and Bob's participant approves for Bob.
    iou = await create_iou(d, observers=["bob"])
    tree = await _forged_request(
        d,
        act_as=["bob"],
        interpret_as=["alice"],
        commands=[transfer(d, iou)],
        submitter="p2",
        confirming=["bob"],
    )
    assert d.ordering.queue == []
    request_id = Timestamp(d.ordering.now + STEP)
    await d.ordering.sender_for(d.member("p2"))(_envelopes(d, tree, "p2"), message_id="evil-4")
    d.ordering.muted.add(d.member("p2"))  # its honest protocol code does not answer
    await d.ordering.flush()

    # Alice's participant hosts no confirming party, yet rejects: the policy is wrong
    responses = [r for r in _responses(d, "p1") if r.response.request_id == request_id]
    (response,) = (r.response for r in responses)  # one view: the proposal is in it
    assert response.view_position == (0,)
    assert response.confirming_parties == {d.party("alice")}
    assert isinstance(response.verdict, LocalReject)
    assert response.verdict.code is LocalRejectCode.MODEL_CONFORMANCE
    assert response.verdict.reason == public_reason(LocalRejectCode.MODEL_CONFORMANCE, (0,))
    veto = local_rejection(d, "p1", request_id, (0,))
    assert veto.code is LocalRejectCode.MODEL_CONFORMANCE
    assert "confirming parties differ" in veto.detail

    # the malicious participant's approval for Bob comes too late: the view is rejected
    d.ordering.muted.clear()
    send = d.ordering.sender_for(d.member("p2"))
    for position, _view in tree.views():
        approve = ConfirmationResponse(
            d.domain,
            RequestId(request_id),
            d.member("p2"),
            position,
            tree.view_tree(position).view_hash,
            LocalApprove(),
            frozenset({PartyId(d.party("bob"))}),
            tree.root_hash(),
        )
        signed = SignedConfirmationResponse.sign(approve, d.participants["p2"].signing_key)
        await send([Envelope.of(signed.to_bytes(), {d.mediator.member})])
    await d.ordering.flush()
    (verdict,) = (v for v in _verdicts(d, "p1") if v.result.request_id == request_id)
    assert isinstance(verdict.result.verdict, Reject)
    assert {r.participant for r in verdict.result.verdict.reasons} == {d.member("p1")}
    for name in ("p1", "p2"):
        assert await d.stores[name].ledger_end() == 1  # only the Iou's creation
        assert d.processors[name].pending == {}
        assert d.processors[name].acs.locks == {}
    assert await active_templates(d, "p1") == ["Iou"]
    assert await active_templates(d, "p2") == ["Iou"]


async def test_a_view_not_of_the_root_hash_is_rejected(d: ProtocolDomain) -> None:
    tree = await _forged_request(
        d,
        act_as=["alice"],
        interpret_as=["alice"],
        commands=[iou_create(d, "alice", "alice", ["carol"])],
    )
    other = await _forged_request(
        d,
        act_as=["alice"],
        interpret_as=["alice"],
        commands=[iou_create(d, "alice", "alice", ["carol"])],
    )
    envelopes = _envelopes(d, tree)
    swapped = _envelopes(d, other)[0]  # the other tree's (only) view
    assert isinstance(decode_protocol_message(envelopes[0].payload), EncryptedViewMessage)
    envelopes[0] = swapped
    await d.ordering.sender_for(d.member("p1"))(envelopes, message_id="evil-2")
    await d.ordering.flush()
    (response,) = _responses(d, "p3")
    assert isinstance(response.response.verdict, LocalReject)
    assert response.response.verdict.code is LocalRejectCode.ROOT_HASH_MISMATCH
    assert response.response.view_position is None
    assert await d.stores["p3"].ledger_end() == 0


async def test_contents_other_than_the_mediator_saw_are_rejected(d: ProtocolDomain) -> None:
    shown = await _forged_request(
        d,
        act_as=["alice"],
        interpret_as=["alice"],
        commands=[iou_create(d, "alice", "alice", ["carol"])],
    )
    hidden = await _forged_request(
        d,
        act_as=["alice"],
        interpret_as=["alice"],
        commands=[iou_create(d, "alice", "alice", ["carol"])],
    )
    a, b = _envelopes(d, shown), _envelopes(d, hidden)
    mediator = d.mediator.member
    # participants get tree A with a root hash message not addressed to the mediator;
    # the mediator gets tree B's informee message and root hash message
    rhm_a = a[-1]
    assert isinstance(decode_protocol_message(rhm_a.payload), RootHashMessage)
    to_participants = Envelope.of(rhm_a.payload, set(rhm_a.recipients) - {mediator})
    envelopes = [*a[:-2], to_participants, b[-2], Envelope.of(b[-1].payload, {mediator})]
    await d.ordering.sender_for(d.member("p1"))(envelopes, message_id="evil-3")
    await d.ordering.flush()
    (response,) = _responses(d, "p3")
    assert isinstance(response.response.verdict, LocalReject)
    assert response.response.verdict.code is LocalRejectCode.ROOT_HASH_MISMATCH
    await d.ordering.tick(61 * SECOND, d.member("p1"), d.member("p3"))
    for name in ("p1", "p3"):
        assert await d.stores[name].ledger_end() == 0
        assert d.processors[name].pending == {}


# -- timeouts -------------------------------------------------------------------------------


async def test_no_verdict_rolls_back_at_the_decision_deadline(d: ProtocolDomain) -> None:
    iou = await create_iou(d)
    d.ordering.muted.add(d.mediator.member)
    cmd = command(d, ["alice"], transfer(d, iou))
    await d.processors["p1"].submit(cmd)  # type: ignore[arg-type]
    await d.ordering.flush()
    assert d.processors["p1"].acs.locks  # the Iou is locked while pending
    await d.ordering.tick(59 * SECOND, d.member("p1"))  # before the deadline: still pending
    assert d.processors["p1"].pending
    await d.ordering.tick(2 * SECOND, d.member("p1"), d.member("p3"))
    done = await completion(d, "p1", cmd.command_id)  # type: ignore[attr-defined]
    assert done.status.code is CompletionCode.TIMED_OUT
    assert d.processors["p1"].acs.locks == {} and d.processors["p3"].pending == {}
    assert await active_templates(d, "p1") == ["Iou"]


async def test_a_confirmer_that_never_answers_gives_a_timeout(d: ProtocolDomain) -> None:
    iou = await create_iou(d, observers=[])
    account = CreateCommand(
        TemplateId(template(d, "iou", "Account")),
        {"bank": d.party("alice"), "owner": d.party("bob"), "currency": "EUR"},
    )
    assert (await run(d, "p2", command(d, ["bob"], account))).status.ok
    assert (await run(d, "p1", command(d, ["alice"], transfer(d, iou)))).status.ok
    proposal = await active_id(d, "p2", "IouTransferProposal")
    d.ordering.muted.add(d.member("p1"))  # Alice's participant must confirm, stays silent
    accept = ExerciseCommand(
        TemplateId(template(d, "iou", "IouTransferProposal")), proposal, "Accept", {}
    )
    cmd = command(d, ["bob"], accept)
    await d.processors["p2"].submit(cmd)  # type: ignore[arg-type]
    await d.ordering.flush()
    await d.ordering.tick(31 * SECOND, d.mediator.member)  # the mediator sees the time
    done = await completion(d, "p2", cmd.command_id)  # type: ignore[attr-defined]
    assert done.status.code is CompletionCode.TIMED_OUT
    assert "Timeout" in done.status.message
    assert await active_templates(d, "p2") == ["Account", "IouTransferProposal"]


# -- crash and redelivery -------------------------------------------------------------------


async def test_redelivered_events_are_never_applied_twice(d: ProtocolDomain) -> None:
    iou = await create_iou(d)
    assert (await run(d, "p1", command(d, ["alice"], transfer(d, iou)))).status.ok
    before = {n: await d.stores[n].counts() for n in ("p1", "p2", "p3")}
    for name in ("p1", "p2", "p3"):
        for event in list(d.ordering.delivered[d.member(name)]):
            await d.processors[name].handle(event)
    assert {n: await d.stores[n].counts() for n in ("p1", "p2", "p3")} == before


async def test_a_restarted_participant_catches_up_to_the_same_contracts(d: ProtocolDomain) -> None:
    iou = await create_iou(d)
    # P3 crashes: it misses the transfer while down
    await d.stop_participant("p3")
    d.ordering.offline.add(d.member("p3"))
    assert (await run(d, "p1", command(d, ["alice"], transfer(d, iou)))).status.ok
    # it restarts and the runtime redelivers from its persisted counter (at least once:
    # here from the very beginning)
    d.ordering.offline.discard(d.member("p3"))
    p3 = await d.start_participant("p3")
    for event in list(d.ordering.delivered[d.member("p3")]):
        await p3.handle(event)
    assert await active_templates(d, "p3") == []
    assert [u.update_id for u in await d.stores["p3"].updates(0)] == [
        u.update_id for u in await d.stores["p1"].updates(0)
    ]


async def test_a_submission_survives_a_crash_before_it_was_sequenced(d: ProtocolDomain) -> None:
    cmd = command(d, ["alice"], iou_create(d, "alice", "alice", ["carol"]))
    handle = await d.processors["p1"].submit(cmd)  # type: ignore[arg-type]
    d.ordering.queue.clear()  # the send was lost with the crash
    await d.stop_participant("p1")
    p1 = await d.start_participant("p1")  # recovery resends the stored request bytes
    assert p1.in_flight
    await d.ordering.flush()
    done = await completion(d, "p1", cmd.command_id)  # type: ignore[attr-defined]
    assert done.status.ok
    created = await active_id(d, "p1", "Iou")
    assert (created,) == handle.created_contracts  # same seeds: same contract id


# -- ACS commitments ------------------------------------------------------------------------


@pytest.fixture
async def short_periods(tmp_path: Path) -> AsyncIterator[ProtocolDomain]:
    domain = await make_test_domain(tmp_path, ProcessorConfig(commitment_period=5 * SECOND))
    yield domain
    await domain.close()


async def test_commitments_match_between_counter_participants(
    short_periods: ProtocolDomain,
) -> None:
    d = short_periods
    await create_iou(d)
    everyone = [d.member(n) for n in ("p1", "p2", "p3")]
    await d.ordering.tick(6 * SECOND, *everyone)  # closes the period: commitments go out
    await d.ordering.tick(1 * SECOND, *everyone)  # deliver the commitments sent
    for name in ("p1", "p3"):
        counts = await d.stores[name].commitment_counts()
        assert counts["matched"] >= 1 and counts["mismatched"] == 0, (name, counts)
        assert await d.processors[name].mismatches() == []


async def test_a_tampered_acs_raises_a_mismatch_with_the_contracts(
    short_periods: ProtocolDomain, caplog: pytest.LogCaptureFixture
) -> None:
    d = short_periods
    first = await create_iou(d)
    await run(d, "p1", command(d, ["alice"], iou_create(d, "alice", "alice", ["carol"])))
    # P3's copy of the first Iou disappears (tampering, or a bug)
    found = d.processors["p3"].acs.get(first)  # type: ignore[arg-type]
    assert found is not None
    d.processors["p3"].acs.archive(first)  # type: ignore[arg-type]
    d.processors["p3"].commitments.remove(*found)
    everyone = [d.member(n) for n in ("p1", "p2", "p3")]
    await d.ordering.tick(6 * SECOND, *everyone)  # closes the period: commitments go out
    await d.ordering.tick(1 * SECOND, *everyone)
    (mismatch,) = await d.processors["p1"].mismatches()
    assert mismatch.counterparty == d.member("p3")
    assert first in mismatch.contract_ids and len(mismatch.contract_ids) == 2
    assert len(await d.processors["p3"].mismatches()) == 1
    assert any("ACS COMMITMENT MISMATCH" in r.message for r in caplog.records)
