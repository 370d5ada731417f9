"""Issue #7 "what must be shown" against real participant nodes: every Ledger API service
through real gRPC clients (``ledger_client``; raw stubs for health and reflection) on the
three participant nodes of the end-to-end network (real anvil, two sequencers, DM,
mediator), each with ``[ledger_api.auth]`` pointing at a development IdP's JWKS.

Users: on P1 ``alice`` (CanActAs Alice) and ``auditor`` (CanReadAs Alice and Bank), on P2
``bob`` (CanActAs Bob), on P3 ``carol`` (CanReadAs Carol); ``participant_admin`` (made by
every node at its first start) for management. Tokens are audience-based (``sub`` = the
user id) and signed by the IdP's RS256 key unless a test forges them. One network per
module."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import grpc
import jwt
import pytest
import pytest_asyncio
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from auth import participant_audience
from auth.dev_idp import DevIdp, IdpConfig
from ledger_client import (
    AuthenticationError,
    CanActAs,
    CanReadAs,
    ContractNotFoundError,
    CreateCommand,
    DuplicateCommandError,
    ExerciseCommand,
    ExercisedEvent,
    InvalidArgumentError,
    InvalidDeduplicationPeriodError,
    LedgerClient,
    Party,
    PermissionDeniedError,
    Transaction,
    User,
)
from participant.ledger_api.server import SERVICE_NAMES
from protocol.identifiers import PartyId
from tests.e2e.support import Network, running_network
from tests.support.auth import rogue_rsa_key, sign, unsigned_token
from tests.support.domain import running_domain

pytestmark = [pytest.mark.anvil, pytest.mark.asyncio(loop_scope="module")]

ADMIN = "participant_admin"
MEMO_SOURCE = """\
from participant.engine.api import Party, Text, package, template

PACKAGE = package("memo", "1.0.0", module="Memo")


@template
class Memo:
    author: Party
    text: Text

    def signatory(self) -> list[Party]:
        return [self.author]
"""
_ids = itertools.count()


class Api:
    """The network plus the IdP whose keys sign the test's tokens."""

    def __init__(self, net: Network, idp: DevIdp) -> None:
        self.net = net
        self.idp = idp
        self.iou = net.template("iou", "Iou").split(":", 1)[0]

    def payload(self, node: str, user: str, ttl: int = 120) -> dict[str, Any]:
        now = int(time.time())
        return {
            "aud": participant_audience(self.net.member(node)),
            "sub": user,
            "iat": now,
            "exp": now + ttl,
        }

    def token(self, node: str, user: str, ttl: int = 120) -> str:
        key = self.idp.keys.active("RS256")
        return sign(self.payload(node, user, ttl), key.private_key, "RS256", key.kid)

    def client(
        self, node: str, user: str | None = None, *, token: str | None = None
    ) -> LedgerClient:
        if token is None and user is not None:
            token = self.token(node, user)
        return LedgerClient(
            self.net.nodes[node].grpc_endpoint, token=token, application_id=user or ""
        )

    def party(self, name: str) -> Party:
        return Party(self.net.party(name))

    def template(self, name: str) -> str:
        module = "Iou"
        return f"{self.iou}:{module}:{name}"

    def iou_create(
        self, owner: str, observers: Sequence[str] = (), amount: int = 10
    ) -> CreateCommand:
        return CreateCommand(
            self.template("Iou"),
            {
                "issuer": self.party(owner),
                "owner": self.party(owner),
                "amount": amount,
                "currency": "EUR",
                "observers": [self.party(o) for o in observers],
            },
        )

    def accepted(self, node: str) -> float:
        """Submissions the node's Ledger API backend accepted (its metric)."""
        value = self.net.nodes[node].registry.get_sample_value(
            "participant_submissions_total", {"result": "accepted"}
        )
        return value or 0.0


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def api(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Api]:
    tmp: Path = tmp_path_factory.mktemp("e2e-ledger-api")
    idp = DevIdp(IdpConfig())
    await idp.start()
    auth = (
        f'\n[ledger_api.auth]\njwks_url = "{idp.jwks_url}"\njwks_min_refetch_interval_seconds = 0\n'
    )
    try:
        async with running_domain(tmp) as domain, running_network(domain, extra_toml=auth) as net:
            a = Api(net, idp)
            async with a.client("p1", ADMIN) as p1, a.client("p2", ADMIN) as p2:
                await p1.create_user(
                    User("alice", str(a.party("alice"))), [CanActAs(a.party("alice"))]
                )
                await p1.create_user(
                    User("auditor"), [CanReadAs(a.party("alice")), CanReadAs(a.party("bank"))]
                )
                await p2.create_user(User("bob"), [CanActAs(a.party("bob"))])
            async with a.client("p3", ADMIN) as p3:
                await p3.create_user(User("carol"), [CanReadAs(a.party("carol"))])
            yield a
    finally:
        await idp.stop()


async def collect(stream: AsyncIterator[Any], count: int, timeout_s: float = 30) -> list[Any]:
    """The first ``count`` items of a live stream."""
    items: list[Any] = []
    async with asyncio.timeout(timeout_s), contextlib.aclosing(stream) as it:  # type: ignore[type-var]
        async for item in it:
            items.append(item)
            if len(items) == count:
                break
    return items


async def committed_on(api: Api, node: str, update_id: str) -> None:
    await api.net.update_on(node, update_id)


# --- public services ------------------------------------------------------------------------


async def test_version_health_and_reflection_answer_without_a_token(api: Api) -> None:
    async with api.client("p1") as anonymous:
        assert await anonymous.version()
    channel = grpc.aio.insecure_channel(api.net.nodes["p2"].grpc_endpoint)
    try:
        health = health_pb2_grpc.HealthStub(channel)
        for service in ("", *SERVICE_NAMES):
            reply = await health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING, service
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        request = reflection_pb2.ServerReflectionRequest(list_services="")
        names: set[str] = set()
        async for reply in stub.ServerReflectionInfo(iter([request]), timeout=5):
            names |= {s.name for s in reply.list_services_response.service}
        assert set(SERVICE_NAMES) <= names
        assert "grpc.health.v1.Health" in names
    finally:
        await channel.close()


# --- management -----------------------------------------------------------------------------


async def test_party_allocation_goes_through_topology_and_parties_are_listed(api: Api) -> None:
    async with api.client("p3", ADMIN) as admin, api.client("p3", "carol") as carol:
        before = await admin.list_parties()
        erin = await admin.allocate_party("Erin", "Erin on P3")
        assert erin.is_local and erin.display_name == "Erin on P3"
        assert erin.party.startswith("Erin::")
        # through topology: the other participants learn where Erin is hosted
        p1 = api.net.nodes["p1"].link
        assert p1 is not None
        async with asyncio.timeout(20):
            while p1.topology.latest_snapshot().party_hosting(PartyId(erin.party)) is None:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        listed = {p.party: p for p in await admin.list_parties()}
        assert {api.party("carol"), erin.party} <= set(listed)
        assert len(listed) == len(before) + 1 and listed[erin.party].is_local
        (got,) = await admin.get_parties([erin.party])
        assert got == erin
        with pytest.raises(PermissionDeniedError):  # not a participant admin
            await carol.allocate_party("Mallory")
        assert len(await admin.list_parties()) == len(listed)


async def test_package_upload_list_get_and_status(api: Api) -> None:
    async with api.client("p1", ADMIN) as admin, api.client("p2", ADMIN) as other:
        details = await admin.upload_package(MEMO_SOURCE)
        pid = details.package_id
        assert (details.name, details.version, details.module) == ("memo", "1.0.0", "Memo")
        assert f"{pid}:Memo:Memo" in details.template_ids
        assert pid in await admin.list_packages()
        assert "memo" in {p.name for p in await admin.known_packages()}
        assert (await admin.get_package(pid)).decode() == MEMO_SOURCE
        assert await admin.package_registered(pid) and await admin.package_vetted(pid)
        # P2 never uploaded it
        assert pid not in await other.list_packages()
        assert not await other.package_registered(pid)
        assert api.iou in await other.list_packages() and await other.package_vetted(api.iou)
    async with api.client("p1", "alice") as alice:
        with pytest.raises(PermissionDeniedError):
            await alice.upload_package(MEMO_SOURCE.replace('"memo"', '"memo2"'))
    async with api.client("p1", ADMIN) as admin:
        assert "memo2" not in {p.name for p in await admin.known_packages()}


@pytest.mark.parametrize(
    ("body", "rule", "line"),
    [
        ("X = " + "-" * 100_000 + "1", "nesting", 4),
        ("X = 1" + "+1" * 100_000, "nesting", 4),
        ("X = " + "[" * 60 + "]" * 60, "nesting", 4),
        ("X = 1\n" * 50_000, "size", 0),
        ("from participant.engine.api import inspect", "import", 4),
        (
            "def make(xs):\n    return lambda: xs.append(1) or len(xs)\nC = make([])",
            "mutable-state",
            6,
        ),
        ("while True:\n    pass", "budget", 4),
    ],
    ids=["unary_chain", "binop_chain", "nested_lists", "huge", "api_module", "closure", "loop"],
)
async def test_a_refused_package_is_invalid_argument_with_its_rule(
    api: Api, body: str, rule: str, line: int
) -> None:
    """Through the participant's real gRPC Ledger API: never INTERNAL, nothing stored."""
    source = 'from participant.engine.api import package\n\nPACKAGE = package("evil", "0.1")\n'
    async with api.client("p1", ADMIN) as admin:
        before = await admin.list_packages()
        with pytest.raises(InvalidArgumentError) as refused:
            await admin.upload_package(source + body + "\n")
        assert refused.value.status == "INVALID_ARGUMENT"
        assert refused.value.error_code == "INVALID_PACKAGE"
        assert refused.value.metadata["rule"] == rule
        assert refused.value.metadata["line"] == str(line)
        assert await admin.list_packages() == before


async def test_users_and_rights(api: Api) -> None:
    alice = api.party("alice")
    async with api.client("p1", ADMIN) as admin:
        created = await admin.create_user(User("dora", alice), [CanReadAs(alice)])
        assert created == User("dora", alice)
        assert await admin.get_user("dora") == created
        assert {"alice", "auditor", "dora", ADMIN} <= {u.user_id for u in await admin.list_users()}
        assert await admin.grant_rights("dora", [CanActAs(alice), CanReadAs(alice)]) == [
            CanActAs(alice)
        ]
        assert set(await admin.list_rights("dora")) == {CanActAs(alice), CanReadAs(alice)}
        assert await admin.revoke_rights("dora", [CanActAs(alice)]) == [CanActAs(alice)]
        assert await admin.list_rights("dora") == [CanReadAs(alice)]
    async with api.client("p1", "dora") as dora:  # a user reads itself
        assert (await dora.get_user()).user_id == "dora"
        assert await dora.list_rights() == [CanReadAs(alice)]
        with pytest.raises(PermissionDeniedError):  # read-only: may not act
            await dora.submit_and_wait([api.iou_create("alice")], act_as=[alice])
        with pytest.raises(PermissionDeniedError):  # not an admin
            await dora.grant_rights("dora", [CanActAs(alice)])
    async with api.client("p1", ADMIN) as admin:
        await admin.delete_user("dora")
        assert "dora" not in {u.user_id for u in await admin.list_users()}


# --- commands, updates, state ---------------------------------------------------------------


async def test_submit_and_wait_for_transaction_returns_the_committed_transaction(
    api: Api,
) -> None:
    alice, bob, carol = api.party("alice"), api.party("bob"), api.party("carol")
    async with (
        api.client("p1", "alice") as p1,
        api.client("p2", "bob") as p2,
        api.client("p3", "carol") as p3,
    ):
        tx = await p1.submit_and_wait_for_transaction(
            [api.iou_create("alice", ["carol"])], act_as=[alice], command_id="swft-1"
        )
        assert isinstance(tx, Transaction) and tx.command_id == "swft-1"
        (created,) = tx.created
        assert created.template_id == api.template("Iou")
        assert created.arguments["owner"] == alice and created.signatories == (alice,)
        assert set(created.witness_parties) == {alice}
        # it is committed: the same transaction by id and by offset, within the ledger end
        assert await p1.ledger_end() >= tx.offset
        assert await p1.transaction_by_id(tx.update_id, [alice]) == tx
        assert await p1.transaction_by_offset(tx.offset, [alice]) == tx
        # the observer's participant has it too, at its own offset
        await committed_on(api, "p3", tx.update_id)
        seen = await p3.transaction_by_id(tx.update_id, [carol])
        assert [e.contract_id for e in seen.created] == [created.contract_id]
        assert seen.command_id == ""  # not the submitter's participant

        # the transfer as a tree: the exercise and the proposal it creates
        tree = await p1.submit_and_wait_for_transaction_tree(
            [ExerciseCommand(api.template("Iou"), created.contract_id, "Transfer",
                             {"new_owner": bob})],
            act_as=[alice],
        )  # fmt: skip
        (root,) = (tree.events_by_id[e] for e in tree.root_event_ids)
        assert isinstance(root, ExercisedEvent) and root.choice == "Transfer" and root.consuming
        (child,) = (tree.events_by_id[e] for e in root.child_event_ids)
        assert child.template_id == api.template("IouTransferProposal")
        assert await p1.transaction_tree_by_id(tree.update_id, [alice]) == tree
        # Bob sees only the proposal; he accepts it into his account
        await committed_on(api, "p2", tree.update_id)
        bobs = await p2.transaction_tree_by_id(tree.update_id, [bob])
        assert [e.template_id for e in bobs.events_by_id.values()] == [child.template_id]
        account = CreateCommand(
            api.template("Account"), {"bank": alice, "owner": bob, "currency": "EUR"}
        )
        await p2.submit_and_wait([account], act_as=[bob])
        accept = ExerciseCommand(
            api.template("IouTransferProposal"), child.contract_id, "Accept", {}
        )
        update_id, offset = await p2.submit_and_wait([accept], act_as=[bob])
        assert update_id and offset == await p2.ledger_end()
        acs = await p2.active_contracts([bob], templates=[api.template("Iou")])
        assert [(c.arguments["owner"], c.arguments["issuer"]) for c in acs.contracts] == [
            (bob, alice)
        ]
        # refusals with Daml's error codes: an archived contract, a duplicate command
        with pytest.raises(ContractNotFoundError):
            await p1.submit_and_wait(
                [ExerciseCommand(api.template("Iou"), created.contract_id, "Transfer",
                                 {"new_owner": bob})],
                act_as=[alice],
            )  # fmt: skip
        with pytest.raises(DuplicateCommandError):
            await p1.submit_and_wait([api.iou_create("alice")], act_as=[alice], command_id="swft-1")


async def test_submit_then_the_completion_stream_reports_the_outcome(api: Api) -> None:
    alice = api.party("alice")
    async with api.client("p1", "alice") as p1:
        begin = await p1.ledger_end()
        command_id = f"async-{next(_ids)}"
        assert (
            await p1.submit([api.iou_create("alice")], act_as=[alice], command_id=command_id)
            == command_id
        )
        (completion,) = await collect(p1.completions([alice], begin=begin), 1)
        assert completion.command_id == command_id and completion.ok
        assert completion.act_as == (alice,) and completion.application_id == "alice"
        assert completion.offset > begin and completion.update_id
        tx = await p1.transaction_by_id(completion.update_id, [alice])
        assert tx.offset == completion.offset and tx.command_id == command_id


async def test_deduplication_duration_refuses_within_the_window_and_accepts_after(
    api: Api,
) -> None:
    """Daml's command deduplication by duration: the change id (application, command id,
    act_as) accepted within ``deduplication_duration`` of the resubmission is refused
    with DUPLICATE_COMMAND (ALREADY_EXISTS, the earlier completion's offset in the
    metadata); once the window has passed the same change is accepted again."""
    alice = api.party("alice")
    iou = [api.iou_create("alice")]
    command_id = f"dedup-duration-{next(_ids)}"
    async with api.client("p1", "alice") as p1:
        _, first = await p1.submit_and_wait(
            iou, act_as=[alice], command_id=command_id, deduplication_seconds=60
        )
        completed = time.monotonic()
        with pytest.raises(DuplicateCommandError) as refused:
            await p1.submit(iou, act_as=[alice], command_id=command_id, deduplication_seconds=60)
        assert refused.value.status == "ALREADY_EXISTS"
        assert refused.value.error_code == "DUPLICATE_COMMAND"
        assert refused.value.metadata["completion_offset"] == str(first)
        with pytest.raises(DuplicateCommandError):  # no period given: the maximum (7 days)
            await p1.submit_and_wait(iou, act_as=[alice], command_id=command_id)
        # the record time of the first completion is at most ``completed`` (plus the
        # clock tolerance): nothing to await but time itself
        window = 1.0
        await asyncio.sleep(max(0.0, completed + window + 1.0 - time.monotonic()))
        _, second = await p1.submit_and_wait(
            iou, act_as=[alice], command_id=command_id, deduplication_seconds=window
        )
        assert second > first
        with pytest.raises(DuplicateCommandError) as again:
            await p1.submit(iou, act_as=[alice], command_id=command_id, deduplication_seconds=60)
        assert again.value.metadata["completion_offset"] == str(second)


async def test_deduplication_offset_refuses_completions_after_it_only(api: Api) -> None:
    """``deduplication_offset`` o: a change completed (accepted) after o is a duplicate;
    one completed at or before o is not."""
    alice = api.party("alice")
    iou = [api.iou_create("alice")]
    command_id = f"dedup-offset-{next(_ids)}"
    async with api.client("p1", "alice") as p1:
        before = await p1.ledger_end()
        _, first = await p1.submit_and_wait(iou, act_as=[alice], command_id=command_id)
        for offset in (before, first - 1):
            with pytest.raises(DuplicateCommandError) as refused:
                await p1.submit(
                    iou, act_as=[alice], command_id=command_id, deduplication_offset=offset
                )
            assert refused.value.error_code == "DUPLICATE_COMMAND"
            assert refused.value.metadata["completion_offset"] == str(first)
        _, second = await p1.submit_and_wait(
            iou, act_as=[alice], command_id=command_id, deduplication_offset=first
        )
        assert second > first
        with pytest.raises(DuplicateCommandError) as again:
            await p1.submit(iou, act_as=[alice], command_id=command_id, deduplication_offset=first)
        assert again.value.metadata["completion_offset"] == str(second)


async def test_an_invalid_deduplication_period_is_a_typed_error(api: Api) -> None:
    """As Daml: a negative duration or offset is INVALID_FIELD (INVALID_ARGUMENT); an
    offset after the ledger end or a duration above the participant's maximum is
    INVALID_DEDUPLICATION_PERIOD (FAILED_PRECONDITION, with ``ledger_end`` or
    ``longest_duration``). None of them puts anything in flight: the same command id
    is then accepted."""
    alice = api.party("alice")
    iou = [api.iou_create("alice")]
    command_id = f"dedup-invalid-{next(_ids)}"
    async with api.client("p1", "alice") as p1:
        with pytest.raises(InvalidArgumentError) as negative:
            await p1.submit(iou, act_as=[alice], command_id=command_id, deduplication_seconds=-1)
        assert negative.value.status == "INVALID_ARGUMENT"
        assert negative.value.error_code == "INVALID_FIELD"
        assert negative.value.field == "commands.deduplication_duration"
        with pytest.raises(InvalidArgumentError) as below_zero:
            await p1.submit(iou, act_as=[alice], command_id=command_id, deduplication_offset=-1)
        assert below_zero.value.field == "commands.deduplication_offset"
        end = await p1.ledger_end()
        with pytest.raises(InvalidDeduplicationPeriodError) as beyond:
            await p1.submit(
                iou, act_as=[alice], command_id=command_id, deduplication_offset=end + 1_000
            )
        assert beyond.value.status == "FAILED_PRECONDITION"
        assert beyond.value.error_code == "INVALID_DEDUPLICATION_PERIOD"
        assert int(beyond.value.metadata["ledger_end"]) >= end
        week = 7 * 24 * 3600
        with pytest.raises(InvalidDeduplicationPeriodError) as too_long:
            await p1.submit(
                iou, act_as=[alice], command_id=command_id, deduplication_seconds=week + 1
            )
        assert too_long.value.status == "FAILED_PRECONDITION"
        assert too_long.value.metadata["longest_duration"] == f"{week}s"
        await p1.submit_and_wait(iou, act_as=[alice], command_id=command_id)


async def test_streams_resume_from_an_offset_with_no_gap_or_duplicate(api: Api) -> None:
    alice = api.party("alice")
    async with api.client("p1", "alice") as p1:
        for _ in range(3):
            await p1.submit_and_wait([api.iou_create("alice")], act_as=[alice])
        end = await p1.ledger_end()
        everything = [t async for t in p1.updates([alice], end=end)]
        offsets = [t.offset for t in everything]
        assert offsets == sorted(set(offsets)) and offsets[-1] == end
        assert len({t.update_id for t in everything}) == len(everything) >= 3
        for cut in (0, len(everything) // 2, len(everything) - 1):
            resumed = [t async for t in p1.updates([alice], begin=offsets[cut], end=end)]
            assert resumed == everything[cut + 1 :]
        trees = [t async for t in p1.update_trees([alice], end=end)]
        assert [t.update_id for t in trees] == [t.update_id for t in everything]

        # live: a stream from the end receives exactly what commits next, in order
        live = asyncio.create_task(collect(p1.updates([alice], begin=end), 2))
        ids = [
            (await p1.submit_and_wait([api.iou_create("alice")], act_as=[alice]))[0]
            for _ in range(2)
        ]
        got = await live
        assert [t.update_id for t in got] == ids and got[0].offset > end
        (after_first,) = await collect(p1.updates([alice], begin=got[0].offset), 1)
        assert after_first == got[1]

        # completions resume the same way
        first = await collect(p1.completions([alice], begin=end), 2)
        assert [c.update_id for c in first] == ids
        (again,) = await collect(p1.completions([alice], begin=first[0].offset), 1)
        assert again == first[1]


async def test_filters_restrict_what_is_returned(api: Api) -> None:
    alice, bank = api.party("alice"), api.party("bank")
    iou, account = api.template("Iou"), api.template("Account")
    async with api.client("p1", "alice") as p1, api.client("p1", "auditor") as auditor:
        begin = await p1.ledger_end()
        first = await p1.submit_and_wait_for_transaction(
            [api.iou_create("alice", amount=1)], act_as=[alice]
        )
        acc = CreateCommand(account, {"bank": bank, "owner": alice, "currency": "FLT"})
        opened = await p1.submit_and_wait_for_transaction([acc], act_as=[alice])
        moved = await p1.submit_and_wait_for_transaction(
            [ExerciseCommand(iou, first.created[0].contract_id, "Transfer",
                             {"new_owner": alice})],
            act_as=[alice],
        )  # fmt: skip
        end = await p1.ledger_end()

        def templates(txs: list[Transaction]) -> list[list[str]]:
            return [[e.template_id.rsplit(":", 1)[1] for e in t.events] for t in txs]

        everything = [t async for t in p1.updates([alice], begin=begin, end=end)]
        assert [t.update_id for t in everything] == [
            first.update_id, opened.update_id, moved.update_id
        ]  # fmt: skip
        only_iou = [t async for t in p1.updates([alice], begin=begin, end=end, templates=[iou])]
        assert templates(only_iou) == [["Iou"], ["Iou"]]  # created; archived by the transfer
        only_acc = [t async for t in p1.updates([alice], begin=begin, end=end, templates=[account])]
        assert templates(only_acc) == [["Account"]]
        # the bank sees only the account it observes, with itself as the only witness
        banks = [t async for t in auditor.updates([bank], begin=begin, end=end)]
        assert [t.update_id for t in banks] == [opened.update_id]
        assert banks[0].created[0].witness_parties == (bank,)

        # active contracts at an offset, filtered by template
        at_first = await p1.active_contracts([alice], templates=[iou], at_offset=first.offset)
        assert first.created[0].contract_id in {c.contract_id for c in at_first.contracts}
        now = await p1.active_contracts([alice], templates=[iou])
        assert first.created[0].contract_id not in {c.contract_id for c in now.contracts}
        assert now.offset == end
        assert all(c.template_id == iou for c in now.contracts)
        proposals = await p1.active_contracts(
            [alice], templates=[api.template("IouTransferProposal")]
        )
        assert moved.created[0].contract_id in {c.contract_id for c in proposals.contracts}
        banks_acs = await auditor.active_contracts([bank])
        assert {c.template_id for c in banks_acs.contracts} <= {account, iou}
        assert opened.created[0].contract_id in {c.contract_id for c in banks_acs.contracts}

        (domain,) = await p1.connected_domains(alice)
        assert domain.domain_id == api.net.domain.domain
        assert domain.permission


# --- authorization against the real node ---------------------------------------------------


async def test_refused_tokens_are_unauthenticated_and_nothing_is_applied(api: Api) -> None:
    alice = api.party("alice")
    payload = api.payload("p1", "alice")
    rs256 = api.idp.keys.active("RS256")
    tokens = {
        "expired": sign(api.payload("p1", "alice", ttl=-60), rs256.private_key, "RS256", rs256.kid),
        "wrong_audience": api.token("p2", "alice"),
        "alg_none": unsigned_token(payload, kid=rs256.kid),
        "key_not_in_jwks": sign(payload, rogue_rsa_key(), "RS256", kid="not-in-the-jwks"),
        "hs256_without_dev_flag": jwt.encode(
            payload, "a-secret-of-at-least-32-bytes-long", algorithm="HS256"
        ),
    }
    async with api.client("p1", ADMIN) as admin:
        end = await admin.ledger_end()
        parties = len(await admin.list_parties())
    accepted = api.accepted("p1")
    for reason, token in tokens.items():
        async with api.client("p1", token=token) as client:
            with pytest.raises(AuthenticationError):
                await client.submit_and_wait(
                    [api.iou_create("alice")], act_as=[alice], command_id=f"refused-{reason}"
                )
            with pytest.raises(AuthenticationError):
                await client.submit([api.iou_create("alice")], act_as=[alice])
            with pytest.raises(AuthenticationError):
                [t async for t in client.updates([alice], end=end)]
            with pytest.raises(AuthenticationError):
                await client.allocate_party(f"refused{reason.replace('_', '')}")
    # nothing reached the backend, nothing committed, no party allocated
    assert api.accepted("p1") == accepted
    async with api.client("p1", ADMIN) as admin:
        assert await admin.ledger_end() == end
        assert len(await admin.list_parties()) == parties
    assert api.net.nodes["p1"].processor is not None
    assert not api.net.nodes["p1"].processor.in_flight


async def test_missing_rights_are_permission_denied_and_nothing_is_applied(api: Api) -> None:
    alice, bob, bank = api.party("alice"), api.party("bob"), api.party("bank")
    accepted = {n: api.accepted(n) for n in ("p1", "p2")}
    async with (
        api.client("p1", "alice") as p1,
        api.client("p2", "bob") as p2,
        api.client("p1", ADMIN) as admin,
    ):
        end = await admin.ledger_end()
        # actAs for a party the user may not act as (also alongside its own)
        with pytest.raises(PermissionDeniedError):
            await p1.submit_and_wait([api.iou_create("bank")], act_as=[bank])
        with pytest.raises(PermissionDeniedError):
            await p1.submit([api.iou_create("alice")], act_as=[alice, bank])
        with pytest.raises(PermissionDeniedError):
            await p2.submit_and_wait([api.iou_create("bob")], act_as=[bob], read_as=[bank])
        # a read of another party's stream, ACS, completions and transaction look-up
        with pytest.raises(PermissionDeniedError):
            [t async for t in p1.updates([bank], end=end)]
        with pytest.raises(PermissionDeniedError):
            [t async for t in p2.update_trees([bank], end=await p2.ledger_end())]
        with pytest.raises(PermissionDeniedError):
            await p1.active_contracts([alice, bank])
        with pytest.raises(PermissionDeniedError):
            await collect(p1.completions([bank], begin=end), 1, timeout_s=10)
        with pytest.raises(PermissionDeniedError):
            await p1.transaction_by_offset(end, [bank])
        # the admin right does not include reading as a party either
        with pytest.raises(PermissionDeniedError):
            [t async for t in admin.updates([alice], end=end)]
        assert await admin.ledger_end() == end
    assert {n: api.accepted(n) for n in ("p1", "p2")} == accepted
