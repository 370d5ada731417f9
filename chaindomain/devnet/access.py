"""How a client reaches a running devnet the way it would reach production: every
endpoint over TLS verified against the devnet's CA, every Ledger API call with a JWT
from the devnet's identity provider (the development IdP, ``auth.dev_idp``).

The IdP's OAuth2 clients (``docs/devnet.md`` §Access), each with a random secret in
``<dir>/idp/secrets/<client id>.secret`` (mode 0600), made on the first ``up``:

| client id | token for user | on | rights (granted by ``devnet up``) |
|---|---|---|---|
| ``participant<i>-admin`` | ``participant_admin`` | participant *i* | ParticipantAdmin |
| ``<organisation>`` (``bank``, ``alice``, ...) | the same name | its participant | act as its |
|  |  |  | parties, read as the others hosted there, ParticipantAdmin |

Tokens are audience-based (the participant's audience, user id as subject) and live
:data:`TOKEN_TTL_S`; the participants verify them through the IdP's JWKS.
"""

from __future__ import annotations

import os
import secrets
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auth import fetch_token
from chaindomain.private_files import write_private
from ledger_client import LedgerClient
from protocol.tls import ClientTls

TOKEN_TTL_S = 3600
"""Long enough for a demo or a benchmark on one token."""


def admin_client_id(node: str) -> str:
    """The IdP client whose token is ``participant_admin`` on participant ``node``."""
    return f"{node}-admin"


def user_id(organisation: str) -> str:
    """The Ledger API user (and IdP client) of an organisation: ``Bank`` → ``bank``."""
    return organisation.lower()


@dataclass(frozen=True, slots=True)
class IdpClient:
    """One OAuth2 client of the devnet's IdP."""

    client_id: str
    user_id: str
    participant_id: str


def ensure_secret(secrets_dir: Path, client_id: str) -> Path:
    """The secret file of ``client_id``, made (mode 0600) if missing."""
    path = secrets_dir / f"{client_id}.secret"
    if not path.exists():
        secrets_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(secrets_dir, 0o700)
        write_private(path, secrets.token_urlsafe(32) + "\n")
    return path


@dataclass(frozen=True, slots=True)
class DevnetAccess:
    """What a client needs: the CA, the token endpoint, the client secrets."""

    ca_file: Path
    token_url: str
    secrets_dir: Path

    def tls(self) -> ClientTls:
        return ClientTls(self.ca_file)

    def ssl_context(self) -> ssl.SSLContext:
        """For HTTP clients (the ops endpoints, the IdP)."""
        return self.tls().ssl_context()

    def secret(self, client_id: str) -> str:
        return (self.secrets_dir / f"{client_id}.secret").read_text().strip()

    async def token(self, client_id: str) -> str:
        """A fresh token for ``client_id`` (``auth.TokenRequestError`` if refused)."""
        issued = await fetch_token(
            self.token_url, client_id, self.secret(client_id), tls=self.tls()
        )
        return issued.access_token

    async def ledger_client(self, target: str, client_id: str, **kwargs: Any) -> LedgerClient:
        """A connected :class:`LedgerClient` to ``target`` over TLS, with a token of
        ``client_id``."""
        token = await self.token(client_id)
        return await LedgerClient.connect(target, tls=self.tls(), token=token, **kwargs)

    def to_json(self) -> dict[str, str]:
        return {
            "ca_file": str(self.ca_file),
            "token_url": self.token_url,
            "secrets_dir": str(self.secrets_dir),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DevnetAccess:
        return cls(Path(data["ca_file"]), str(data["token_url"]), Path(data["secrets_dir"]))

    @classmethod
    def from_state_extra(cls, extra: Mapping[str, Any]) -> DevnetAccess:
        """From a state file's ``extra`` (``KeyError`` if it has no ``access``)."""
        return cls.from_json(extra["access"])


def idp_clients(participants: Sequence[tuple[str, str, str]]) -> list[IdpClient]:
    """The IdP's clients for ``(node name, participant id, organisation)`` triples."""
    clients: list[IdpClient] = []
    for node, participant, organisation in participants:
        clients.append(IdpClient(admin_client_id(node), "participant_admin", participant))
        clients.append(IdpClient(user_id(organisation), user_id(organisation), participant))
    return clients


def token_command(access: DevnetAccess, client_id: str) -> str:
    """The shell command that prints a token of ``client_id`` (for ``devnet up``)."""
    secret = access.secrets_dir / f"{client_id}.secret"
    return (
        f"curl -s --cacert {access.ca_file} -u {client_id}:$(cat {secret}) "
        f"-d grant_type=client_credentials {access.token_url}"
    )
