"""The topology mappings: what a topology transaction says about the domain.

Each mapping type has

* a **code** (the ``u8`` written before its fields; append-only, never renumbered);
* a **unique key** (:meth:`unique_key`): the thing a serial is counted per. At most one
  mapping per unique key is active at any time; a REPLACE supersedes it;
* a **required authorization** (:meth:`required_authorization`): the namespaces whose
  keys must sign, and the keys that must prove possession by signing themselves.

==============================  ==============================  ==================================
mapping                         unique key                      must be signed by
==============================  ==============================  ==================================
NamespaceDelegation (root)      namespace, target key           the target key itself
NamespaceDelegation             namespace, target key           namespace (with delegation rights)
OwnerToKeyMapping               member                          member's namespace + the signing
                                                                key (proof of possession; not on
                                                                REMOVE)
ParticipantDomainPermission     domain, participant             domain's namespace
PartyToParticipant              party                           party's namespace + every hosting
                                                                participant's (only the party's on
                                                                REMOVE)
MediatorDomainState             domain                          domain's namespace
SequencerDomainState            domain                          domain's namespace
VettedPackages                  participant                     participant's namespace
DomainParameters                domain                          domain's namespace
==============================  ==============================  ==================================

A *root certificate* is the NamespaceDelegation of a namespace to its own root key
(``namespace == fingerprint(target_key)``): it is what makes a namespace known, and only the
root key can sign it. Every collection inside a mapping is kept sorted and free of
duplicates, and a decoder refuses any other order, so each mapping has one encoding.
"""

from __future__ import annotations

import enum
import itertools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import ClassVar, NewType, TypeVar

from protocol.canonical import MAX_U32, MAX_U64, Reader, Writer
from protocol.crypto.encryption import EncryptionPublicKey
from protocol.crypto.signing import SigningPublicKey
from protocol.errors import InvalidValueError, NonCanonicalError
from protocol.identifiers import (
    DomainId,
    Fingerprint,
    MemberId,
    MemberKind,
    Namespace,
    PartyId,
    parse_domain_id,
    parse_member_id,
    parse_namespace,
    parse_party_id,
    read_domain_id,
    read_member_id,
    read_party_id,
    split_member_id,
    split_unique_id,
    write_domain_id,
    write_member_id,
    write_party_id,
)
from protocol.timestamp import Micros

T = TypeVar("T")
K = TypeVar("K")

UniqueKey = NewType("UniqueKey", str)
"""``"<MappingName>/<key parts joined by '/'>"``: what serials are counted per."""

PackageId = NewType("PackageId", str)
"""A package's content hash: 64 lowercase hex digits (SHA-256 of its canonical form)."""

ChainAddress = NewType("ChainAddress", str)
"""An EVM account: ``"0x"`` then 40 lowercase hex digits (encoded as its 20 bytes)."""

MAX_HOSTING_PARTICIPANTS = 256
MAX_DOMAIN_NODES = 64
MAX_VETTED_PACKAGES = 1_000
MAX_CONFIRMATION_DEPTH = 10_000

_PACKAGE_ID_RE = re.compile(r"[0-9a-f]{64}")
_ADDRESS_RE = re.compile(r"0x[0-9a-f]{40}")


class MappingCode(enum.IntEnum):
    """The ``u8`` that identifies a mapping type on the wire. Append only."""

    NAMESPACE_DELEGATION = 1
    OWNER_TO_KEY_MAPPING = 2
    PARTICIPANT_DOMAIN_PERMISSION = 3
    PARTY_TO_PARTICIPANT = 4
    MEDIATOR_DOMAIN_STATE = 5
    SEQUENCER_DOMAIN_STATE = 6
    VETTED_PACKAGES = 7
    DOMAIN_PARAMETERS = 8


class ParticipantPermission(enum.IntEnum):
    """What a participant may do, ordered: each level includes those below it."""

    OBSERVATION = 1
    """Receives the views of parties it hosts; never confirms or submits."""
    CONFIRMATION = 2
    """Also confirms requests for the parties it hosts."""
    SUBMISSION = 3
    """Also submits commands for the parties it hosts."""


class Admission(enum.IntEnum):
    """Whether the domain lets a participant in."""

    ADMITTED = 1
    REVOKED = 2
    """Revoked by the domain: the participant's submissions are refused from the effective
    time of the revocation on; its keys stay known so its history remains verifiable."""


@dataclass(frozen=True, slots=True)
class RequiredAuthorization:
    """Who must sign a transaction before it takes effect."""

    namespaces: frozenset[Namespace]
    """Each needs a signature by a key authorized for it (root or delegated)."""

    keys: frozenset[Fingerprint] = frozenset()
    """Each needs a signature by exactly that key (proof of possession)."""

    delegation: bool = False
    """The namespace keys must hold delegation rights (root key or root delegation)."""


# -- small helpers --------------------------------------------------------------------------


def parse_package_id(text: str) -> PackageId:
    if not isinstance(text, str) or _PACKAGE_ID_RE.fullmatch(text) is None:
        raise InvalidValueError("package id", text, "must be 64 lowercase hex digits")
    return PackageId(text)


def parse_chain_address(text: str) -> ChainAddress:
    """Accepts any hex case; returns the lowercase form."""
    if not isinstance(text, str):
        raise InvalidValueError("chain address", text, "must be '0x' and 40 hex digits")
    lowered = text.lower()
    if _ADDRESS_RE.fullmatch(lowered) is None:
        raise InvalidValueError("chain address", text, "must be '0x' and 40 hex digits")
    return ChainAddress(lowered)


def _check_kind(member: MemberId, kind: MemberKind, what: str) -> MemberId:
    parsed = parse_member_id(member)
    if split_member_id(parsed)[0] is not kind:
        raise InvalidValueError(what, member, f"must be a {kind.name.lower()} ({kind.value}::…)")
    return parsed


def _sorted_unique(
    values: Iterable[T], key: Callable[[T], str], what: str, min_count: int, max_count: int
) -> tuple[T, ...]:
    items = sorted(values, key=key)
    keys = [key(v) for v in items]
    if len(set(keys)) != len(keys):
        raise InvalidValueError(what, keys, "must not contain duplicates")
    if not min_count <= len(items) <= max_count:
        raise InvalidValueError(what, len(items), f"must hold {min_count}..{max_count} entries")
    return tuple(items)


def _read_sorted(
    r: Reader, read: Callable[[Reader], T], key: Callable[[T], str], limit: int
) -> list[T]:
    start = r.offset
    items = r.sequence(read, max_count=limit)
    keys = [key(v) for v in items]
    if any(a >= b for a, b in itertools.pairwise(keys)):
        raise NonCanonicalError(r.what, "entries not strictly sorted", start)
    return items


def _micros(value: int, what: str, minimum: int) -> Micros:
    if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= MAX_U64:
        raise InvalidValueError(what, value, f"must be an integer of microseconds >= {minimum}")
    return Micros(value)


def _domain_namespace(domain: DomainId) -> Namespace:
    return split_unique_id(domain)[1]


def _member_namespace(member: MemberId) -> Namespace:
    return split_member_id(member)[2]


# -- the mappings ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NamespaceDelegation:
    """Authorizes ``target_key`` to sign topology transactions for ``namespace``."""

    code: ClassVar[MappingCode] = MappingCode.NAMESPACE_DELEGATION

    namespace: Namespace
    """The namespace delegated."""

    target_key: SigningPublicKey
    """The key receiving the authority."""

    is_root_delegation: bool
    """True: the key may also sign further NamespaceDelegations of this namespace. False:
    it may sign every other mapping of the namespace, but no delegation."""

    def __post_init__(self) -> None:
        parse_namespace(self.namespace)
        if not isinstance(self.target_key, SigningPublicKey):
            raise InvalidValueError("target key", self.target_key, "must be a SigningPublicKey")
        if self.is_root_certificate and not self.is_root_delegation:
            raise InvalidValueError(
                "namespace delegation",
                self.namespace,
                "a root certificate must be a root delegation",
            )

    @property
    def is_root_certificate(self) -> bool:
        """The self-delegation of a namespace to its own root key."""
        return str(self.target_key.fingerprint) == str(self.namespace)

    def unique_key(self) -> UniqueKey:
        return UniqueKey(f"NamespaceDelegation/{self.namespace}/{self.target_key.fingerprint}")

    def required_authorization(self, removal: bool) -> RequiredAuthorization:
        if self.is_root_certificate:
            return RequiredAuthorization(frozenset(), frozenset({self.target_key.fingerprint}))
        return RequiredAuthorization(frozenset({self.namespace}), delegation=True)

    def write(self, w: Writer) -> None:
        w.str(self.namespace)
        self.target_key.write(w)
        w.bool(self.is_root_delegation)

    @classmethod
    def read(cls, r: Reader) -> NamespaceDelegation:
        return cls(parse_namespace(r.str()), SigningPublicKey.read(r), r.bool())


@dataclass(frozen=True, slots=True)
class OwnerToKeyMapping:
    """A member's protocol keys: the one it signs with and the one views are encrypted to."""

    code: ClassVar[MappingCode] = MappingCode.OWNER_TO_KEY_MAPPING

    member: MemberId
    signing_key: SigningPublicKey
    encryption_key: EncryptionPublicKey

    def __post_init__(self) -> None:
        parse_member_id(self.member)
        if not isinstance(self.signing_key, SigningPublicKey):
            raise InvalidValueError("signing key", self.signing_key, "must be a SigningPublicKey")
        if not isinstance(self.encryption_key, EncryptionPublicKey):
            raise InvalidValueError(
                "encryption key", self.encryption_key, "must be an EncryptionPublicKey"
            )

    def unique_key(self) -> UniqueKey:
        return UniqueKey(f"OwnerToKeyMapping/{self.member}")

    def required_authorization(self, removal: bool) -> RequiredAuthorization:
        keys = frozenset() if removal else frozenset({self.signing_key.fingerprint})
        return RequiredAuthorization(frozenset({_member_namespace(self.member)}), keys)

    def write(self, w: Writer) -> None:
        write_member_id(w, self.member)
        self.signing_key.write(w)
        self.encryption_key.write(w)

    @classmethod
    def read(cls, r: Reader) -> OwnerToKeyMapping:
        return cls(read_member_id(r), SigningPublicKey.read(r), EncryptionPublicKey.read(r))


@dataclass(frozen=True, slots=True)
class ParticipantDomainPermission:
    """The domain's admission of a participant, and what it may do there."""

    code: ClassVar[MappingCode] = MappingCode.PARTICIPANT_DOMAIN_PERMISSION

    domain: DomainId
    participant: MemberId
    permission: ParticipantPermission
    admission: Admission = Admission.ADMITTED

    def __post_init__(self) -> None:
        parse_domain_id(self.domain)
        _check_kind(self.participant, MemberKind.PARTICIPANT, "participant")
        if not isinstance(self.permission, ParticipantPermission):
            raise InvalidValueError("permission", self.permission, "a ParticipantPermission")
        if not isinstance(self.admission, Admission):
            raise InvalidValueError("admission", self.admission, "an Admission")

    def unique_key(self) -> UniqueKey:
        return UniqueKey(f"ParticipantDomainPermission/{self.domain}/{self.participant}")

    def required_authorization(self, removal: bool) -> RequiredAuthorization:
        return RequiredAuthorization(frozenset({_domain_namespace(self.domain)}))

    def write(self, w: Writer) -> None:
        write_domain_id(w, self.domain)
        write_member_id(w, self.participant)
        w.u8(self.permission)
        w.u8(self.admission)

    @classmethod
    def read(cls, r: Reader) -> ParticipantDomainPermission:
        domain, participant = read_domain_id(r), read_member_id(r)
        permission = _read_enum(r, ParticipantPermission, "permission")
        return cls(domain, participant, permission, _read_enum(r, Admission, "admission"))


E = TypeVar("E", bound=enum.IntEnum)


def _read_enum(r: Reader, kind: type[E], what: str) -> E:
    start = r.offset
    value = r.u8()
    try:
        return kind(value)
    except ValueError:
        raise NonCanonicalError(r.what, f"unknown {what} {value}", start) from None


@dataclass(frozen=True, slots=True)
class HostingParticipant:
    """One participant hosting a party, with the permission it hosts it with."""

    participant: MemberId
    permission: ParticipantPermission

    def __post_init__(self) -> None:
        _check_kind(self.participant, MemberKind.PARTICIPANT, "hosting participant")
        if not isinstance(self.permission, ParticipantPermission):
            raise InvalidValueError("permission", self.permission, "a ParticipantPermission")

    def write(self, w: Writer) -> None:
        write_member_id(w, self.participant)
        w.u8(self.permission)

    @classmethod
    def read(cls, r: Reader) -> HostingParticipant:
        return cls(read_member_id(r), _read_enum(r, ParticipantPermission, "permission"))


@dataclass(frozen=True, slots=True)
class PartyToParticipant:
    """Which participants host ``party``, and how many must confirm for it.

    ``threshold`` counts confirming participants (CONFIRMATION or SUBMISSION): a request
    needs that many of them to approve on the party's behalf, so it must lie in
    ``1..number of confirming participants``.
    """

    code: ClassVar[MappingCode] = MappingCode.PARTY_TO_PARTICIPANT

    party: PartyId
    threshold: int
    participants: tuple[HostingParticipant, ...] = field()
    """Sorted by participant id, distinct (the constructor sorts)."""

    def __post_init__(self) -> None:
        parse_party_id(self.party)
        hosts = _sorted_unique(
            self.participants, lambda h: h.participant, "hosting participants", 1,
            MAX_HOSTING_PARTICIPANTS,
        )  # fmt: skip
        object.__setattr__(self, "participants", hosts)
        confirming = sum(h.permission >= ParticipantPermission.CONFIRMATION for h in hosts)
        ok = isinstance(self.threshold, int) and not isinstance(self.threshold, bool)
        if not ok or not 1 <= self.threshold <= confirming:
            raise InvalidValueError(
                "confirmation threshold", self.threshold,
                f"must be in 1..{confirming} (the number of confirming participants)",
            )  # fmt: skip

    def unique_key(self) -> UniqueKey:
        return UniqueKey(f"PartyToParticipant/{self.party}")

    def required_authorization(self, removal: bool) -> RequiredAuthorization:
        namespaces = {split_unique_id(self.party)[1]}
        if not removal:
            namespaces.update(_member_namespace(h.participant) for h in self.participants)
        return RequiredAuthorization(frozenset(namespaces))

    def write(self, w: Writer) -> None:
        write_party_id(w, self.party)
        w.u32(self.threshold)
        w.sequence(self.participants, lambda w_, h: h.write(w_))

    @classmethod
    def read(cls, r: Reader) -> PartyToParticipant:
        party, threshold = read_party_id(r), r.u32()
        hosts = _read_sorted(
            r, HostingParticipant.read, lambda h: h.participant, MAX_HOSTING_PARTICIPANTS
        )
        return cls(party, threshold, tuple(hosts))


@dataclass(frozen=True, slots=True)
class MediatorDomainState:
    """The domain's mediators; ``threshold`` of them must agree on a verdict."""

    code: ClassVar[MappingCode] = MappingCode.MEDIATOR_DOMAIN_STATE

    domain: DomainId
    threshold: int
    mediators: tuple[MemberId, ...]
    """Sorted, distinct mediator ids (the constructor sorts)."""

    def __post_init__(self) -> None:
        parse_domain_id(self.domain)
        for m in self.mediators:
            _check_kind(m, MemberKind.MEDIATOR, "mediator")
        meds = _sorted_unique(self.mediators, str, "mediators", 1, MAX_DOMAIN_NODES)
        object.__setattr__(self, "mediators", meds)
        ok = isinstance(self.threshold, int) and not isinstance(self.threshold, bool)
        if not ok or not 1 <= self.threshold <= len(meds):
            raise InvalidValueError(
                "mediator threshold", self.threshold, f"must be in 1..{len(meds)}"
            )

    def unique_key(self) -> UniqueKey:
        return UniqueKey(f"MediatorDomainState/{self.domain}")

    def required_authorization(self, removal: bool) -> RequiredAuthorization:
        return RequiredAuthorization(frozenset({_domain_namespace(self.domain)}))

    def write(self, w: Writer) -> None:
        write_domain_id(w, self.domain)
        w.u32(self.threshold)
        w.sequence(self.mediators, write_member_id)

    @classmethod
    def read(cls, r: Reader) -> MediatorDomainState:
        domain, threshold = read_domain_id(r), r.u32()
        return cls(domain, threshold, tuple(_read_sorted(r, read_member_id, str, MAX_DOMAIN_NODES)))


@dataclass(frozen=True, slots=True)
class SequencerWriter:
    """A sequencer and the chain account it writes batches to the ordering contract with."""

    sequencer: MemberId
    writer: ChainAddress

    def __post_init__(self) -> None:
        _check_kind(self.sequencer, MemberKind.SEQUENCER, "sequencer")
        object.__setattr__(self, "writer", parse_chain_address(self.writer))

    def write(self, w: Writer) -> None:
        write_member_id(w, self.sequencer)
        w.fixed(bytes.fromhex(self.writer[2:]), 20)

    @classmethod
    def read(cls, r: Reader) -> SequencerWriter:
        sequencer = read_member_id(r)
        return cls(sequencer, ChainAddress("0x" + r.fixed(20).hex()))


@dataclass(frozen=True, slots=True)
class SequencerDomainState:
    """The domain's sequencers, each with its (distinct) chain writer account."""

    code: ClassVar[MappingCode] = MappingCode.SEQUENCER_DOMAIN_STATE

    domain: DomainId
    sequencers: tuple[SequencerWriter, ...]
    """Sorted by sequencer id, distinct sequencers and writer accounts."""

    def __post_init__(self) -> None:
        parse_domain_id(self.domain)
        seqs = _sorted_unique(
            self.sequencers, lambda s: s.sequencer, "sequencers", 1, MAX_DOMAIN_NODES
        )
        writers = [s.writer for s in seqs]
        if len(set(writers)) != len(writers):
            raise InvalidValueError("sequencer writers", writers, "must be distinct accounts")
        object.__setattr__(self, "sequencers", seqs)

    def unique_key(self) -> UniqueKey:
        return UniqueKey(f"SequencerDomainState/{self.domain}")

    def required_authorization(self, removal: bool) -> RequiredAuthorization:
        return RequiredAuthorization(frozenset({_domain_namespace(self.domain)}))

    def write(self, w: Writer) -> None:
        write_domain_id(w, self.domain)
        w.sequence(self.sequencers, lambda w_, s: s.write(w_))

    @classmethod
    def read(cls, r: Reader) -> SequencerDomainState:
        domain = read_domain_id(r)
        seqs = _read_sorted(r, SequencerWriter.read, lambda s: s.sequencer, MAX_DOMAIN_NODES)
        return cls(domain, tuple(seqs))


@dataclass(frozen=True, slots=True)
class VettedPackages:
    """The packages a participant accepts to interpret (may be empty)."""

    code: ClassVar[MappingCode] = MappingCode.VETTED_PACKAGES

    participant: MemberId
    packages: tuple[PackageId, ...]
    """Sorted, distinct package ids (the constructor sorts)."""

    def __post_init__(self) -> None:
        _check_kind(self.participant, MemberKind.PARTICIPANT, "participant")
        for p in self.packages:
            parse_package_id(p)
        pkgs = _sorted_unique(self.packages, str, "vetted packages", 0, MAX_VETTED_PACKAGES)
        object.__setattr__(self, "packages", pkgs)

    def unique_key(self) -> UniqueKey:
        return UniqueKey(f"VettedPackages/{self.participant}")

    def required_authorization(self, removal: bool) -> RequiredAuthorization:
        return RequiredAuthorization(frozenset({_member_namespace(self.participant)}))

    def write(self, w: Writer) -> None:
        write_member_id(w, self.participant)
        w.sequence(self.packages, lambda w_, p: w_.str(p))

    @classmethod
    def read(cls, r: Reader) -> VettedPackages:
        participant = read_member_id(r)
        pkgs = _read_sorted(r, lambda r_: parse_package_id(r_.str()), str, MAX_VETTED_PACKAGES)
        return cls(participant, tuple(pkgs))


@dataclass(frozen=True, slots=True)
class DomainParameters:
    """The domain's dynamic parameters. Durations are microseconds.

    ``topology_change_delay`` is the subtle one: a topology transaction sequenced at ``t``
    takes effect at ``t + delay``, where ``delay`` is the value in force (effective) at
    ``t`` — so a change of the delay itself takes effect after the old delay.
    """

    code: ClassVar[MappingCode] = MappingCode.DOMAIN_PARAMETERS

    domain: DomainId
    participant_response_timeout: Micros
    """How long the mediator waits for confirmation responses after a request."""
    mediator_reaction_timeout: Micros
    """How long after the response timeout the mediator may still send its verdict."""
    ledger_time_record_time_tolerance: Micros
    """Largest accepted distance between a request's ledger time and its sequencing time."""
    topology_change_delay: Micros
    """Delay between the sequencing and the effective time of a topology transaction."""
    max_request_size: int
    """Largest signed submission request a sequencer accepts, in bytes."""
    confirmation_depth: int
    """Blocks a sequencer waits below the chain head before it reads a batch."""

    def __post_init__(self) -> None:
        parse_domain_id(self.domain)
        _micros(self.participant_response_timeout, "participant response timeout", 1)
        _micros(self.mediator_reaction_timeout, "mediator reaction timeout", 1)
        _micros(self.ledger_time_record_time_tolerance, "ledger time record time tolerance", 0)
        _micros(self.topology_change_delay, "topology change delay", 0)
        size = self.max_request_size
        if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= MAX_U32:
            raise InvalidValueError("max request size", size, f"must be in 1..{MAX_U32} bytes")
        depth = self.confirmation_depth
        if not isinstance(depth, int) or isinstance(depth, bool):
            raise InvalidValueError("confirmation depth", depth, "must be an integer")
        if not 0 <= depth <= MAX_CONFIRMATION_DEPTH:
            raise InvalidValueError(
                "confirmation depth", depth, f"must be in 0..{MAX_CONFIRMATION_DEPTH} blocks"
            )

    @classmethod
    def defaults(cls, domain: DomainId) -> DomainParameters:
        """The parameters of a new domain (see the constants table in ``docs/topology.md``)."""
        return cls(
            domain,
            participant_response_timeout=Micros(30_000_000),
            mediator_reaction_timeout=Micros(30_000_000),
            ledger_time_record_time_tolerance=Micros(60_000_000),
            topology_change_delay=Micros(250_000),
            max_request_size=119_000,
            confirmation_depth=0,
        )

    def unique_key(self) -> UniqueKey:
        return UniqueKey(f"DomainParameters/{self.domain}")

    def required_authorization(self, removal: bool) -> RequiredAuthorization:
        return RequiredAuthorization(frozenset({_domain_namespace(self.domain)}))

    def write(self, w: Writer) -> None:
        write_domain_id(w, self.domain)
        w.u64(self.participant_response_timeout)
        w.u64(self.mediator_reaction_timeout)
        w.u64(self.ledger_time_record_time_tolerance)
        w.u64(self.topology_change_delay)
        w.u32(self.max_request_size)
        w.u32(self.confirmation_depth)

    @classmethod
    def read(cls, r: Reader) -> DomainParameters:
        domain = read_domain_id(r)
        response, reaction, tolerance, delay = (Micros(r.u64()) for _ in range(4))
        return cls(domain, response, reaction, tolerance, delay, r.u32(), r.u32())


TopologyMapping = (
    NamespaceDelegation
    | OwnerToKeyMapping
    | ParticipantDomainPermission
    | PartyToParticipant
    | MediatorDomainState
    | SequencerDomainState
    | VettedPackages
    | DomainParameters
)
"""Any mapping."""

MAPPING_TYPES: dict[MappingCode, type[TopologyMapping]] = {
    t.code: t
    for t in (
        NamespaceDelegation,
        OwnerToKeyMapping,
        ParticipantDomainPermission,
        PartyToParticipant,
        MediatorDomainState,
        SequencerDomainState,
        VettedPackages,
        DomainParameters,
    )
}

DOMAIN_SCOPED: tuple[type[TopologyMapping], ...] = (
    ParticipantDomainPermission,
    MediatorDomainState,
    SequencerDomainState,
    DomainParameters,
)
"""Mappings that name their domain; a store refuses those naming another domain."""


def write_mapping(w: Writer, mapping: TopologyMapping) -> None:
    """The mapping's code, then its fields."""
    w.u8(mapping.code)
    mapping.write(w)


def read_mapping(r: Reader) -> TopologyMapping:
    start = r.offset
    code = r.u8()
    try:
        kind = MAPPING_TYPES[MappingCode(code)]
    except ValueError:
        raise NonCanonicalError(r.what, f"unknown mapping code {code}", start) from None
    return kind.read(r)


def mapping_domain(mapping: TopologyMapping) -> DomainId | None:
    """The domain a domain-scoped mapping names, or None."""
    if isinstance(mapping, DOMAIN_SCOPED):
        return mapping.domain  # type: ignore[union-attr]
    return None
