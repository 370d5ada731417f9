"""The development IdP's HTTP server: discovery, JWKS, the token endpoint and rotation.

Endpoints (all JSON):

* ``GET /.well-known/openid-configuration`` - issuer, ``jwks_uri``, ``token_endpoint``, …
* ``GET /jwks`` - the published public keys (:mod:`auth.dev_idp.keys`)
* ``POST /token`` - OAuth2 client credentials (RFC 6749 §4.4); the client authenticates
  with HTTP Basic (``client_secret_basic``) or form fields (``client_secret_post``).
  Errors per RFC 6749 §5.2: ``invalid_request``, ``invalid_client`` (401),
  ``unsupported_grant_type``, ``invalid_scope``.
* ``POST /admin/rotate`` - rotate the signing keys; needs ``Authorization: Bearer
  <admin_secret>`` and is absent (404) when no admin secret is configured.

It is a development tool: one process, keys in a local folder, clients in a TOML file.
"""

from __future__ import annotations

import base64
import hmac
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jwt
from aiohttp import web

from auth.dev_idp.config import ClientConfig, IdpConfig
from auth.dev_idp.keys import KeyStore
from auth.types import CUSTOM_CLAIMS_KEY, participant_audience
from node_runtime.tls import server_tls

log = logging.getLogger(__name__)

CLIENT_CREDENTIALS = "client_credentials"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@dataclass(frozen=True, slots=True)
class Client:
    """A configured client with its secret resolved."""

    config: ClientConfig
    secret: str


class OAuthError(Exception):
    """An RFC 6749 §5.2 error reply."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        self.error = error
        self.description = description
        self.status = status
        super().__init__(f"{error}: {description}")

    def response(self) -> web.Response:
        headers = dict(NO_STORE)
        if self.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="chaindomain-dev-idp"'
        return web.json_response(
            {"error": self.error, "error_description": self.description},
            status=self.status,
            headers=headers,
        )


def build_payload(client: ClientConfig, issuer: str, now: int, ttl: int) -> dict[str, Any]:
    """The claims of a token for ``client``, in its configured Daml format."""
    payload: dict[str, Any] = {"iss": issuer, "iat": now, "exp": now + ttl}
    audiences = list(client.audience)
    if client.format == "audience":
        if client.participant_id is None:
            raise ValueError(f"client {client.client_id}: audience tokens need participant_id")
        audiences.insert(0, participant_audience(client.participant_id))
        payload["sub"] = client.user_id
    elif client.format == "scope":
        payload["sub"] = client.user_id
        payload["scope"] = client.scope
    else:
        custom: dict[str, Any] = {
            "actAs": list(client.act_as),
            "readAs": list(client.read_as),
            "admin": client.admin,
        }
        for key, value in (
            ("applicationId", client.application_id),
            ("participantId", client.participant_id),
            ("ledgerId", client.ledger_id),
        ):
            if value is not None:
                custom[key] = value
        payload[CUSTOM_CLAIMS_KEY] = custom
        if client.user_id is not None:
            payload["sub"] = client.user_id
    if audiences:
        payload["aud"] = audiences[0] if len(audiences) == 1 else audiences
    return payload


class DevIdp:
    """The server; ``await start()``, then ``url``; ``await stop()``."""

    def __init__(
        self,
        config: IdpConfig,
        *,
        base_dir: Path | None = None,
        key_clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        state_dir = config.state_dir
        if state_dir is not None and base_dir is not None and not state_dir.is_absolute():
            state_dir = base_dir / state_dir
        password = config.key_password.resolve(base_dir) if config.key_password else None
        self.keys = KeyStore(
            state_dir, password=password, grace_s=config.rotation_grace_seconds, clock=key_clock
        )
        self._admin_secret = config.admin_secret.resolve(base_dir) if config.admin_secret else None
        self.clients = {
            c.client_id: Client(c, c.client_secret.resolve(base_dir)) for c in config.clients
        }
        self.tls = server_tls(config.tls, base_dir)
        """HTTPS with the ``[tls]`` certificate (``None``: plaintext)."""
        self.port = 0
        self.jwks_requests = 0
        """How many times ``/jwks`` was served (verifiers' caching shows here)."""
        self.tokens_issued = 0
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://{self.config.host}:{self.port}"

    @property
    def issuer(self) -> str:
        return self.config.issuer or self.url

    @property
    def jwks_url(self) -> str:
        return f"{self.url}/jwks"

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/.well-known/openid-configuration", self._discovery)
        app.router.add_get("/jwks", self._jwks)
        app.router.add_post("/token", self._token)
        if self._admin_secret is not None:
            app.router.add_post("/admin/rotate", self._rotate)
        return app

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        context = self.tls.ssl_context() if self.tls is not None else None
        site = web.TCPSite(self._runner, self.config.host, self.config.port, ssl_context=context)
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else self.config.port
        log.info("dev IdP listening", extra={"url": self.url, "clients": sorted(self.clients)})

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def issue(self, client_id: str, now: int | None = None) -> str:
        """Sign a token for ``client_id`` (also used in-process by tests and tools)."""
        client = self.clients[client_id].config
        ttl = client.token_ttl_seconds or self.config.token_ttl_seconds
        issued_at = int(time.time()) if now is None else now
        payload = build_payload(client, self.issuer, issued_at, ttl)
        key = self.keys.active(client.algorithm)
        self.tokens_issued += 1
        return jwt.encode(
            payload, key.private_key, algorithm=client.algorithm, headers={"kid": key.kid}
        )

    # --- handlers ---------------------------------------------------------------------

    async def _discovery(self, _: web.Request) -> web.Response:
        return web.json_response(
            {
                "issuer": self.issuer,
                "jwks_uri": self.jwks_url,
                "token_endpoint": f"{self.url}/token",
                "grant_types_supported": [CLIENT_CREDENTIALS],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                ],
                "id_token_signing_alg_values_supported": ["RS256", "ES256"],
                "response_types_supported": ["token"],
                "subject_types_supported": ["public"],
                "scopes_supported": ["daml_ledger_api"],
            }
        )

    async def _jwks(self, _: web.Request) -> web.Response:
        self.jwks_requests += 1
        return web.json_response(
            self.keys.jwks(),
            headers={"Cache-Control": f"public, max-age={self.config.jwks_max_age_seconds}"},
        )

    async def _token(self, request: web.Request) -> web.Response:
        try:
            client, form = await self._authenticate_client(request)
            grant_type = form.get("grant_type")
            if not grant_type:
                raise OAuthError("invalid_request", "missing 'grant_type'")
            if grant_type != CLIENT_CREDENTIALS:
                raise OAuthError(
                    "unsupported_grant_type", f"only '{CLIENT_CREDENTIALS}' is supported"
                )
            granted = self._granted_scope(client.config, form.get("scope"))
        except OAuthError as exc:
            log.info("token request refused", extra={"error": exc.error, "why": exc.description})
            return exc.response()
        ttl = client.config.token_ttl_seconds or self.config.token_ttl_seconds
        body: dict[str, Any] = {
            "access_token": self.issue(client.config.client_id),
            "token_type": "Bearer",
            "expires_in": ttl,
        }
        if granted:
            body["scope"] = granted
        return web.json_response(body, headers=NO_STORE)

    def _granted_scope(self, client: ClientConfig, requested: str | None) -> str | None:
        allowed = set(client.scope.split()) if client.format == "scope" else set()
        if not requested:
            return client.scope if client.format == "scope" else None
        wanted = set(requested.split())
        unknown = wanted - allowed
        if unknown:
            raise OAuthError(
                "invalid_scope", f"scope not granted to this client: {' '.join(sorted(unknown))}"
            )
        return client.scope

    async def _authenticate_client(self, request: web.Request) -> tuple[Client, dict[str, str]]:
        if request.content_type != "application/x-www-form-urlencoded":
            raise OAuthError("invalid_request", "body must be application/x-www-form-urlencoded")
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        basic = request.headers.get("Authorization")
        if basic is not None:
            if "client_secret" in form:
                raise OAuthError("invalid_request", "use one client authentication method")
            client_id, secret = _parse_basic(basic)
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
            if not client_id:
                raise OAuthError("invalid_client", "no client authentication", status=401)
        client = self.clients.get(client_id)
        expected = client.secret if client is not None else "\0unknown client"
        if not hmac.compare_digest(secret.encode(), expected.encode()) or client is None:
            raise OAuthError("invalid_client", "unknown client or wrong secret", status=401)
        return client, form

    async def _rotate(self, request: web.Request) -> web.Response:
        given = request.headers.get("Authorization", "")
        expected = f"Bearer {self._admin_secret}"
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return web.json_response(
                {"error": "unauthorized", "error_description": "admin secret required"},
                status=401,
                headers={"WWW-Authenticate": 'Bearer realm="chaindomain-dev-idp-admin"'},
            )
        active = self.keys.rotate()
        return web.json_response(
            {"active": active, "published": [k.kid for k in self.keys.published()]}
        )


def _parse_basic(header: str) -> tuple[str, str]:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        raise OAuthError("invalid_client", f"unsupported authentication scheme {scheme!r}", 401)
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        raise OAuthError("invalid_client", "malformed Basic credentials", 401) from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise OAuthError("invalid_client", "malformed Basic credentials", 401)
    # RFC 6749 §2.3.1: both parts are form-urlencoded before Basic encoding
    return unquote(client_id.replace("+", " ")), unquote(secret.replace("+", " "))
