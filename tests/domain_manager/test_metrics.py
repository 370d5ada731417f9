"""The domain manager's metrics over its real sqlite store with a fake sender: onboarding
requests by state follow every transition, and a change that is not sequenced counts as
refused while its request stays approved (resumable)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from domain_manager import NotSequencedError, OnboardingKind, Policy
from domain_manager.metrics import DomainManagerMetrics
from tests.domain_manager.test_units import make_manager, raw


def states(metrics: DomainManagerMetrics) -> dict[str, float]:
    out = {}
    for family in metrics.registry.collect():
        if family.name == "domain_manager_onboarding_requests":
            out = {s.labels["state"]: s.value for s in family.samples}
    return out


def changes(metrics: DomainManagerMetrics, kind: str, outcome: str) -> float:
    value = metrics.registry.get_sample_value(
        "domain_manager_topology_changes_total", {"kind": kind, "outcome": outcome}
    )
    assert value is not None
    return value


async def test_onboarding_requests_by_state(tmp_path: Path) -> None:
    manager, _ = await make_manager(tmp_path, Policy.PERMISSIONED)
    manager.metrics = metrics = DomainManagerMetrics()
    assert states(metrics) == {"pending": 0, "approved": 0, "onboarded": 0, "rejected": 0}
    request = await manager.request_onboarding(OnboardingKind.PARTICIPANT, raw())
    assert states(metrics)["pending"] == 1
    await manager.reject(request.request_id, "ops", "unknown organisation")
    assert states(metrics) == {"pending": 0, "approved": 0, "onboarded": 0, "rejected": 1}
    # Recomputed from the store: a new process starts from what is stored.
    fresh = DomainManagerMetrics()
    await fresh.refresh_onboarding(manager.store)
    assert states(fresh)["rejected"] == 1
    await manager.store.close()
    await manager.topology.close()  # type: ignore[attr-defined]


async def test_a_change_not_sequenced_counts_as_refused(tmp_path: Path) -> None:
    manager, sender = await make_manager(tmp_path, Policy.OPEN)
    manager.metrics = metrics = DomainManagerMetrics()
    with pytest.raises(NotSequencedError):
        await asyncio.shield(manager.request_onboarding(OnboardingKind.PARTICIPANT, raw()))
    assert sender.sent
    assert changes(metrics, "onboarding", "refused") == 1
    assert changes(metrics, "onboarding", "effective") == 0
    assert states(metrics)["approved"] == 1
    await manager.store.close()
    await manager.topology.close()  # type: ignore[attr-defined]
