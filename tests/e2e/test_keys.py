"""Contract key uniqueness end to end (anvil, two sequencers, the domain manager, the
mediator and three participant nodes; one network per module).

Dora is hosted on P3 and P1, both with submission permission and threshold 2 (both
must confirm): P1 may submit for her, but P3, an independent host of the key maintainer,
vouches for her keys. P1 turned malicious forges a second ``Account`` with Dora's key;
P3 rejects it and nothing commits. Two concurrent creates of one key: exactly one commits.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from node_runtime.member.dm_client import HostingState
from participant.engine import CreateCommand, PartyId
from participant.protocol import view_specs
from participant.protocol.rejections import public_reason
from protocol.timestamp import Timestamp, now
from protocol.topology import ParticipantPermission
from protocol.transaction import (
    FullTransactionTree,
    LocalReject,
    LocalRejectCode,
    Reject,
    build_transaction_tree,
)
from tests.e2e.support import Network, running_network
from tests.e2e.test_transactions import (
    _envelopes,
    _ledger_ends,
    _local_verdict,
    _send_evil,
    _verdict_for,
)
from tests.support.domain import running_domain

pytestmark = [pytest.mark.anvil, pytest.mark.asyncio(loop_scope="module")]

CURRENCY = "KEYS-CHF"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def net(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Network]:
    tmp: Path = tmp_path_factory.mktemp("e2e-keys")
    async with running_domain(tmp) as domain, running_network(domain) as network:
        await _host_dora(network)
        yield network


async def _host_dora(net: Network) -> None:
    p1, p3 = net.nodes["p1"].parties, net.nodes["p3"].parties
    assert p1 is not None and p3 is not None
    dora = PartyId(await p3.allocate("Dora"))
    net.parties["dora"] = dora
    hosts = [
        (net.member("p3"), ParticipantPermission.SUBMISSION),
        (net.member("p1"), ParticipantPermission.SUBMISSION),
    ]
    first = await p3.propose_hosting(dora, hosts, threshold=2)  # type: ignore[arg-type]
    assert first.state is HostingState.PROPOSED, first
    second = await p1.propose_hosting(dora, hosts, threshold=2)  # type: ignore[arg-type]
    assert second.state is HostingState.EFFECTIVE, second
    for node in net.nodes.values():
        assert node.link is not None
        await node.link.topology.wait_for_time(second.effective_at)  # type: ignore[arg-type]


def account(net: Network, owner: str) -> CreateCommand:
    return CreateCommand(
        net.template("iou", "Account"),
        {"bank": net.party("bob"), "owner": net.party(owner), "currency": CURRENCY},
    )


async def accounts(net: Network, node: str, owner: str) -> list[str]:
    store = net.nodes[node].store
    assert store is not None
    return [
        c.contract_id
        for c in await store.active_contracts(parties=frozenset({net.party(owner)}))
        if c.template_id.endswith(":Account")
    ]


def _forged_create(net: Network, command: CreateCommand) -> FullTransactionTree:
    """P1's request for Dora's ``command``, interpreted as if no contract existed (so the
    engine's own key check passes)."""
    p1 = net.nodes["p1"]
    assert p1.processor is not None and p1.packages is not None
    at = now()
    dora = net.party("dora")
    tx = p1.processor.engine.submit(
        [command],
        act_as=[dora],
        lookup=p1.processor.acs.lookup_for([]),
        vetted=[p.package_id for p in p1.packages.list()],
        seed=secrets.token_bytes(32),
        ledger_time=at,
    )
    tree = build_transaction_tree(
        transaction_seed=secrets.token_bytes(32),
        domain=net.domain.domain,
        mediator=net.domain.mediator.member,
        submitting_participant=net.member("p1"),
        act_as=frozenset({PartyId(dora)}),
        application_id="evil",
        command_id=f"evil-{secrets.token_hex(4)}",
        max_sequencing_time=Timestamp(at + 60_000_000),
        ledger_time=Timestamp(at),
        workflow_id=None,
        views=view_specs(tx),
    )
    return FullTransactionTree(tree)


async def test_a_forged_create_of_an_assigned_key_is_rejected_by_the_maintainers_host(
    net: Network,
) -> None:
    opened = await net.run("p3", ["dora"], account(net, "dora"))
    assert opened.status.ok, opened.status
    assert opened.update_id is not None
    await net.update_on("p1", opened.update_id)
    held = await accounts(net, "p3", "dora")
    assert len(held) == 1 and await accounts(net, "p1", "dora") == held
    ends = await _ledger_ends(net)

    tree = _forged_create(net, account(net, "dora"))
    p1 = net.nodes["p1"]
    assert p1.processor is not None
    real_send = p1.processor.send

    async def silent(*_args: object, **_kwargs: object) -> None:
        return None

    p1.processor.send = silent  # a malicious P1 answers nothing
    try:
        await _send_evil(net, _envelopes(net, tree))
        verdict = await _verdict_for(net, tree)
    finally:
        p1.processor.send = real_send
    assert isinstance(verdict, Reject), verdict
    assert {r.participant for r in verdict.reasons} == {net.member("p3")}
    honest = await _local_verdict(net, tree, "p3")
    assert isinstance(honest, LocalReject), honest
    assert honest.code is LocalRejectCode.KEY_CONFLICT
    assert honest.reason == public_reason(LocalRejectCode.KEY_CONFLICT, (0,))
    # what conflicts (template, holder) is named only in P3's local detail
    p3 = net.nodes["p3"].processor
    assert p3 is not None
    (rejection,) = [r for r in p3.rejections if r.code is LocalRejectCode.KEY_CONFLICT]
    assert "Account" in rejection.detail and held[0] in rejection.detail
    assert "Account" not in honest.reason and held[0] not in honest.reason
    await net.settled()
    assert await _ledger_ends(net) == ends
    for node in ("p1", "p3"):
        assert await accounts(net, node, "dora") == held
        processor = net.nodes[node].processor
        assert processor is not None and processor.acs.key_locks == {}


async def test_of_two_concurrent_creates_of_one_key_exactly_one_commits(net: Network) -> None:
    (a, begin_a), (b, begin_b) = await asyncio.gather(
        net.submit("p3", ["carol"], account(net, "carol")),
        net.submit("p3", ["carol"], account(net, "carol")),
    )
    begin = min(begin_a, begin_b)
    first = await net.completion("p3", a, begin, ["carol"])
    second = await net.completion("p3", b, begin, ["carol"])
    assert sorted([first.status.ok, second.status.ok]) == [False, True], (
        first.status,
        second.status,
    )
    failed = first if not first.status.ok else second
    assert "KEY_CONFLICT" in failed.status.message, failed.status
    await net.settled()
    assert len(await accounts(net, "p3", "carol")) == 1
    assert len(await accounts(net, "p2", "carol")) == 1  # the bank's host holds one too
    for node in net.nodes.values():
        assert node.processor is not None and node.processor.acs.key_locks == {}
