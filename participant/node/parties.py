"""Parties through topology: allocation and (multi-)hosting via the domain manager.

A party allocated here is ``hint::<participant namespace>``: the participant's namespace
key alone authorizes its ``PartyToParticipant`` (the party's namespace and the hosting
participant's are the same), so the request is complete and the domain manager makes it
EFFECTIVE at once. Hosting a party on several participants needs the signatures of the
party's namespace and of every hosting participant's namespace: each side sends the same
mapping as a *proposal* signed with its own namespace key; the topology merges the
signatures and the last one makes it effective (``docs/domain-manager.md`` §4).

A change returns only once this participant's own topology (the member runtime's store,
which the protocol reads) has reached the effective time: a party is usable for commands
the moment ``allocate`` returns.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from node_runtime.member.dm_client import (
    DomainManagerClientError,
    HostingOutcome,
    HostingState,
)
from participant.node.errors import TopologyRequestError
from participant.node.topology_changes import TopologyChanges
from protocol.identifiers import MemberId, Namespace, PartyId, make_party_id, member_namespace
from protocol.timestamp import Timestamp
from protocol.topology import HostingParticipant, ParticipantPermission, PartyToParticipant
from protocol.topology.transactions import (
    Operation,
    Serial,
    SignedTopologyTransaction,
    TopologyTransaction,
    sign_transaction,
)

log = logging.getLogger(__name__)


class PartyManager(TopologyChanges):
    """Allocates and hosts parties of one participant."""

    @property
    def namespace(self) -> Namespace:
        return member_namespace(self.participant)

    def party_for(self, hint: str) -> PartyId:
        """The id a party allocated here with ``hint`` gets (raises ``ProtocolError`` for
        a hint that is no valid identifier)."""
        return make_party_id(hint, self.namespace)

    def hosted(self) -> tuple[PartyId, ...]:
        """Parties this participant hosts now (any permission)."""
        return self.topology.latest_snapshot().parties_hosted_by(self.participant)

    def known(self, party: PartyId) -> bool:
        return self.topology.latest_snapshot().party_hosting(party) is not None

    def _next(self, mapping: PartyToParticipant) -> TopologyTransaction:
        """ADD at serial 1 for a new party, else REPLACE at the last accepted serial + 1."""
        key = mapping.unique_key()
        last = 0
        for stored in self.topology.history():
            if stored.unique_key == key:
                last = max(last, int(stored.signed.transaction.serial))
        active = self.topology.latest_snapshot().party_hosting(mapping.party) is not None
        operation = Operation.REPLACE if active else Operation.ADD
        return TopologyTransaction(operation, Serial(last + 1), mapping)

    async def allocate(self, hint: str) -> PartyId:
        """Host a new party ``hint::<namespace>`` here with submission permission; return
        once effective in this participant's topology. ``TopologyRequestError`` with code
        ``EXISTS`` when the party is known already."""
        party = self.party_for(hint)
        async with self._lock:
            if self.known(party):
                raise TopologyRequestError(party, "EXISTS", "the party is hosted already")
            mapping = PartyToParticipant(
                party,
                1,
                (HostingParticipant(self.participant, ParticipantPermission.SUBMISSION),),
            )
            outcome = await self._request(
                sign_transaction(self._next(mapping), [self.namespace_key], False)
            )
        if outcome.state is not HostingState.EFFECTIVE:
            raise TopologyRequestError(party, "PROPOSED", f"missing {outcome.missing}")
        await self.wait_effective(outcome)
        log.info("party %s allocated", party)
        return party

    async def propose_hosting(
        self,
        party: PartyId,
        hosts: Sequence[tuple[MemberId, ParticipantPermission]],
        *,
        threshold: int = 1,
    ) -> HostingOutcome:
        """Sign ``PartyToParticipant(party, threshold, hosts)`` with this participant's
        namespace key as a proposal and send it. EFFECTIVE (waited for) once every
        required namespace signed; PROPOSED with the namespaces still missing otherwise."""
        mapping = PartyToParticipant(
            party, threshold, tuple(HostingParticipant(p, perm) for p, perm in hosts)
        )
        async with self._lock:
            outcome = await self._request(
                sign_transaction(self._next(mapping), [self.namespace_key], True)
            )
        if outcome.state is HostingState.EFFECTIVE:
            await self.wait_effective(outcome)
        return outcome

    async def _request(self, signed: SignedTopologyTransaction) -> HostingOutcome:
        party = str(getattr(signed.transaction.mapping, "party", ""))
        if self.dm is None:
            raise TopologyRequestError(party, "NO_DOMAIN_MANAGER", "[domain_manager] not set")
        try:
            async with asyncio.timeout(self.timeout_s):
                (outcome,) = await self.dm.request_party_hosting([signed.encode()])
        except TimeoutError:
            raise TopologyRequestError(
                party, "TIMEOUT", f"no answer in {self.timeout_s}s"
            ) from None
        except DomainManagerClientError as exc:
            code = getattr(exc, "code", "UNAVAILABLE")
            raise TopologyRequestError(party, str(code), str(exc)) from exc
        return outcome

    async def wait_effective(self, outcome: HostingOutcome) -> None:
        """Until this participant's topology has handled an event at or after the change's
        effective time (time proofs move time past a topology change delay)."""
        sequenced, effective = Timestamp(outcome.sequenced_at), Timestamp(outcome.effective_at)
        try:
            await self._until_effective(sequenced, effective, outcome.party)
        except TimeoutError:
            raise TopologyRequestError(
                outcome.party, "TIMEOUT", f"not effective here within {self.timeout_s}s"
            ) from None
