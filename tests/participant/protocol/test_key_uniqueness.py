"""Contract key uniqueness through the real processors over the ordering fake: the key
maintainer's participant (Carol's P3 for Carol's Iou ``Account``; Alice, the bank, is an
observer on P1) rejects a create of an assigned key, locks keys while a request is
pending, and keeps both across a restart."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from participant.engine import CreateCommand, CreateNode, NodeId, TemplateId, Transaction
from participant.engine.transaction import GlobalKey
from participant.protocol import SubmissionCommand, view_specs
from participant.protocol.keys import key_hash
from participant.protocol.rejections import public_reason
from participant.store import Completion, CompletionCode, Offset
from protocol.identifiers import PartyId
from protocol.sequencer_messages import Envelope
from protocol.timestamp import Timestamp
from protocol.transaction import (
    FullTransactionTree,
    LocalApprove,
    LocalReject,
    LocalRejectCode,
    Reject,
    SignedConfirmationResponse,
    SignedConfirmationResult,
    build_confirmation_request,
    build_transaction_tree,
    decode_protocol_message,
)
from tests.participant.protocol.support import (
    SECOND,
    ProtocolDomain,
    command,
    local_rejection,
    make_test_domain,
)
from tests.participant.protocol.support import template as template_of

CURRENCY = "EUR"


@pytest.fixture
async def d(tmp_path: Path) -> AsyncIterator[ProtocolDomain]:
    domain = await make_test_domain(tmp_path)
    yield domain
    await domain.close()


def account(d: ProtocolDomain, owner: str = "carol", bank: str = "alice") -> CreateCommand:
    return CreateCommand(
        TemplateId(template_of(d, "iou", "Account")),
        {"bank": d.party(bank), "owner": d.party(owner), "currency": CURRENCY},
    )


def account_key(d: ProtocolDomain) -> str:
    """The hash of Carol's account key, as the engine computes the key."""
    (node,) = uninformed(d, account(d)).roots
    assert isinstance(node, CreateNode) and node.key is not None
    return key_hash(GlobalKey(node.template_id, node.key.key))


async def completion(d: ProtocolDomain, participant: str, command_id: str) -> Completion:
    stored = await d.stores[participant].completions(Offset(0))
    found = [c for c in stored if c.command_id == command_id]
    assert len(found) == 1, found
    return found[0]


async def accounts(d: ProtocolDomain, participant: str) -> list[str]:
    return [
        c.contract_id
        for c in await d.stores[participant].active_contracts()
        if c.template_id.endswith(":Account")
    ]


async def open_account(d: ProtocolDomain) -> str:
    cmd = command(d, ["carol"], account(d))
    assert isinstance(cmd, SubmissionCommand)
    await d.processors["p3"].submit(cmd)
    await d.ordering.flush()
    assert (await completion(d, "p3", cmd.command_id)).status.ok
    (held,) = await accounts(d, "p3")
    assert await accounts(d, "p1") == [held]  # the bank observes it
    return held


def uninformed(d: ProtocolDomain, *commands: object) -> Transaction:
    """Carol's commands interpreted by an engine that sees no contract (a submitter that
    does not know the key is taken, or pretends not to)."""
    p3 = d.processors["p3"]
    return p3.engine.submit(
        list(commands),  # type: ignore[arg-type]
        act_as=[d.party("carol")],
        lookup=p3.acs.lookup_for([]),
        vetted=p3._vetted(d.ordering.now),
        seed=secrets.token_bytes(32),
        ledger_time=d.ordering.now,
    )


async def send_as_p3(d: ProtocolDomain, tx: Transaction) -> FullTransactionTree:
    now = d.ordering.now
    tree = FullTransactionTree(
        build_transaction_tree(
            transaction_seed=secrets.token_bytes(32),
            domain=d.domain,
            mediator=d.mediator.member,
            submitting_participant=d.member("p3"),
            act_as=frozenset({PartyId(d.party("carol"))}),
            application_id="forged",
            command_id=f"forged-{secrets.token_hex(4)}",
            max_sequencing_time=Timestamp(now + 60 * SECOND),
            ledger_time=Timestamp(now),
            workflow_id=None,
            views=view_specs(tx),
        )
    )
    snapshot = d.topology.snapshot_at(now)
    built = build_confirmation_request(tree, snapshot, d.participants["p3"].signing_key)
    envelopes = [Envelope.of(e.payload, e.recipients) for e in built]
    await d.ordering.sender_for(d.member("p3"))(envelopes, message_id=f"forged-{now}")
    await d.ordering.flush()
    return tree


def responses(
    d: ProtocolDomain, sender: str, tree: FullTransactionTree | None = None
) -> list[SignedConfirmationResponse]:
    """``sender``'s responses the mediator received (to ``tree``'s request, if given)."""
    out = []
    for event in d.ordering.delivered[d.mediator.member]:
        for env in event.batch.envelopes if hasattr(event, "batch") else ():
            msg = decode_protocol_message(env.payload)
            if not isinstance(msg, SignedConfirmationResponse):
                continue
            if msg.response.sender != d.member(sender):
                continue
            if tree is None or msg.response.root_hash == tree.root_hash():
                out.append(msg)
    return out


def verdicts(d: ProtocolDomain, participant: str) -> list[SignedConfirmationResult]:
    out = []
    for event in d.ordering.delivered[d.member(participant)]:
        for env in event.batch.envelopes if hasattr(event, "batch") else ():
            msg = decode_protocol_message(env.payload)
            if isinstance(msg, SignedConfirmationResult):
                out.append(msg)
    return out


async def test_a_create_of_an_assigned_key_is_rejected_also_after_a_restart(
    d: ProtocolDomain,
) -> None:
    held = await open_account(d)
    # the key index is rebuilt from the stored contracts
    await d.stop_participant("p3")
    await d.start_participant("p3")
    ends = {n: await d.stores[n].ledger_end() for n in ("p1", "p3")}

    tree = await send_as_p3(d, uninformed(d, account(d)))

    (response,) = responses(d, "p3", tree)
    verdict = response.response.verdict
    assert isinstance(verdict, LocalReject) and verdict.code is LocalRejectCode.KEY_CONFLICT
    assert verdict.reason == public_reason(LocalRejectCode.KEY_CONFLICT, (0,))
    # the template, the key hash and the holder are named only here, never on the wire
    tid = template_of(d, "iou", "Account")
    detail = local_rejection(d, "p3", response.response.request_id, (0,)).detail
    assert tid in detail and account_key(d) in detail and held in detail
    for secret in (tid, account_key(d), held):
        assert secret not in verdict.reason
    (result,) = [v for v in verdicts(d, "p3") if v.result.root_hash == tree.root_hash()]
    assert isinstance(result.result.verdict, Reject)
    assert {n: await d.stores[n].ledger_end() for n in ("p1", "p3")} == ends
    assert await accounts(d, "p3") == [held] and await accounts(d, "p1") == [held]
    assert d.processors["p3"].acs.key_locks == {}


async def test_a_key_created_twice_in_one_transaction_is_rejected(d: ProtocolDomain) -> None:
    # two root creates of one key (each its own view): the engine would refuse this, so
    # the transaction is put together from two interpretations
    first, second = uninformed(d, account(d)), uninformed(d, account(d))
    (seed_first,), (seed_second,) = first.node_seeds, second.node_seeds
    other_root = dataclasses.replace(second.roots[0], node_id=NodeId("1"))
    tx = dataclasses.replace(
        first,
        roots=(first.roots[0], other_root),
        node_seeds=(seed_first, (NodeId("1"), seed_second[1])),
    )
    tree = await send_as_p3(d, tx)
    by_view = {r.response.view_position: r.response.verdict for r in responses(d, "p3", tree)}
    assert isinstance(by_view[(0,)], LocalApprove)
    rejected = by_view[(1,)]
    assert isinstance(rejected, LocalReject) and rejected.code is LocalRejectCode.KEY_CONFLICT
    request_id = responses(d, "p3", tree)[0].response.request_id
    assert "twice" in local_rejection(d, "p3", request_id, (1,)).detail
    assert rejected.reason == public_reason(LocalRejectCode.KEY_CONFLICT, (1,))
    assert await accounts(d, "p3") == []


async def test_of_two_concurrent_creates_of_a_key_the_later_is_rejected_as_locked(
    d: ProtocolDomain,
) -> None:
    first, second = command(d, ["carol"], account(d)), command(d, ["carol"], account(d))
    assert isinstance(first, SubmissionCommand) and isinstance(second, SubmissionCommand)
    await d.processors["p3"].submit(first)
    await d.processors["p3"].submit(second)  # its engine does not know the pending one
    await d.ordering.flush()
    a = await completion(d, "p3", first.command_id)
    b = await completion(d, "p3", second.command_id)
    assert a.status.ok, a.status
    assert b.status.code is CompletionCode.INCONSISTENT_CONTRACT_KEY, b.status
    assert b.status.message == "KEY_CONFLICT: " + public_reason(LocalRejectCode.KEY_CONFLICT, (0,))
    (rejection,) = d.processors["p3"].rejections
    assert rejection.code is LocalRejectCode.KEY_CONFLICT and rejection.position == (0,)
    assert "locked by the pending request" in rejection.detail
    assert account_key(d) in rejection.detail and account_key(d) not in b.status.message
    assert len(await accounts(d, "p3")) == 1 and len(await accounts(d, "p1")) == 1
    assert d.processors["p3"].acs.key_locks == {}
    assert await d.stores["p3"].key_locks() == {}


async def test_a_key_lock_survives_a_restart_and_ends_at_the_deadline(d: ProtocolDomain) -> None:
    d.ordering.muted.add(d.mediator.member)  # no verdicts: requests stay pending
    first = command(d, ["carol"], account(d))
    assert isinstance(first, SubmissionCommand)
    await d.processors["p3"].submit(first)
    await d.ordering.flush()
    (pending,) = d.processors["p3"].pending.values()
    key = account_key(d)
    assert pending.key_locks == (key,)
    assert await d.stores["p3"].key_locks() == {key: pending.request_id}
    assert d.processors["p1"].acs.key_locks == {}  # the bank maintains nothing

    await d.stop_participant("p3")  # a crash mid-request
    p3 = await d.start_participant("p3")
    assert p3.acs.key_locks == {key: pending.request_id}

    second = command(d, ["carol"], account(d))
    assert isinstance(second, SubmissionCommand)
    await p3.submit(second)
    await d.ordering.flush()
    last_response = responses(d, "p3")[-1].response
    last = last_response.verdict
    assert isinstance(last, LocalReject) and last.code is LocalRejectCode.KEY_CONFLICT
    assert last.reason == public_reason(LocalRejectCode.KEY_CONFLICT, (0,))
    detail = local_rejection(d, "p3", last_response.request_id, (0,)).detail
    assert "locked by the pending request" in detail and key in detail
    assert p3.acs.key_locks == {key: pending.request_id}  # the rejected one locks nothing

    # past the decision deadline both roll back and the key is free again
    d.ordering.muted.clear()
    await d.ordering.tick(120 * SECOND, d.member("p3"))
    assert p3.acs.key_locks == {} and await d.stores["p3"].key_locks() == {}
    assert (await completion(d, "p3", first.command_id)).status.code is CompletionCode.TIMED_OUT
    assert await accounts(d, "p3") == []
    third = command(d, ["carol"], account(d))
    assert isinstance(third, SubmissionCommand)
    await p3.submit(third)
    await d.ordering.flush()
    assert (await completion(d, "p3", third.command_id)).status.ok
    assert len(await accounts(d, "p3")) == 1
