"""ACS commitments: the running LtHash16 of the contracts this participant shares with
each counter-participant, computed at the end of every commitment period and compared
with what the counter-participant sends.

**Running state.** Contracts are grouped by their stakeholder set; each group keeps a
running :class:`~protocol.transaction.AcsCommitmentBuilder` updated on every commit and
archive (Canton's per-stakeholder-group commitments). Hosting may change, so the mapping
from groups to counter-participants is made at the period end from the topology then:
the commitment for participant ``Q`` is the lane-wise sum of the states of every group
with a stakeholder hosted here and one hosted by ``Q`` (LtHash16 is additive, so this is
the LtHash of the union of those groups' contracts).

**Periods.** Periods end at multiples of ``period`` µs of sequencer time. The first event
with a timestamp after a period end closes it (before its own changes apply), so both
sides commit to the state at the same instant of the shared order. Commitments go to
counter-participants shared with now or at the previous period end (so a participant
that lost every shared contract is still told, and finds the mismatch).

**Restart.** The counter-participants shared with at a period end
(:attr:`CommitmentTracker.last_counterparties`) are persisted with the period close, in
the same sqlite transaction (``ParticipantStore.commitment_counterparties``), and
restored on recovery; otherwise a participant restarted after losing every contract
shared with ``Q`` would send ``Q`` nothing at the next period end, and the mismatch would
go unnoticed.

**Comparison.** A received commitment for period end ``E`` is compared with the one
computed here for the period of ours that contains ``E`` (``from < E <= to``; an empty
set's when nothing was shared with the sender then). That is ours for ``E`` itself when
this participant closed ``E``; when it did not, it had no event between ``E`` and the end
it closed next (an event there would have closed ``E``), so its ACS at ``E`` was the one
it committed to at that end. Two participants close different ends whenever one has an
event just after ``E`` and the other does not (each closes on its own events): a
commitment for ``E`` sequenced after the next period end (a slow sequencer, or a restarted
participant catching up on the events it missed) reaches a participant that skips ``E``.
Hosting is taken at the end of our period, not at ``E``. A difference is a
:class:`~participant.store.CommitmentMismatch` with the ids of the contracts held here as
shared: logged at ERROR, stored, counted.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable

from participant.engine import ContractId, PartyId
from participant.engine.transaction import ContractInstance
from protocol.canonical import encode
from protocol.crypto.hashing import Hash, HashPurpose, hash_bytes
from protocol.identifiers import MemberId
from protocol.timestamp import Timestamp
from protocol.topology import TopologySnapshot
from protocol.transaction import AcsCommitmentBuilder
from protocol.transaction.commitments import LTHASH_STATE_SIZE


def commitment_of_state(state: bytes) -> Hash:
    """The commitment hash of an LtHash16 state (``docs/transaction-protocol.md`` §8)."""
    content = encode(lambda w: w.tag("AcsCommitmentState", 1).fixed(state, LTHASH_STATE_SIZE))
    return hash_bytes(HashPurpose.ACS_COMMITMENT, content)


def _sum_states(states: Iterable[bytes]) -> bytes:
    total = array("H", bytes(LTHASH_STATE_SIZE))
    for state in states:
        lanes = array("H", state)
        for i, v in enumerate(lanes):
            total[i] = (total[i] + v) & 0xFFFF
    return total.tobytes()


EMPTY_COMMITMENT = commitment_of_state(bytes(LTHASH_STATE_SIZE))


def period_end_before(t: Timestamp, period: int) -> Timestamp:
    """The latest period end strictly before ``t``."""
    return Timestamp(((t - 1) // period) * period)


class CommitmentTracker:
    """Running commitments per stakeholder group (module docstring)."""

    def __init__(self, participant: MemberId) -> None:
        self.participant = participant
        self._groups: dict[frozenset[PartyId], AcsCommitmentBuilder] = {}
        self._members: dict[frozenset[PartyId], set[ContractId]] = {}
        self.last_counterparties: frozenset[MemberId] = frozenset()
        """Shared with at the last period end (persisted; restored on recovery)."""

    def add(self, instance: ContractInstance, data: bytes) -> None:
        group = instance.stakeholders
        self._groups.setdefault(group, AcsCommitmentBuilder()).add(instance.contract_id, data)
        self._members.setdefault(group, set()).add(instance.contract_id)

    def remove(self, instance: ContractInstance, data: bytes) -> None:
        group = instance.stakeholders
        builder = self._groups.get(group)
        members = self._members.get(group)
        if builder is None or members is None or instance.contract_id not in members:
            return
        builder.remove(instance.contract_id, data)
        members.discard(instance.contract_id)
        if not members:
            del self._groups[group]
            del self._members[group]

    def compute(
        self, snapshot: TopologySnapshot
    ) -> dict[MemberId, tuple[Hash, tuple[ContractId, ...]]]:
        """Per counter-participant: the commitment and the shared contract ids, for the
        participants shared with now and those of the previous period."""
        hosts: dict[PartyId, frozenset[MemberId]] = {}

        def hosts_of(party: PartyId) -> frozenset[MemberId]:
            if party not in hosts:
                hosts[party] = frozenset(h.participant for h in snapshot.active_hosts(party))
            return hosts[party]

        shared: dict[MemberId, list[frozenset[PartyId]]] = {}
        for group in self._groups:
            holders = frozenset().union(*(hosts_of(p) for p in group))
            if self.participant not in holders:
                continue
            for other in holders - {self.participant}:
                shared.setdefault(other, []).append(group)
        out: dict[MemberId, tuple[Hash, tuple[ContractId, ...]]] = {}
        for other in sorted(set(shared) | self.last_counterparties):
            groups = shared.get(other, [])
            state = _sum_states(self._groups[g].state() for g in groups)
            ids = tuple(sorted(c for g in groups for c in self._members[g]))
            out[other] = (commitment_of_state(state), ids)
        self.last_counterparties = frozenset(shared)
        return out
