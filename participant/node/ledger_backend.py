"""The Ledger API's backend on a real participant (``participant.ledger_api.backend``).

:class:`NodeLedgerBackend` answers every Ledger API call from the participant's own state:

==========================  ==============================================================
call                        from
==========================  ==============================================================
``submit``                  ``TransactionProcessor.submit`` (dedup, interpretation, send)
``completions``             ``participant.sqlite`` completions, then live (ledger end)
``updates``, by id/offset   the event log (the participant's projection of each commit),
                            cut per requesting party by ``ledger_api.projection``
``active_contracts``        the contracts table at an offset
``ledger_end``              the store's cursor
``connected_domains``       the member connection and the topology (permissions)
parties                     topology (``PartyToParticipant``) + ``node.sqlite`` names;
                            allocation through :class:`~participant.node.parties.PartyManager`
packages                    the engine's ``PackageStore`` (``packages.sqlite``)
==========================  ==============================================================

Offsets are the store's: dense, one per commit (with its completion) or rejection, so
a completion published after ``ledger_end()`` returned ``e`` has an offset above ``e``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import replace

from participant.engine import PackageError, PackageId, PackageStore, PartyId
from participant.ledger_api.backend import (
    ActiveContract,
    ActiveContractSet,
    ConnectedDomain,
    CreatedEvent,
    DomainPermission,
    PackageDetails,
    PackageSource,
    PackageStatus,
    PartyDetails,
    PartyFilter,
    SubmitRequest,
    Update,
    UpdateFilter,
    event_id,
)
from participant.ledger_api.errors import (
    BackendUnavailableError,
    ErrorCode,
    InvalidArgumentError,
    NotConnectedToDomainError,
    OffsetAfterLedgerEndError,
    PackageNotFoundError,
    PackageRejectedError,
    PartyAlreadyExistsError,
    UpdateNotFoundError,
)
from participant.ledger_api.projection import (
    flat_transaction,
    transaction_tree,
)
from participant.node.errors import TopologyRequestError, VettingError
from participant.node.node_store import NodeStore
from participant.node.parties import PartyManager
from participant.node.vetting import PackageVetter
from participant.protocol import (
    SubmissionCommand,
    TransactionProcessor,
)
from participant.store import (
    LEDGER_BEGIN,
    Completion,
    CompletionCode,
    CompletionStatus,
    Offset,
    ParticipantStore,
    StoredUpdate,
    UpdateId,
)
from protocol.errors import ProtocolError
from protocol.identifiers import DomainId, MemberId
from protocol.topology import ParticipantPermission, PartyToParticipant

log = logging.getLogger(__name__)

PAGE = 500
"""Rows read from the store per query of a stream."""

_FALLBACK_CODES: dict[str, ErrorCode] = {
    CompletionCode.LOCKED_CONTRACTS: ErrorCode.MEDIATOR_REJECTED,
    CompletionCode.REJECTED: ErrorCode.MEDIATOR_REJECTED,
    CompletionCode.MEDIATOR_REJECTED: ErrorCode.MEDIATOR_REJECTED,
    CompletionCode.TIMED_OUT: ErrorCode.REQUEST_TIMED_OUT,
    CompletionCode.NOT_SEQUENCED: ErrorCode.REQUEST_TIMED_OUT,
    CompletionCode.SEQUENCER_REFUSED: ErrorCode.SERVICE_NOT_RUNNING,
}


def completion_status(status: CompletionStatus) -> CompletionStatus:
    """The Ledger API status of a stored completion status. A participant code the Ledger
    API knows is passed as is; another is reported under the nearest Ledger API code with
    the participant's own code in the context (``participant_code``)."""
    if status.code is None or ErrorCode.by_id(status.code) is not None:
        return status
    fallback = _FALLBACK_CODES.get(status.code, ErrorCode.MEDIATOR_REJECTED)
    return CompletionStatus(
        fallback.code_id, status.message, (("participant_code", status.code), *status.context)
    )


def _permission(permission: ParticipantPermission | None) -> DomainPermission:
    if permission is ParticipantPermission.SUBMISSION:
        return DomainPermission.SUBMISSION
    if permission is ParticipantPermission.CONFIRMATION:
        return DomainPermission.CONFIRMATION
    return DomainPermission.OBSERVATION


class NodeLedgerBackend:
    """A :class:`participant.ledger_api.backend.LedgerBackend` over one participant node."""

    def __init__(
        self,
        *,
        participant: MemberId,
        domain: str,
        domain_alias: str,
        processor: TransactionProcessor,
        store: ParticipantStore,
        packages: PackageStore,
        parties: PartyManager,
        node_store: NodeStore,
        connected: Callable[[], bool],
        on_submitted: Callable[[SubmitRequest], None] | None = None,
        vetter: PackageVetter | None = None,
    ) -> None:
        self.participant = participant
        self.domain = DomainId(domain)
        self.domain_alias = domain_alias
        self.processor = processor
        self.store = store
        self.packages = packages
        self.parties = parties
        self.node_store = node_store
        self.connected = connected
        self.on_submitted = on_submitted
        self.vetter = vetter
        """Set with ``vetting = "topology"``: an upload vets the package through the
        domain manager and returns once it is effective here."""

    @property
    def participant_id(self) -> str:
        return self.participant

    # -- commands -------------------------------------------------------------------------

    async def submit(self, request: SubmitRequest) -> None:
        if not self.connected():
            raise NotConnectedToDomainError()
        command = SubmissionCommand(
            commands=request.commands,
            act_as=request.act_as,
            application_id=request.application_id,
            command_id=request.command_id,
            submission_id=request.submission_id,
            read_as=request.read_as,
            workflow_id=request.workflow_id or None,
            dedup=request.deduplication,
        )
        if self.on_submitted is not None:
            self.on_submitted(request)
        # the processor's refusals (SubmissionError, EngineError) escape as they are: the
        # Ledger API reports them (participant.ledger_api.status.error_for)
        await self.processor.submit(command)

    def _completion(self, stored: Completion) -> Completion:
        return replace(stored, status=completion_status(stored.status), domain_id=self.domain)

    async def _check_offset(self, offset: int) -> None:
        end = await self.store.ledger_end()
        if offset > end:
            raise OffsetAfterLedgerEndError(offset, end)

    async def completions(
        self, begin_exclusive: Offset, application_id: str, parties: frozenset[PartyId]
    ) -> AsyncIterator[Completion]:
        await self._check_offset(begin_exclusive)
        seen = int(begin_exclusive)
        while True:
            end = self.store.current_ledger_end
            if end > seen:
                page = await self.store.completions(
                    Offset(seen), application_id, frozenset(parties), limit=PAGE
                )
                page = [c for c in page if c.offset <= end]
                for record in page:
                    yield self._completion(record)
                seen = page[-1].offset if len(page) >= PAGE else end
                continue
            await self.store.wait_for_ledger_end(Offset(seen))

    # -- updates --------------------------------------------------------------------------

    def _project(
        self, stored: StoredUpdate, update_filter: UpdateFilter, tree: bool
    ) -> Update | None:
        if tree:
            return transaction_tree(stored, self.domain, update_filter.party_ids)
        return flat_transaction(stored, self.domain, update_filter)

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
        parties = frozenset(str(p) for p in update_filter.party_ids)
        templates: frozenset[str] | None = None
        if not tree and all(f.template_ids for f in update_filter.parties):
            templates = frozenset(t for f in update_filter.parties for t in f.template_ids)
        seen = int(begin_exclusive)
        while end_inclusive is None or seen < end_inclusive:
            end = self.store.current_ledger_end
            target = end if end_inclusive is None else min(end, int(end_inclusive))
            if target > seen:
                page = await self.store.updates(
                    Offset(seen), Offset(target), parties=parties, template_ids=templates,
                    limit=PAGE,
                )  # fmt: skip
                for stored in page:
                    projected = self._project(stored, update_filter, tree)
                    if projected is not None:
                        yield projected
                seen = page[-1].offset if len(page) >= PAGE else target
                continue
            await self.store.wait_for_ledger_end(Offset(seen))

    @staticmethod
    def _filter_of(parties: frozenset[PartyId]) -> UpdateFilter:
        return UpdateFilter(tuple(PartyFilter(p) for p in sorted(parties)))

    async def transaction_by_id(
        self, update_id: UpdateId, requesting_parties: frozenset[PartyId], *, tree: bool
    ) -> Update:
        stored = await self.store.update_by_id(update_id)
        projected = (
            None
            if stored is None
            else self._project(stored, self._filter_of(requesting_parties), tree)
        )
        if projected is None:
            raise UpdateNotFoundError(update_id)
        return projected

    async def transaction_by_offset(
        self, offset: Offset, requesting_parties: frozenset[PartyId], *, tree: bool
    ) -> Update:
        stored = await self.store.update_at(offset)
        projected = (
            None
            if stored is None
            else self._project(stored, self._filter_of(requesting_parties), tree)
        )
        if projected is None:
            raise UpdateNotFoundError(f"at offset {offset}")
        return projected

    # -- state ------------------------------------------------------------------------------

    async def active_contracts(
        self, update_filter: UpdateFilter, active_at: Offset | None
    ) -> ActiveContractSet:
        end = await self.store.ledger_end() if active_at is None else active_at
        await self._check_offset(end)
        parties = frozenset(str(p) for p in update_filter.party_ids)
        contracts = []
        for stored in await self.store.active_contracts(parties=parties, at=end):
            instance = stored.instance
            witnesses = sorted(
                f.party
                for f in update_filter.parties
                if f.party in instance.stakeholders and f.admits(instance.template_id)
            )
            if not witnesses:
                continue
            event = CreatedEvent(
                event_id=event_id(stored.created_update, stored.created_node),
                offset=stored.created_offset,
                node_id=stored.created_node,
                contract_id=instance.contract_id,
                template_id=instance.template_id,
                create_arguments=instance.argument,
                signatories=tuple(sorted(instance.signatories)),
                observers=tuple(sorted(instance.observers)),
                witness_parties=tuple(PartyId(w) for w in witnesses),
                contract_key=None if instance.key is None else instance.key.key,
                created_at_micros=stored.ledger_time,
            )
            contracts.append(ActiveContract(event, self.domain))
        return ActiveContractSet(end, tuple(contracts))

    async def ledger_end(self) -> Offset:
        return await self.store.ledger_end()

    async def connected_domains(self, party: PartyId | None) -> tuple[ConnectedDomain, ...]:
        if not self.connected():
            return ()
        snapshot = self.parties.topology.latest_snapshot()
        if party is None:
            permission = snapshot.participant_permission(self.participant)
        else:
            hosts = [h for h in snapshot.active_hosts(party) if h.participant == self.participant]
            if not hosts:
                return ()
            permission = hosts[0].permission
        return (ConnectedDomain(self.domain_alias, self.domain, _permission(permission)),)

    # -- parties ------------------------------------------------------------------------------

    async def allocate_party(self, party_id_hint: str | None, display_name: str) -> PartyDetails:
        hint = party_id_hint or f"party-{int(time.time() * 1_000_000):x}"
        try:
            party = self.parties.party_for(hint)
        except ProtocolError as exc:
            raise InvalidArgumentError("party_id_hint", str(exc)) from None
        try:
            await self.parties.allocate(hint)
        except TopologyRequestError as exc:
            if exc.code in {"EXISTS", "MAPPING_EXISTS", "DUPLICATE"}:
                raise PartyAlreadyExistsError(party) from None
            raise BackendUnavailableError(str(exc)) from None
        if display_name:
            await self.node_store.set_party_name(party, display_name)
        return PartyDetails(PartyId(party), display_name, True)

    async def _all_parties(self) -> dict[PartyId, PartyDetails]:
        snapshot = self.parties.topology.latest_snapshot()
        names = await self.node_store.party_names()
        out: dict[PartyId, PartyDetails] = {}
        for record in snapshot.records:
            mapping = record.mapping
            if isinstance(mapping, PartyToParticipant):
                local = any(h.participant == self.participant for h in mapping.participants)
                party = PartyId(mapping.party)
                out[party] = PartyDetails(party, names.get(party, ""), local)
        return out

    async def list_parties(self) -> tuple[PartyDetails, ...]:
        return tuple(sorted((await self._all_parties()).values(), key=lambda d: d.party))

    async def get_parties(self, parties: Sequence[PartyId]) -> tuple[PartyDetails, ...]:
        known = await self._all_parties()
        return tuple(known[p] for p in parties if p in known)

    # -- packages -------------------------------------------------------------------------------

    async def _details(self, package_id: PackageId) -> PackageDetails:
        package = self.packages.get(package_id)
        known = await self.node_store.package_known(package_id, int(time.time() * 1_000_000))
        return PackageDetails(
            package.package_id, package.name, package.version, package.module,
            tuple(package.template_ids()), len(package.source.encode()), known,
        )  # fmt: skip

    async def upload_package(self, source: bytes) -> PackageDetails:
        try:
            package = self.packages.upload(source)
        except PackageError as exc:
            reason = getattr(exc, "reason", None) or str(exc)
            raise PackageRejectedError(
                reason, line=getattr(exc, "line", None), rule=getattr(exc, "rule", None)
            ) from None
        log.info("package %s %s stored", package.name, package.package_id)
        if self.vetter is not None:
            try:
                await self.vetter.vet([package.package_id])
            except VettingError as exc:
                raise BackendUnavailableError(
                    f"package {package.package_id} stored but not vetted: {exc}"
                ) from None
        return await self._details(package.package_id)

    async def list_packages(self) -> tuple[PackageDetails, ...]:
        return tuple([await self._details(p.package_id) for p in self.packages.list()])

    async def get_package(self, package_id: PackageId) -> PackageSource:
        if package_id not in self.packages:
            raise PackageNotFoundError(package_id)
        details = await self._details(package_id)
        return PackageSource(details, self.packages.get(package_id).source.encode())

    async def package_status(self, package_id: PackageId) -> PackageStatus:
        if package_id not in self.packages:
            return PackageStatus.UNKNOWN
        if self.vetter is not None and str(package_id) in self.vetter.vetted():
            return PackageStatus.VETTED
        return PackageStatus.REGISTERED


__all__ = ["LEDGER_BEGIN", "NodeLedgerBackend", "completion_status"]
