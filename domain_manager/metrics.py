"""The domain manager's Prometheus metrics (served on ``[ops]`` ``/metrics``).

=================================================  =======  ====================================
metric                                             type     meaning
=================================================  =======  ====================================
``domain_manager_onboarding_requests{state}``      gauge    onboarding requests in the store by
                                                            state: pending, approved, onboarded,
                                                            rejected
``domain_manager_topology_changes_total``          counter  topology changes requested through
``{kind, outcome}``                                         the admin API, by kind (onboarding,
                                                            party_hosting, vetting, revoke,
                                                            parameters) and outcome (effective,
                                                            proposed, refused)
=================================================  =======  ====================================

The gauge is recomputed from the store after every change of a request's state, so it
survives restarts; the counter counts what this process saw.
"""

from __future__ import annotations

from collections import Counter as Tally
from typing import Literal

from prometheus_client import CollectorRegistry, Counter, Gauge

from domain_manager.store import DomainManagerStore
from domain_manager.types import OnboardingState

ChangeKind = Literal["onboarding", "party_hosting", "vetting", "revoke", "parameters"]
ChangeOutcome = Literal["effective", "proposed", "refused"]
KINDS: tuple[ChangeKind, ...] = ("onboarding", "party_hosting", "vetting", "revoke", "parameters")
OUTCOMES: tuple[ChangeOutcome, ...] = ("effective", "proposed", "refused")


class DomainManagerMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.onboarding_requests = Gauge(
            "domain_manager_onboarding_requests",
            "Onboarding requests by state",
            ["state"],
            registry=self.registry,
        )
        self.topology_changes = Counter(
            "domain_manager_topology_changes",
            "Topology changes requested, by kind and outcome",
            ["kind", "outcome"],
            registry=self.registry,
        )
        for state in OnboardingState:
            self.onboarding_requests.labels(state=state.value).set(0)
        for kind in KINDS:
            for outcome in OUTCOMES:
                self.topology_changes.labels(kind=kind, outcome=outcome)

    def change(self, kind: ChangeKind, outcome: ChangeOutcome) -> None:
        self.topology_changes.labels(kind=kind, outcome=outcome).inc()

    async def refresh_onboarding(self, store: DomainManagerStore) -> None:
        counts = Tally(r.state for r in await store.requests())
        for state in OnboardingState:
            self.onboarding_requests.labels(state=state.value).set(counts[state])
