"""Errors of the participant node (protocol core, stores, node wiring).

Every error derives from :class:`ParticipantError`. Problems *of a request from the
network* are never raised out of the event handler: they become decisions (a
``LocalReject`` response, an ignored message with a log line). Errors are for callers of
the participant's own API (a refused submission) and for the node itself::

    ParticipantError
    ├── SubmissionError                 a command could not be put in flight
    │   ├── DuplicateCommandError           its change id is within its dedup period
    │   ├── InvalidDeduplicationPeriodError its dedup period cannot be honoured (an offset
    │   │                                   after the ledger end, a duration above the maximum)
    │   ├── SubmissionTopologyError         the topology cannot serve it (no mediator,
    │   │                                   a party not hosted here with submission rights)
    │   ├── PackageNotVettedByRecipientsError  an informee participant has not vetted a
    │   │                                   package the transaction uses
    │   └── SubmissionBuildError            the request could not be built (too large, …)
    ├── ProtocolInputError              a malformed or unverifiable message from the
    │                                   network (handled inside the processor)
    ├── ActionDecodeError   (ValueError)  view actions that do not decode or do not fit
    │                                   together (handled inside the processor: a
    │                                   rejection, never raised out of it)
    ├── ParticipantStoreError           participant.sqlite cannot be used or is another's
    └── ParticipantStateError           the store and the event stream disagree

The engine's own :class:`participant.engine.EngineError` (interpretation failed) is not
wrapped: :meth:`~participant.protocol.TransactionProcessor.submit` lets it escape, as the
Ledger API expects.
"""

from __future__ import annotations

from pathlib import Path


class ParticipantError(Exception):
    """Root of every participant error."""


class SubmissionError(ParticipantError):
    """A command was refused before anything was sent."""


class DuplicateCommandError(SubmissionError):
    """A submission whose change id (act-as parties, application id, command id) is still
    in flight, or was accepted within the deduplication period."""

    def __init__(
        self,
        change_id: str,
        command_id: str,
        *,
        existing_submission_id: str | None,
        completion_offset: int | None,
    ) -> None:
        self.change_id = change_id
        self.command_id = command_id
        self.existing_submission_id = existing_submission_id
        self.completion_offset = completion_offset
        where = "in flight" if completion_offset is None else f"at offset {completion_offset}"
        super().__init__(f"command {command_id!r} is a duplicate of a submission {where}")


class InvalidDeduplicationPeriodError(SubmissionError):
    """The command's deduplication period cannot be checked: an offset after the ledger
    end (``ledger_end`` set), or a duration longer than the participant's maximum, whose
    deduplication state it does not promise to keep (``longest_duration_us`` set)."""

    def __init__(
        self,
        reason: str,
        *,
        ledger_end: int | None = None,
        longest_duration_us: int | None = None,
    ) -> None:
        self.reason = reason
        self.ledger_end = ledger_end
        self.longest_duration_us = longest_duration_us
        super().__init__(f"invalid deduplication period: {reason}")


class SubmissionTopologyError(SubmissionError):
    """The topology at submission time cannot serve the command (``what`` says why)."""

    def __init__(self, what: str, detail: str) -> None:
        self.what = what
        self.detail = detail
        super().__init__(f"{what}: {detail}")


class PackageNotVettedByRecipientsError(SubmissionError):
    """Canton's vetting rule at the submitter: every participant hosting an informee of
    the transaction must have vetted (``VettedPackages``, in the topology snapshot the
    submission uses) every package the transaction's nodes use; otherwise the request is
    not sent (the confirmer would reject it anyway). ``missing`` pairs each such
    participant with a package it has not vetted."""

    def __init__(self, missing: tuple[tuple[str, str], ...]) -> None:
        self.missing = missing
        shown = ", ".join(f"{p} has not vetted {pkg}" for p, pkg in missing[:5])
        more = f" (and {len(missing) - 5} more)" if len(missing) > 5 else ""
        super().__init__(f"packages not vetted by informee participants: {shown}{more}")


class SubmissionBuildError(SubmissionError):
    """The confirmation request could not be built from the interpreted transaction."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(detail)


class ProtocolInputError(ParticipantError):
    """A message from the network that is malformed or fails a check (``what`` names it).
    Raised and caught inside the processor; never escapes the event handler."""

    def __init__(self, what: str, detail: str) -> None:
        self.what = what
        self.detail = detail
        super().__init__(f"{what}: {detail}")


class ActionDecodeError(ParticipantError, ValueError):
    """Action bytes that are not a valid view action, or views that do not fit together
    (a subview missing, at the wrong place, or claiming other authorizers). The message
    says what is wrong; it is the reason of the rejection that follows."""


class ParticipantStoreError(ParticipantError):
    """The participant's sqlite store cannot be used."""

    def __init__(self, path: Path | None, detail: str) -> None:
        self.path = path
        self.detail = detail
        super().__init__(f"{path}: {detail}" if path is not None else detail)


class ParticipantStateError(ParticipantError):
    """Persisted state contradicts what the stream delivers (``what`` names it)."""

    def __init__(self, what: str, expected: object, actual: object) -> None:
        self.what = what
        self.expected = expected
        self.actual = actual
        super().__init__(f"{what}: expected {expected!r}, got {actual!r}")
