"""The ``[tls]`` section and the exposure rule, checked once in ``load_config`` for every
node: typed errors for unusable certificate files, refusal of plaintext or
unauthenticated endpoints on non-loopback addresses unless ``insecure = true`` (then a
warning at start), and the operations endpoint over TLS and mutual TLS. Real files,
real processes, real HTTPS."""

from __future__ import annotations

import asyncio
import json
import ssl
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
from prometheus_client import CollectorRegistry

from auth.dev_idp.config import IdpConfig
from node_runtime.config import load_config
from node_runtime.errors import InsecureConfigError
from node_runtime.http import OpsServer
from node_runtime.tls import ServerTls
from participant.node.config import load_participant_config
from protocol.errors import TlsFileError
from tests.support.tls import LocalCa, other_key

ROOT = Path(__file__).resolve().parents[2]
NS = "1220" + "ab" * 32


@pytest.fixture
def ca(tmp_path: Path) -> LocalCa:
    return LocalCa.make(tmp_path / "ca")


def idp_toml(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "idp.toml"
    path.write_text(body)
    return path


def tls_section(cert: Path, key: Path) -> str:
    return f'[tls]\ncert_file = "{cert}"\nkey_file = "{key}"\n'


@pytest.mark.parametrize("problem", ["expired", "missing", "not pem", "mismatched key"])
def test_an_unusable_certificate_is_a_typed_error_naming_the_file(
    tmp_path: Path, ca: LocalCa, problem: str
) -> None:
    cert, key = ca.issue(tmp_path, "node", expired=problem == "expired")
    bad, expected = cert, "expired on"
    if problem == "missing":
        cert, bad, expected = tmp_path / "absent.crt", tmp_path / "absent.crt", "no such file"
    elif problem == "not pem":
        cert.write_text("not a certificate\n")
        expected = "not a PEM certificate"
    elif problem == "mismatched key":
        key = other_key(tmp_path, "stranger")
        bad, expected = key, f"does not belong to the certificate in {cert}"
    path = idp_toml(tmp_path, tls_section(cert, key))
    with pytest.raises(TlsFileError) as refused:
        load_config(path, IdpConfig)
    assert refused.value.path == bad
    assert expected in refused.value.reason
    assert refused.value.role in {"tls.cert_file", "tls.key_file"}
    assert str(bad) in str(refused.value)


def test_a_sequencer_with_an_expired_certificate_refuses_to_start(
    tmp_path: Path, ca: LocalCa
) -> None:
    cert, key = ca.issue(tmp_path, "seq1", expired=True)
    config = tmp_path / "seq1.toml"
    config.write_text(
        f"""
[node]
sequencer_id = "SEQ::seq1::{NS}"
data_dir = "seq1"

[domain]
domain_id = "d::{NS}"
members_file = "members.toml"

[chain]
rpc_url = "http://127.0.0.1:1"
deployment = "inbox.json"

[chain.account]
dev_key_index = 1

{tls_section(cert, key)}"""
    )
    run = subprocess.run(
        [sys.executable, "-m", "sequencer_chain", "--config", str(config)],
        capture_output=True, text=True, timeout=60, cwd=ROOT, check=False,
    )  # fmt: skip
    assert run.returncode == 2, run.stderr
    assert f"tls.cert_file {cert}: certificate expired on" in run.stderr


def _start_idp(config: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "auth.dev_idp", "--config", str(config)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip


def test_a_node_on_a_public_address_needs_tls_or_an_explicit_insecure(
    tmp_path: Path, ca: LocalCa
) -> None:
    plain = idp_toml(tmp_path, 'host = "0.0.0.0"\nport = 0\n')
    refused = subprocess.run(
        [sys.executable, "-m", "auth.dev_idp", "--config", str(plain)],
        capture_output=True, text=True, timeout=60, cwd=ROOT, check=False,
    )  # fmt: skip
    assert refused.returncode == 2, refused.stderr
    assert "host: '0.0.0.0' is not a loopback address and the endpoint is plaintext" in (
        refused.stderr
    )
    assert "insecure = true" in refused.stderr

    insecure = idp_toml(tmp_path, 'host = "0.0.0.0"\nport = 0\n\n[tls]\ninsecure = true\n')
    process = _start_idp(insecure)
    try:
        assert process.stdout is not None
        listening = json.loads(process.stdout.readline())
        assert listening["url"].startswith("http://0.0.0.0:")
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    warnings = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    assert any(
        w["level"] == "warning" and "insecure = true" in w["msg"] and w["exposed"] for w in warnings
    ), stderr

    cert, key = ca.issue(tmp_path, "idp")
    with_tls = idp_toml(tmp_path, f'host = "0.0.0.0"\nport = 0\n\n{tls_section(cert, key)}')
    process = _start_idp(with_tls)
    try:
        assert process.stdout is not None
        assert json.loads(process.stdout.readline())["url"].startswith("https://0.0.0.0:")
    finally:
        process.terminate()
        process.communicate(timeout=30)


def participant_toml(tmp_path: Path, tls: str, auth: str = "") -> Path:
    path = tmp_path / "p1.toml"
    path.write_text(
        f"""
[node]
participant_id = "PAR::p1::{NS}"
data_dir = "p1"

[keys]
namespace_keystore = "ns.json"
signing_keystore = "sig.json"
encryption_keystore = "enc.json"
password = {{ env = "UNUSED" }}

[domain]
domain_id = "d::{NS}"
genesis_file = "genesis.json"
sequencers = ["127.0.0.1:4001"]

[ledger_api]
host = "0.0.0.0"
{auth}
{tls}"""
    )
    return path


def test_a_ledger_api_without_auth_refuses_a_public_address(tmp_path: Path, ca: LocalCa) -> None:
    cert, key = ca.issue(tmp_path, "p1")
    path = participant_toml(tmp_path, tls_section(cert, key))
    with pytest.raises(InsecureConfigError) as refused:
        load_participant_config(path)
    problems = refused.value.problems
    assert any(p.startswith("ledger_api.host: '0.0.0.0'") and "tokens" in p for p in problems)
    assert not any("plaintext" in p for p in problems)
    run = subprocess.run(
        [sys.executable, "-m", "participant", "--config", str(path)],
        capture_output=True, text=True, timeout=60, cwd=ROOT, check=False,
    )  # fmt: skip
    assert run.returncode == 2 and "checks no tokens" in run.stderr, run.stderr

    auth = '[ledger_api.auth]\njwks_url = "https://idp.example.com/jwks"\n'
    loaded = load_participant_config(participant_toml(tmp_path, tls_section(cert, key), auth))
    assert loaded.ledger_api.auth is not None
    insecure = participant_toml(tmp_path, "[tls]\ninsecure = true\n")
    assert load_participant_config(insecure).tls.insecure


async def _get(url: str, context: ssl.SSLContext | None) -> int:
    connector = aiohttp.TCPConnector(ssl=context) if context is not None else None
    async with (
        aiohttp.ClientSession(connector=connector) as http,
        asyncio.timeout(10),
        http.get(f"{url}/livez") as reply,
    ):
        return reply.status


async def test_the_ops_endpoint_over_tls_and_mutual_tls(tmp_path: Path, ca: LocalCa) -> None:
    cert, key = ca.issue(tmp_path, "node")
    client_cert, client_key = ca.issue(tmp_path, "client")
    trusting = ssl.create_default_context(cafile=str(ca.ca_file))
    server = OpsServer(CollectorRegistry(), tls=ServerTls.load(cert, key))
    await server.start()
    try:
        assert server.url.startswith("https://127.0.0.1:")
        assert await _get(server.url, trusting) == 200
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            await _get(server.url, None)  # the system's CAs do not know this one
        with pytest.raises(aiohttp.ClientError):
            await _get(server.url.replace("https", "http"), None)
    finally:
        await server.stop()

    mutual = OpsServer(CollectorRegistry(), tls=ServerTls.load(cert, key, ca.ca_file))
    await mutual.start()
    try:
        with pytest.raises(aiohttp.ClientError):
            await _get(mutual.url, trusting)  # no client certificate
        presenting = ssl.create_default_context(cafile=str(ca.ca_file))
        presenting.load_cert_chain(str(client_cert), str(client_key))
        assert await _get(mutual.url, presenting) == 200
    finally:
        await mutual.stop()
