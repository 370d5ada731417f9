"""The one writer of ``participant.sqlite``: an event's changes with the cursor in one
transaction (:meth:`EventWrites.apply`), and the two submission steps outside any event
(:meth:`EventWrites.add_submission`, :meth:`EventWrites.complete_unsequenced`). Offsets are
assigned here, under the lock, so they are dense and increasing across all three.
"""

from __future__ import annotations

import json

import aiosqlite

from participant.store.changes import CompletionDraft, EventChanges, NewCommit
from participant.store.part import StorePart, status_row
from participant.store.types import (
    InFlightSubmission,
    Offset,
    OutboxEntry,
    RequestState,
    SubmissionState,
    UpdateId,
)


class EventWrites(StorePart):
    """Every write of the store (module docstring)."""

    async def apply(self, changes: EventChanges) -> list[Offset]:
        """Commit one event's changes with the cursor; returns the offsets given to
        ``changes.published``, in order."""
        async with self._lock:
            db = self._db
            end = self._ledger_end
            offsets: list[Offset] = []
            try:
                await db.execute("BEGIN IMMEDIATE")
                for row in changes.new_requests:
                    await db.execute(
                        "INSERT INTO requests (request_id, root_hash, submitter, state, deadline,"
                        " record) VALUES (?, ?, ?, ?, ?, ?)",
                        (row.request_id, row.root_hash, row.submitter,
                         RequestState.PENDING.value, row.deadline, row.record),
                    )  # fmt: skip
                    await db.executemany(
                        "INSERT INTO locks (contract_id, request_id) VALUES (?, ?)",
                        [(cid, row.request_id) for cid in row.locks],
                    )
                    await db.executemany(
                        "INSERT INTO key_locks (key_hash, request_id) VALUES (?, ?)",
                        [(key, row.request_id) for key in row.key_locks],
                    )
                for request_id, state in changes.finished_requests:
                    await db.execute(
                        "UPDATE requests SET state = ? WHERE request_id = ?",
                        (state.value, request_id),
                    )
                    await db.execute("DELETE FROM locks WHERE request_id = ?", (request_id,))
                    await db.execute("DELETE FROM key_locks WHERE request_id = ?", (request_id,))
                for message_id, request_id in changes.sequenced_submissions:
                    await db.execute(
                        "UPDATE submissions SET state = ?, request_id = ? WHERE message_id = ?",
                        (SubmissionState.SEQUENCED.value, request_id, message_id),
                    )
                for item in changes.published:
                    end = Offset(end + 1)
                    offsets.append(end)
                    if isinstance(item, NewCommit):
                        await self._write_commit(db, end, item)
                    else:
                        await self._write_completion(db, end, item, None)
                for entry in changes.outbox_add:
                    await db.execute(
                        "INSERT OR REPLACE INTO outbox (message_id, envelopes, max_sequencing_time)"
                        " VALUES (?, ?, ?)",
                        (entry.message_id, entry.envelopes, entry.max_sequencing_time),
                    )
                await db.executemany(
                    "DELETE FROM outbox WHERE message_id = ?",
                    [(m,) for m in changes.outbox_done],
                )
                for sent in changes.commitments_sent:
                    await db.execute(
                        "INSERT OR REPLACE INTO commitments_sent (counterparty, to_time, "
                        "from_time, commitment, contract_ids) VALUES (?, ?, ?, ?, ?)",
                        (sent.counterparty, sent.to_time, sent.from_time, sent.commitment,
                         json.dumps(list(sent.contract_ids))),
                    )  # fmt: skip
                for got in changes.commitments_received:
                    await db.execute(
                        "INSERT OR REPLACE INTO commitments_received (sender, to_time, from_time,"
                        " commitment, matched) VALUES (?, ?, ?, ?, ?)",
                        (got.sender, got.to_time, got.from_time, got.commitment,
                         None if got.matched is None else int(got.matched)),
                    )  # fmt: skip
                for mm in changes.mismatches:
                    await db.execute(
                        "INSERT INTO mismatches (counterparty, from_time, to_time, ours, theirs,"
                        " contract_ids, detected_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (mm.counterparty, mm.from_time, mm.to_time, mm.ours, mm.theirs,
                         json.dumps(list(mm.contract_ids)), mm.detected_at),
                    )  # fmt: skip
                if changes.commitment_counterparties is not None:
                    await db.execute("DELETE FROM commitment_counterparties")
                    await db.executemany(
                        "INSERT INTO commitment_counterparties (counterparty) VALUES (?)",
                        [(m,) for m in sorted(changes.commitment_counterparties)],
                    )
                period_end = changes.commitment_period_end or self._period_end
                await db.execute(
                    "UPDATE cursor SET last_event_at = ?, ledger_end = ?, "
                    "commitment_period_end = ? WHERE id = 1",
                    (changes.at, end, period_end),
                )
                await db.commit()
            except Exception:
                await db.rollback()
                raise
            self._last_event_at = changes.at
            self._period_end = period_end
            moved = end != self._ledger_end
            self._ledger_end = end
        if moved:
            await self._notify()
        return offsets

    async def _write_commit(self, db: aiosqlite.Connection, offset: Offset, c: NewCommit) -> None:
        await db.execute(
            "INSERT INTO updates (offset, update_id, request_id, record_time, ledger_time, "
            "command_id, workflow_id, act_as, tx) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (offset, c.update_id, c.request_id, c.record_time, c.ledger_time, c.command_id,
             c.workflow_id, json.dumps(sorted(c.act_as)), c.transaction),
        )  # fmt: skip
        await db.executemany(
            "INSERT INTO update_parties (offset, party) VALUES (?, ?)",
            [(offset, p) for p in sorted(c.witnesses)],
        )
        await db.executemany(
            "INSERT INTO update_templates (offset, template_id) VALUES (?, ?)",
            [(offset, t) for t in sorted(c.templates)],
        )
        for created in c.created:
            inst = created.instance
            await db.execute(
                "INSERT OR IGNORE INTO contracts (contract_id, template_id, instance, "
                "created_offset, created_update, created_node, ledger_time, archived_offset) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
                (inst.contract_id, inst.template_id, created.instance_bytes, offset,
                 c.update_id, created.node_id, c.ledger_time),
            )  # fmt: skip
            await db.executemany(
                "INSERT OR IGNORE INTO contract_parties (contract_id, party) VALUES (?, ?)",
                [(inst.contract_id, p) for p in sorted(inst.stakeholders)],
            )
        await db.executemany(
            "UPDATE contracts SET archived_offset = ? WHERE contract_id = ? "
            "AND archived_offset IS NULL",
            [(offset, cid) for cid in c.archived],
        )
        if c.completion is not None:
            await self._write_completion(db, offset, c.completion, c.update_id)

    async def _write_completion(
        self,
        db: aiosqlite.Connection,
        offset: Offset,
        d: CompletionDraft,
        update_id: UpdateId | None,
    ) -> None:
        code, message, context = status_row(d.status)
        await db.execute(
            "INSERT INTO completions (offset, application_id, command_id, submission_id, "
            "act_as, code, message, context, update_id, record_time) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (offset, d.application_id, d.command_id, d.submission_id,
             json.dumps(sorted(d.act_as)), code, message, context, update_id, d.record_time),
        )  # fmt: skip
        await db.execute("DELETE FROM submissions WHERE message_id = ?", (d.message_id,))
        if d.status.ok:
            await db.execute(
                "INSERT OR REPLACE INTO dedup (change_id, submission_id, offset, record_time) "
                "VALUES (?, ?, ?, ?)",
                (d.change_id, d.submission_id, offset, d.record_time),
            )

    async def add_submission(self, submission: InFlightSubmission, request: OutboxEntry) -> None:
        """Record a submission and its request's envelopes before they are sent (seeds
        included), so a restarted participant resends the very same bytes."""
        s = submission
        async with self._lock:
            try:
                await self._db.execute(
                    "INSERT INTO outbox (message_id, envelopes, max_sequencing_time) "
                    "VALUES (?, ?, ?)",
                    (request.message_id, request.envelopes, request.max_sequencing_time),
                )
                await self._db.execute(
                    "INSERT INTO submissions (message_id, change_id, submission_id, "
                    "application_id, command_id, act_as, root_hash, max_sequencing_time, "
                    "submission_seed, transaction_seed, state, request_id) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (s.message_id, s.change_id, s.submission_id, s.application_id,
                     s.command_id, json.dumps(list(s.act_as)), s.root_hash,
                     s.max_sequencing_time, s.submission_seed, s.transaction_seed,
                     s.state.value, s.request_id),
                )  # fmt: skip
                await self._db.commit()
            except Exception:
                await self._db.rollback()
                raise

    async def complete_unsequenced(self, draft: CompletionDraft) -> Offset | None:
        """Complete a submission that was never sequenced (a refused send) outside any
        event; returns its offset, or None if the submission was already completed."""
        async with self._lock:
            db = self._db
            async with db.execute(
                "SELECT 1 FROM submissions WHERE message_id = ?", (draft.message_id,)
            ) as cur:
                if await cur.fetchone() is None:
                    return None
            end = Offset(self._ledger_end + 1)
            try:
                await db.execute("BEGIN IMMEDIATE")
                await self._write_completion(db, end, draft, None)
                await db.execute("UPDATE cursor SET ledger_end = ? WHERE id = 1", (end,))
                await db.commit()
            except Exception:
                await db.rollback()
                raise
            self._ledger_end = end
        await self._notify()
        return end
