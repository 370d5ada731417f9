"""The protocol state the participant reloads at start and checks at submission: active
contract instances, pending requests with their locks, submissions in flight, the
deduplication entries and the outbox.
"""

from __future__ import annotations

from participant.engine import ContractId
from participant.store.part import StorePart, json_parties
from participant.store.types import (
    ChangeId,
    DedupEntry,
    InFlightSubmission,
    KeyHash,
    Offset,
    OutboxEntry,
    PendingRequestRow,
    RequestState,
    SubmissionState,
)
from protocol.identifiers import MemberId
from protocol.timestamp import Timestamp


class ProtocolStateReads(StorePart):
    """Reads of the protocol state (module docstring)."""

    async def active_instances(self) -> list[tuple[bytes, str]]:
        """``(instance bytes, creating node id)`` of every active contract (to load the
        processor's in-memory ACS)."""
        rows = await self._fetch(
            "SELECT instance, created_node FROM contracts WHERE archived_offset IS NULL "
            "ORDER BY contract_id"
        )
        return [(bytes(r[0]), str(r[1])) for r in rows]

    async def pending_requests(self) -> list[PendingRequestRow]:
        rows = await self._fetch(
            "SELECT request_id, root_hash, submitter, deadline, record FROM requests "
            "WHERE state = ? ORDER BY request_id",
            (RequestState.PENDING.value,),
        )
        out = []
        for request_id, root_hash, submitter, deadline, record in rows:
            locks = await self._fetch(
                "SELECT contract_id FROM locks WHERE request_id = ? ORDER BY contract_id",
                (request_id,),
            )
            keys = await self._fetch(
                "SELECT key_hash FROM key_locks WHERE request_id = ? ORDER BY key_hash",
                (request_id,),
            )
            out.append(
                PendingRequestRow(
                    Timestamp(request_id),
                    bytes(root_hash),
                    MemberId(submitter),
                    Timestamp(deadline),
                    bytes(record),
                    tuple(ContractId(r[0]) for r in locks),
                    tuple(KeyHash(r[0]) for r in keys),
                )
            )
        return out

    async def request_state(self, request_id: Timestamp) -> RequestState | None:
        rows = await self._fetch("SELECT state FROM requests WHERE request_id = ?", (request_id,))
        return RequestState(rows[0][0]) if rows else None

    async def locks(self) -> dict[ContractId, Timestamp]:
        rows = await self._fetch("SELECT contract_id, request_id FROM locks")
        return {ContractId(c): Timestamp(r) for c, r in rows}

    async def key_locks(self) -> dict[KeyHash, Timestamp]:
        """Key hash → the pending request holding its lock."""
        rows = await self._fetch("SELECT key_hash, request_id FROM key_locks")
        return {KeyHash(k): Timestamp(r) for k, r in rows}

    async def submissions(self) -> list[InFlightSubmission]:
        rows = await self._fetch(
            "SELECT message_id, change_id, submission_id, application_id, command_id, act_as,"
            " root_hash, max_sequencing_time, submission_seed, transaction_seed, state,"
            " request_id FROM submissions ORDER BY message_id"
        )
        return [
            InFlightSubmission(
                r[0],
                ChangeId(r[1]),
                r[2],
                r[3],
                r[4],
                json_parties(r[5]),
                bytes(r[6]),
                Timestamp(r[7]),
                bytes(r[8]),
                bytes(r[9]),
                SubmissionState(r[10]),
                None if r[11] is None else Timestamp(r[11]),
            )
            for r in rows
        ]

    async def dedup_entry(self, change: ChangeId) -> DedupEntry | None:
        rows = await self._fetch(
            "SELECT submission_id, offset, record_time FROM dedup WHERE change_id = ?", (change,)
        )
        if not rows:
            return None
        return DedupEntry(change, rows[0][0], Offset(rows[0][1]), Timestamp(rows[0][2]))

    async def outbox(self) -> list[OutboxEntry]:
        rows = await self._fetch(
            "SELECT message_id, envelopes, max_sequencing_time FROM outbox ORDER BY message_id"
        )
        return [OutboxEntry(r[0], bytes(r[1]), Timestamp(r[2])) for r in rows]
