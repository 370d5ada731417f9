"""Sending and receiving ACS commitments (steps 2 and 7 of ``processor``'s event).

:func:`close_period` signs, for each counter-participant, the commitment of the ACS as it
was before the event that closes a period; :func:`received_commitment` checks one that
came in and compares it with ours for the same period end (``commitments`` has the rules).
Nothing here does I/O.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from participant.engine import ContractId
from participant.protocol.commitments import CommitmentTracker, period_end_before
from participant.protocol.confirmer import signature_problem
from participant.store import CommitmentMismatch, ReceivedCommitment, SentCommitment
from protocol.crypto import SigningPublicKey
from protocol.crypto.hashing import Hash
from protocol.crypto.signing import SigningPrivateKey
from protocol.identifiers import DomainId, MemberId
from protocol.timestamp import Timestamp
from protocol.topology import TopologySnapshot
from protocol.transaction import AcsCommitment, SignedAcsCommitment

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OutgoingCommitment:
    """One signed commitment for a counter-participant, and its store row."""

    sent: SentCommitment
    message_id: str
    signed: SignedAcsCommitment


@dataclass(frozen=True, slots=True)
class ClosedPeriod:
    """What closing a commitment period at ``end`` sends."""

    end: Timestamp
    outgoing: tuple[OutgoingCommitment, ...]
    """Empty when nothing was ever shared (no previous period, empty ACS)."""
    counterparties: frozenset[MemberId] | None
    """The tracker's counter-participants after computing; ``None`` when nothing was
    computed."""


def close_period(
    at: Timestamp,
    *,
    period: int,
    last_end: Timestamp | None,
    tracker: CommitmentTracker,
    acs_size: int,
    snapshot_at: Callable[[Timestamp], TopologySnapshot],
    domain: DomainId,
    me: MemberId,
    signing_key: SigningPrivateKey,
) -> ClosedPeriod | None:
    """The period an event at ``at`` closes, ``None`` if it closes none (its period end
    is not after ``last_end``, the last one closed)."""
    end = period_end_before(at, period)
    if last_end is not None and end <= last_end:
        return None
    if last_end is None and not acs_size:
        return ClosedPeriod(end, (), None)
    start = last_end if last_end is not None and last_end < end else Timestamp(end - period)
    outgoing = []
    for other, (commitment, ids) in tracker.compute(snapshot_at(end)).items():
        message = AcsCommitment(domain, me, other, start, end, commitment)
        outgoing.append(
            OutgoingCommitment(
                SentCommitment(other, start, end, commitment.digest, ids),
                f"acs-{end}-{other.split('::')[-1][:40]}-{abs(hash(other)) % 10**8}",
                SignedAcsCommitment.sign(message, signing_key),
            )
        )
    return ClosedPeriod(end, tuple(outgoing), tracker.last_counterparties)


def commitment_problem(
    signed: SignedAcsCommitment,
    *,
    sender: MemberId,
    domain: DomainId,
    me: MemberId,
    sender_key: SigningPublicKey | None,
) -> str | None:
    """Why a commitment ``sender`` delivered is not to be compared (another domain,
    another counterparty, a sender it does not name, a bad signature); ``None`` if none."""
    c = signed.commitment
    if c.domain != domain:
        return f"for domain {c.domain}"
    if c.counterparty != me:
        return f"for {c.counterparty}"
    if c.sender != sender:
        return f"sent by {sender}, names {c.sender}"
    return signature_problem(signed, sender_key, c.sender)


def received_commitment(
    signed: SignedAcsCommitment,
    *,
    ours: bytes,
    ids: tuple[ContractId, ...],
    at: Timestamp,
) -> tuple[ReceivedCommitment, CommitmentMismatch | None]:
    """Compare a checked commitment with ``ours`` for its period (``ids``: the contracts
    held here as shared): its row, and the mismatch (logged at ERROR) if they differ."""
    c = signed.commitment
    theirs = c.commitment.digest
    matched = ours == theirs
    received = ReceivedCommitment(c.sender, c.from_time, c.to_time, theirs, matched)
    if matched:
        log.debug("ACS commitment with %s for %d matches", c.sender, c.to_time)
        return received, None
    log.error(
        "ACS COMMITMENT MISMATCH with %s for period (%d, %d]: ours %s, theirs %s; "
        "%d shared contracts here: %s",
        c.sender,
        c.from_time,
        c.to_time,
        Hash(ours).to_multihash(),
        c.commitment.to_multihash(),
        len(ids),
        ", ".join(ids),
    )
    return received, CommitmentMismatch(c.sender, c.from_time, c.to_time, ours, theirs, ids, at)
