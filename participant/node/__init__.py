"""The participant node: wiring of the member runtime, the protocol core, the stores, the
engine and the Ledger API into one process (``python -m participant``).

===================  ==================================================================
module               owns
===================  ==================================================================
``node``             :class:`ParticipantNode`: start order, event handling, stop
``config``           :class:`ParticipantConfig` (the TOML file)
``ledger_backend``   :class:`NodeLedgerBackend`: the Ledger API's backend
``parties``          :class:`PartyManager`: allocation and multi-hosting via the DM
``onboarding``       first-start onboarding through the domain manager
``node_store``       ``node.sqlite``: party display names, package times
``metrics``          :class:`ParticipantMetrics`
``errors``           the node's errors
===================  ==================================================================
"""

from node_runtime.member.clock import TimeProofClock
from participant.node.config import ParticipantConfig, load_participant_config
from participant.node.errors import (
    OnboardingError,
    ParticipantConfigError,
    ParticipantNodeError,
    TopologyRequestError,
)
from participant.node.ledger_backend import NodeLedgerBackend, completion_status
from participant.node.metrics import ParticipantMetrics
from participant.node.node import ParticipantNode
from participant.node.node_store import NodeStore
from participant.node.onboarding import in_genesis, onboard, onboarding_transactions
from participant.node.parties import PartyManager

__all__ = [
    "NodeLedgerBackend",
    "NodeStore",
    "OnboardingError",
    "ParticipantConfig",
    "ParticipantConfigError",
    "ParticipantMetrics",
    "ParticipantNode",
    "ParticipantNodeError",
    "PartyManager",
    "TimeProofClock",
    "TopologyRequestError",
    "completion_status",
    "in_genesis",
    "load_participant_config",
    "onboard",
    "onboarding_transactions",
]
