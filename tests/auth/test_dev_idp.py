"""The dev IdP as its own process: client credentials, RFC 6749 errors, keys on disk."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import stat
import sys
from pathlib import Path

import aiohttp
import pytest

from auth import JwksClient, JwksSettings, TokenFormat, TokenPolicy, TokenVerifier
from auth.dev_idp import DevIdp
from tests.support.auth import PARTICIPANT, idp_config

REPO_ROOT = Path(__file__).resolve().parents[2]

CONFIG = """
port = 0
state_dir = "state"
key_password = {{ file = "key.pw" }}
admin_secret = {{ file = "admin.pw" }}
rotation_grace_seconds = 60

[[clients]]
client_id = "alice-app"
client_secret = {{ file = "alice.pw" }}
format = "audience"
user_id = "alice"
participant_id = "{participant}"

[[clients]]
client_id = "bob app"
client_secret = {{ file = "bob.pw" }}
format = "scope"
user_id = "bob"
scope = "daml_ledger_api extra"
algorithm = "ES256"
"""


def basic(client_id: str, secret: str) -> str:
    from urllib.parse import quote_plus

    raw = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return "Basic " + base64.b64encode(raw).decode()


async def test_client_credentials_as_a_process(tmp_path: Path) -> None:
    (tmp_path / "idp.toml").write_text(CONFIG.format(participant=PARTICIPANT))
    for name, value in (("key", "k3y-pw"), ("admin", "adm1n"), ("alice", "a-pw"), ("bob", "b:pw")):
        (tmp_path / f"{name}.pw").write_text(value)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "auth.dev_idp", "--config", str(tmp_path / "idp.toml"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        cwd=REPO_ROOT,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 15)
        started = json.loads(line)
        url = started["url"]
        assert started["event"] == "listening" and url.startswith("http://127.0.0.1:")
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{url}/.well-known/openid-configuration") as r:
                discovery = await r.json()
            assert discovery["jwks_uri"] == f"{url}/jwks"
            assert discovery["token_endpoint"] == f"{url}/token"

            token_url = discovery["token_endpoint"]
            form = {"grant_type": "client_credentials"}
            # client_secret_post
            post = {**form, "client_id": "alice-app", "client_secret": "a-pw"}
            async with http.post(token_url, data=post) as r:
                assert r.status == 200 and r.headers["Cache-Control"] == "no-store"
                alice = await r.json()
            assert alice["token_type"] == "Bearer" and alice["expires_in"] == 300
            # client_secret_basic, with characters that need form-encoding
            auth = {"Authorization": basic("bob app", "b:pw")}
            async with http.post(token_url, data={**form, "scope": "extra"}, headers=auth) as r:
                assert r.status == 200
                bob = await r.json()
            assert bob["scope"] == "daml_ledger_api extra"

            async def error(
                data: dict[str, str], headers: dict[str, str] | None = None
            ) -> tuple[int, str]:
                async with http.post(token_url, data=data, headers=headers) as r:
                    body = await r.json()
                    assert set(body) == {"error", "error_description"}
                    return r.status, body["error"]

            assert await error({**post, "client_secret": "wrong"}) == (401, "invalid_client")
            assert await error({**post, "client_id": "nobody"}) == (401, "invalid_client")
            assert await error(form) == (401, "invalid_client")
            assert await error({**post, "grant_type": "password"}) == (
                400,
                "unsupported_grant_type",
            )
            assert await error({k: v for k, v in post.items() if k != "grant_type"}) == (
                400,
                "invalid_request",
            )
            assert await error({**form, "scope": "admin"}, auth) == (400, "invalid_scope")
            async with http.post(token_url, json=post) as r:
                assert (r.status, (await r.json())["error"]) == (400, "invalid_request")

            # the tokens verify against the process's JWKS
            verifier = TokenVerifier(
                TokenPolicy(participant_id=PARTICIPANT, issuer=url),
                JwksClient(JwksSettings(url=discovery["jwks_uri"])),
            )
            try:
                claims = await verifier.verify(alice["access_token"])
                assert (claims.format, claims.user_id) == (TokenFormat.AUDIENCE, "alice")
                claims = await verifier.verify(bob["access_token"])
                assert (claims.format, claims.algorithm) == (TokenFormat.SCOPE, "ES256")
            finally:
                await verifier.aclose()

            # rotation over HTTP needs the admin secret
            async with http.post(f"{url}/admin/rotate") as r:
                assert r.status == 401
            admin = {"Authorization": "Bearer adm1n"}
            async with http.post(f"{url}/admin/rotate", headers=admin) as r:
                assert r.status == 200
                rotated = await r.json()
            async with http.get(f"{url}/jwks") as r:
                kids = {k["kid"] for k in (await r.json())["keys"]}
            assert set(rotated["active"].values()) < kids and len(kids) == 4
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 10)
    assert process.returncode == 0

    # keys persisted: encrypted, mode 0600, in a 0700 folder
    key_dir = tmp_path / "state" / "keys"
    assert stat.S_IMODE(os.stat(key_dir).st_mode) == 0o700
    pems = list(key_dir.glob("*.pem"))
    assert len(pems) == 4
    for pem in pems:
        assert stat.S_IMODE(os.stat(pem).st_mode) == 0o600
        assert pem.read_text().startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")


async def test_keys_survive_restart_and_grace_expires(tmp_path: Path) -> None:
    from tests.support.auth import FakeClock

    clock = FakeClock(1_000_000.0)
    config = idp_config(tmp_path, state_dir=tmp_path / "state", rotation_grace_seconds=60)
    first = DevIdp(config, key_clock=clock)
    kid = first.keys.active("RS256").kid
    assert DevIdp(config, key_clock=clock).keys.active("RS256").kid == kid  # reloaded
    first.keys.rotate()
    assert len(first.keys.jwks()["keys"]) == 4
    clock.advance(61)
    reloaded = DevIdp(config, key_clock=clock)
    assert len(reloaded.keys.jwks()["keys"]) == 2
    assert not (tmp_path / "state" / "keys" / f"{kid}.pem").exists()


def test_an_unreadable_key_directory_is_a_typed_auth_error(tmp_path: Path) -> None:
    from auth.dev_idp import KeyStore
    from auth.errors import AuthConfigError, AuthError, SigningKeyStoreError

    KeyStore(tmp_path, password="first")
    with pytest.raises(SigningKeyStoreError) as caught:
        KeyStore(tmp_path, password="wrong")
    assert isinstance(caught.value, AuthConfigError) and isinstance(caught.value, AuthError)
    assert caught.value.path.is_relative_to(tmp_path)
    assert "cannot load keys" in str(caught.value)
