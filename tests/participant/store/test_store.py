"""participant.sqlite: reopening, the Ledger API queries, completions and notification."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from participant.engine import CreateCommand, ExerciseCommand, TemplateId
from participant.errors import ParticipantStoreError
from participant.store import (
    ChangeId,
    CompletionCode,
    CompletionDraft,
    CompletionStatus,
    InFlightSubmission,
    Offset,
    OutboxEntry,
    ParticipantStore,
)
from protocol.identifiers import MemberId
from protocol.timestamp import Timestamp
from tests.participant.protocol.support import command, make_test_domain, template


async def test_a_store_refuses_another_participant(tmp_path: Path) -> None:
    store = await ParticipantStore.open(
        tmp_path / "p.sqlite", "d::1220" + "ab" * 32, MemberId("PAR::a::1220" + "cd" * 32)
    )
    await store.close()
    with pytest.raises(ParticipantStoreError, match="participant"):
        await ParticipantStore.open(
            tmp_path / "p.sqlite", "d::1220" + "ab" * 32, MemberId("PAR::b::1220" + "cd" * 32)
        )


async def test_queries_by_offset_party_and_template(tmp_path: Path) -> None:
    d = await make_test_domain(tmp_path)
    try:
        iou = TemplateId(template(d, "iou", "Iou"))
        fields = {"issuer": d.party("alice"), "owner": d.party("alice"), "amount": "7"}
        fields |= {"currency": "EUR", "observers": [d.party("carol")]}
        create = CreateCommand(iou, fields)
        h = await d.processors["p1"].submit(command(d, ["alice"], create))  # type: ignore[arg-type]
        await d.ordering.flush()
        move = ExerciseCommand(
            iou, h.created_contracts[0], "Transfer", {"new_owner": d.party("bob")}
        )
        await d.processors["p1"].submit(command(d, ["alice"], move))  # type: ignore[arg-type]
        await d.ordering.flush()
        store = d.stores["p1"]
        assert await store.ledger_end() == 2
        # the ACS at offset 1 still has the Iou; at the end only the proposal
        at1 = await store.active_contracts(at=Offset(1))
        assert [c.contract_id for c in at1] == list(h.created_contracts)
        now = await store.active_contracts(parties=frozenset({d.party("alice")}))
        assert [c.template_id.rsplit(":", 1)[1] for c in now] == ["IouTransferProposal"]
        assert await store.active_contracts(parties=frozenset({d.party("bob")})) != []
        assert await store.active_contracts(template_ids=frozenset({iou})) == []
        # updates filtered by witness and template
        assert [u.offset for u in await store.updates(Offset(0))] == [1, 2]
        assert [u.offset for u in await store.updates(Offset(1))] == [2]
        assert await store.updates(Offset(0), parties=frozenset({"nobody::1220"})) == []
        p3 = d.stores["p3"]
        assert [
            u.offset for u in await p3.updates(Offset(0), parties=frozenset({d.party("carol")}))
        ] == [1, 2]
        one = (await store.updates(Offset(0), Offset(1)))[0]
        assert (await store.update_by_id(one.update_id)) == one
        assert (await store.update_at(Offset(1))) == one
        assert await store.update_at(Offset(9)) is None
        # completions by application and party
        assert (
            len(await store.completions(Offset(0), "test-app", frozenset({d.party("alice")}))) == 2
        )
        assert await store.completions(Offset(0), "other-app") == []
        assert await store.completions(Offset(0), None, frozenset({d.party("bob")})) == []
    finally:
        await d.close()


async def test_a_refused_submission_completes_once_and_wakes_followers(tmp_path: Path) -> None:
    store = await ParticipantStore.open(
        tmp_path / "p.sqlite", "d::1220" + "ab" * 32, MemberId("PAR::a::1220" + "cd" * 32)
    )
    try:
        sub = InFlightSubmission("tx-1", ChangeId("a|app|c"), "s", "app", "c", (), b"r" * 32,
                                 Timestamp(10), b"s" * 32, b"t" * 32)  # fmt: skip
        await store.add_submission(sub, OutboxEntry("tx-1", b"", Timestamp(10)))
        waiter = asyncio.create_task(store.wait_for_ledger_end(Offset(0), timeout_s=5))
        await asyncio.sleep(0)
        status = CompletionStatus(CompletionCode.SEQUENCER_REFUSED, "refused")
        draft = CompletionDraft("app", "c", "s", (), status, Timestamp(5), sub.change_id, "tx-1")
        assert await store.complete_unsequenced(draft) == 1
        assert await waiter == 1
        assert await store.complete_unsequenced(draft) is None  # already completed
        (c,) = await store.completions(Offset(0))
        assert c.status.code is CompletionCode.SEQUENCER_REFUSED and c.update_id is None
        assert await store.submissions() == [] and len(await store.outbox()) == 1
        assert await store.dedup_entry(sub.change_id) is None  # rejections do not dedup
    finally:
        await store.close()
