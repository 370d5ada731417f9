"""Counts the JSON-RPC requests a web3 instance sends, at the HTTP layer.

Every HTTP POST the provider makes is one request (a JSON-RPC batch is one request with
several methods); the methods are read from the body. Tests use it to hold the reader and
the writer to their request budgets (``docs/sequencer.md`` §3, ``docs/sequencer-writer.md``).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any


class RequestCounter:
    """Installs itself on ``w3``'s HTTP provider; ``posts`` and ``methods`` grow from then on."""

    def __init__(self, w3: Any) -> None:
        manager = w3.provider._request_session_manager
        inner = manager.async_make_post_request
        self.posts = 0
        self.methods: Counter[str] = Counter()
        self.alone: Counter[str] = Counter()
        """Methods sent as a request of their own (not in a JSON-RPC batch)."""

        async def counting(endpoint_uri: Any, data: Any, **kwargs: Any) -> bytes:
            self.posts += 1
            body = json.loads(data)
            if isinstance(body, dict):
                self.alone[body["method"]] += 1
            for call in body if isinstance(body, list) else [body]:
                self.methods[call["method"]] += 1
            return await inner(endpoint_uri, data, **kwargs)

        manager.async_make_post_request = counting

    def take(self) -> tuple[int, Counter[str]]:
        """(posts, methods) since the last take, and start again from zero."""
        taken = (self.posts, self.methods)
        self.posts = 0
        self.methods = Counter()
        self.alone = Counter()
        return taken
