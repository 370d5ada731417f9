"""The mediator node: collects confirmation responses and decides every confirmation
request of its domain (``docs/mediator.md``).

=================  ===================================================================
module             owns
=================  ===================================================================
``processor``      :class:`MediatorProcessor`: one event at a time, no network
``validation``     the request and response checks, the topology questions asked
``tally``          the decision rule over a request's policy and votes
``store``          ``mediator.sqlite``: requests, responses, verdicts, the event cursor
``outbox``         :class:`VerdictOutbox`: sending decided verdicts, retries
``onboarding``     optional onboarding through the domain manager
``node``           :class:`MediatorNode`: the process (member connection, ops, wiring)
``config``         :class:`MediatorConfig`, :func:`load_mediator_config`
``metrics``        the Prometheus metrics
``types``          the values above; ``errors`` the error tree
=================  ===================================================================

Like every node it imports ``protocol``, ``node_runtime`` and ``auth`` only.
"""

from mediator.config import MediatorConfig, load_mediator_config
from mediator.errors import (
    MediatorConfigError,
    MediatorError,
    MediatorOnboardingError,
    MediatorStateError,
    MediatorStoreError,
)
from mediator.metrics import MediatorMetrics
from mediator.node import MediatorNode
from mediator.outbox import Sender, VerdictOutbox
from mediator.processor import MediatorProcessor, PendingRequest, SnapshotSource, verdict_kind
from mediator.store import MediatorStore, ResponseRow
from mediator.tally import decide
from mediator.types import (
    InformeeHosts,
    OutboxState,
    OutgoingVerdict,
    PartyPolicy,
    RequestRecord,
    RequestState,
    ResponseStatus,
    VerdictKind,
    ViewPolicy,
    Vote,
    parse_verdict_message_id,
    verdict_message_id,
)
from mediator.validation import TopologyView

__all__ = [
    "InformeeHosts",
    "MediatorConfig",
    "MediatorConfigError",
    "MediatorError",
    "MediatorMetrics",
    "MediatorNode",
    "MediatorOnboardingError",
    "MediatorProcessor",
    "MediatorStateError",
    "MediatorStore",
    "MediatorStoreError",
    "OutboxState",
    "OutgoingVerdict",
    "PartyPolicy",
    "PendingRequest",
    "RequestRecord",
    "RequestState",
    "ResponseRow",
    "ResponseStatus",
    "Sender",
    "SnapshotSource",
    "TopologyView",
    "VerdictKind",
    "VerdictOutbox",
    "ViewPolicy",
    "Vote",
    "decide",
    "load_mediator_config",
    "parse_verdict_message_id",
    "verdict_kind",
    "verdict_message_id",
]
