"""Structured logs carry the node name and request context as JSON fields."""

from __future__ import annotations

import asyncio
import io
import json
import logging

from node_runtime.logs import configure_logging, log_context


async def test_context_follows_tasks_and_ends_with_the_block() -> None:
    stream = io.StringIO()
    configure_logging("participant1", stream=stream)
    log = logging.getLogger("test")

    async def child() -> None:
        log.info("in child", extra={"command_id": "c1"})

    with log_context(trace_id="t-123"):
        log.info("handling")
        await asyncio.create_task(child())
    log.warning("after")

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [entry["msg"] for entry in lines] == ["handling", "in child", "after"]
    assert all(entry["node"] == "participant1" for entry in lines)
    assert lines[0]["trace_id"] == lines[1]["trace_id"] == "t-123"
    assert lines[1]["command_id"] == "c1"
    assert "trace_id" not in lines[2]
    assert lines[2]["level"] == "warning"
    logging.getLogger().handlers.clear()
