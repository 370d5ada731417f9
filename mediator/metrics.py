"""The mediator's Prometheus metrics (served on ``[ops]`` ``/metrics``).

=====================================  =========  ==========================================
metric                                 type       meaning
=====================================  =========  ==========================================
``mediator_verdict_latency_seconds``   histogram  sequencer time from request to decision
``mediator_verdicts_total{kind}``      counter    verdicts decided: approve, reject,
                                                  mediator_reject, timeout
``mediator_requests_total``            counter    requests received (valid or not)
``mediator_responses_total{status}``   counter    responses by what was done with them
``mediator_pending_requests``          gauge      requests waiting for a decision
``mediator_verdict_sends_total{outcome}`` counter verdict sends: sent, refused, sequenced,
                                                  retried, expired
``mediator_time_proofs_total``         counter    time proofs requested
=====================================  =========  ==========================================
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from mediator.types import ResponseStatus, VerdictKind

LATENCY_BUCKETS = (0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0, 34.0, 60.0, 120.0)


class MediatorMetrics:
    """The metrics of one mediator, registered in ``registry``."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.verdict_latency = Histogram(
            "mediator_verdict_latency_seconds",
            "Sequencer time from a request's sequencing to its verdict",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.verdicts = Counter(
            "mediator_verdicts", "Verdicts decided, by kind", ["kind"], registry=self.registry
        )
        self.requests = Counter(
            "mediator_requests", "Confirmation requests received", registry=self.registry
        )
        self.responses = Counter(
            "mediator_responses",
            "Confirmation responses received, by what was done with them",
            ["status"],
            registry=self.registry,
        )
        self.pending = Gauge(
            "mediator_pending_requests",
            "Requests waiting for a decision",
            registry=self.registry,
        )
        self.sends = Counter(
            "mediator_verdict_sends",
            "Verdict sends, by outcome",
            ["outcome"],
            registry=self.registry,
        )
        self.time_proofs = Counter(
            "mediator_time_proofs", "Time proofs requested", registry=self.registry
        )
        for kind in VerdictKind:
            self.verdicts.labels(kind=kind.value)
        for status in ResponseStatus:
            self.responses.labels(status=status.value)

    def decided(self, kind: VerdictKind, latency_s: float) -> None:
        self.verdicts.labels(kind=kind.value).inc()
        self.verdict_latency.observe(max(latency_s, 0.0))

    def response(self, status: ResponseStatus) -> None:
        self.responses.labels(status=status.value).inc()

    def send(self, outcome: str) -> None:
        self.sends.labels(outcome=outcome).inc()
