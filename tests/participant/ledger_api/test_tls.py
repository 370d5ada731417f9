"""TLS and mutual TLS for the Ledger API, with a CA made in the test."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest

from ledger_client import (
    LedgerClient,
    ServerCertificateError,
    Timeout,
    TlsConfig,
    TransportError,
)
from protocol.errors import TlsFileError
from tests.participant.ledger_api.conftest import StartServer
from tests.support.tls import LocalCa

QUICK = Timeout(call=3, connect=3)


async def test_tls_server_and_client(tmp_path: Path, start_server: StartServer) -> None:
    ca = LocalCa.make(tmp_path, "test-ca")
    cert, key = ca.issue(tmp_path, "ledger-api")
    server = await start_server(tls={"cert_file": cert, "key_file": key})
    target = f"127.0.0.1:{server.port}"
    async with LedgerClient(target, tls=TlsConfig(ca_file=ca.ca_file), timeout=QUICK) as client:
        assert await client.ledger_end() == 0
    async with LedgerClient(target, timeout=QUICK) as plaintext:
        with pytest.raises(TransportError):
            await plaintext.ledger_end()
    other_ca = LocalCa.make(tmp_path, "other-ca")
    async with LedgerClient(
        target, tls=TlsConfig(ca_file=other_ca.ca_file), timeout=QUICK
    ) as wrong:
        with pytest.raises(TransportError):
            await wrong.ledger_end()


async def test_mutual_tls_requires_a_client_certificate(
    tmp_path: Path, start_server: StartServer
) -> None:
    ca = LocalCa.make(tmp_path, "test-ca")
    cert, key = ca.issue(tmp_path, "ledger-api")
    client_ca = LocalCa.make(tmp_path, "clients-ca")
    client_cert, client_key = client_ca.issue(tmp_path, "app")
    server = await start_server(
        tls={"cert_file": cert, "key_file": key, "client_ca_file": client_ca.ca_file}
    )
    target = f"127.0.0.1:{server.port}"
    mutual = TlsConfig(ca_file=ca.ca_file, cert_file=client_cert, key_file=client_key)
    async with LedgerClient(target, tls=mutual, timeout=QUICK) as client:
        assert await client.ledger_end() == 0
    async with LedgerClient(target, tls=TlsConfig(ca_file=ca.ca_file), timeout=QUICK) as anonymous:
        with pytest.raises(TransportError):
            await anonymous.ledger_end()


def _credentials(cert: Path, key: Path) -> grpc.ServerCredentials:
    return grpc.ssl_server_credentials([(key.read_bytes(), cert.read_bytes())])


async def _serve_raw(cert: Path, key: Path) -> tuple[grpc.aio.Server, str]:
    """A TLS server that serves whatever certificate it is given (a node refuses to
    start with an expired one, so the client's side is tested against this)."""
    server = grpc.aio.server()
    port = server.add_secure_port("127.0.0.1:0", _credentials(cert, key))
    await server.start()
    return server, f"127.0.0.1:{port}"


@pytest.mark.parametrize(
    ("case", "reason"),
    [("expired", "certificate has expired"), ("untrusted", "unable to get local issuer")],
)
async def test_a_refused_server_certificate_is_said_clearly(
    tmp_path: Path, case: str, reason: str
) -> None:
    ca = LocalCa.make(tmp_path / "ca")
    signer = ca if case == "expired" else LocalCa.make(tmp_path / "other", "other-ca")
    cert, key = signer.issue(tmp_path, "ledger-api", expired=case == "expired")
    server, target = await _serve_raw(cert, key)
    try:
        with pytest.raises(ServerCertificateError) as refused:
            await LedgerClient.connect(
                target, tls=TlsConfig(ca_file=ca.ca_file), timeout=Timeout(call=3, connect=2)
            )
        assert reason in refused.value.reason and refused.value.target == target
        client = LedgerClient(target, tls=TlsConfig(ca_file=ca.ca_file), timeout=QUICK)
        async with client:
            with pytest.raises(ServerCertificateError):
                await client.ledger_end()
    finally:
        await server.stop(None)


async def test_the_api_server_refuses_to_start_with_an_expired_certificate(
    tmp_path: Path, start_server: StartServer
) -> None:
    ca = LocalCa.make(tmp_path / "ca")
    cert, key = ca.issue(tmp_path, "ledger-api", expired=True)
    with pytest.raises(TlsFileError) as refused:
        await start_server(tls={"cert_file": cert, "key_file": key})
    assert refused.value.path == cert and "expired" in refused.value.reason
