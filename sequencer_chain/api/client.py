"""The member's client of the sequencer API lives in :mod:`node_runtime.member.client`
(every member node uses it); re-exported here for the sequencer's own tests and tools."""

from node_runtime.member.client import ClientTimeouts, SequencerClient
from node_runtime.member.errors import SendRefusedError

__all__ = ["ClientTimeouts", "SendRefusedError", "SequencerClient"]
