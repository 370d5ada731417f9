"""The development IdP's TOML configuration: where it listens, its keys and its clients.

::

    host = "127.0.0.1"
    port = 0                          # 0: pick a free port (the URL is printed on stdout)
    state_dir = "idp-state"           # keys persist here; omit for in-memory keys
    key_password = { env = "IDP_KEY_PASSWORD" }   # optional: encrypt the key files
    admin_secret = { file = "admin.secret" }      # optional: enables POST /admin/rotate
    token_ttl_seconds = 300
    rotation_grace_seconds = 3600

    [tls]                              # node_runtime.config.TlsSection: serve HTTPS
    cert_file = "tls/idp.crt"
    key_file = "tls/idp.key"

    [[clients]]                        # audience-based token for user alice
    client_id = "alice-app"
    client_secret = { file = "alice.secret" }
    format = "audience"
    user_id = "alice"
    participant_id = "participant1"

    [[clients]]                        # scope-based token, ES256
    client_id = "bob-app"
    client_secret = { env = "BOB_SECRET" }
    format = "scope"
    user_id = "bob"
    algorithm = "ES256"

    [[clients]]                        # legacy custom-claims token
    client_id = "legacy"
    client_secret = { file = "legacy.secret" }
    format = "custom"
    act_as = ["alice::1220…"]
    read_as = ["public::1220…"]
    application_id = "legacy-app"
    participant_id = "participant1"

Relative paths (``state_dir``, secret files) are resolved against the config file's folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from auth.types import LEDGER_API_SCOPE, is_valid_user_id
from node_runtime.config import Listener, NodeConfig, Secret, StrictModel


class ClientConfig(StrictModel):
    """One OAuth2 client and the token it gets."""

    client_id: str = Field(min_length=1, max_length=128)
    client_secret: Secret
    format: Literal["audience", "scope", "custom"]
    user_id: str | None = None
    participant_id: str | None = None
    audience: tuple[str, ...] = ()
    """Extra ``aud`` values (audience tokens always include the participant audience)."""
    scope: str = LEDGER_API_SCOPE
    """Scope-based tokens: the granted scopes (space separated)."""
    act_as: tuple[str, ...] = ()
    read_as: tuple[str, ...] = ()
    admin: bool = False
    application_id: str | None = None
    ledger_id: str | None = None
    algorithm: Literal["RS256", "ES256"] = "RS256"
    token_ttl_seconds: int | None = Field(default=None, gt=0, le=86400)

    @model_validator(mode="after")
    def _fits_format(self) -> ClientConfig:
        if self.user_id is not None and not is_valid_user_id(self.user_id):
            raise ValueError(f"user_id {self.user_id!r} is not a valid Daml user id")
        if self.format in ("audience", "scope") and self.user_id is None:
            raise ValueError(f"{self.format}-based clients need 'user_id'")
        if self.format == "audience" and self.participant_id is None:
            raise ValueError("audience-based clients need 'participant_id'")
        if self.format != "custom" and (self.act_as or self.read_as or self.admin):
            raise ValueError("act_as/read_as/admin belong to custom-claims clients only")
        return self


class IdpConfig(NodeConfig):
    """The whole development IdP."""

    host: str = "127.0.0.1"
    port: int = Field(default=0, ge=0, le=65535)
    issuer: str | None = None
    """Defaults to ``http(s)://<host>:<bound port>`` (``https`` with ``[tls]``)."""
    state_dir: Path | None = None
    key_password: Secret | None = None
    admin_secret: Secret | None = None
    token_ttl_seconds: int = Field(default=300, gt=0, le=86400)
    rotation_grace_seconds: float = Field(default=3600.0, ge=0)
    jwks_max_age_seconds: int = Field(default=60, ge=0)
    clients: tuple[ClientConfig, ...] = ()

    def listeners(self) -> tuple[Listener, ...]:
        return (Listener("host", self.host, self.tls.enabled),)

    @model_validator(mode="after")
    def _unique_clients(self) -> IdpConfig:
        ids = [c.client_id for c in self.clients]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate client_id: {', '.join(duplicates)}")
        return self
