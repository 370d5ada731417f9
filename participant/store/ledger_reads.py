"""What the Ledger API reads: committed updates, contracts active at an offset, and
command completions, each filtered by party and template; row counts for tests and
metrics.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from participant.engine import PartyId
from participant.engine.transaction import transaction_from_bytes
from participant.store.part import StorePart, instance_of_row, json_parties, status_of_row
from participant.store.types import Completion, Offset, StoredContract, StoredUpdate, UpdateId
from protocol.timestamp import Timestamp


class LedgerReads(StorePart):
    """The Ledger API's reads (module docstring)."""

    def _update(self, row: tuple[Any, ...], witnesses: Iterable[str]) -> StoredUpdate:
        offset, update_id, request_id, record_time, _lt, command_id, workflow_id, act_as, tx = row
        return StoredUpdate(
            Offset(offset),
            UpdateId(update_id),
            Timestamp(record_time),
            Timestamp(request_id),
            transaction_from_bytes(bytes(tx)),
            command_id,
            workflow_id,
            json_parties(act_as),
            frozenset(PartyId(p) for p in witnesses),
        )

    async def _witnesses(self, offset: int) -> list[str]:
        rows = await self._fetch("SELECT party FROM update_parties WHERE offset = ?", (offset,))
        return [r[0] for r in rows]

    _UPDATE_COLUMNS = (
        "u.offset, u.update_id, u.request_id, u.record_time, u.ledger_time, u.command_id, "
        "u.workflow_id, u.act_as, u.tx"
    )

    async def updates(
        self,
        begin_exclusive: Offset,
        end_inclusive: Offset | None = None,
        *,
        parties: frozenset[str] | None = None,
        template_ids: frozenset[str] | None = None,
        limit: int = 1_000,
    ) -> list[StoredUpdate]:
        """Committed transactions in ``(begin_exclusive, end_inclusive]`` in offset order,
        witnessed by one of ``parties`` (None: any) and touching one of ``template_ids``
        (None or empty: any), at most ``limit``. Projection per party is the caller's."""
        end = self._ledger_end if end_inclusive is None else end_inclusive
        sql = f"SELECT DISTINCT {self._UPDATE_COLUMNS} FROM updates u"
        args: list[object] = []
        where = ["u.offset > ?", "u.offset <= ?"]
        args += [begin_exclusive, end]
        if parties is not None:
            sql += " JOIN update_parties p ON p.offset = u.offset"
            where.append(f"p.party IN ({','.join('?' * len(parties))})")
            args += sorted(parties)
        if template_ids:
            sql += " JOIN update_templates t ON t.offset = u.offset"
            where.append(f"t.template_id IN ({','.join('?' * len(template_ids))})")
            args += sorted(template_ids)
        sql += " WHERE " + " AND ".join(where) + " ORDER BY u.offset LIMIT ?"
        args.append(limit)
        rows = await self._fetch(sql, args)
        return [self._update(r, await self._witnesses(r[0])) for r in rows]

    async def update_by_id(self, update_id: str) -> StoredUpdate | None:
        rows = await self._fetch(
            f"SELECT {self._UPDATE_COLUMNS} FROM updates u WHERE u.update_id = ?", (update_id,)
        )
        return self._update(rows[0], await self._witnesses(rows[0][0])) if rows else None

    async def update_at(self, offset: Offset) -> StoredUpdate | None:
        rows = await self._fetch(
            f"SELECT {self._UPDATE_COLUMNS} FROM updates u WHERE u.offset = ?", (offset,)
        )
        return self._update(rows[0], await self._witnesses(rows[0][0])) if rows else None

    async def active_contracts(
        self,
        *,
        parties: frozenset[str] | None = None,
        template_ids: frozenset[str] | None = None,
        at: Offset | None = None,
    ) -> list[StoredContract]:
        """Contracts active at offset ``at`` (None: the ledger end) with a stakeholder in
        ``parties`` (None: any) and a template in ``template_ids`` (None/empty: any), in
        creation order."""
        at_offset = self._ledger_end if at is None else at
        sql = (
            "SELECT DISTINCT c.instance, c.created_offset, c.created_update, c.created_node, "
            "c.ledger_time, c.archived_offset FROM contracts c"
        )
        where = ["c.created_offset <= ?", "(c.archived_offset IS NULL OR c.archived_offset > ?)"]
        args: list[object] = [at_offset, at_offset]
        if parties is not None:
            sql += " JOIN contract_parties p ON p.contract_id = c.contract_id"
            where.append(f"p.party IN ({','.join('?' * len(parties))})")
            args += sorted(parties)
        if template_ids:
            where.append(f"c.template_id IN ({','.join('?' * len(template_ids))})")
            args += sorted(template_ids)
        sql += " WHERE " + " AND ".join(where) + " ORDER BY c.created_offset, c.created_node"
        rows = await self._fetch(sql, args)
        return [
            StoredContract(
                instance_of_row(bytes(r[0])),
                bytes(r[0]),
                Offset(r[1]),
                UpdateId(r[2]),
                str(r[3]),
                int(r[4]),
                None if r[5] is None else Offset(r[5]),
            )
            for r in rows
        ]

    async def contract(self, contract_id: str) -> StoredContract | None:
        rows = await self._fetch(
            "SELECT instance, created_offset, created_update, created_node, ledger_time, "
            "archived_offset FROM contracts WHERE contract_id = ?",
            (contract_id,),
        )
        if not rows:
            return None
        r = rows[0]
        return StoredContract(
            instance_of_row(bytes(r[0])), bytes(r[0]), Offset(r[1]), UpdateId(r[2]), str(r[3]),
            int(r[4]), None if r[5] is None else Offset(r[5]),
        )  # fmt: skip

    async def completions(
        self,
        begin_exclusive: Offset,
        application_id: str | None = None,
        parties: frozenset[str] | None = None,
        *,
        limit: int = 1_000,
    ) -> list[Completion]:
        """Completions after ``begin_exclusive`` (of ``application_id`` and with an act-as
        party in ``parties``, when given), in offset order, at most ``limit``."""
        sql = (
            "SELECT offset, application_id, command_id, submission_id, act_as, code, message,"
            " context, update_id, record_time FROM completions WHERE offset > ?"
        )
        args: list[object] = [begin_exclusive]
        if application_id is not None:
            sql += " AND application_id = ?"
            args.append(application_id)
        sql += " ORDER BY offset"
        out: list[Completion] = []
        for r in await self._fetch(sql, args):
            act_as = json_parties(r[4])
            if parties is not None and not set(act_as) & parties:
                continue
            out.append(
                Completion(
                    Offset(r[0]),
                    r[1],
                    r[2],
                    r[3],
                    act_as,
                    status_of_row(r[5], r[6], r[7]),
                    None if r[8] is None else UpdateId(r[8]),
                    Timestamp(r[9]),
                )
            )
            if len(out) >= limit:
                break
        return out

    async def counts(self) -> dict[str, int]:
        """Row counts (tests and metrics)."""
        out = {}
        for table in ("contracts", "requests", "locks", "key_locks", "updates", "completions",
                      "submissions", "outbox", "mismatches"):  # fmt: skip
            rows = await self._fetch(f"SELECT COUNT(*) FROM {table}")
            out[table] = int(rows[0][0])
        rows = await self._fetch("SELECT COUNT(*) FROM contracts WHERE archived_offset IS NULL")
        out["active_contracts"] = int(rows[0][0])
        return out
