"""The participant's Prometheus metrics (served on ``[ops]`` ``/metrics``).

===========================================  =========  ====================================
metric                                       type       meaning
===========================================  =========  ====================================
``participant_command_latency_seconds``      histogram  wall time from a Ledger API submit
                                                        to its completion, by ``outcome``
                                                        (ok, rejected)
``participant_inflight_requests``            gauge      confirmation requests pending here
                                                        plus own submissions not completed
``participant_submissions_total{result}``    counter    submits: accepted, refused
``participant_events_total``                 counter    sequenced events handled
``participant_time_proofs_total``            counter    time proofs requested
``participant_commitment_mismatches_total``  counter    ACS commitment mismatches detected
===========================================  =========  ====================================
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0, 34.0, 60.0, 120.0)


class ParticipantMetrics:
    """The metrics of one participant node, registered in ``registry``."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.command_latency = Histogram(
            "participant_command_latency_seconds",
            "Wall time from a submit to its completion",
            ["outcome"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.inflight = Gauge(
            "participant_inflight_requests",
            "Confirmation requests pending and own submissions not yet completed",
            registry=self.registry,
        )
        self.submissions = Counter(
            "participant_submissions", "Ledger API submits", ["result"], registry=self.registry
        )
        self.events = Counter(
            "participant_events", "Sequenced events handled", registry=self.registry
        )
        self.time_proofs = Counter(
            "participant_time_proofs", "Time proofs requested", registry=self.registry
        )
        self.mismatches = Counter(
            "participant_commitment_mismatches",
            "ACS commitment mismatches detected",
            registry=self.registry,
        )
        for outcome in ("ok", "rejected"):
            self.command_latency.labels(outcome=outcome)
        for result in ("accepted", "refused"):
            self.submissions.labels(result=result)
