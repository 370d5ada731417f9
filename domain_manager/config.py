"""The domain manager's configuration: one TOML file (``docs/domain-manager.md`` §6)::

[node]
member_id = "DOM::dm::1220..."          # this node's member id (in the domain's namespace)
data_dir = "state/dm"                    # domain_manager.sqlite, topology.sqlite

[domain]
domain_id = "mydomain::1220..."
genesis_file = "genesis.json"

[sequencers]
endpoints = ["127.0.0.1:4001", "127.0.0.1:4011"]

[keys]
namespace_keystore = "keys/domain-root.json"     # the domain's root namespace key
signing_keystore = "keys/dm-signing.json"        # the node's protocol signing key
encryption_keystore = "keys/dm-encryption.json"  # its X25519 key (optional)
password = { file = "secrets/dm.pw" }

[admin]
host = "127.0.0.1"
port = 4201
policy = "permissioned"                  # or "open"
admin_users = ["ops"]                    # user ids with admin rights (user tokens)

[admin.auth]                              # auth.AuthConfig (docs/auth.md)
jwks_url = "https://idp.example.com/jwks"
# allow_hs256_secret = { file = "secrets/dev-hs256" }   # development only

[ops]
host = "127.0.0.1"
port = 4202

[tls]                                     # node_runtime.config.TlsSection (docs/operations.md)
cert_file = "tls/dm.crt"                  # the admin API and ops endpoint serve TLS
key_file = "tls/dm.key"
ca_file = "tls/ca.crt"                    # the sequencers are dialled over TLS
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from auth import AuthConfig
from node_runtime.config import Listener, NodeConfig, Secret, StrictModel, load_config
from node_runtime.member import MemberConfig


class NodeSection(StrictModel):
    member_id: str
    data_dir: Path


class KeysSection(StrictModel):
    namespace_keystore: Path
    signing_keystore: Path
    encryption_keystore: Path | None = None
    password: Secret


class AdminSection(StrictModel):
    host: str = "127.0.0.1"
    port: int = Field(default=0, ge=0, le=65_535)
    policy: Literal["open", "permissioned"] = "permissioned"
    admin_users: tuple[str, ...] = ()
    sequencing_window_s: float = Field(default=30.0, gt=0, le=3_600)
    auth: AuthConfig


class OpsSection(StrictModel):
    host: str = "127.0.0.1"
    port: int = Field(default=0, ge=0, le=65_535)


class DomainManagerConfig(NodeConfig):
    node: NodeSection
    domain: MemberConfig
    keys: KeysSection
    admin: AdminSection
    ops: OpsSection = OpsSection()
    base_dir: Path = Path()
    """Directory of the config file (set by :func:`load_dm_config`)."""

    def path(self, p: Path) -> Path:
        return p if p.is_absolute() else self.base_dir / p

    def listeners(self) -> tuple[Listener, ...]:
        tls = self.tls.enabled
        return (
            Listener("admin.host", self.admin.host, tls),
            Listener("ops.host", self.ops.host, tls),
        )


def load_dm_config(path: Path) -> DomainManagerConfig:
    """Load and validate ``path``; raises ``node_runtime.ConfigError`` naming each bad key."""
    config = load_config(path, DomainManagerConfig)
    return config.model_copy(update={"base_dir": path.resolve().parent})
