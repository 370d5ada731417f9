"""Errors of the member runtime.

::

    MemberRuntimeError
    ├── SendRefusedError              a sequencer refused SendAsync (typed ``code``)
    ├── NoSequencerAvailableError     no endpoint answered a call
    ├── MemberStateError              member.sqlite is unusable or made for another member
    ├── MemberStoppedError            the connection is not running (not started, stopped, failed)
    ├── TimeProofError                a time proof was not sequenced (timeout or DeliverError)
    └── FatalMemberError              the stream cannot continue (``wait()`` raises it)
        ├── CounterGapError               an event skipped counters
        ├── EventMismatchError            a replayed event differs from the one processed
        ├── TopologyHistoryError          the sequencer's topology history disagrees with ours
        └── HandlerError                  the node's handler raised (the event is re-delivered)

Fatal errors stop the connection: switching sequencer cannot help, since every sequencer
derives the same stream; an operator must look. Transient failures (a node down, a
stream ended, an expired token, a malformed reply) make the runtime switch endpoint.
"""

from __future__ import annotations

from protocol.timestamp import Timestamp
from protocol.v1 import sequencer_pb2 as pb


class MemberRuntimeError(Exception):
    """Root of every error raised by ``node_runtime.member``."""


class SendRefusedError(MemberRuntimeError):
    """SendAsync refused the request; ``code`` is a ``SendAsyncError`` value. A refused
    request is never sequenced."""

    def __init__(self, code: int, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{pb.SendAsyncError.Name(code)}: {message}")


class NoSequencerAvailableError(MemberRuntimeError):
    """Every endpoint failed; ``failures`` maps each endpoint to its last error text."""

    def __init__(self, what: str, failures: dict[str, str]) -> None:
        self.what = what
        self.failures = failures
        detail = "; ".join(f"{k}: {v}" for k, v in failures.items())
        super().__init__(f"{what}: no sequencer available ({detail})")


class MemberStateError(MemberRuntimeError):
    """The member's state file cannot be used."""

    def __init__(self, path: str, detail: str) -> None:
        self.path = path
        self.detail = detail
        super().__init__(f"{path}: {detail}")


class MemberStoppedError(MemberRuntimeError):
    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(detail)


class TimeProofError(MemberRuntimeError):
    def __init__(self, message_id: str, detail: str) -> None:
        self.message_id = message_id
        self.detail = detail
        super().__init__(f"time proof {message_id}: {detail}")


class FatalMemberError(MemberRuntimeError):
    """The subscription stopped for good; see the subclasses."""


class CounterGapError(FatalMemberError):
    def __init__(self, endpoint: str, expected: int, got: int) -> None:
        self.endpoint = endpoint
        self.expected = expected
        self.got = got
        super().__init__(f"{endpoint} sent counter {got}, expected {expected}")


class EventsPrunedError(FatalMemberError):
    """Every sequencer node answered OUT_OF_RANGE for the next counter: the events this
    member has not processed yet were pruned everywhere, so it cannot continue from its
    state (restore it from a backup taken after the pruning point, or re-onboard)."""

    def __init__(self, next_counter: int, answers: dict[str, str]) -> None:
        self.next_counter = next_counter
        self.answers = dict(answers)
        detail = "; ".join(f"{e}: {a}" for e, a in sorted(self.answers.items()))
        super().__init__(f"events from counter {next_counter} are pruned on every node ({detail})")


class EventMismatchError(FatalMemberError):
    """An already processed counter came again with other contents or a later time."""

    def __init__(self, endpoint: str, counter: int, detail: str) -> None:
        self.endpoint = endpoint
        self.counter = counter
        self.detail = detail
        super().__init__(f"{endpoint} replayed counter {counter} differently: {detail}")


class TopologyHistoryError(FatalMemberError):
    def __init__(self, endpoint: str, up_to: Timestamp | None, detail: str) -> None:
        self.endpoint = endpoint
        self.up_to = up_to
        self.detail = detail
        super().__init__(f"topology history from {endpoint} (up to {up_to}): {detail}")


class HandlerError(FatalMemberError):
    """The handler raised while handling ``counter``; the counter was not persisted, so
    the event is delivered again after a restart."""

    def __init__(self, counter: int, cause: BaseException) -> None:
        self.counter = counter
        self.cause = cause
        super().__init__(f"handler failed on counter {counter}: {type(cause).__name__}: {cause}")
