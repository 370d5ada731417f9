"""Fixtures for the ``auth`` tests: a real dev IdP on 127.0.0.1 and verifiers against it."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from auth import JwksClient, JwksSettings, TokenPolicy, TokenVerifier, VerifierSettings
from auth.dev_idp import DevIdp
from tests.support.auth import PARTICIPANT, FakeClock, idp_config


@pytest.fixture
def key_clock() -> FakeClock:
    return FakeClock(time.time())


@pytest.fixture
async def idp(tmp_path: Path, key_clock: FakeClock) -> AsyncIterator[DevIdp]:
    server = DevIdp(idp_config(tmp_path, rotation_grace_seconds=600), key_clock=key_clock)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def jwks_clock() -> FakeClock:
    return FakeClock(1000.0)


@pytest.fixture
async def verifier(idp: DevIdp, jwks_clock: FakeClock) -> AsyncIterator[TokenVerifier]:
    jwks = JwksClient(
        JwksSettings(url=idp.jwks_url, cache_ttl_s=300, min_refetch_interval_s=10),
        clock=jwks_clock,
    )
    v = TokenVerifier(TokenPolicy(participant_id=PARTICIPANT), jwks, VerifierSettings())
    yield v
    await v.aclose()
