"""ACS commitments as stored: those sent per period end, those received with their
outcome, the counter-participants of the last period end, and the mismatches found.
"""

from __future__ import annotations

import json

from participant.engine import ContractId
from participant.store.part import StorePart
from participant.store.types import CommitmentMismatch
from protocol.identifiers import MemberId
from protocol.timestamp import Timestamp


class CommitmentReads(StorePart):
    """Reads of the ACS commitment tables (module docstring)."""

    async def commitment_sent(
        self, counterparty: MemberId, to_time: Timestamp
    ) -> tuple[Timestamp, bytes, tuple[ContractId, ...]] | None:
        rows = await self._fetch(
            "SELECT from_time, commitment, contract_ids FROM commitments_sent "
            "WHERE counterparty = ? AND to_time = ?",
            (counterparty, to_time),
        )
        if not rows:
            return None
        ids = tuple(ContractId(c) for c in json.loads(rows[0][2]))
        return Timestamp(rows[0][0]), bytes(rows[0][1]), ids

    async def commitment_covering(
        self, counterparty: MemberId, end: Timestamp
    ) -> tuple[Timestamp, Timestamp, bytes, tuple[ContractId, ...]] | None:
        """The commitment sent to ``counterparty`` for the period of ours that contains
        the period end ``end``: ``(from, to, commitment, contract ids)`` with
        ``from < end <= to`` (``to == end`` when this participant closed ``end`` itself)."""
        rows = await self._fetch(
            "SELECT from_time, to_time, commitment, contract_ids FROM commitments_sent "
            "WHERE counterparty = ? AND from_time < ? AND to_time >= ? "
            "ORDER BY to_time LIMIT 1",
            (counterparty, end, end),
        )
        if not rows:
            return None
        ids = tuple(ContractId(c) for c in json.loads(rows[0][3]))
        return Timestamp(rows[0][0]), Timestamp(rows[0][1]), bytes(rows[0][2]), ids

    async def commitments_unmatched(self) -> list[tuple[MemberId, Timestamp, Timestamp, bytes]]:
        """Received commitments not yet compared: ``(sender, from, to, commitment)``."""
        rows = await self._fetch(
            "SELECT sender, from_time, to_time, commitment FROM commitments_received "
            "WHERE matched IS NULL ORDER BY to_time, sender"
        )
        return [(MemberId(r[0]), Timestamp(r[1]), Timestamp(r[2]), bytes(r[3])) for r in rows]

    async def commitment_counterparties(self) -> frozenset[MemberId]:
        """The counter-participants shared with at :attr:`commitment_period_end` (empty
        before the first period end): the next period end sends a commitment to each of
        them even if nothing is shared any more."""
        async with self._db.execute("SELECT counterparty FROM commitment_counterparties") as cur:
            rows = await cur.fetchall()
        return frozenset(MemberId(r[0]) for r in rows)

    async def commitment_counts(self) -> dict[str, int]:
        """Received commitments by outcome: ``matched``, ``mismatched``, ``pending``."""
        rows = await self._fetch(
            "SELECT matched, COUNT(*) FROM commitments_received GROUP BY matched"
        )
        names = {None: "pending", 1: "matched", 0: "mismatched"}
        out = {"matched": 0, "mismatched": 0, "pending": 0}
        for matched, count in rows:
            out[names[matched]] = int(count)
        return out

    async def mismatches(self) -> list[CommitmentMismatch]:
        """Every ACS commitment mismatch found, oldest first."""
        rows = await self._fetch(
            "SELECT counterparty, from_time, to_time, ours, theirs, contract_ids, detected_at "
            "FROM mismatches ORDER BY id"
        )
        return [
            CommitmentMismatch(
                MemberId(r[0]),
                Timestamp(r[1]),
                Timestamp(r[2]),
                bytes(r[3]),
                bytes(r[4]),
                tuple(ContractId(c) for c in json.loads(r[5])),
                Timestamp(r[6]),
            )
            for r in rows
        ]
