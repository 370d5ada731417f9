"""A sequencer node with ``[tls]``: members authenticate and send over TLS only, so the
bearer token that acknowledges (prunes) a member's events never crosses the network in
clear; a plaintext client, or one that does not trust the node's CA, gets nothing; with
``require_client_cert`` a client without a certificate is refused."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest

from node_runtime.member import SequencerClient
from protocol.errors import UntrustedServerError
from protocol.tls import ClientTls, diagnose_server
from sequencer_chain.anvil import ManagedAnvil
from sequencer_chain.config import load_node_config
from sequencer_chain.node import SequencerNode
from tests.sequencer_chain.node.conftest import write_node_config
from tests.sequencer_chain.sequencer_support import ALICE, BOB, signed_request
from tests.support.chain import DeployedInbox
from tests.support.tls import LocalCa

pytestmark = pytest.mark.anvil


async def _tls_node(
    tmp_path: Path, anvil: ManagedAnvil, deployed: DeployedInbox, ca: LocalCa, *, mutual: bool
) -> SequencerNode:
    cert, key = ca.issue(tmp_path, "seq1")
    path = write_node_config(tmp_path, anvil, deployed, "seq1", 1)
    with path.open("a") as f:
        f.write(f'\n[tls]\ncert_file = "{cert}"\nkey_file = "{key}"\nca_file = "{ca.ca_file}"\n')
        f.write(f"require_client_cert = {'true' if mutual else 'false'}\n")
    node = SequencerNode(load_node_config(path))
    await node.start()
    return node


async def test_tokens_travel_only_over_tls(
    tmp_path: Path, anvil: ManagedAnvil, deployed: DeployedInbox
) -> None:
    ca = LocalCa.make(tmp_path / "ca")
    node = await _tls_node(tmp_path, anvil, deployed, ca, mutual=False)
    try:
        async with SequencerClient(
            node.target, ALICE.member, ALICE.key, tls=ClientTls(ca.ca_file)
        ) as alice:
            assert await alice.authenticate()
            await alice.send(signed_request(ALICE, "over-tls", [(b"x", [BOB.member])]))
        # A plaintext client never gets a challenge, let alone a token.
        async with SequencerClient(node.target, ALICE.member, ALICE.key) as plaintext:
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await plaintext.authenticate()
            assert refused.value.code() is grpc.StatusCode.UNAVAILABLE
        # A client that does not trust the node's CA refuses the node, and says why.
        stranger_ca = LocalCa.make(tmp_path / "other", "stranger-ca")
        stranger = ClientTls(stranger_ca.ca_file)
        async with SequencerClient(node.target, ALICE.member, ALICE.key, tls=stranger) as c:
            with pytest.raises(grpc.aio.AioRpcError):
                await c.authenticate()
        untrusted = await diagnose_server(node.target, stranger)
        assert isinstance(untrusted, UntrustedServerError)
        assert "unable to get local issuer certificate" in untrusted.reason
        assert await diagnose_server(node.target, ClientTls(ca.ca_file)) is None
        assert node.ops is not None and node.ops.url.startswith("https://")
    finally:
        await node.stop()


async def test_mutual_tls_refuses_a_client_without_a_certificate(
    tmp_path: Path, anvil: ManagedAnvil, deployed: DeployedInbox
) -> None:
    ca = LocalCa.make(tmp_path / "ca")
    node = await _tls_node(tmp_path, anvil, deployed, ca, mutual=True)
    try:
        anonymous = ClientTls(ca.ca_file)
        async with SequencerClient(node.target, ALICE.member, ALICE.key, tls=anonymous) as c:
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await c.authenticate()
            assert refused.value.code() is grpc.StatusCode.UNAVAILABLE
        cert, key = ca.issue(tmp_path, "alice")
        presenting = ClientTls(ca.ca_file, cert, key)
        async with SequencerClient(node.target, ALICE.member, ALICE.key, tls=presenting) as c:
            assert await c.authenticate()
    finally:
        await node.stop()
