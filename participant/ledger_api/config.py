"""The ``[ledger_api]`` section of a participant's config.

::

    [ledger_api]
    host = "127.0.0.1"
    port = 5011
    admin_user = "participant_admin"     # created with ParticipantAdmin on first start
    submit_and_wait_timeout_seconds = 60

    [ledger_api.tls]                     # optional; without it the node's [tls] applies
    cert_file = "tls/ledger-api.crt"     # PEM chain
    key_file = "tls/ledger-api.key"      # PEM private key
    client_ca_file = "tls/clients-ca.crt"  # optional: require client certificates (mTLS)

    [ledger_api.auth]                    # optional; without it every call is allowed
    jwks_url = "https://idp.example.com/jwks"

The user store lives in the node's ``data_dir`` as ``ledger_api_users.sqlite``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from auth import AuthConfig
from node_runtime.config import StrictModel


class TlsConfig(StrictModel):
    """The Ledger API's own certificate, overriding the node's ``[tls]`` for this API
    only (e.g. a certificate for a public name, or mutual TLS for the API alone)."""

    cert_file: Path
    key_file: Path
    client_ca_file: Path | None = None
    """If set, clients must present a certificate signed by this CA (mutual TLS)."""

    def resolved(self, base_dir: Path | None) -> TlsConfig:
        def fix(p: Path | None) -> Path | None:
            if p is None or p.is_absolute() or base_dir is None:
                return p
            return base_dir / p

        return TlsConfig(
            cert_file=fix(self.cert_file) or self.cert_file,
            key_file=fix(self.key_file) or self.key_file,
            client_ca_file=fix(self.client_ca_file),
        )


class LedgerApiConfig(StrictModel):
    host: str = "127.0.0.1"
    port: int = Field(default=0, ge=0, le=65535)
    admin_user: str | None = "participant_admin"
    submit_and_wait_timeout_seconds: float = Field(default=60.0, gt=0, le=3600)
    max_message_bytes: int = Field(default=8 * 1024 * 1024, ge=64 * 1024)
    tls: TlsConfig | None = None
    auth: AuthConfig | None = None


USERS_DB_NAME = "ledger_api_users.sqlite"
