"""Errors of the domain manager.

Every error derives from :class:`DomainManagerError`. A refused admin API call is a
:class:`RequestRefusedError` whose ``code`` is stable text (it travels in the trailing
metadata ``chaindomain-error-code``; ``docs/domain-manager.md`` §5 lists every code and its
gRPC status)::

    DomainManagerError
    ├── RequestRefusedError                      a call refused; ``code`` says why
    │   ├── InvalidRequestError       INVALID_REQUEST / WRONG_MEMBER_KIND / UNEXPECTED_MAPPING
    │   ├── TopologyRefusedError      the topology's own code: MALFORMED, UNAUTHORIZED,
    │   │                             WRONG_SERIAL, UNKNOWN_NAMESPACE, MAPPING_EXISTS, ...
    │   ├── DuplicateOnboardingError  DUPLICATE_ONBOARDING  the member already has a request
    │   ├── UnknownRequestError       UNKNOWN_REQUEST
    │   ├── UnknownMemberError        UNKNOWN_MEMBER
    │   ├── InvalidStateError         INVALID_STATE         e.g. approving a decided request
    │   ├── NotSequencedError         NOT_SEQUENCED         no receipt in time; retry
    │   └── SequencingRejectedError   the change was sequenced but refused there
    └── DomainManagerStoreError                  the sqlite store cannot be used
"""

from __future__ import annotations

from pathlib import Path

from protocol.topology import TopologyRejectedError


class DomainManagerError(Exception):
    """Root of every domain manager error."""


class RequestRefusedError(DomainManagerError):
    """An admin API call refused; ``code`` is stable text."""

    code: str = "REFUSED"

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(detail)


class InvalidRequestError(RequestRefusedError):
    """A request that is not well formed: a field missing or out of range, a transaction
    that is not what the call takes."""

    def __init__(self, field: str, detail: str, code: str = "INVALID_REQUEST") -> None:
        self.field = field
        self.code = code
        super().__init__(f"{field}: {detail}")


class TopologyRefusedError(RequestRefusedError):
    """The topology state machine refuses a transaction (dry run against the domain
    manager's head state); ``code`` is the topology's (``docs/topology.md`` §9)."""

    def __init__(self, index: int, reason: TopologyRejectedError) -> None:
        self.index = index
        self.reason = reason
        self.code = reason.code
        super().__init__(f"transaction {index}: {reason}")


class DuplicateOnboardingError(RequestRefusedError):
    """The member already has an onboarding request that is pending, approved or done."""

    code = "DUPLICATE_ONBOARDING"

    def __init__(self, member: str, request_id: str, state: str) -> None:
        self.member = member
        self.request_id = request_id
        self.state = state
        super().__init__(f"{member} already has onboarding request {request_id} ({state})")


class UnknownRequestError(RequestRefusedError):
    code = "UNKNOWN_REQUEST"

    def __init__(self, request_id: str) -> None:
        self.request_id = request_id
        super().__init__(f"no onboarding request {request_id!r}")


class UnknownMemberError(RequestRefusedError):
    code = "UNKNOWN_MEMBER"

    def __init__(self, member: str, detail: str) -> None:
        self.member = member
        super().__init__(f"{member}: {detail}")


class InvalidStateError(RequestRefusedError):
    """The request or member is not in a state the call applies to."""

    code = "INVALID_STATE"

    def __init__(self, subject: str, state: str, expected: str) -> None:
        self.subject = subject
        self.state = state
        self.expected = expected
        super().__init__(f"{subject} is {state}, expected {expected}")


class NotSequencedError(RequestRefusedError):
    """No receipt for a topology broadcast within the wait; it may still be sequenced
    until its max sequencing time. Retrying the call is safe."""

    code = "NOT_SEQUENCED"

    def __init__(self, message_id: str, waited_s: float) -> None:
        self.message_id = message_id
        self.waited_s = waited_s
        super().__init__(f"broadcast {message_id} not sequenced within {waited_s:.1f}s")


class SequencingRejectedError(RequestRefusedError):
    """The change was sequenced but refused there: the sequencer answered with a
    DeliverError, or the topology at the sequencing time rejected the transaction (the
    state changed between the dry run and the sequencing)."""

    def __init__(self, code: str, detail: str) -> None:
        self.code = code
        super().__init__(f"{code}: {detail}")


class DomainManagerStoreError(DomainManagerError):
    """The domain manager's sqlite store cannot be used."""

    def __init__(self, path: Path | None, detail: str) -> None:
        self.path = path
        super().__init__(f"domain manager store {'' if path is None else path}: {detail}")
