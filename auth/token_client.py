"""The client side of the OAuth2 client credentials grant (RFC 6749 §4.4): what an
application does to get a Ledger API token from an identity provider, the development
IdP included.

:func:`fetch_token` posts ``grant_type=client_credentials`` with HTTP Basic client
authentication to the token endpoint, over TLS verified against ``tls``'s CA bundle
(and the system's CAs), with a total timeout. A refusal is an
:class:`~auth.errors.TokenRequestError` carrying the endpoint's RFC 6749 §5.2 error.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from urllib.parse import quote_plus

import aiohttp

from auth.errors import TokenRequestError
from protocol.tls import ClientTls

DEFAULT_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """An access token and when it stops being valid (``time.time()`` seconds)."""

    access_token: str
    expires_at: float


async def fetch_token(
    token_url: str,
    client_id: str,
    client_secret: str,
    *,
    tls: ClientTls | None = None,
    scope: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> IssuedToken:
    """A token for ``client_id`` from ``token_url`` (client credentials grant)."""
    form = {"grant_type": "client_credentials"}
    if scope is not None:
        form["scope"] = scope
    connector = aiohttp.TCPConnector(ssl=tls.ssl_context(system_roots=True)) if tls else None
    # RFC 6749 §2.3.1: both parts form-urlencoded, then HTTP Basic.
    basic = f"{quote_plus(client_id)}:{quote_plus(client_secret)}".encode()
    headers = {"Authorization": "Basic " + base64.b64encode(basic).decode("ascii")}
    requested = time.time()
    try:
        async with (
            aiohttp.ClientSession(
                connector=connector, timeout=aiohttp.ClientTimeout(total=timeout_s)
            ) as session,
            session.post(token_url, data=form, headers=headers) as reply,
        ):
            body = await reply.json(content_type=None)
            status = reply.status
    except aiohttp.ClientConnectorCertificateError as exc:
        reason = getattr(exc.certificate_error, "verify_message", None) or str(exc)
        raise TokenRequestError(token_url, "server_certificate", reason) from None
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        raise TokenRequestError(token_url, "unavailable", f"{type(exc).__name__}: {exc}") from None
    if status != 200 or not isinstance(body, dict) or "access_token" not in body:
        error = body.get("error", f"HTTP {status}") if isinstance(body, dict) else f"HTTP {status}"
        detail = body.get("error_description", "") if isinstance(body, dict) else ""
        raise TokenRequestError(token_url, str(error), str(detail))
    expires_in = float(body.get("expires_in", 0) or 0)
    return IssuedToken(str(body["access_token"]), requested + expires_in)
