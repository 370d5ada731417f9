"""Sending outbox entries to the sequencer, each under its message id.

An entry's bytes are in the store's outbox before it is sent, so a send that fails is
left there and resent at recovery; only a refusal from the sequencer is final, and is
handed to ``refused`` (the processor completes the submission it carried).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from node_runtime.member.errors import SendRefusedError
from participant.protocol.types import Sender
from participant.store import OutboxEntry
from protocol.canonical import decode
from protocol.sequencer_messages import Batch

log = logging.getLogger(__name__)


async def send_all(
    send: Sender,
    entries: list[OutboxEntry],
    *,
    timeout_s: float,
    refused: Callable[[OutboxEntry, str], object] | None = None,
) -> None:
    """Send ``entries`` in order, each within ``timeout_s`` (module docstring)."""
    for entry in entries:
        batch = decode(entry.envelopes, Batch.read, "outbox batch")
        try:
            async with asyncio.timeout(timeout_s):
                await send(
                    batch.envelopes,
                    max_sequencing_time=entry.max_sequencing_time,
                    message_id=entry.message_id,
                )
        except SendRefusedError as exc:
            log.warning("send %s refused: %s", entry.message_id, exc)
            if refused is not None:
                result = refused(entry, str(exc))
                if asyncio.iscoroutine(result):
                    await result
        except Exception as exc:  # the outbox keeps it: resent at recovery
            log.warning("send %s failed (will resend at recovery): %s", entry.message_id, exc)
