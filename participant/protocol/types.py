"""Values and interfaces of the participant's protocol core."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from participant.engine import Command, PartyId
from participant.store import DedupPeriod
from protocol.sequencer_messages import Envelope
from protocol.timestamp import Timestamp
from protocol.topology import TopologySnapshot

SECOND = 1_000_000


class Sender(Protocol):
    """How the processor sends: ``MemberConnection.send`` has this shape. A send that
    raises may still have been sequenced; sending again with the same message id is safe
    (the sequencer deduplicates)."""

    async def __call__(
        self,
        envelopes: Sequence[Envelope],
        *,
        max_sequencing_time: Timestamp | None = None,
        message_id: str | None = None,
    ) -> object: ...


class TopologySource(Protocol):
    """The topology at a time (``MemberTopology`` or a ``TopologyStore``)."""

    def snapshot_at(self, at: Timestamp) -> TopologySnapshot: ...


@dataclass(frozen=True, slots=True)
class SubmissionCommand:
    """A command as the Ledger API hands it to the participant."""

    commands: tuple[Command, ...]
    act_as: tuple[PartyId, ...]
    application_id: str
    command_id: str
    submission_id: str
    read_as: tuple[PartyId, ...] = ()
    workflow_id: str | None = None
    dedup: DedupPeriod | None = None
    """None: the configured maximum deduplication duration."""


@dataclass(frozen=True, slots=True)
class SubmissionHandle:
    """What :meth:`TransactionProcessor.submit` returns once the request is in flight."""

    message_id: str
    root_hash: str
    """Multihash text of the request's root hash (the update id derives from it)."""
    update_id: str
    """The update id the transaction will have if it commits."""
    max_sequencing_time: Timestamp
    created_contracts: tuple[str, ...] = ()


class VettingMode(enum.Enum):
    TOPOLOGY = "topology"
    """Packages must be vetted by this participant in the topology (``VettedPackages``)."""
    LOCAL = "local"
    """Every package in the local package store counts as vetted (development)."""


@dataclass(frozen=True, slots=True)
class ProcessorConfig:
    """Tuning of the protocol core; durations in microseconds."""

    commitment_period: int = 60 * SECOND
    """ACS commitments cover periods ending at multiples of this (sequencer time)."""
    max_sequencing_delay: int = 60 * SECOND
    """A submission's ``max_sequencing_time`` is the submission time plus this."""
    max_dedup_duration: int = 7 * 24 * 3600 * SECOND
    """Deduplication period when a command gives none."""
    send_timeout_s: float = 15.0
    """Bound on one send of a response, commitment or request."""
    vetting: VettingMode = VettingMode.TOPOLOGY
