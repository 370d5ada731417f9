"""What the domain manager needs from the member runtime, as two small protocols.

The domain manager is a member: it sends its topology broadcasts through the sequencer
and learns their outcome from its own topology store, which the member runtime
(``node_runtime.member``) feeds with every broadcast it receives *before* it hands the
event to the node's handler (``docs/nodes.md`` §2). Keeping the dependency this narrow
lets the decision logic run against a fake in unit tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from protocol.sequencer_messages import Envelope, MessageId
from protocol.timestamp import Timestamp
from protocol.topology import PendingProposal, StoredTransaction, TopologySnapshot


class TopologyView(Protocol):
    """The read side of a member's topology store (``protocol.topology.TopologyStore``)."""

    @property
    def last_sequenced_at(self) -> Timestamp | None: ...

    def snapshot_at(self, at: Timestamp) -> TopologySnapshot: ...

    def history(
        self, sequenced_up_to: Timestamp | None = None
    ) -> tuple[StoredTransaction, ...]: ...

    def pending_proposals(self) -> tuple[PendingProposal, ...]: ...

    async def rejections(self) -> list[tuple[Timestamp, str, str]]: ...


class Sender(Protocol):
    """Sends a signed submission request as the domain manager (``MemberConnection.send``)."""

    async def send(
        self,
        envelopes: Sequence[Envelope],
        *,
        max_sequencing_time: Timestamp | None = None,
        message_id: str | None = None,
    ) -> MessageId: ...
