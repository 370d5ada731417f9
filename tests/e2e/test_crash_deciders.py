"""Crashes of the parties that decide a transaction, as real processes under load.

On a network whose mediator and three participants are OS processes
(``tests.e2e.process_network``), clients submit several commands at once through the
real gRPC Ledger API while one deciding node dies by SIGKILL at a named protocol step
(its crash point, ``node_runtime.crash_points``, armed by restarting the node with
``CHAINDOMAIN_TEST_CRASH_AT``) and is started again:

1. the submitting participant P1 right after its confirmation request went to the
   sequencer (``participant.request-sent``), before any verdict, with two more of its
   requests in flight;
2. a confirming participant (P1, confirming Bob's acceptances, submitted by P2) between
   its confirmation response and the verdict (``participant.response-sent``), with an
   earlier request it confirmed pending too;
3. the mediator after it counted the first response of a request that needs two
   (``mediator.response-counted``), before the verdict, another such request pending.

A client whose call was cut by the crash resubmits the same command id once the node is
back (``DUPLICATE_COMMAND`` then means the first attempt got in). Afterwards every check
of :meth:`ProcessNetwork.check` holds: nothing stuck, each command's completion exactly
once and successful, each transaction on every informee participant and on no other,
agreeing active contract sets and matching ACS commitments.

Commands: Alice (P1) issues Ious observed by Carol or by Bob and Carol, and transfers
them to Bob (a proposal); Bob (P2) accepts proposals, which P1 (for Alice, a signatory of
the proposal) and P2 must both confirm; Carol (P3) issues Ious observed by Alice and Bob.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from ledger_client import ContractId, CreateAndExerciseCommand, CreateCommand, ExerciseCommand
from node_runtime.crash_points import ENVIRONMENT_VARIABLE, CrashPoint
from tests.e2e.process_network import (
    CALL_DEADLINE_S,
    ProcessNetwork,
    running_process_network,
)
from tests.support.domain import running_domain

pytestmark = [pytest.mark.anvil, pytest.mark.asyncio(loop_scope="module")]

TRANSFER = ("alice", "bob", "carol")
"""Who must commit Alice's transfer of an Iou Carol observes: Alice and Carol (the Iou's
stakeholders), Bob (the proposal's observer)."""
ACCEPT = ("alice", "bob")
"""Who must commit Bob's acceptance: the proposal's stakeholders."""


@dataclass
class Stock:
    """Contracts made before the crashes, each used by one command of the load."""

    ious: list[ContractId]
    """Alice's Ious, observed by Carol, to transfer."""
    proposals: list[ContractId]
    """Transfer proposals from Alice to Bob, to accept."""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def net(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ProcessNetwork]:
    tmp: Path = tmp_path_factory.mktemp("e2e-crash-deciders")
    async with running_domain(tmp) as domain, running_process_network(domain) as network:
        yield network


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stock(net: ProcessNetwork) -> Stock:
    account = CreateCommand(
        net.template("Account"),
        {"bank": net.party("alice"), "owner": net.party("bob"), "currency": "CHF"},
    )
    await net.run("bob", [account], ["alice"])
    transfer = CreateAndExerciseCommand(
        net.template("Iou"),
        net.iou("alice", ["carol"]).arguments,
        "Transfer",
        {"new_owner": net.party("bob")},
    )
    made = await asyncio.gather(
        *(net.run("alice", [net.iou("alice", ["carol"])], ["carol"]) for _ in range(2)),
        *(net.run("alice", [transfer], TRANSFER) for _ in range(8)),
    )
    ious = [tx.created[0].contract_id for tx in made[:2]]
    proposals = [
        c.contract_id
        for tx in made[2:]
        for c in tx.created
        if c.template_id.endswith(":IouTransferProposal")
    ]
    assert len(proposals) == 8, made
    return Stock(ious, proposals)


def _transfer(net: ProcessNetwork, iou: ContractId) -> ExerciseCommand:
    return ExerciseCommand(net.template("Iou"), iou, "Transfer", {"new_owner": net.party("bob")})


def _accept(net: ProcessNetwork, proposal: ContractId) -> ExerciseCommand:
    return ExerciseCommand(net.template("IouTransferProposal"), proposal, "Accept", {})


async def _crash_under_load(
    net: ProcessNetwork,
    node: str,
    point: CrashPoint,
    occurrence: int,
    load: list[Coroutine[Any, Any, str]],
) -> None:
    """Arm ``point`` on ``node`` (a restart) for its ``occurrence``-th time, so that the
    work of the earlier times is in flight too; put ``load`` in flight, wait for the node
    to kill itself there, start it again unarmed, let every client finish, then check."""
    try:
        await net.restart(node, {ENVIRONMENT_VARIABLE: f"{point.value}@{occurrence}"})
    except BaseException:
        for coroutine in load:
            coroutine.close()
        raise
    tasks = [asyncio.create_task(c) for c in load]
    process = net.process(node)
    exited = asyncio.create_task(process.exited(90, f"the load was submitted (armed at {point})"))
    try:
        waiting: set[asyncio.Task[Any]] = {exited, *tasks}
        while not exited.done():  # a client that fails first is the cause: raise it
            done, waiting = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            for task in done - {exited}:
                task.result()
        code = exited.result()
        assert code == -signal.SIGKILL, (code, process.tail())
        assert f"crash point {point} reached: SIGKILL" in process.tail(20_000), process.tail()
        await net.start(node)
        async with asyncio.timeout(CALL_DEADLINE_S):
            await asyncio.gather(*tasks)
    finally:
        for task in [exited, *tasks]:
            task.cancel()
    await net.check()


async def test_submitter_killed_after_sending_its_request(
    net: ProcessNetwork, stock: Stock
) -> None:
    load = [
        net.submit("alice", [net.iou("alice", ["bob", "carol"])], ["bob", "carol"]),
        net.submit("alice", [_transfer(net, stock.ious.pop())], TRANSFER),
        net.submit("alice", [net.iou("alice", ["carol"])], ["carol"]),
        net.submit("alice", [net.iou("alice", ["bob"])], ["bob"]),
        net.submit("bob", [_accept(net, stock.proposals.pop())], ACCEPT),
        net.submit("bob", [_accept(net, stock.proposals.pop())], ACCEPT),
        net.submit("carol", [net.iou("carol", ["alice", "bob"])], ["alice", "bob"]),
    ]
    # the third of Alice's four requests: two more of P1's own are in flight when it dies
    await _crash_under_load(net, "p1", CrashPoint.PARTICIPANT_REQUEST_SENT, 3, load)


async def test_confirmer_killed_between_its_response_and_the_verdict(
    net: ProcessNetwork, stock: Stock
) -> None:
    # nothing P1 submits itself: its first response is one for Bob's acceptances
    load = [net.submit("bob", [_accept(net, stock.proposals.pop())], ACCEPT) for _ in range(3)]
    load.append(net.submit("carol", [net.iou("carol", ["alice", "bob"])], ["alice", "bob"]))
    # the second response: the first request P1 confirmed is pending there too
    await _crash_under_load(net, "p1", CrashPoint.PARTICIPANT_RESPONSE_SENT, 2, load)


async def test_mediator_killed_between_responses(net: ProcessNetwork, stock: Stock) -> None:
    load = [
        net.submit("bob", [_accept(net, stock.proposals.pop())], ACCEPT),
        net.submit("bob", [_accept(net, stock.proposals.pop())], ACCEPT),
        net.submit("bob", [_accept(net, stock.proposals.pop())], ACCEPT),
        net.submit("alice", [_transfer(net, stock.ious.pop())], TRANSFER),
        net.submit("alice", [net.iou("alice", ["bob", "carol"])], ["bob", "carol"]),
        net.submit("carol", [net.iou("carol", ["alice", "bob"])], ["alice", "bob"]),
    ]
    # each acceptance needs P1's and P2's response: the second one half-answered
    await _crash_under_load(net, "mediator", CrashPoint.MEDIATOR_RESPONSE_COUNTED, 2, load)
