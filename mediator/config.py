"""The mediator's configuration: one TOML file (``docs/mediator.md`` §6)::

[node]
member_id = "MED::mediator1::1220..."   # this node's member id
data_dir = "state/mediator"             # mediator.sqlite, member/ (counter, topology)

[domain]                                # node_runtime.member.MemberConfig
domain_id = "mydomain::1220..."
genesis_file = "genesis.json"
sequencers = ["127.0.0.1:4001", "127.0.0.1:4011"]

[keys]
keystore = "keys/mediator-signing.json" # protocol.crypto keystore (Ed25519)
password = { file = "secrets/mediator.pw" }

[mediator]                              # optional; defaults shown
time_proof_poll_s = 0.25                # how often the clock looks at the deadlines
time_proof_idle_s = 1.0                 # silence before asking for a time proof
clock_tolerance_s = 2.0                 # ask this long before a deadline on the wall clock
time_proof_timeout_s = 10.0
send_retry_initial_s = 0.2
send_retry_max_s = 5.0

[onboarding]                            # optional: ask the domain manager to onboard
domain_manager = "127.0.0.1:4201"       # its admin API (member calls need no token)
namespace_keystore = "keys/mediator-namespace.json"
encryption_keystore = "keys/mediator-encryption.json"
timeout_s = 120.0

[ops]
host = "127.0.0.1"
port = 4302

[tls]                                   # node_runtime.config.TlsSection (docs/operations.md)
cert_file = "tls/mediator.crt"          # the ops endpoint serves TLS
key_file = "tls/mediator.key"
ca_file = "tls/ca.crt"                  # sequencers and domain manager dialled over TLS
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from node_runtime.config import Listener, NodeConfig, Secret, StrictModel, load_config
from node_runtime.member import MemberConfig
from protocol.errors import ProtocolError
from protocol.identifiers import MemberKind, member_kind, parse_member_id


class NodeSection(StrictModel):
    member_id: str
    data_dir: Path

    @field_validator("member_id")
    @classmethod
    def _mediator_id(cls, value: str) -> str:
        try:
            member = parse_member_id(value)
        except ProtocolError as exc:
            raise ValueError(str(exc)) from None
        if member_kind(member) is not MemberKind.MEDIATOR:
            raise ValueError(f"{value} is not a mediator id (MED::name::namespace)")
        return member


class KeysSection(StrictModel):
    """The mediator's keys, encrypted keystores (``chaindomain identity generate``).
    ``keystore`` (``docs/nodes.md``) and ``signing_keystore`` (``chaindomain domain init``)
    are two names of the signing key; exactly one must be given."""

    keystore: Path | None = None
    signing_keystore: Path | None = None
    namespace_keystore: Path | None = None
    """Its namespace root key: only needed for ``[onboarding]``."""
    encryption_keystore: Path | None = None
    """Its X25519 key: only needed for ``[onboarding]`` (the mediator decrypts nothing)."""
    password: Secret

    @model_validator(mode="after")
    def _one_signing_key(self) -> KeysSection:
        if (self.keystore is None) == (self.signing_keystore is None):
            raise ValueError("give exactly one of keystore and signing_keystore")
        return self

    @property
    def signing(self) -> Path:
        path = self.keystore if self.keystore is not None else self.signing_keystore
        if path is None:  # excluded by the validator
            raise ValueError("no signing keystore")
        return path


class MediatorSection(StrictModel):
    """Timing of the mediator's own tasks (never of decisions: those use sequencer time)."""

    time_proof_poll_s: Annotated[float, Field(gt=0, le=60)] = 0.25
    time_proof_idle_s: Annotated[float, Field(gt=0, le=3600)] = 1.0
    clock_tolerance_s: Annotated[float, Field(ge=0, le=3600)] = 2.0
    time_proof_timeout_s: Annotated[float, Field(gt=0, le=600)] = 10.0
    send_retry_initial_s: Annotated[float, Field(gt=0, le=60)] = 0.2
    send_retry_max_s: Annotated[float, Field(gt=0, le=600)] = 5.0


class OnboardingSection(StrictModel):
    """Onboard through the domain manager at start (not needed for a genesis mediator);
    needs ``[keys] namespace_keystore`` and ``encryption_keystore``."""

    domain_manager: str
    timeout_s: Annotated[float, Field(gt=0, le=3600)] = 120.0


class OpsSection(StrictModel):
    host: str = "127.0.0.1"
    port: int = Field(default=0, ge=0, le=65_535)


class MediatorConfig(NodeConfig):
    node: NodeSection
    domain: MemberConfig
    keys: KeysSection
    mediator: MediatorSection = MediatorSection()
    onboarding: OnboardingSection | None = None
    ops: OpsSection = OpsSection()
    base_dir: Path = Path()
    """Directory of the config file (set by :func:`load_mediator_config`)."""

    def path(self, p: Path) -> Path:
        return p if p.is_absolute() else self.base_dir / p

    def listeners(self) -> tuple[Listener, ...]:
        return (Listener("ops.host", self.ops.host, self.tls.enabled),)

    @model_validator(mode="after")
    def _onboarding_keys(self) -> MediatorConfig:
        if self.onboarding is not None and (
            self.keys.namespace_keystore is None or self.keys.encryption_keystore is None
        ):
            raise ValueError(
                "[onboarding] needs keys.namespace_keystore and keys.encryption_keystore"
            )
        return self


def load_mediator_config(path: Path) -> MediatorConfig:
    """Load and validate ``path``; raises ``node_runtime.ConfigError`` naming each bad key."""
    config = load_config(path, MediatorConfig)
    return config.model_copy(update={"base_dir": path.resolve().parent})
