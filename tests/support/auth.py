"""Shared values for the ``auth`` tests: participant ids, IdP clients, token minting."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from auth import CanActAs, CanReadAs, IdentityProviderAdmin, ParticipantAdmin, UserId, UserRight
from auth.dev_idp import ClientConfig, IdpConfig
from node_runtime import Secret

PARTICIPANT = "participant1"
OTHER_PARTICIPANT = "participant2"
ALICE = "alice::1220" + "a" * 64
BOB = "bob::1220" + "b" * 64
HS256_SECRET = "dev-only-shared-secret-of-at-least-32-bytes"


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def secret_file(tmp: Path, name: str, value: str) -> Secret:
    path = tmp / f"{name}.secret"
    path.write_text(value)
    return Secret(file=path)


def idp_config(tmp: Path, **overrides: Any) -> IdpConfig:
    """An IdP with one client per format (secrets: ``<client_id>-pw``)."""
    clients = [
        ClientConfig(
            client_id="alice-app",
            client_secret=secret_file(tmp, "alice-app", "alice-app-pw"),
            format="audience",
            user_id="alice",
            participant_id=PARTICIPANT,
        ),
        ClientConfig(
            client_id="bob-app",
            client_secret=secret_file(tmp, "bob-app", "bob-app-pw"),
            format="scope",
            user_id="bob",
            algorithm="ES256",
        ),
        ClientConfig(
            client_id="legacy",
            client_secret=secret_file(tmp, "legacy", "legacy-pw"),
            format="custom",
            act_as=(ALICE,),
            read_as=(BOB,),
            application_id="legacy-app",
            participant_id=PARTICIPANT,
        ),
        ClientConfig(
            client_id="other-participant",
            client_secret=secret_file(tmp, "other-participant", "other-participant-pw"),
            format="audience",
            user_id="alice",
            participant_id=OTHER_PARTICIPANT,
        ),
        ClientConfig(
            client_id="short-lived",
            client_secret=secret_file(tmp, "short-lived", "short-lived-pw"),
            format="audience",
            user_id="alice",
            participant_id=PARTICIPANT,
            token_ttl_seconds=2,
        ),
    ]
    values: dict[str, Any] = {"clients": tuple(clients), **overrides}
    return IdpConfig(**values)


def audience_payload(user: str = "alice", ttl: int = 60, **extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {
        "aud": f"https://daml.com/jwt/aud/participant/{PARTICIPANT}",
        "sub": user,
        "iat": now,
        "exp": now + ttl,
        **extra,
    }


def rogue_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def rogue_ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def sign(payload: dict[str, Any], key: Any, alg: str, kid: str | None) -> str:
    headers = {"kid": kid} if kid is not None else None
    return jwt.encode(payload, key, algorithm=alg, headers=headers)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_token(payload: dict[str, Any], alg: str = "none", kid: str | None = None) -> str:
    """A token with ``alg: none`` and an empty signature, written by hand."""
    header: dict[str, Any] = {"alg": alg, "typ": "JWT"}
    if kid is not None:
        header["kid"] = kid
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}."


class Users:
    """An in-memory user management (a ``UserRightsLookup``)."""

    def __init__(self, users: dict[str, frozenset[UserRight]]) -> None:
        self.users = users

    async def user_rights(self, user_id: UserId) -> frozenset[UserRight] | None:
        return self.users.get(user_id)


USERS = Users(
    {
        "alice": frozenset({CanActAs(ALICE), CanReadAs(BOB)}),
        "bob": frozenset({CanActAs(BOB)}),
        "admin": frozenset({ParticipantAdmin()}),
        "idp-admin": frozenset({IdentityProviderAdmin()}),
    }
)
