"""Fixtures: a real Ledger API gRPC server on 127.0.0.1 over the in-memory fake backend."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from auth import TokenVerifier
from ledger_client import LedgerClient
from participant.engine.examples import example_source
from participant.ledger_api import LedgerApiConfig, LedgerApiServer
from tests.support.ledger_backend import FakeLedgerBackend

StartServer = Callable[..., Awaitable[LedgerApiServer]]


@pytest.fixture
async def backend() -> FakeLedgerBackend:
    fake = FakeLedgerBackend()
    await fake.upload_package(example_source("iou").encode())
    return fake


@pytest.fixture
async def start_server(tmp_path: Path, backend: FakeLedgerBackend) -> AsyncIterator[StartServer]:
    started: list[LedgerApiServer] = []

    async def start(verifier: TokenVerifier | None = None, **config: Any) -> LedgerApiServer:
        data_dir = tmp_path / f"node{len(started)}"
        data_dir.mkdir()
        server = LedgerApiServer(
            LedgerApiConfig(**config), backend, data_dir=data_dir, verifier=verifier
        )
        await server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        await server.stop(0)


@pytest.fixture
async def server(start_server: StartServer) -> LedgerApiServer:
    return await start_server()


@pytest.fixture
async def client(server: LedgerApiServer) -> AsyncIterator[LedgerClient]:
    async with LedgerClient(f"127.0.0.1:{server.port}", application_id="test-app") as c:
        yield c
