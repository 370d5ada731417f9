"""Every Ledger API service against the fake backend, through ledger_client and raw stubs."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import grpc
import grpc.aio
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from ledger_client import (
    CommandRejectedError,
    ContractNotFoundError,
    CreateCommand,
    DamlAuthorizationError,
    DuplicateCommandError,
    ExerciseByKeyCommand,
    ExerciseCommand,
    InconsistentContractsError,
    InvalidArgumentError,
    LedgerClient,
    NotFoundError,
    Party,
)
from participant.ledger_api import LedgerApiServer
from participant.store import CompletionStatus
from tests.support.auth import ALICE, BOB
from tests.support.ledger_backend import FakeLedgerBackend

BANK = "bank::1220" + "c" * 64


def iou(pkg: str, owner: str = ALICE, amount: str = "100.0") -> CreateCommand:
    return CreateCommand(
        f"{pkg}:Iou:Iou",
        {
            "issuer": Party(BANK),
            "owner": Party(owner),
            "amount": Decimal(amount),
            "currency": "EUR",
            "observers": [],
        },
    )


async def package_id(client: LedgerClient) -> str:
    (pkg,) = await client.list_packages()
    return pkg


async def test_create_and_transfer_via_submit_and_wait(client: LedgerClient) -> None:
    pkg = await package_id(client)
    tx = await client.submit_and_wait_for_transaction([iou(pkg)], act_as=[BANK, ALICE])
    (created,) = tx.created
    assert created.template_id == f"{pkg}:Iou:Iou"
    assert created.arguments["amount"] == Decimal("100.0000000000")
    assert created.arguments["owner"] == ALICE
    assert tx.command_id and tx.offset == await client.ledger_end()

    await client.submit_and_wait(
        [CreateCommand(f"{pkg}:Iou:Account", {"bank": Party(BANK), "owner": Party(BOB),
                                             "currency": "EUR"})],
        act_as=[BOB],
    )  # fmt: skip
    tree = await client.submit_and_wait_for_transaction_tree(
        [ExerciseCommand(f"{pkg}:Iou:Iou", created.contract_id, "Transfer",
                         {"new_owner": Party(BOB)})],
        act_as=[ALICE],
    )  # fmt: skip
    (root,) = tree.root_event_ids
    exercised = tree.events_by_id[root]
    assert exercised.choice == "Transfer"  # type: ignore[union-attr]
    proposal_id = exercised.result  # type: ignore[union-attr]
    accepted = await client.submit_and_wait_for_transaction(
        [ExerciseCommand(f"{pkg}:Iou:IouTransferProposal", proposal_id, "Accept")], act_as=[BOB]
    )
    (new_iou,) = accepted.created
    assert new_iou.arguments["owner"] == BOB
    assert [a.contract_id for a in accepted.archived] == [proposal_id]

    acs = await client.active_contracts([BOB], templates=[f"{pkg}:Iou:Iou"])
    assert [c.contract_id for c in acs.contracts] == [new_iou.contract_id]
    assert acs.offset == await client.ledger_end()


async def test_exercise_by_key_and_create_and_exercise(client: LedgerClient) -> None:
    pkg = await package_id(client)
    await client.submit_and_wait(
        [CreateCommand(f"{pkg}:Iou:Account",
                       {"bank": Party(BANK), "owner": Party(BOB), "currency": "EUR"})],
        act_as=[BOB],
    )  # fmt: skip
    tx = await client.submit_and_wait_for_transaction(
        [ExerciseByKeyCommand(f"{pkg}:Iou:Account", {"owner": Party(BOB), "currency": "EUR"},
                              "Archive")],
        act_as=[BOB],
    )  # fmt: skip
    assert len(tx.archived) == 1


async def test_streams_resume_without_gap_or_duplicate(client: LedgerClient) -> None:
    pkg = await package_id(client)
    for amount in ("1", "2", "3", "4"):
        await client.submit_and_wait([iou(pkg, amount=amount)], act_as=[BANK, ALICE])
    end = await client.ledger_end()
    everything = [tx.offset async for tx in client.updates([ALICE], end=end)]
    assert everything == sorted(everything) and len(everything) == 4
    middle = everything[1]
    rest = [tx.offset async for tx in client.updates([ALICE], begin=middle, end=end)]
    assert rest == everything[2:]

    # a live stream sees a later commit exactly once
    seen: list[int] = []

    async def follow() -> None:
        async for tx in client.updates([ALICE], begin=end):
            seen.append(tx.offset)
            return

    task = asyncio.create_task(follow())
    await client.submit_and_wait([iou(pkg, amount="5")], act_as=[BANK, ALICE])
    async with asyncio.timeout(5):
        await task
    assert seen == [end + 1]


async def test_filters_restrict_what_is_returned(client: LedgerClient) -> None:
    pkg = await package_id(client)
    await client.submit_and_wait([iou(pkg)], act_as=[BANK, ALICE])
    await client.submit_and_wait(
        [CreateCommand(f"{pkg}:Iou:Account",
                       {"bank": Party(BANK), "owner": Party(BOB), "currency": "EUR"})],
        act_as=[BOB],
    )  # fmt: skip
    end = await client.ledger_end()
    alice = [tx async for tx in client.updates([ALICE], end=end)]
    assert [e.template_id for tx in alice for e in tx.events] == [f"{pkg}:Iou:Iou"]
    bank_accounts = [
        tx async for tx in client.updates([BANK], end=end, templates=[f"{pkg}:Iou:Account"])
    ]
    assert [e.template_id for tx in bank_accounts for e in tx.events] == [f"{pkg}:Iou:Account"]
    bob_trees = [t async for t in client.update_trees([BOB], end=end)]
    assert len(bob_trees) == 1
    # command ids are shown to submitters only
    assert alice[0].command_id and not bank_accounts[0].command_id


async def test_completion_stream_and_submit(client: LedgerClient) -> None:
    pkg = await package_id(client)
    begin = await client.ledger_end()
    command_id = await client.submit([iou(pkg)], act_as=[BANK, ALICE])
    async with asyncio.timeout(5):
        completion = await anext(aiter(client.completions([ALICE], begin=begin)))
    assert completion.command_id == command_id and completion.ok and completion.update_id
    tx = await client.transaction_by_id(completion.update_id, [ALICE])
    assert tx.offset == completion.offset
    by_offset = await client.transaction_by_offset(completion.offset, [BANK])
    assert by_offset.update_id == completion.update_id
    with pytest.raises(NotFoundError) as caught:
        await client.transaction_by_id(completion.update_id, [BOB])  # not a stakeholder
    assert caught.value.error_code == "UPDATE_NOT_FOUND"


async def test_typed_rejections(client: LedgerClient, backend: FakeLedgerBackend) -> None:
    pkg = await package_id(client)
    tx = await client.submit_and_wait_for_transaction([iou(pkg)], act_as=[BANK, ALICE])
    cid = tx.created[0].contract_id
    await client.submit_and_wait(
        [ExerciseCommand(f"{pkg}:Iou:Iou", cid, "Archive")], act_as=[BANK, ALICE]
    )
    with pytest.raises(ContractNotFoundError) as not_found:
        await client.submit_and_wait(
            [ExerciseCommand(f"{pkg}:Iou:Iou", cid, "Archive")], act_as=[BANK, ALICE]
        )
    assert not_found.value.error_code == "CONTRACT_NOT_FOUND"
    assert not_found.value.metadata["contract_ids"] == cid

    with pytest.raises(DamlAuthorizationError):
        await client.submit_and_wait([iou(pkg)], act_as=[BANK])  # owner must sign too

    await client.submit_and_wait([iou(pkg)], act_as=[BANK, ALICE], command_id="once")
    with pytest.raises(DuplicateCommandError) as dup:
        await client.submit_and_wait([iou(pkg)], act_as=[BANK, ALICE], command_id="once")
    assert dup.value.status == "ALREADY_EXISTS"

    end = await client.ledger_end()
    backend.reject_next = CompletionStatus("INCONSISTENT_CONTRACTS", "contention", ())
    with pytest.raises(InconsistentContractsError) as rejected:
        await client.submit_and_wait([iou(pkg)], act_as=[BANK, ALICE])
    assert isinstance(rejected.value, CommandRejectedError)
    assert rejected.value.status == "FAILED_PRECONDITION"
    # the rejection is a completion with the same code, and nothing was committed
    async with asyncio.timeout(5):
        completion = await anext(aiter(client.completions([ALICE], begin=end)))
    assert completion.error_code == "INCONSISTENT_CONTRACTS" and completion.update_id is None
    assert [tx async for tx in client.updates([ALICE], begin=end, end=end + 1)] == []


async def test_parties_packages_version_and_domains(client: LedgerClient) -> None:
    alice = await client.allocate_party("alice", "Alice")
    assert alice.party.startswith("alice::") and alice.is_local
    assert [p.party for p in await client.list_parties()] == [alice.party]
    assert await client.get_parties([alice.party, BOB]) == [alice]
    pkg = await package_id(client)
    assert await client.package_registered(pkg)
    assert not await client.package_registered("0" * 64)
    assert b"IouTransferProposal" in await client.get_package(pkg)
    (details,) = await client.known_packages()
    assert details.name == "iou" and f"{pkg}:Iou:Iou" in details.template_ids
    with pytest.raises(NotFoundError):
        await client.get_package("1" * 64)
    with pytest.raises(InvalidArgumentError) as refused:
        await client.upload_package(b"PACKAGE = 1\n")
    assert refused.value.error_code == "INVALID_PACKAGE"
    assert len(await client.list_packages()) == 1
    assert await client.version()
    (domain,) = await client.connected_domains()
    assert domain.permission == "submission"


async def test_users(client: LedgerClient) -> None:
    from ledger_client import CanActAs, CanReadAs, ParticipantAdmin, User

    created = await client.create_user(User("carol", ALICE), [CanActAs(ALICE)])
    assert created.user_id == "carol"
    assert await client.grant_rights("carol", [CanReadAs(BOB), CanActAs(ALICE)]) == [CanReadAs(BOB)]
    assert set(await client.list_rights("carol")) == {CanActAs(ALICE), CanReadAs(BOB)}
    assert await client.revoke_rights("carol", [CanActAs(ALICE)]) == [CanActAs(ALICE)]
    users = {u.user_id for u in await client.list_users()}
    assert users == {"carol", "participant_admin"}
    assert ParticipantAdmin() in await client.list_rights("participant_admin")
    await client.delete_user("carol")
    with pytest.raises(NotFoundError) as caught:
        await client.get_user("carol")
    assert caught.value.error_code == "USER_NOT_FOUND"


async def test_health_and_reflection(server: LedgerApiServer) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for service in ("", "com.daml.ledger.api.v2.UpdateService"):
            reply = await health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        responses = stub.ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5
        )
        async for response in responses:
            names = {s.name for s in response.list_services_response.service}
            break
    assert "com.daml.ledger.api.v2.CommandService" in names
    assert "com.daml.ledger.api.v2.admin.UserManagementService" in names
    assert "grpc.health.v1.Health" in names
