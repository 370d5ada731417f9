"""The participant node's configuration: one TOML file (``docs/participant.md`` §Node)::

[node]
participant_id = "PAR::p1::1220..."     # this node's member id
name = "p1"                             # optional display name (logs)
data_dir = "state/p1"                   # participant.sqlite, packages.sqlite, node.sqlite,
                                        # ledger_api_users.sqlite, member/ (counter, topology)

[keys]                                  # protocol.crypto keystores
namespace_keystore = "keys/p1-namespace.json"    # root of the participant's namespace
signing_keystore = "keys/p1-signing.json"        # Ed25519 protocol signing key
encryption_keystore = "keys/p1-encryption.json"  # X25519 view decryption key
password = { file = "secrets/p1.pw" }

[domain]                                # node_runtime.member.MemberConfig
domain_id = "mydomain::1220..."
genesis_file = "genesis.json"
sequencers = ["127.0.0.1:4001", "127.0.0.1:4011"]

[domain_manager]                        # optional: onboarding and party allocation
endpoint = "127.0.0.1:4201"             # its admin API (member calls need no token)
onboarding_timeout_s = 300.0            # permissioned domains: until an admin approves
call_timeout_s = 60.0

[ledger_api]                            # participant.ledger_api.LedgerApiConfig
host = "127.0.0.1"
port = 5011

[protocol]                              # optional; defaults shown
commitment_period_s = 60.0
max_sequencing_delay_s = 60.0
max_dedup_duration_s = 604800.0
send_timeout_s = 15.0
vetting = "topology"                    # or "local" (tests, development)
time_proof_poll_s = 0.25
time_proof_idle_s = 1.0
clock_tolerance_s = 2.0
time_proof_timeout_s = 10.0

[packages]                              # optional
examples = ["iou", "dvp", "agreement"]  # example packages loaded at start
files = []                              # further package sources loaded at start

[ops]
host = "127.0.0.1"
port = 5012

[tls]                                   # node_runtime.config.TlsSection (docs/operations.md)
cert_file = "tls/p1.crt"                # the Ledger API and ops endpoint serve TLS
key_file = "tls/p1.key"
ca_file = "tls/ca.crt"                  # sequencers, domain manager, JWKS dialled over TLS
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator

from node_runtime.config import Listener, NodeConfig, Secret, StrictModel, load_config
from node_runtime.member import MemberConfig
from participant.engine.examples import EXAMPLES
from participant.ledger_api.config import LedgerApiConfig
from participant.protocol import ProcessorConfig, VettingMode
from protocol.errors import ProtocolError
from protocol.identifiers import MemberKind, member_kind, parse_member_id

MICROS = 1_000_000


class NodeSection(StrictModel):
    participant_id: str
    """This participant's member id (``PAR::name::namespace``)."""
    name: str = ""
    """Display name used in logs; defaults to the id's name part."""
    data_dir: Path
    """Every sqlite file of the node (relative to the config file)."""

    @field_validator("participant_id")
    @classmethod
    def _participant_id(cls, value: str) -> str:
        try:
            member = parse_member_id(value)
        except ProtocolError as exc:
            raise ValueError(str(exc)) from None
        if member_kind(member) is not MemberKind.PARTICIPANT:
            raise ValueError(f"{value} is not a participant id (PAR::name::namespace)")
        return member


class KeysSection(StrictModel):
    """The participant's three keys, encrypted keystores (``chaindomain identity generate``)."""

    namespace_keystore: Path
    """Root key of the participant's namespace: signs its onboarding and its parties."""
    signing_keystore: Path
    """Ed25519 protocol key: requests, responses, commitments, sequencer authentication."""
    encryption_keystore: Path
    """X25519 key the views addressed to this participant are encrypted to."""
    password: Secret
    """Password of the keystores."""


class DomainManagerSection(StrictModel):
    """Where to ask for onboarding and party hosting."""

    endpoint: str
    """``host:port`` of the domain manager's admin API."""
    onboarding_timeout_s: Annotated[float, Field(gt=0, le=86_400)] = 300.0
    """How long the first start waits to be onboarded (approval included)."""
    call_timeout_s: Annotated[float, Field(gt=0, le=600)] = 60.0
    """Bound on one party hosting request, and on waiting until it is effective here."""


class ProtocolSection(StrictModel):
    """The confirmation protocol's tuning (``participant.protocol.ProcessorConfig``) and the
    node's time proofs. Decisions always use sequencer time; the wall clock only decides
    when to ask for a time proof."""

    commitment_period_s: Annotated[float, Field(gt=0, le=86_400)] = 60.0
    """ACS commitments cover periods of sequencer time ending at multiples of this."""
    max_sequencing_delay_s: Annotated[float, Field(gt=0, le=3_600)] = 60.0
    """A request not sequenced within this after submission completes as not sequenced."""
    max_dedup_duration_s: Annotated[float, Field(gt=0, le=365 * 86_400)] = 7 * 86_400.0
    """Command deduplication period when a command names none."""
    send_timeout_s: Annotated[float, Field(gt=0, le=600)] = 15.0
    vetting: VettingMode = VettingMode.TOPOLOGY
    """``topology``: only packages of this participant's ``VettedPackages`` topology
    mapping are vetted; the node vets every package it stores (at start and on upload)
    through the domain manager, and a submission is refused unless every informee
    participant has vetted its packages. ``local`` (tests, development): every package in
    the node's package store is vetted and other participants' vetting is not checked."""
    time_proof_poll_s: Annotated[float, Field(gt=0, le=60)] = 0.25
    time_proof_idle_s: Annotated[float, Field(gt=0, le=3_600)] = 1.0
    """Silence on the stream before a time proof is asked for."""
    clock_tolerance_s: Annotated[float, Field(ge=0, le=3_600)] = 2.0
    """Ask this long before a deadline on the wall clock."""
    time_proof_timeout_s: Annotated[float, Field(gt=0, le=600)] = 10.0

    def processor_config(self) -> ProcessorConfig:
        return ProcessorConfig(
            commitment_period=int(self.commitment_period_s * MICROS),
            max_sequencing_delay=int(self.max_sequencing_delay_s * MICROS),
            max_dedup_duration=int(self.max_dedup_duration_s * MICROS),
            send_timeout_s=self.send_timeout_s,
            vetting=self.vetting,
        )


class PackagesSection(StrictModel):
    """Packages loaded into the package store at every start (idempotent)."""

    examples: list[str] = Field(default_factory=lambda: list(EXAMPLES))
    """Names of the example packages shipped with the engine."""
    files: list[Path] = Field(default_factory=list)
    """Package source files (relative to the config file)."""

    @field_validator("examples")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        for name in value:
            if name not in EXAMPLES:
                raise ValueError(f"unknown example package {name!r} (known: {EXAMPLES})")
        return value


class OpsSection(StrictModel):
    host: str = "127.0.0.1"
    port: int = Field(default=0, ge=0, le=65_535)


class ParticipantConfig(NodeConfig):
    node: NodeSection
    keys: KeysSection
    domain: MemberConfig
    domain_manager: DomainManagerSection | None = None
    ledger_api: LedgerApiConfig = LedgerApiConfig()
    protocol: ProtocolSection = ProtocolSection()
    packages: PackagesSection = PackagesSection()
    ops: OpsSection = OpsSection()
    base_dir: Path = Path()
    """Directory of the config file (set by :func:`load_participant_config`)."""

    def path(self, p: Path) -> Path:
        return p if p.is_absolute() else self.base_dir / p

    def listeners(self) -> tuple[Listener, ...]:
        api = self.ledger_api
        return (
            Listener(
                "ledger_api.host",
                api.host,
                tls=self.tls.enabled or api.tls is not None,
                authenticated=api.auth is not None,
            ),
            Listener("ops.host", self.ops.host, self.tls.enabled),
        )

    @property
    def display_name(self) -> str:
        return self.node.name or self.node.participant_id.split("::")[1]


def load_participant_config(path: Path) -> ParticipantConfig:
    """Load and validate ``path``; raises ``node_runtime.ConfigError`` naming each bad key."""
    config = load_config(path, ParticipantConfig)
    return config.model_copy(update={"base_dir": path.resolve().parent})
