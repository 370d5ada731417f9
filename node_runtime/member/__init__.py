"""The member runtime: how a domain manager, mediator or participant talks to its domain
(``docs/nodes.md`` §2). :class:`MemberConnection` owns the subscription with its persisted
counter, failover between sequencer nodes, sending, time proofs and the member's topology
(:class:`MemberTopology`); :class:`SequencerClient` is the one-node client it is built on.

Like the rest of ``node_runtime`` this package imports no component (only ``protocol``).
"""

from node_runtime.member.client import ClientTimeouts, SequencerClient
from node_runtime.member.clock import TimeProofClock, TimeSource
from node_runtime.member.config import MemberConfig, MemberTuning
from node_runtime.member.connection import EventHandler, MemberConnection
from node_runtime.member.errors import (
    CounterGapError,
    EventMismatchError,
    EventsPrunedError,
    FatalMemberError,
    HandlerError,
    MemberRuntimeError,
    MemberStateError,
    MemberStoppedError,
    NoSequencerAvailableError,
    SendRefusedError,
    TimeProofError,
    TopologyHistoryError,
)
from node_runtime.member.state import CounterStore, StreamPosition
from node_runtime.member.topology import MemberTopology, topology_broadcasts

__all__ = [
    "ClientTimeouts",
    "CounterGapError",
    "CounterStore",
    "EventHandler",
    "EventMismatchError",
    "EventsPrunedError",
    "FatalMemberError",
    "HandlerError",
    "MemberConfig",
    "MemberConnection",
    "MemberRuntimeError",
    "MemberStateError",
    "MemberStoppedError",
    "MemberTopology",
    "MemberTuning",
    "NoSequencerAvailableError",
    "SendRefusedError",
    "SequencerClient",
    "StreamPosition",
    "TimeProofClock",
    "TimeProofError",
    "TimeSource",
    "TopologyHistoryError",
    "topology_broadcasts",
]
