"""Command deduplication at submission (``docs/participant.md``), without I/O.

Daml's rule: a command is refused as a duplicate while an earlier submission of the same
change (act-as parties, application id, command id) is in flight, or when one completed
within the command's deduplication period; a period the participant cannot check is
refused, not shortened.
"""

from __future__ import annotations

from collections.abc import Iterable

from participant.errors import DuplicateCommandError, InvalidDeduplicationPeriodError
from participant.protocol.types import SubmissionCommand
from participant.store import DedupEntry, InFlightSubmission
from participant.store.types import ChangeId, DedupDuration, DedupOffset, Offset
from protocol.timestamp import Timestamp


def check_dedup_period(
    period: DedupDuration | DedupOffset | None, *, longest: int, ledger_end: Offset
) -> None:
    """Refuse a period the participant cannot check. An offset after the ledger end
    names no point of this ledger; a duration above ``longest`` (``max_dedup_duration``)
    reaches back further than the participant promises to remember. (Nothing is pruned,
    so every offset up to the end can be checked.)"""
    if isinstance(period, DedupDuration) and period.micros > longest:
        raise InvalidDeduplicationPeriodError(
            f"the duration {period.micros} µs exceeds the maximum {longest} µs",
            longest_duration_us=longest,
        )
    if isinstance(period, DedupOffset) and period.offset > ledger_end:
        raise InvalidDeduplicationPeriodError(
            f"the offset {period.offset} is after the ledger end {ledger_end}",
            ledger_end=ledger_end,
        )


def check_not_duplicate(
    change: ChangeId,
    command: SubmissionCommand,
    *,
    in_flight: Iterable[InFlightSubmission],
    last: DedupEntry | None,
    now: Timestamp,
    longest: int,
) -> None:
    """Raise :class:`DuplicateCommandError` if ``change`` is in flight, or if its last
    completion ``last`` lies within the command's period (``longest`` µs when it names
    none), as seen at ``now``."""
    for sub in in_flight:
        if sub.change_id == change:
            raise DuplicateCommandError(
                change,
                command.command_id,
                existing_submission_id=sub.submission_id,
                completion_offset=None,
            )
    if last is None:
        return
    period = command.dedup or DedupDuration(longest)
    duplicate = (
        last.offset > period.offset
        if isinstance(period, DedupOffset)
        else last.record_time > now - period.micros
    )
    if duplicate:
        raise DuplicateCommandError(
            change,
            command.command_id,
            existing_submission_id=last.submission_id,
            completion_offset=last.offset,
        )
