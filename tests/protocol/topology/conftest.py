from __future__ import annotations

import pytest

from tests.protocol.topology.support import World


@pytest.fixture
def world() -> World:
    return World()
