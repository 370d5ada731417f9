"""Smoke: a domain starts and a participant is onboarded through the admin API."""

from __future__ import annotations

from pathlib import Path

import pytest

from node_runtime.member.dm_client import OnboardingState
from protocol.identifiers import MemberKind
from protocol.timestamp import Timestamp
from tests.support.domain import make_identity, running_domain

pytestmark = pytest.mark.anvil


async def test_open_onboarding(tmp_path: Path) -> None:
    async with running_domain(tmp_path) as domain:
        p1 = make_identity(MemberKind.PARTICIPANT, "p1")
        status = await domain.onboard(p1)
        assert status.state is OnboardingState.ONBOARDED
        assert status.effective_at >= status.sequenced_at > 0
        at = Timestamp(status.effective_at)
        await domain.wait_processed(status.sequenced_at)
        stores = domain.topology_stores()
        assert len(stores) == 3
        assert len({s.snapshot_at(at).digest() for s in stores.values()}) == 1
        assert domain.dm is not None and domain.dm.topology is not None
        assert domain.dm.topology.snapshot_at(at).is_active(p1.member)
