from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from mediator import MediatorMetrics, MediatorProcessor, MediatorStore
from tests.mediator.support import ScriptedDomain, make_domain


@pytest.fixture
async def domain(tmp_path: Path) -> AsyncIterator[ScriptedDomain]:
    d = await make_domain(tmp_path)
    yield d
    await d.topology.close()


@pytest.fixture
async def store(tmp_path: Path, domain: ScriptedDomain) -> AsyncIterator[MediatorStore]:
    s = await MediatorStore.open(
        tmp_path / "mediator.sqlite", domain.domain, domain.mediator.member
    )
    yield s
    await s.close()


def make_processor(domain: ScriptedDomain, store: MediatorStore) -> MediatorProcessor:
    return MediatorProcessor(
        domain=domain.domain,
        mediator=domain.mediator.member,
        signing_key=domain.mediator.signing_key,
        store=store,
        topology=domain.topology.snapshot_at,
        metrics=MediatorMetrics(),
    )


@pytest.fixture
async def processor(domain: ScriptedDomain, store: MediatorStore) -> MediatorProcessor:
    p = make_processor(domain, store)
    await p.recover()
    return p
