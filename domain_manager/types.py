"""Values of the domain manager: onboarding requests, policies, results of topology changes."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import NewType

from protocol.identifiers import MemberId, PartyId
from protocol.timestamp import Timestamp
from protocol.topology import ParticipantPermission, SignedTopologyTransaction

RequestId = NewType("RequestId", str)
"""``onb-`` + 24 hex characters, chosen by the domain manager."""


class Policy(enum.Enum):
    """How onboarding requests are decided."""

    OPEN = "open"
    """Every valid request is approved at once."""
    PERMISSIONED = "permissioned"
    """Valid requests wait for an admin's approval or rejection."""


class OnboardingKind(enum.Enum):
    PARTICIPANT = "participant"
    MEDIATOR = "mediator"


class OnboardingState(enum.Enum):
    """The life of an onboarding request (``docs/domain-manager.md`` §3)::

    PENDING ──approve──▶ APPROVED ──sequenced, accepted──▶ ONBOARDED
       │                    │
       └──reject──▶ REJECTED ◀──refused at sequencing──┘
    """

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    ONBOARDED = "onboarded"

    @property
    def is_live(self) -> bool:
        """Whether the request still blocks a new request for the same member."""
        return self is not OnboardingState.REJECTED


@dataclass(frozen=True, slots=True)
class OnboardingRequest:
    """An onboarding request as stored."""

    request_id: RequestId
    member: MemberId
    kind: OnboardingKind
    state: OnboardingState
    permission: ParticipantPermission
    """Participants: the permission to admit them with."""
    transactions: tuple[SignedTopologyTransaction, ...]
    """The member's signed transactions (root certificate, owner-to-key mapping)."""
    created_at: Timestamp
    updated_at: Timestamp
    sequenced_at: Timestamp | None = None
    effective_at: Timestamp | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ChangeResult:
    """An accepted topology change made by the domain manager."""

    transaction_hash: str
    serial: int
    sequenced_at: Timestamp
    effective_at: Timestamp


class HostingState(enum.Enum):
    PROPOSED = "proposed"
    EFFECTIVE = "effective"


@dataclass(frozen=True, slots=True)
class HostingOutcome:
    """What became of one PartyToParticipant transaction sent through the domain manager."""

    party: PartyId
    transaction_hash: str
    state: HostingState
    missing: tuple[str, ...]
    """PROPOSED: the namespaces (or keys) still to sign."""
    sequenced_at: Timestamp
    effective_at: Timestamp | None


@dataclass(frozen=True, slots=True)
class MemberEntry:
    """One row of ListMembers."""

    member: MemberId
    kind: str
    state: str
    """``active``, ``revoked``, ``known`` or ``pending``."""
    permission: ParticipantPermission | None
    signing_key_fingerprint: str
    encryption_key_fingerprint: str
    parties: tuple[PartyId, ...] = ()
