"""An in-memory :class:`LedgerBackend` for unit tests of the Ledger API services.

It interprets commands with the real engine against an ``InMemoryLedger`` and commits
them at once (one offset per transaction or rejection), so the services can be tested
over a real gRPC server without a domain. Not a participant: no protocol, no privacy
between parties beyond the projections. ``reject_next`` makes the next submission
complete with a rejection instead of committing.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Sequence

from participant.engine import Engine, InMemoryLedger, PackageId, PackageStore, PartyId
from participant.engine import PackageValidationError as EnginePackageValidationError
from participant.engine.types import is_party
from participant.errors import DuplicateCommandError
from participant.ledger_api.backend import (
    ActiveContract,
    ActiveContractSet,
    ConnectedDomain,
    DomainPermission,
    PackageDetails,
    PackageSource,
    PackageStatus,
    PartyDetails,
    PartyFilter,
    SubmitRequest,
    Update,
    UpdateFilter,
)
from participant.ledger_api.errors import (
    OffsetAfterLedgerEndError,
    PackageNotFoundError,
    PackageRejectedError,
    PartyAlreadyExistsError,
    UpdateNotFoundError,
)
from participant.ledger_api.projection import (
    flat_transaction,
    transaction_tree,
    visible_creates,
)
from participant.store import (
    ChangeId,
    Completion,
    CompletionStatus,
    Offset,
    StoredUpdate,
    UpdateId,
    change_id,
)
from protocol.identifiers import DomainId
from protocol.timestamp import Timestamp

DOMAIN = DomainId("domain1::1220" + "d" * 64)
NAMESPACE = "1220" + "f" * 64


def _now_micros() -> Timestamp:
    return Timestamp(int(time.time() * 1_000_000))


class FakeLedgerBackend:
    """See the module docstring."""

    def __init__(self, participant_id: str = "participant1") -> None:
        self._participant_id = participant_id
        self.packages = PackageStore()
        self.engine = Engine(self.packages)
        self.ledger = InMemoryLedger()
        self.entries: list[StoredUpdate | Completion] = []
        self.transactions: dict[UpdateId, StoredUpdate] = {}
        self.completions_log: list[Completion] = []
        self.parties: dict[PartyId, PartyDetails] = {}
        self.change_ids: set[ChangeId] = set()
        self.reject_next: CompletionStatus | None = None
        self.submissions = 0
        self._completion_at: dict[Offset, Completion] = {}
        self._changed = asyncio.Condition()

    @property
    def participant_id(self) -> str:
        return self._participant_id

    def _offset(self) -> Offset:
        return Offset(len(self.entries) + 1)

    async def _publish(self, *items: StoredUpdate | Completion) -> None:
        async with self._changed:
            self.entries.extend(items)
            self._changed.notify_all()

    # --- commands ---------------------------------------------------------------------

    async def submit(self, request: SubmitRequest) -> None:
        change = change_id(request.act_as, request.application_id, request.command_id)
        if change in self.change_ids:
            raise DuplicateCommandError(
                change, request.command_id, existing_submission_id=None, completion_offset=None
            )
        tx = self.engine.submit(
            request.commands,
            act_as=request.act_as,
            read_as=request.read_as,
            lookup=self.ledger,
            vetted=[p.package_id for p in self.packages.list()],
            seed=os.urandom(32),
            ledger_time=_now_micros(),
        )
        self.submissions += 1
        self.change_ids.add(change)
        if self.reject_next is not None:
            status, self.reject_next = self.reject_next, None
            completion = Completion(
                self._offset(), request.application_id, request.command_id,
                request.submission_id, request.act_as, status, None, _now_micros(),
            )  # fmt: skip
            self.completions_log.append(completion)
            await self._publish(completion)
            return
        self.ledger.commit(tx)
        offset = self._offset()
        update_id = UpdateId(f"tx-{offset}")
        record_time = _now_micros()
        committed = StoredUpdate(
            offset, update_id, record_time, record_time, tx, request.command_id,
            request.workflow_id, request.act_as, tx.informees,
        )  # fmt: skip
        completion = Completion(
            offset, request.application_id, request.command_id, request.submission_id,
            request.act_as, CompletionStatus(), update_id, record_time, DOMAIN,
        )  # fmt: skip
        self.transactions[update_id] = committed
        self.completions_log.append(completion)
        # one offset for the transaction and its completion, as a participant does
        self._completion_at[offset] = completion
        await self._publish(committed)

    async def _entries_after(self, after: int) -> list[tuple[Offset, object]]:
        async with self._changed:
            await self._changed.wait_for(lambda: len(self.entries) > after)
            return [(Offset(i + 1), self.entries[i]) for i in range(after, len(self.entries))]

    async def completions(
        self, begin_exclusive: Offset, application_id: str, parties: frozenset[PartyId]
    ) -> AsyncIterator[Completion]:
        await self._check_offset(begin_exclusive)
        seen = begin_exclusive
        while True:
            for offset, entry in await self._entries_after(seen):
                seen = offset
                completion = (
                    self._completion_at.get(offset) if isinstance(entry, StoredUpdate) else entry
                )
                if (
                    isinstance(completion, Completion)
                    and completion.application_id == application_id
                    and parties & set(completion.act_as)
                ):
                    yield completion

    async def updates(
        self,
        begin_exclusive: Offset,
        end_inclusive: Offset | None,
        update_filter: UpdateFilter,
        *,
        tree: bool,
    ) -> AsyncIterator[Update]:
        await self._check_offset(begin_exclusive)
        if end_inclusive is not None:
            await self._check_offset(end_inclusive)
        seen = begin_exclusive
        while end_inclusive is None or seen < end_inclusive:
            for offset, entry in await self._entries_after(seen):
                if end_inclusive is not None and offset > end_inclusive:
                    return
                seen = offset
                if isinstance(entry, StoredUpdate):
                    projected = (
                        transaction_tree(entry, DOMAIN, update_filter.party_ids)
                        if tree
                        else flat_transaction(entry, DOMAIN, update_filter)
                    )
                    if projected is not None:
                        yield projected

    async def _check_offset(self, offset: Offset) -> None:
        end = await self.ledger_end()
        if offset > end:
            raise OffsetAfterLedgerEndError(offset, end)

    def _project(
        self,
        committed: StoredUpdate | None,
        parties: frozenset[PartyId],
        tree: bool,
        what: str,
    ) -> Update:
        if committed is not None:
            projected: Update | None = (
                transaction_tree(committed, DOMAIN, parties)
                if tree
                else flat_transaction(
                    committed,
                    DOMAIN,
                    UpdateFilter(tuple(PartyFilter(p) for p in sorted(parties))),
                )
            )
            if projected is not None:
                return projected
        raise UpdateNotFoundError(what)

    async def transaction_by_id(
        self, update_id: UpdateId, requesting_parties: frozenset[PartyId], *, tree: bool
    ) -> Update:
        return self._project(self.transactions.get(update_id), requesting_parties, tree, update_id)

    async def transaction_by_offset(
        self, offset: Offset, requesting_parties: frozenset[PartyId], *, tree: bool
    ) -> Update:
        entry = self.entries[offset - 1] if 0 < offset <= len(self.entries) else None
        committed = entry if isinstance(entry, StoredUpdate) else None
        return self._project(committed, requesting_parties, tree, f"at offset {offset}")

    async def active_contracts(
        self, update_filter: UpdateFilter, active_at: Offset | None
    ) -> ActiveContractSet:
        end = await self.ledger_end() if active_at is None else active_at
        await self._check_offset(end)
        created = {}
        for entry in self.entries[:end]:
            if isinstance(entry, StoredUpdate):
                for event in visible_creates(entry, update_filter):
                    created[event.contract_id] = event
                for cid in entry.transaction.archived_contracts:
                    created.pop(cid, None)
        return ActiveContractSet(
            Offset(end), tuple(ActiveContract(e, DOMAIN) for e in created.values())
        )

    async def ledger_end(self) -> Offset:
        return Offset(len(self.entries))

    async def connected_domains(self, party: PartyId | None) -> tuple[ConnectedDomain, ...]:
        return (ConnectedDomain("domain1", DOMAIN, DomainPermission.SUBMISSION),)

    # --- parties and packages ---------------------------------------------------------

    async def allocate_party(self, party_id_hint: str | None, display_name: str) -> PartyDetails:
        hint = party_id_hint or f"party-{len(self.parties) + 1}"
        party = PartyId(f"{hint}::{NAMESPACE}")
        if party in self.parties:
            raise PartyAlreadyExistsError(party)
        if not is_party(party):
            raise PartyAlreadyExistsError(party)
        details = PartyDetails(party, display_name, True)
        self.parties[party] = details
        return details

    async def list_parties(self) -> tuple[PartyDetails, ...]:
        return tuple(self.parties.values())

    async def get_parties(self, parties: Sequence[PartyId]) -> tuple[PartyDetails, ...]:
        return tuple(self.parties[p] for p in parties if p in self.parties)

    def _details(self, package_id: PackageId) -> PackageDetails:
        package = self.packages.get(package_id)
        return PackageDetails(
            package.package_id, package.name, package.version, package.module,
            tuple(package.template_ids()), len(package.source.encode()),
        )  # fmt: skip

    async def upload_package(self, source: bytes) -> PackageDetails:
        try:
            package = self.packages.upload(source)
        except EnginePackageValidationError as exc:
            raise PackageRejectedError(exc.reason, line=exc.line, rule=exc.rule) from None
        return self._details(package.package_id)

    async def list_packages(self) -> tuple[PackageDetails, ...]:
        return tuple(self._details(p.package_id) for p in self.packages.list())

    async def get_package(self, package_id: PackageId) -> PackageSource:
        if package_id not in self.packages:
            raise PackageNotFoundError(package_id)
        details = self._details(package_id)
        return PackageSource(details, self.packages.get(package_id).source.encode())

    async def package_status(self, package_id: PackageId) -> PackageStatus:
        return PackageStatus.REGISTERED if package_id in self.packages else PackageStatus.UNKNOWN
