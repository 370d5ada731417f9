"""The development IdP over HTTPS: a client with the CA gets a token and the verifier's
JWKS fetch (with the node's CA) gets the keys; without the CA both refuse the server's
certificate and say so."""

from __future__ import annotations

from pathlib import Path

import pytest

from auth import JwksClient, JwksSettings, JwksUnavailableError, TokenRequestError, fetch_token
from auth.dev_idp import DevIdp
from node_runtime.config import TlsSection
from protocol.tls import ClientTls
from tests.support.auth import idp_config
from tests.support.tls import LocalCa


async def test_tokens_and_keys_over_https(tmp_path: Path) -> None:
    ca = LocalCa.make(tmp_path / "ca")
    cert, key = ca.issue(tmp_path, "idp")
    config = idp_config(tmp_path).model_copy(
        update={"tls": TlsSection(cert_file=cert, key_file=key)}
    )
    idp = DevIdp(config)
    await idp.start()
    try:
        assert idp.url.startswith("https://127.0.0.1:")
        token_url = f"{idp.url}/token"
        trusting = ClientTls(ca.ca_file)
        issued = await fetch_token(token_url, "alice-app", "alice-app-pw", tls=trusting)
        assert issued.access_token.count(".") == 2
        with pytest.raises(TokenRequestError) as refused:
            await fetch_token(token_url, "alice-app", "alice-app-pw")
        assert refused.value.error == "server_certificate"
        assert "unable to get local issuer certificate" in refused.value.detail
        with pytest.raises(TokenRequestError) as wrong:
            await fetch_token(token_url, "alice-app", "not-the-secret", tls=trusting)
        assert wrong.value.error == "invalid_client"

        jwks = JwksClient(JwksSettings(url=idp.jwks_url, tls=trusting))
        try:
            await jwks.refresh()
            assert jwks.key_ids
        finally:
            await jwks.aclose()
        blind = JwksClient(JwksSettings(url=idp.jwks_url))
        try:
            with pytest.raises(JwksUnavailableError) as unavailable:
                await blind.refresh()
            assert "server certificate refused" in str(unavailable.value)
        finally:
            await blind.aclose()
    finally:
        await idp.stop()
