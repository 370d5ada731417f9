"""``MemberConfig``: the ``[domain]`` section of a member node's config (domain manager,
mediator, participant), and the runtime's tunables.

.. code-block:: toml

    [domain]
    domain_id = "mydomain::1220..."
    genesis_file = "genesis.json"            # relative to the config file
    sequencers = ["127.0.0.1:4101", "127.0.0.1:4201"]

    [domain.tuning]                          # optional; defaults shown
    reconnect_initial_s = 0.2
    reconnect_max_s = 5.0
    call_timeout_s = 10.0
    send_timeout_s = 15.0
    token_refresh_margin_s = 60.0
    acknowledge_every = 100
    max_sequencing_delay_s = 60.0
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Protocol

from pydantic import Field, field_validator

from node_runtime.config import StrictModel, TlsSection
from protocol.errors import ProtocolError
from protocol.identifiers import parse_domain_id


class MemberTuning(StrictModel):
    """Timeouts and backoff of the member runtime."""

    reconnect_initial_s: Annotated[float, Field(gt=0)] = 0.2
    """First wait before reconnecting after a failure; doubles up to ``reconnect_max_s``."""
    reconnect_max_s: Annotated[float, Field(gt=0)] = 5.0
    call_timeout_s: Annotated[float, Field(gt=0)] = 10.0
    """Deadline of authentication, acknowledgement, time and history calls."""
    send_timeout_s: Annotated[float, Field(gt=0)] = 15.0
    token_refresh_margin_s: Annotated[float, Field(ge=0)] = 60.0
    """Re-authenticate before a send when the token expires within this margin."""
    acknowledge_every: Annotated[int, Field(ge=1)] = 100
    """Acknowledge to the sequencer every this many events (the counter before the last
    processed one, which the next subscription starts from)."""
    max_sequencing_delay_s: Annotated[float, Field(gt=0)] = 60.0
    """Default ``max_sequencing_time`` of a send: now + this."""


class MemberConfig(StrictModel):
    """How a member reaches its domain."""

    domain_id: str
    genesis_file: Path
    sequencers: list[str] = Field(min_length=1)
    """Sequencer API endpoints, ``host:port``; the runtime fails over in this order."""
    tuning: MemberTuning = Field(default_factory=MemberTuning)

    @field_validator("domain_id")
    @classmethod
    def _domain(cls, value: str) -> str:
        try:
            return parse_domain_id(value)
        except ProtocolError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("sequencers")
    @classmethod
    def _endpoints(cls, value: list[str]) -> list[str]:
        for endpoint in value:
            host, sep, port = endpoint.rpartition(":")
            if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError(f"{endpoint!r} is not host:port")
        if len(set(value)) != len(value):
            raise ValueError("an endpoint is listed twice")
        return value

    def genesis_path(self, base_dir: Path | None) -> Path:
        """``genesis_file`` resolved against the config file's directory."""
        if base_dir is None or self.genesis_file.is_absolute():
            return self.genesis_file
        return base_dir / self.genesis_file


class MemberNodeConfig(Protocol):
    """What :meth:`~node_runtime.member.MemberConnection.for_node` reads from a member
    node's config: its ``[domain]`` and ``[tls]`` sections and the config file's folder."""

    @property
    def domain(self) -> MemberConfig: ...

    @property
    def tls(self) -> TlsSection: ...

    @property
    def base_dir(self) -> Path: ...
