"""What the participant's own topology changes share (parties, vetted packages).

The participant signs a change with its namespace key and sends it through the domain
manager's client; the change counts only once this participant's own topology (the
member runtime's store, which the protocol reads) has handled an event at or after the
change's effective time. Time proofs move the topology's time past the topology change
delay when no other event comes. :class:`PartyManager` and :class:`PackageVetter`
(``parties.py``, ``vetting.py``) build their requests on this.
"""

from __future__ import annotations

import asyncio
import logging

from node_runtime.member import MemberRuntimeError
from node_runtime.member.clock import TimeSource
from node_runtime.member.dm_client import DomainManagerClient
from node_runtime.member.topology import MemberTopology
from protocol.crypto import SigningPrivateKey
from protocol.identifiers import MemberId
from protocol.timestamp import Timestamp

log = logging.getLogger(__name__)


class TopologyChanges:
    """One participant's requests for topology changes, serialised by ``_lock``."""

    def __init__(
        self,
        participant: MemberId,
        namespace_key: SigningPrivateKey,
        topology: MemberTopology,
        dm: DomainManagerClient | None,
        time: TimeSource,
        *,
        timeout_s: float = 60.0,
    ) -> None:
        self.participant = participant
        self.namespace_key = namespace_key
        self.topology = topology
        self.dm = dm
        self.time = time
        self.timeout_s = timeout_s
        self._lock = asyncio.Lock()

    async def _until_effective(
        self, sequenced_at: Timestamp, effective_at: Timestamp, what: str
    ) -> None:
        """Until this participant's topology has handled an event at or after
        ``effective_at``; ``TimeoutError`` after ``timeout_s`` (``what`` names the change
        in the log)."""
        async with asyncio.timeout(self.timeout_s):
            await self.topology.wait_for_time(sequenced_at)
            while (self.topology.last_event_timestamp or 0) < effective_at:
                try:
                    await self.time.time_proof(min(10.0, self.timeout_s))
                except MemberRuntimeError as exc:
                    log.warning("time proof while waiting for %s: %s", what, exc)
                    await asyncio.sleep(0.2)
