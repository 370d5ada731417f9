"""The operations endpoint over real HTTP: liveness, readiness with reasons, metrics."""

from __future__ import annotations

import asyncio

import aiohttp
from prometheus_client import CollectorRegistry, Counter

from node_runtime.http import OpsServer, ReadinessCheck


async def test_livez_readyz_and_metrics() -> None:
    registry = CollectorRegistry()
    batches = Counter("sequencer_batches_written", "Batches written", registry=registry)
    batches.inc(3)
    caught_up = {"value": False}

    async def chain_check() -> str | None:
        return None if caught_up["value"] else "12 blocks behind the chain head"

    async def slow_check() -> str | None:
        await asyncio.sleep(10)
        return None

    server = OpsServer(registry, [ReadinessCheck("chain", chain_check)])
    await server.start()
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{server.url}/livez") as r:
                assert r.status == 200
            async with http.get(f"{server.url}/readyz") as r:
                assert r.status == 503
                assert (await r.json())["failing"] == {"chain": "12 blocks behind the chain head"}
            caught_up["value"] = True
            async with http.get(f"{server.url}/readyz") as r:
                assert r.status == 200
            async with http.get(f"{server.url}/metrics") as r:
                text = await r.text()
                assert "sequencer_batches_written_total 3.0" in text
            server.checks.append(ReadinessCheck("slow", slow_check))
            async with http.get(f"{server.url}/readyz") as r:
                assert r.status == 503
                assert "timed out" in (await r.json())["failing"]["slow"]
    finally:
        await server.stop()
