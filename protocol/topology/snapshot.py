"""``TopologySnapshot``: the topology of a domain as it is in force at one timestamp.

A snapshot at ``t`` holds every accepted transaction with ``effective_at <= t`` folded by
unique key (the last ADD/REPLACE of a key, unless a REMOVE followed it). It is immutable,
and it is a function of the accepted history alone: two members that processed the same
sequence hold equal snapshots at equal timestamps, byte for byte (:meth:`digest`).

The questions a sequencer, mediator or participant asks:

========================================  ====================================================
question                                  method
========================================  ====================================================
is the member known / active              :meth:`is_known`, :meth:`is_active`
its signing / encryption key              :meth:`signing_key`, :meth:`encryption_key`
a participant's permission, admission     :meth:`participant_permission`,
                                          :meth:`participant_state`, :meth:`revoked_participants`
who hosts a party, threshold              :meth:`party_hosting`, :meth:`active_hosts`
the mediators / sequencers, writers       :meth:`mediator_state`, :meth:`sequencer_state`,
                                          :meth:`sequencer_writer`
vetted packages                           :meth:`vetted_packages`
domain parameters                         :meth:`domain_parameters`
========================================  ====================================================

Membership rules: a member is *known* when it has an active OwnerToKeyMapping. It is
*active* when it is known and, by kind: a participant is ADMITTED by a
ParticipantDomainPermission; a mediator is in the MediatorDomainState; a sequencer is in the
SequencerDomainState; a domain manager's namespace is the domain's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from protocol.canonical import Writer, encode
from protocol.crypto.encryption import EncryptionPublicKey
from protocol.crypto.hashing import Hash, HashPurpose, hash_bytes
from protocol.crypto.signing import SigningPublicKey
from protocol.identifiers import (
    DomainId,
    MemberId,
    MemberKind,
    PartyId,
    split_member_id,
    split_unique_id,
    write_domain_id,
)
from protocol.timestamp import Timestamp, write_timestamp
from protocol.topology.mappings import (
    Admission,
    ChainAddress,
    DomainParameters,
    HostingParticipant,
    MediatorDomainState,
    OwnerToKeyMapping,
    PackageId,
    ParticipantDomainPermission,
    ParticipantPermission,
    PartyToParticipant,
    SequencerDomainState,
    UniqueKey,
    VettedPackages,
)
from protocol.topology.state import StoredTransaction
from protocol.topology.transactions import Operation

SNAPSHOT_TAG = "TopologySnapshot"


@dataclass(frozen=True, slots=True)
class TopologySnapshot:
    """The topology in force at ``timestamp`` (see the module docstring)."""

    domain: DomainId
    timestamp: Timestamp
    records: tuple[StoredTransaction, ...]
    """The active transactions, sorted by unique key."""

    _keys: dict[MemberId, OwnerToKeyMapping] = field(init=False, repr=False, compare=False)
    _permissions: dict[MemberId, ParticipantDomainPermission] = field(
        init=False, repr=False, compare=False
    )
    _parties: dict[PartyId, PartyToParticipant] = field(init=False, repr=False, compare=False)
    _vetted: dict[MemberId, VettedPackages] = field(init=False, repr=False, compare=False)
    _mediators: MediatorDomainState | None = field(init=False, repr=False, compare=False)
    _sequencers: SequencerDomainState | None = field(init=False, repr=False, compare=False)
    _parameters: DomainParameters | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        keys: dict[MemberId, OwnerToKeyMapping] = {}
        permissions: dict[MemberId, ParticipantDomainPermission] = {}
        parties: dict[PartyId, PartyToParticipant] = {}
        vetted: dict[MemberId, VettedPackages] = {}
        mediators = sequencers = parameters = None
        for record in self.records:
            m = record.mapping
            if isinstance(m, OwnerToKeyMapping):
                keys[m.member] = m
            elif isinstance(m, ParticipantDomainPermission):
                permissions[m.participant] = m
            elif isinstance(m, PartyToParticipant):
                parties[m.party] = m
            elif isinstance(m, VettedPackages):
                vetted[m.participant] = m
            elif isinstance(m, MediatorDomainState):
                mediators = m
            elif isinstance(m, SequencerDomainState):
                sequencers = m
            elif isinstance(m, DomainParameters):
                parameters = m
        object.__setattr__(self, "_keys", keys)
        object.__setattr__(self, "_permissions", permissions)
        object.__setattr__(self, "_parties", parties)
        object.__setattr__(self, "_vetted", vetted)
        object.__setattr__(self, "_mediators", mediators)
        object.__setattr__(self, "_sequencers", sequencers)
        object.__setattr__(self, "_parameters", parameters)

    @classmethod
    def build(
        cls, domain: DomainId, timestamp: Timestamp, history: Iterable[StoredTransaction]
    ) -> TopologySnapshot:
        """Fold ``history`` (acceptance order) up to ``timestamp`` into a snapshot."""
        active: dict[UniqueKey, StoredTransaction] = {}
        for record in history:
            if record.effective_at > timestamp:
                break  # effective times never decrease along the history
            if record.operation is Operation.REMOVE:
                active.pop(record.unique_key, None)
            else:
                active[record.unique_key] = record
        return cls(domain, timestamp, tuple(active[k] for k in sorted(active)))

    def at(self, timestamp: Timestamp) -> TopologySnapshot:
        """The same active transactions, in force at another ``timestamp``.

        For a caller that knows no transaction changes effect between the two times (the
        processor's per-prefix cache): the fold and the lookup tables are shared, not
        rebuilt. The derived tables are never mutated after construction, so sharing them
        is safe."""
        if timestamp == self.timestamp:
            return self
        other = object.__new__(TopologySnapshot)
        for name in TopologySnapshot.__slots__:
            object.__setattr__(other, name, getattr(self, name))
        object.__setattr__(other, "timestamp", timestamp)
        return other

    # -- members ----------------------------------------------------------------------------

    def members(self) -> tuple[MemberId, ...]:
        """Every known member, sorted."""
        return tuple(sorted(self._keys))

    def is_known(self, member: MemberId) -> bool:
        return member in self._keys

    def is_active(self, member: MemberId) -> bool:
        if member not in self._keys:
            return False
        kind, _, namespace = split_member_id(member)
        if kind is MemberKind.PARTICIPANT:
            return self.participant_permission(member) is not None
        if kind is MemberKind.MEDIATOR:
            return self._mediators is not None and member in self._mediators.mediators
        if kind is MemberKind.SEQUENCER:
            return self.sequencer_writer(member) is not None
        return namespace == split_unique_id(self.domain)[1]

    def signing_key(self, member: MemberId) -> SigningPublicKey | None:
        otk = self._keys.get(member)
        return None if otk is None else otk.signing_key

    def encryption_key(self, member: MemberId) -> EncryptionPublicKey | None:
        otk = self._keys.get(member)
        return None if otk is None else otk.encryption_key

    # -- participants and parties -----------------------------------------------------------

    def participant_state(self, participant: MemberId) -> ParticipantDomainPermission | None:
        """The participant's admission record, admitted or revoked, if any."""
        return self._permissions.get(participant)

    def participant_permission(self, participant: MemberId) -> ParticipantPermission | None:
        """The permission of an admitted participant; None if not admitted or revoked."""
        state = self._permissions.get(participant)
        if state is None or state.admission is not Admission.ADMITTED:
            return None
        return state.permission

    def revoked_participants(self) -> tuple[MemberId, ...]:
        return tuple(
            sorted(p for p, s in self._permissions.items() if s.admission is Admission.REVOKED)
        )

    def party_hosting(self, party: PartyId) -> PartyToParticipant | None:
        """The party's hosting mapping as signed (participants, permissions, threshold)."""
        return self._parties.get(party)

    def active_hosts(self, party: PartyId) -> tuple[HostingParticipant, ...]:
        """The hosting participants that are active, each with the lower of its hosting
        permission and its domain permission (what it may actually do for the party)."""
        ptp = self._parties.get(party)
        if ptp is None:
            return ()
        hosts = []
        for host in ptp.participants:
            domain_permission = self.participant_permission(host.participant)
            if domain_permission is None or not self.is_known(host.participant):
                continue
            hosts.append(
                HostingParticipant(host.participant, min(host.permission, domain_permission))
            )
        return tuple(hosts)

    def parties_hosted_by(self, participant: MemberId) -> tuple[PartyId, ...]:
        return tuple(
            sorted(
                party
                for party, ptp in self._parties.items()
                if any(h.participant == participant for h in ptp.participants)
            )
        )

    def vetted_packages(self, participant: MemberId) -> frozenset[PackageId]:
        vetted = self._vetted.get(participant)
        return frozenset() if vetted is None else frozenset(vetted.packages)

    # -- domain nodes and parameters ----------------------------------------------------------

    def mediator_state(self) -> MediatorDomainState | None:
        return self._mediators

    def sequencer_state(self) -> SequencerDomainState | None:
        return self._sequencers

    def sequencer_writer(self, sequencer: MemberId) -> ChainAddress | None:
        if self._sequencers is None:
            return None
        for entry in self._sequencers.sequencers:
            if entry.sequencer == sequencer:
                return entry.writer
        return None

    def domain_parameters(self) -> DomainParameters | None:
        """None only before the genesis parameters are effective."""
        return self._parameters

    # -- comparison ----------------------------------------------------------------------------

    def digest(self) -> Hash:
        """A hash of the domain, the timestamp and the active transactions (with their
        signatures and times): equal on two members exactly when their snapshots are."""
        return hash_bytes(HashPurpose.TOPOLOGY_TRANSACTION, encode(self._write))

    def _write(self, w: Writer) -> None:
        w.tag(SNAPSHOT_TAG, 1)
        write_domain_id(w, self.domain)
        write_timestamp(w, self.timestamp)
        w.sequence(self.records, _write_record)


def _write_record(w: Writer, record: StoredTransaction) -> None:
    w.u64(record.position)
    write_timestamp(w, record.sequenced_at)
    write_timestamp(w, record.effective_at)
    record.signed.write(w)
