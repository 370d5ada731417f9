"""The ``auth`` section of a node's TOML config, and building a verifier from it.

A node embeds :class:`AuthConfig` in its own config model (e.g. ``[ledger_api.auth]``)::

    [ledger_api.auth]
    jwks_url = "https://idp.example.com/.well-known/jwks.json"
    target_audience = "https://ledger.example.com"   # optional
    issuer = "https://idp.example.com"               # optional
    leeway_seconds = 5

    # development only: also accept HS256 tokens signed with this secret
    # allow_hs256_secret = { env = "LEDGER_API_DEV_HS256_SECRET" }

and calls :func:`build_verifier` with the participant's id. The HS256 secret is a
:class:`node_runtime.Secret` (a file or an environment variable), never a literal.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from auth.claims import TokenPolicy
from auth.jwks import JwksClient, JwksSettings
from auth.types import LEDGER_API_SCOPE, TokenFormat
from auth.verifier import TokenVerifier, VerifierSettings
from node_runtime.config import Secret, StrictModel
from protocol.tls import ClientTls

FormatName = Literal["audience", "scope", "custom"]
AlgorithmName = Literal["RS256", "ES256"]


class AuthConfig(StrictModel):
    """How a Ledger API (or another API) server verifies tokens."""

    jwks_url: str | None = None
    target_audience: str | None = None
    issuer: str | None = None
    scope: str = LEDGER_API_SCOPE
    ledger_id: str | None = None
    accepted_formats: tuple[FormatName, ...] = Field(
        default=("audience", "scope", "custom"), min_length=1
    )
    require_expiry: bool = True
    leeway_seconds: float = Field(default=5.0, ge=0, le=300)
    algorithms: tuple[AlgorithmName, ...] = Field(default=("RS256", "ES256"), min_length=1)
    jwks_cache_ttl_seconds: float = Field(default=300.0, gt=0)
    jwks_min_refetch_interval_seconds: float = Field(default=10.0, ge=0)
    jwks_fetch_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    jwks_stale_if_error_seconds: float = Field(default=600.0, ge=0)
    allow_hs256_secret: Secret | None = None
    """Development only: accept HS256 tokens signed with this secret."""

    @model_validator(mode="after")
    def _has_keys(self) -> AuthConfig:
        if self.jwks_url is None and self.allow_hs256_secret is None:
            raise ValueError("give 'jwks_url' (or, for development, 'allow_hs256_secret')")
        return self


def build_verifier(
    config: AuthConfig,
    participant_id: str,
    *,
    base_dir: Path | None = None,
    tls: ClientTls | None = None,
) -> TokenVerifier:
    """A :class:`TokenVerifier` for ``participant_id`` as ``config`` says; ``tls`` (the
    node's trusted CA bundle) is how an ``https`` JWKS URL is verified."""
    policy = TokenPolicy(
        participant_id=participant_id,
        target_audience=config.target_audience,
        issuer=config.issuer,
        scope=config.scope,
        ledger_id=config.ledger_id,
        accepted_formats=frozenset(TokenFormat(f) for f in config.accepted_formats),
        require_expiry=config.require_expiry,
        leeway_s=config.leeway_seconds,
    )
    jwks = None
    if config.jwks_url is not None:
        jwks = JwksClient(
            JwksSettings(
                url=config.jwks_url,
                cache_ttl_s=config.jwks_cache_ttl_seconds,
                min_refetch_interval_s=config.jwks_min_refetch_interval_seconds,
                fetch_timeout_s=config.jwks_fetch_timeout_seconds,
                stale_if_error_s=config.jwks_stale_if_error_seconds,
                tls=tls,
            )
        )
    secret = None
    if config.allow_hs256_secret is not None:
        secret = config.allow_hs256_secret.resolve(base_dir)
    settings = VerifierSettings(algorithms=frozenset(config.algorithms), allow_hs256_secret=secret)
    return TokenVerifier(policy, jwks, settings)
