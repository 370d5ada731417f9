"""The JWKS client: fetches the identity provider's public keys over HTTP and caches them.

It owns the key cache and every request to the JWKS URL, and nothing about tokens beyond
"give me the key named ``kid``". The rules:

* **TTL.** The key set is fetched once and reused for ``cache_ttl_s``; then refetched on
  the next use.
* **Unknown ``kid``.** A key id not in the cached set triggers one refetch (the IdP may
  have rotated), but at most once per ``min_refetch_interval_s``: a flood of tokens with
  made-up key ids costs the IdP one request per interval, not one per token.
* **Single flight.** Concurrent refetches coalesce into one request.
* **Timeout.** Every fetch has a total timeout (``fetch_timeout_s``).
* **Outage.** If a refetch fails, the previous key set keeps being used for up to
  ``stale_if_error_s`` past its TTL, so a short IdP outage does not log every client out.
  With no usable key set the error is :class:`~auth.errors.JwksUnavailableError`
  (gRPC UNAVAILABLE): the caller's token may be perfectly good, the server cannot tell.
  Failed fetches count against the refetch interval too, so a dead IdP is not hammered.
* **TLS.** An ``https`` JWKS URL is verified against the system's CAs and, with
  ``tls``, the node's trusted CA bundle too (a private IdP such as the devnet's); a
  refused certificate is a :class:`~auth.errors.JwksUnavailableError` that says why.

Keys are parsed with PyJWT's :class:`jwt.PyJWK`; only RSA and EC signature keys with a
``kid`` are kept (``use`` other than ``sig`` is skipped).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import jwt

from auth.errors import AuthConfigError, InvalidTokenError, InvalidTokenReason, JwksUnavailableError
from protocol.tls import ClientTls

log = logging.getLogger(__name__)

MAX_JWKS_BYTES = 1 << 20
"""A JWKS larger than this is refused (a real one holds a handful of keys)."""


@dataclass(frozen=True, slots=True)
class JwksSettings:
    """Where the keys are and how long they are trusted."""

    url: str
    """The JWKS URL, e.g. ``https://idp.example.com/.well-known/jwks.json``."""
    cache_ttl_s: float = 300.0
    """How long a fetched key set is used before it is refetched."""
    min_refetch_interval_s: float = 10.0
    """Minimum time between two fetches triggered by unknown key ids or failures."""
    fetch_timeout_s: float = 5.0
    """Total timeout of one fetch (connect, send, read)."""
    stale_if_error_s: float = 600.0
    """How long past its TTL a key set may be used while refetches fail."""
    tls: ClientTls | None = None
    """Also trust this CA bundle (and present its client certificate) for an ``https``
    URL; ``None``: the system's CAs only."""

    def __post_init__(self) -> None:
        if not self.url.startswith(("https://", "http://")):
            raise AuthConfigError("JwksSettings.url", f"must be an http(s) URL, got {self.url!r}")
        for name in ("cache_ttl_s", "fetch_timeout_s"):
            if getattr(self, name) <= 0:
                raise AuthConfigError(f"JwksSettings.{name}", "must be positive")
        if self.min_refetch_interval_s < 0 or self.stale_if_error_s < 0:
            raise AuthConfigError("JwksSettings", "intervals must not be negative")


def parse_jwks(document: Any) -> dict[str, jwt.PyJWK]:
    """The usable signature keys of a JWKS document, by ``kid``."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWKS: expected an object with a 'keys' list")
    keys: dict[str, jwt.PyJWK] = {}
    for entry in document["keys"]:
        if not isinstance(entry, dict):
            continue
        kid = entry.get("kid")
        if not isinstance(kid, str) or not kid:
            log.warning("JWKS key without 'kid' skipped", extra={"kty": entry.get("kty")})
            continue
        if entry.get("use", "sig") != "sig" or entry.get("kty") not in ("RSA", "EC"):
            continue
        try:
            keys[kid] = jwt.PyJWK(entry)
        except jwt.PyJWKError as exc:
            log.warning("JWKS key skipped", extra={"kid": kid, "error": str(exc)})
    return keys


class JwksClient:
    """Fetches and caches a JWKS; :meth:`key_for` is the only question it answers."""

    def __init__(
        self,
        settings: JwksSettings,
        *,
        session: aiohttp.ClientSession | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self._session = session
        self._owns_session = session is None
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] | None = None
        self._fetched_at = 0.0
        self._last_attempt: float | None = None
        self._last_error: str | None = None
        self._generation = 0
        self._lock = asyncio.Lock()
        self.fetch_count = 0
        """Fetch attempts so far (successful or not); for metrics and tests."""

    async def aclose(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def key_ids(self) -> frozenset[str]:
        """The key ids currently cached."""
        return frozenset(self._keys or ())

    def _may_fetch(self, now: float) -> bool:
        return (
            self._last_attempt is None
            or now - self._last_attempt >= self.settings.min_refetch_interval_s
        )

    async def key_for(self, kid: str) -> jwt.PyJWK:
        """The key named ``kid``, fetching or refetching the JWKS as the rules above allow."""
        now = self._clock()
        if self._keys is None:
            await self._initial_fetch()
        elif now - self._fetched_at >= self.settings.cache_ttl_s and self._may_fetch(now):
            await self._refresh(self._generation, required=False)
        keys = self._usable_keys(now)
        if kid in keys:
            return keys[kid]
        if self._may_fetch(now):
            await self._refresh(self._generation, required=False)
            keys = self._usable_keys(self._clock())
            if kid in keys:
                return keys[kid]
            if self._last_error is not None:
                # The refetch that might have found the key failed: we cannot tell.
                raise JwksUnavailableError(self.settings.url, self._last_error)
        raise InvalidTokenError(
            InvalidTokenReason.UNKNOWN_KEY_ID,
            "the token's key is not in the identity provider's JWKS",
            expected=sorted(keys),
            got=kid,
        )

    async def _initial_fetch(self) -> None:
        """First fetch: concurrent callers wait for one request and share its outcome."""
        generation = self._generation
        async with self._lock:
            if self._keys is not None:
                return
            if self._generation != generation or not self._may_fetch(self._clock()):
                raise JwksUnavailableError(
                    self.settings.url,
                    f"last fetch failed ({self._last_error}); retried at most every "
                    f"{self.settings.min_refetch_interval_s:g}s",
                )
            await self._fetch_locked(required=True)

    def _usable_keys(self, now: float) -> dict[str, jwt.PyJWK]:
        if self._keys is None:
            raise JwksUnavailableError(self.settings.url, self._last_error or "never fetched")
        age = now - self._fetched_at
        if age > self.settings.cache_ttl_s + self.settings.stale_if_error_s:
            raise JwksUnavailableError(
                self.settings.url,
                f"key set is {age:.0f}s old and refetches fail: {self._last_error}",
            )
        return self._keys

    async def refresh(self) -> None:
        """Fetch now, regardless of TTL and interval (e.g. at start-up to fail fast)."""
        await self._refresh(self._generation, required=True)

    async def _refresh(self, observed_generation: int, *, required: bool) -> None:
        async with self._lock:
            if self._generation != observed_generation:
                return  # another task fetched while we waited: use its result
            await self._fetch_locked(required=required)

    async def _fetch_locked(self, *, required: bool) -> None:
        """One fetch, with the lock held; updates the cache or records the failure."""
        self._last_attempt = self._clock()
        self.fetch_count += 1
        try:
            keys = await self._fetch()
        except JwksUnavailableError as exc:
            self._last_error = exc.detail
            self._generation += 1
            log.warning("JWKS fetch failed", extra={"url": self.settings.url, "error": exc.detail})
            if required or self._keys is None:
                raise
            return
        self._keys = keys
        self._fetched_at = self._clock()
        self._last_error = None
        self._generation += 1
        log.info("JWKS fetched", extra={"url": self.settings.url, "kids": sorted(keys)})

    async def _fetch(self) -> dict[str, jwt.PyJWK]:
        url = self.settings.url
        if self._session is None:
            tls = self.settings.tls
            connector = (
                aiohttp.TCPConnector(ssl=tls.ssl_context(system_roots=True))
                if tls is not None
                else None
            )
            self._session = aiohttp.ClientSession(connector=connector)
        timeout = aiohttp.ClientTimeout(total=self.settings.fetch_timeout_s)
        try:
            async with self._session.get(
                url, timeout=timeout, headers={"Accept": "application/json"}
            ) as response:
                if response.status != 200:
                    raise JwksUnavailableError(url, f"HTTP {response.status}")
                body = await response.content.read(MAX_JWKS_BYTES + 1)
        except TimeoutError:
            raise JwksUnavailableError(
                url, f"no answer within {self.settings.fetch_timeout_s:g}s"
            ) from None
        except aiohttp.ClientConnectorCertificateError as exc:
            reason = getattr(exc.certificate_error, "verify_message", None) or str(exc)
            raise JwksUnavailableError(url, f"server certificate refused: {reason}") from None
        except aiohttp.ClientError as exc:
            raise JwksUnavailableError(url, f"{type(exc).__name__}: {exc}") from None
        if len(body) > MAX_JWKS_BYTES:
            raise JwksUnavailableError(url, f"document larger than {MAX_JWKS_BYTES} bytes")
        try:
            return parse_jwks(json.loads(body))
        except ValueError as exc:
            raise JwksUnavailableError(url, f"not a JWKS document: {exc}") from None
