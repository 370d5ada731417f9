"""``VerdictOutbox``: gets decided verdicts to the sequencer, exactly as decided.

The processor commits a verdict (signed bytes, recipients, max sequencing time) before it
is handed here, so the outbox may fail and restart at any point: :meth:`submit` queues,
:meth:`run` sends one at a time with the verdict's deterministic message id
(``verdict-<request id>-<attempt>``) and records that a sequencer accepted it. Whether it
was *sequenced* is learnt from the stream (the receipt, or a ``DeliverError`` that makes
the processor schedule the next attempt), never from the send call.

====================================  ==================================================
send outcome                          what happens
====================================  ==================================================
accepted                              state SENT; the receipt will mark it SEQUENCED
refused DUPLICATE_MESSAGE_ID          an earlier copy is in flight or sequenced: SENT
refused MAX_SEQUENCING_TIME_PAST      too late for the participants: EXPIRED
other refusal, no sequencer, timeout  retried with backoff (the sequencer refuses it as
                                      past once its max sequencing time is, in its time)
====================================  ==================================================
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from typing import Protocol

from mediator.metrics import MediatorMetrics
from mediator.store import MediatorStore
from mediator.types import OutboxState, OutgoingVerdict
from node_runtime.member import MemberRuntimeError, SendRefusedError
from protocol.sequencer_messages import Envelope, MessageId
from protocol.timestamp import Timestamp
from protocol.v1 import sequencer_pb2 as pb

log = logging.getLogger(__name__)


class Sender(Protocol):
    """How verdicts leave (``MemberConnection.send``)."""

    async def send(
        self,
        envelopes: Sequence[Envelope],
        *,
        max_sequencing_time: Timestamp | None = None,
        message_id: str | None = None,
    ) -> MessageId: ...


class VerdictOutbox:
    """Queue of verdicts to send (module docstring); one task runs :meth:`run`."""

    def __init__(
        self,
        sender: Sender,
        store: MediatorStore,
        metrics: MediatorMetrics,
        *,
        retry_initial_s: float = 0.2,
        retry_max_s: float = 5.0,
    ) -> None:
        self.sender = sender
        self.store = store
        self.metrics = metrics
        self.retry_initial_s = retry_initial_s
        self.retry_max_s = retry_max_s
        self._queue: asyncio.Queue[OutgoingVerdict] = asyncio.Queue()

    def submit(self, verdicts: Iterable[OutgoingVerdict]) -> None:
        for verdict in verdicts:
            if verdict.state in (OutboxState.PENDING, OutboxState.SENT):
                self._queue.put_nowait(verdict)

    @property
    def queued(self) -> int:
        return self._queue.qsize()

    async def idle(self) -> None:
        """Wait until everything queued so far has been handled (for tests)."""
        await self._queue.join()

    async def run(self) -> None:
        while True:
            verdict = await self._queue.get()
            try:
                await self._deliver(verdict)
            finally:
                self._queue.task_done()

    async def _deliver(self, verdict: OutgoingVerdict) -> None:
        envelope = Envelope.of(verdict.result.to_bytes(), verdict.recipients)
        delay = self.retry_initial_s
        while True:
            try:
                await self.sender.send(
                    [envelope],
                    max_sequencing_time=verdict.max_sequencing_time,
                    message_id=verdict.message_id,
                )
            except SendRefusedError as exc:
                if exc.code == pb.SEND_ASYNC_ERROR_DUPLICATE_MESSAGE_ID:
                    await self.store.mark_sent(verdict.request_id, verdict.attempt)
                    return
                if exc.code == pb.SEND_ASYNC_ERROR_MAX_SEQUENCING_TIME_PAST:
                    await self._expire(verdict, str(exc))
                    return
                self.metrics.send("refused")
                log.warning("verdict %d refused (%s); retrying", verdict.request_id, exc)
            except MemberRuntimeError as exc:
                log.warning("verdict %d not sent (%s); retrying", verdict.request_id, exc)
            else:
                await self.store.mark_sent(verdict.request_id, verdict.attempt)
                self.metrics.send("sent")
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.retry_max_s)

    async def _expire(self, verdict: OutgoingVerdict, why: str) -> None:
        if await self.store.mark_expired(verdict.request_id, verdict.attempt):
            self.metrics.send("expired")
        log.warning("verdict %d expired: %s", verdict.request_id, why)
