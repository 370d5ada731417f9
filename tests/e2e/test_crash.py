"""A participant as its own OS process (``python -m participant``) killed with SIGKILL
mid-protocol and restarted: it resumes from its sequencer counter, ends with the same
active contracts as its counterparty, and their ACS commitments match. Its party is
allocated through its Ledger API (AllocateParty → topology via the domain manager)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from ledger_client import LedgerClient
from participant.engine import CreateCommand, ExerciseCommand, PartyId
from tests.e2e.support import Network, ParticipantProcess, running_network, write_participant_config
from tests.support.domain import running_domain

pytestmark = [pytest.mark.anvil, pytest.mark.asyncio(loop_scope="module")]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def net(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Network]:
    tmp: Path = tmp_path_factory.mktemp("e2e-crash")
    async with running_domain(tmp) as domain, running_network(domain) as network:
        yield network


def _iou(net: Network, observers: list[str], amount: str) -> CreateCommand:
    return CreateCommand(
        net.template("iou", "Iou"),
        {
            "issuer": net.party("alice"),
            "owner": net.party("alice"),
            "amount": amount,
            "currency": "CHF",
            "observers": [net.party(o) for o in observers],
        },
    )


async def _metric(ops: str, name: str) -> float:
    async with aiohttp.ClientSession() as session, session.get(ops + "/metrics") as r:
        text = await r.text()
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in metrics")


def _matched_from(db: Path, sender: str) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT COUNT(*) FROM commitments_received WHERE sender = ? AND matched = 1",
            (sender,),
        ).fetchall()
    return int(rows[0][0])


async def test_sigkill_mid_protocol_then_restart_converges(net: Network) -> None:
    domain = net.domain
    config, identity = write_participant_config(domain, "p4")
    p4 = ParticipantProcess(config, domain.root / "p4.log")
    await p4.start()
    try:
        assert p4.ready["participant"] == identity.member
        async with LedgerClient(p4.ready["grpc"]) as client:
            dave = (await client.allocate_party("Dave", "Dave on P4")).party
        net.parties["dave"] = PartyId(dave)
        net.identities["p4"] = identity
        p1 = net.nodes["p1"]
        assert p1.link is not None and p1.store is not None
        async with asyncio.timeout(20):  # P1 learns where Dave is hosted
            while p1.link.topology.latest_snapshot().party_hosting(PartyId(dave)) is None:  # noqa: ASYNC110
                await asyncio.sleep(0.1)

        kept = await net.run("p1", ["alice"], _iou(net, ["dave"], "1"))
        moved = await net.run("p1", ["alice"], _iou(net, ["dave"], "2"))
        assert kept.status.ok and moved.status.ok, (kept.status, moved.status)
        moving = await net.created("p1", moved.update_id, "Iou")

        # mid-protocol: the transfer Dave observes is in flight when P4 dies
        transfer = ExerciseCommand(
            net.template("iou", "Iou"), moving, "Transfer", {"new_owner": net.party("bob")}
        )
        command_id, begin = await net.submit("p1", ["alice"], transfer)
        p4.kill()
        done = await net.completion("p1", command_id, begin, ["alice"])
        assert done.status.ok, done.status  # Dave only observes: no confirmation needed
        for _ in range(3):  # events P4 misses while down
            assert (await net.run("p1", ["alice"], _iou(net, ["dave"], "3"))).status.ok

        await p4.start()
        async with LedgerClient(p4.ready["grpc"]) as client:
            async with asyncio.timeout(30):
                while True:  # caught up: the missed transfer is applied once
                    acs = await client.active_contracts([dave])
                    ids = sorted(c.contract_id for c in acs.contracts)
                    expected = sorted(
                        c.contract_id
                        for c in await p1.store.active_contracts(parties=frozenset({dave}))
                    )
                    if ids == expected:
                        break
                    await asyncio.sleep(0.2)
            assert moving not in ids and len(ids) == 4
            # one offset per transaction Dave saw, none applied twice
            assert await client.ledger_end() == 6

        # ACS commitments: both sides compare periods after the restart and agree
        p4_db = config.parent / "p4-state" / "participant.sqlite"
        before = _matched_from(p4_db, str(net.member("p1")))
        async with asyncio.timeout(60):
            while (
                _matched_from(p4_db, str(net.member("p1"))) <= before
                or not (await p1.store.commitment_counts())["matched"]
            ):
                await asyncio.sleep(1.0)
                await p1.link.time_proof(10)
        assert (await p1.store.commitment_counts())["mismatched"] == 0
        assert await p1.store.mismatches() == []
        assert await _metric(p4.ready["ops"], "participant_commitment_mismatches_total") == 0
        assert await _metric(p4.ready["ops"], "participant_events_total") > 0
        assert p4.terminate() == 0
    finally:
        p4.terminate()
