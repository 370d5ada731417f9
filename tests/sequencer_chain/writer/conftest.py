"""Every writer a test made is stopped afterwards, even when the test fails half-way
(an open outbox keeps a database thread alive that would hang the interpreter's exit)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.sequencer_chain.writer.support import MADE


@pytest.fixture(autouse=True)
async def _stop_writers() -> AsyncIterator[None]:
    MADE.clear()
    yield
    while MADE:
        await MADE.pop().stop()
