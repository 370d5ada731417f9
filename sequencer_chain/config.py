"""A sequencer node's configuration: one TOML file, validated with ``node_runtime``.

Every problem is reported at once with the file and the dotted key. Relative paths are
resolved against the directory of the config file. Example (``docs/sequencer.md`` §6)::

    [node]
    sequencer_id = "SEQ::seq1::1220..."     # this node's member id (in auth challenges)
    data_dir = "state/seq1"                  # events.sqlite and outbox.sqlite live here

    [domain]
    domain_id = "mydomain::1220..."
    members_file = "members.toml"            # or, exactly one of the two:
    # genesis_file = "genesis.json"          # members from topology (`write_genesis`)

    [chain]
    rpc_url = "http://127.0.0.1:8545"
    deployment = "state/inbox.json"          # the record written by `contract deploy`
    confirmations = 2

    [chain.account]                          # exactly one of the two forms
    keystore = "keys/seq1.json"
    password = { file = "secrets/seq1.pw" }
    # dev_key_index = 1                      # anvil's well-known keys, chain id 31337 only

    [chain.writer]                           # optional: the batch writer (chain_settings.py)
    resubmit_after_blocks = 3

    [chain.writer.fees]                      # optional: the writer's fee policy, wei per gas
    max_fee_per_gas_cap = 500_000_000_000

    [chain.reader]                           # optional: the chain reader (chain_settings.py)
    keep_blocks = 512

    [api]
    host = "127.0.0.1"
    port = 4001

    [ops]                                    # /livez /readyz /metrics (sequencer_chain/metrics.py)
    host = "127.0.0.1"
    port = 4002

    [tls]                                    # node_runtime.config.TlsSection (docs/operations.md)
    cert_file = "tls/seq1.crt"               # the API and ops endpoint serve TLS
    key_file = "tls/seq1.key"
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator

from node_runtime.config import Listener, NodeConfig, Secret, StrictModel, load_config
from sequencer_chain.chain_settings import ReaderSection, WriterSection, writer_config


class NodeSection(StrictModel):
    sequencer_id: str
    """This node's member id; named in the authentication challenges it issues."""
    data_dir: Path


class DomainSection(StrictModel):
    domain_id: str
    members_file: Path | None = None
    """Static members (docs/sequencer.md §7)."""
    genesis_file: Path | None = None
    """Genesis topology; members then come from the topology store (§8)."""

    @model_validator(mode="after")
    def _one_source(self) -> DomainSection:
        if (self.members_file is None) == (self.genesis_file is None):
            raise ValueError("give exactly one of 'members_file' or 'genesis_file'")
        return self


class AccountSection(StrictModel):
    keystore: Path | None = None
    password: Secret | None = None
    dev_key_index: int | None = Field(default=None, ge=0, le=9)

    @model_validator(mode="after")
    def _one_form(self) -> AccountSection:
        if (self.keystore is None) == (self.dev_key_index is None):
            raise ValueError("give exactly one of 'keystore' (with 'password') or 'dev_key_index'")
        if self.keystore is not None and self.password is None:
            raise ValueError("'keystore' needs 'password' ({ file = ... } or { env = ... })")
        return self


class ChainSection(StrictModel):
    rpc_url: str
    deployment: Path
    """Deployment record of the ordering contract (address, deploy block, chain id)."""
    account: AccountSection
    confirmations: int = Field(default=2, ge=0)
    poll_interval_s: float = Field(default=0.5, gt=0)
    """The reader's pause between looks at the chain head once caught up (the writer's is
    `[chain.writer] poll_interval_s`)."""
    rpc_timeout_s: float = Field(default=10.0, gt=0)
    """Timeout of every chain RPC call of the reader and the writer, seconds."""
    max_blocks_per_step: int = Field(default=1_000, ge=1)
    """Widest `eth_getLogs` range of the reader; it reads narrower ranges while the endpoint
    refuses, times out or cuts off wider ones (docs/sequencer.md §1, "Range width")."""
    linger_s: float = Field(default=0.05, ge=0)
    """How long the writer lets a request wait for company before writing a batch."""
    writer: WriterSection = WriterSection()
    """The batch writer's other settings; `confirmations` and `rpc_timeout_s` are shared."""
    reader: ReaderSection = ReaderSection()
    """The chain reader's other settings."""

    @model_validator(mode="after")
    def _writer_settings_consistent(self) -> ChainSection:
        # Builds the writer's configuration once, so that a combination the writer refuses
        # is a config error naming [chain], not a failure at start.
        writer_config(self)
        return self


class ApiSection(StrictModel):
    host: str = "127.0.0.1"
    port: int = Field(default=0, ge=0, le=65_535)
    token_ttl_s: int = Field(default=3_600, gt=0)
    token_secret: Secret | None = None
    """HMAC key for tokens; random per start when absent (a restart ends every session)."""


class OpsSection(StrictModel):
    host: str = "127.0.0.1"
    port: int = Field(default=0, ge=0, le=65_535)
    """``/livez``, ``/readyz``, ``/metrics``; 0 picks a free port (named in the READY line)."""
    head_sample_interval_s: float = Field(default=2.0, gt=0)
    """How often the chain head is sampled for ``sequencer_head_lag_blocks``."""


class SequencerNodeConfig(NodeConfig):
    node: NodeSection
    domain: DomainSection
    chain: ChainSection
    api: ApiSection = ApiSection()
    ops: OpsSection = OpsSection()
    base_dir: Path = Path()
    """Directory of the config file (set by :func:`load_node_config`, not by the file)."""

    def path(self, p: Path) -> Path:
        return p if p.is_absolute() else self.base_dir / p

    def listeners(self) -> tuple[Listener, ...]:
        tls = self.tls.enabled
        return (Listener("api.host", self.api.host, tls), Listener("ops.host", self.ops.host, tls))


def load_node_config(path: Path) -> SequencerNodeConfig:
    """Load and validate ``path``; raises ``node_runtime.ConfigError`` naming each bad key."""
    config = load_config(path, SequencerNodeConfig)
    return config.model_copy(update={"base_dir": path.resolve().parent})
