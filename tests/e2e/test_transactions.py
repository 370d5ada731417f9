"""Issue #6 end to end: anvil, two sequencer nodes, the domain manager, the mediator and
three participant nodes (onboarded through the domain manager by their own start, parties
allocated through topology), the example packages. One network per module."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import secrets
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from participant.engine import Command, CreateCommand, ExerciseCommand, PartyId
from participant.ledger_api.backend import PartyFilter, TransactionTree, UpdateFilter
from participant.protocol import view_specs
from protocol.batch_format import decode_batch
from protocol.sequencer_messages import Envelope
from protocol.timestamp import Timestamp, now
from protocol.transaction import (
    Approve,
    EncryptedViewMessage,
    FullTransactionTree,
    Informee,
    LocalApprove,
    LocalReject,
    LocalRejectCode,
    Reject,
    RootHashMessage,
    SignedConfirmationResponse,
    Verdict,
    ViewSpec,
    build_confirmation_request,
    build_transaction_tree,
    decode_protocol_message,
)
from sequencer_chain.contract.deploy import DeploymentRecord
from sequencer_chain.contract.inbox import BATCH_APPENDED_TOPIC, decode_batch_appended
from sequencer_chain.provider import connect
from tests.e2e.support import Network, running_network
from tests.support.domain import running_domain

pytestmark = [pytest.mark.anvil, pytest.mark.asyncio(loop_scope="module")]

SECRET_CURRENCY = "PLAINTEXT-EUR-5521"
SECRET_USD = "PLAINTEXT-USD-3397"
SECRET_ASSET = "PLAINTEXT-BOND-8812"
SECRETS = (SECRET_CURRENCY, SECRET_USD, SECRET_ASSET)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def net(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Network]:
    tmp: Path = tmp_path_factory.mktemp("e2e")
    async with running_domain(tmp) as domain, running_network(domain) as network:
        yield network


def iou(
    net: Network, owner: str, issuer: str, observers: list[str], amount: str = "100.5"
) -> CreateCommand:
    return CreateCommand(
        net.template("iou", "Iou"),
        {
            "issuer": net.party(issuer),
            "owner": net.party(owner),
            "amount": amount,
            "currency": SECRET_CURRENCY,
            "observers": [net.party(o) for o in observers],
        },
    )


def transfer(net: Network, contract: str, to: str) -> ExerciseCommand:
    return ExerciseCommand(
        net.template("iou", "Iou"), contract, "Transfer", {"new_owner": net.party(to)}
    )


async def test_iou_transfer_commits_on_all_three_and_each_sees_its_part(net: Network) -> None:
    created = await net.run("p1", ["alice"], iou(net, "alice", "alice", ["carol"]))
    assert created.status.ok, created.status
    assert created.update_id is not None
    await net.update_on("p3", created.update_id)
    contract = await net.active_id("p1", "Iou")

    done = await net.run("p1", ["alice"], transfer(net, contract, "bob"))
    assert done.status.ok, done.status
    assert done.update_id is not None
    updates = {n: await net.update_on(n, done.update_id) for n in ("p1", "p2", "p3")}
    # the same transaction everywhere, each participant holding only its parties' part
    assert {u.update_id for u in updates.values()} == {done.update_id}
    assert updates["p1"].witnesses == {net.party("alice")}
    assert updates["p2"].witnesses == {net.party("bob")}
    assert updates["p3"].witnesses == {net.party("carol")}
    assert [r.node_id for r in updates["p2"].transaction.roots] == ["0.0"]
    assert updates["p1"].command_id == done.command_id and updates["p2"].command_id == ""
    assert await net.active("p1", "IouTransferProposal") == ["IouTransferProposal"]
    assert await net.active("p2", "IouTransferProposal") == ["IouTransferProposal"]
    assert await net.active("p3", "Iou") == []  # archived; the proposal is not Carol's

    # through the Ledger API backend: Bob's tree is the proposal only, Carol's the exercise
    bob = frozenset({net.party("bob")})
    tree = await net.backend("p2").transaction_by_id(done.update_id, bob, tree=True)  # type: ignore[arg-type]
    assert isinstance(tree, TransactionTree)
    assert [e.template_id.rsplit(":", 1)[1] for _id, e in tree.events_by_id] == [
        "IouTransferProposal"
    ]
    carol = UpdateFilter((PartyFilter(net.party("carol")),))
    flat = [
        u
        async for u in net.backend("p3").updates(
            0,
            await net.backend("p3").ledger_end(),
            carol,
            tree=False,  # type: ignore[arg-type]
        )
    ]
    assert [u.update_id for u in flat][-1] == done.update_id


async def _dvp_setup(net: Network) -> tuple[str, str]:
    cash = CreateCommand(
        net.template("dvp", "Cash"),
        {
            "bank": net.party("bank"),
            "owner": net.party("bob"),
            "amount": "50",
            "currency": SECRET_USD,
        },
    )
    asset = CreateCommand(
        net.template("dvp", "Asset"),
        {
            "bank": net.party("bank"),
            "owner": net.party("carol"),
            "name": SECRET_ASSET,
            "quantity": 3,
        },
    )
    issued = await net.run("p1", ["bank"], cash, asset)
    assert issued.status.ok, issued.status
    assert issued.update_id is not None
    for node in ("p2", "p3"):
        await net.update_on(node, issued.update_id)
    cash_id = await net.created("p2", issued.update_id, "Cash")
    asset_id = await net.created("p3", issued.update_id, "Asset")
    proposal = CreateCommand(
        net.template("dvp", "TradeProposal"),
        {
            "seller": net.party("carol"),
            "buyer": net.party("bob"),
            "bank": net.party("bank"),
            "asset": asset_id,
            "price": "50",
            "currency": SECRET_USD,
        },
    )
    proposed = await net.run("p3", ["carol"], proposal)
    assert proposed.status.ok, proposed.status
    assert proposed.update_id is not None
    await net.update_on("p2", proposed.update_id)
    return await net.created("p2", proposed.update_id, "TradeProposal"), cash_id


def settle(net: Network, proposal: str, cash: str) -> ExerciseCommand:
    return ExerciseCommand(
        net.template("dvp", "TradeProposal"), proposal, "Settle", {"payment": cash}
    )


async def test_dvp_commits_atomically_across_three_participants(net: Network) -> None:
    proposal, cash = await _dvp_setup(net)
    done = await net.run("p2", ["bob"], settle(net, proposal, cash), read_as=["bank"])
    assert done.status.ok, done.status
    assert done.update_id is not None
    for node in ("p1", "p3"):
        await net.update_on(node, done.update_id)
    assert await net.created("p3", done.update_id, "Cash")  # Carol got paid
    assert await net.created("p2", done.update_id, "Asset")  # Bob got the bond
    for node in ("p2", "p3"):
        active = [c.contract_id for c in await net.nodes[node].store.active_contracts()]  # type: ignore[union-attr]
        assert proposal not in active


async def test_dvp_with_one_rejecting_participant_commits_nowhere(net: Network) -> None:
    proposal, cash = await _dvp_setup(net)
    p1 = net.nodes["p1"]
    assert p1.processor is not None and p1.store is not None
    # the bank's participant will reject: its active contract set no longer has the cash
    stored = await p1.store.contract(cash)
    assert stored is not None
    p1.processor.acs.archive(cash)  # type: ignore[arg-type]
    ends = {n: await net.backend(n).ledger_end() for n in ("p1", "p3")}
    try:
        done = await net.run("p2", ["bob"], settle(net, proposal, cash), read_as=["bank"])
    finally:
        p1.processor.acs.add(stored.instance, stored.instance_bytes)
    assert not done.status.ok
    assert "CONTRACT_NOT_ACTIVE" in done.status.message, done.status
    await net.settled()
    assert {n: await net.backend(n).ledger_end() for n in ("p1", "p3")} == ends
    active = [c.contract_id for c in await net.nodes["p2"].store.active_contracts()]  # type: ignore[union-attr]
    assert proposal in active
    assert cash in [c.contract_id for c in await net.nodes["p2"].store.active_contracts()]  # type: ignore[union-attr]
    for node in net.nodes.values():
        assert node.processor is not None and node.processor.acs.locks == {}


async def test_two_conflicting_transfers_exactly_one_commits(net: Network) -> None:
    created = await net.run("p1", ["alice"], iou(net, "alice", "alice", [], amount="7"))
    assert created.status.ok
    contract = next(
        c.contract_id
        for c in await net.nodes["p1"].store.active_contracts()  # type: ignore[union-attr]
        if c.template_id.endswith(":Iou") and c.created_update == created.update_id
    )
    (a, begin_a), (b, begin_b) = await asyncio.gather(
        net.submit("p1", ["alice"], transfer(net, contract, "bob")),
        net.submit("p1", ["alice"], transfer(net, contract, "carol")),
    )
    first = await net.completion("p1", a, min(begin_a, begin_b), ["alice"])
    second = await net.completion("p1", b, min(begin_a, begin_b), ["alice"])
    outcomes = sorted([first.status.ok, second.status.ok])
    assert outcomes == [False, True], (first.status, second.status)
    failed = first if not first.status.ok else second
    assert failed.status.code is not None
    context = dict(failed.status.context)
    code = context.get("participant_code", failed.status.code)
    assert code in {"LOCAL_VERDICT_LOCKED_CONTRACTS", "INCONSISTENT_CONTRACTS"}, failed.status


async def test_a_confirmer_that_never_answers_gives_a_timeout(net: Network) -> None:
    account = CreateCommand(
        net.template("iou", "Account"),
        {"bank": net.party("alice"), "owner": net.party("bob"), "currency": SECRET_CURRENCY},
    )
    opened = await net.run("p2", ["bob"], account)
    assert opened.status.ok, opened.status
    created = await net.run("p1", ["alice"], iou(net, "alice", "alice", [], amount="9"))
    assert created.status.ok and created.update_id is not None
    contract = next(
        c.contract_id
        for c in await net.nodes["p1"].store.active_contracts()  # type: ignore[union-attr]
        if c.created_update == created.update_id
    )
    proposed = await net.run("p1", ["alice"], transfer(net, contract, "bob"))
    assert proposed.status.ok and proposed.update_id is not None
    await net.update_on("p2", proposed.update_id)
    proposal = next(
        c.contract_id
        for c in await net.nodes["p2"].store.active_contracts()  # type: ignore[union-attr]
        if c.created_update == proposed.update_id
    )
    # Alice's participant must confirm Bob's acceptance; it stays silent
    p1 = net.nodes["p1"]
    assert p1.processor is not None
    real_send = p1.processor.send

    async def silent(*_args: object, **_kwargs: object) -> None:
        return None

    p1.processor.send = silent  # type: ignore[assignment]
    try:
        accept = ExerciseCommand(net.template("iou", "IouTransferProposal"), proposal, "Accept", {})
        done = await net.run("p2", ["bob"], accept)
    finally:
        p1.processor.send = real_send
    assert not done.status.ok
    assert "Timeout" in done.status.message, done.status
    await net.settled()
    assert proposal in [
        c.contract_id
        for c in await net.nodes["p2"].store.active_contracts()  # type: ignore[union-attr]
    ]
    assert PartyId(net.party("bob"))  # nothing committed for Bob: the proposal is active


# -- a malicious participant ------------------------------------------------------------------


def _forged_tree(
    net: Network,
    *,
    act_as: list[str],
    interpret_as: list[str],
    commands: list[Command],
    confirming: list[str] | None = None,
) -> FullTransactionTree:
    """P1 turned malicious: a tree interpreted as ``interpret_as`` that claims ``act_as``
    (and, if given, declares only ``confirming`` as confirming parties)."""
    p1 = net.nodes["p1"]
    assert p1.processor is not None and p1.packages is not None
    at = now()
    tx = p1.processor.engine.submit(
        commands,
        act_as=[net.party(p) for p in interpret_as],
        lookup=p1.processor.acs.lookup_for([net.party(p) for p in interpret_as]),
        vetted=[p.package_id for p in p1.packages.list()],
        seed=secrets.token_bytes(32),
        ledger_time=at,
    )
    forged = dataclasses.replace(tx, submitters=frozenset(net.party(p) for p in act_as))
    tree = build_transaction_tree(
        transaction_seed=secrets.token_bytes(32),
        domain=net.domain.domain,
        mediator=net.domain.mediator.member,
        submitting_participant=net.member("p1"),
        act_as=frozenset(PartyId(net.party(p)) for p in act_as),
        application_id="evil",
        command_id=f"evil-{secrets.token_hex(4)}",
        max_sequencing_time=Timestamp(at + 60_000_000),
        ledger_time=Timestamp(at),
        workflow_id=None,
        views=view_specs(forged)
        if confirming is None
        else _declare(view_specs(forged), {str(net.party(p)) for p in confirming}),
    )
    return FullTransactionTree(tree)


def _declare(specs: list[ViewSpec], confirming: set[str]) -> list[ViewSpec]:
    """``specs`` with ``confirming`` (where informees) as the only confirming parties."""
    out = []
    for spec in specs:
        informees = tuple(
            Informee(i.party, 1 if str(i.party) in confirming else 0) for i in spec.informees
        )
        out.append(
            dataclasses.replace(
                spec,
                informees=informees,
                threshold=sum(i.weight for i in informees),
                subviews=tuple(_declare(list(spec.subviews), confirming)),
            )
        )
    return out


def _envelopes(net: Network, tree: FullTransactionTree) -> list[Envelope]:
    link = net.nodes["p1"].link
    assert link is not None
    snapshot = link.topology.latest_snapshot()
    built = build_confirmation_request(tree, snapshot, net.identities["p1"].signing_key)
    return [Envelope.of(e.payload, e.recipients) for e in built]


async def _send_evil(net: Network, envelopes: list[Envelope]) -> None:
    link = net.nodes["p1"].link
    assert link is not None
    await link.send(envelopes, message_id=f"evil-{secrets.token_hex(6)}")


async def _verdict_for(net: Network, tree: FullTransactionTree, timeout_s: float = 30) -> Verdict:
    store = net.mediator.store
    assert store is not None
    async with asyncio.timeout(timeout_s):
        while True:  # the mediator's own record of the request and its decision
            request_id = await store.request_for_root(tree.root_hash())
            decided = None if request_id is None else await store.verdict(request_id)
            if decided is not None:
                return decided.result.result.verdict
            await asyncio.sleep(0.1)


async def _ledger_ends(net: Network) -> dict[str, int]:
    return {n: await net.backend(n).ledger_end() for n in net.nodes}


async def _local_verdict(
    net: Network, tree: FullTransactionTree, participant: str, timeout_s: float = 30
) -> LocalReject | LocalApprove:
    """``participant``'s response to the request of ``tree``, as the mediator received it
    (read from the mediator's database, which keeps every response's signed bytes)."""
    store = net.mediator.store
    assert store is not None
    sender = net.member(participant)
    async with asyncio.timeout(timeout_s):
        while True:
            request_id = await store.request_for_root(tree.root_hash())
            if request_id is not None:
                with sqlite3.connect(f"file:{store.path}?mode=ro", uri=True) as db:
                    rows = db.execute(
                        "SELECT message FROM responses WHERE request_id = ? AND sender = ? "
                        "AND message IS NOT NULL",
                        (int(request_id), sender),
                    ).fetchall()
                for (message,) in rows:
                    decoded = decode_protocol_message(bytes(message))
                    assert isinstance(decoded, SignedConfirmationResponse)
                    return decoded.response.verdict
            await asyncio.sleep(0.1)


async def test_a_forged_authorization_is_rejected_by_the_honest_confirmer(net: Network) -> None:
    ends = await _ledger_ends(net)
    # Alice claims an Iou issued by Carol: Carol never authorized it
    tree = _forged_tree(
        net,
        act_as=["alice"],
        interpret_as=["alice", "carol"],
        commands=[iou(net, "alice", "carol", [])],
    )
    await _send_evil(net, _envelopes(net, tree))
    verdict = await _verdict_for(net, tree)
    assert isinstance(verdict, Reject), verdict
    honest = await _local_verdict(net, tree, "p3")
    assert isinstance(honest, LocalReject) and honest.code is LocalRejectCode.AUTHORIZATION
    await net.settled()
    assert await _ledger_ends(net) == ends


async def test_an_owner_left_out_of_the_confirming_parties_vetoes_the_theft(
    net: Network,
) -> None:
    created = await net.run("p3", ["carol"], iou(net, "carol", "carol", ["alice"]))
    assert created.status.ok, created.status
    await net.update_on("p1", created.update_id or "")
    contract = await net.created("p1", created.update_id, "Iou")
    ends = await _ledger_ends(net)
    # Alice's participant moves Carol's Iou to Alice (interpreted as Carol, claiming
    # Alice) and declares Alice the only confirming party: Carol is a mere informee.
    # It does not reject its own request (its protocol code's answers are dropped).
    tree = _forged_tree(
        net,
        act_as=["alice"],
        interpret_as=["carol"],
        commands=[transfer(net, contract, "alice")],
        confirming=["alice"],
    )
    p1 = net.nodes["p1"]
    assert p1.processor is not None
    real_send = p1.processor.send

    async def silent(*_args: object, **_kwargs: object) -> None:
        return None

    p1.processor.send = silent  # type: ignore[assignment]
    try:
        await _send_evil(net, _envelopes(net, tree))
        verdict = await _verdict_for(net, tree)  # not a Timeout: Carol's veto decides
    finally:
        p1.processor.send = real_send
    assert isinstance(verdict, Reject), verdict
    assert {r.participant for r in verdict.reasons} == {net.member("p3")}
    honest = await _local_verdict(net, tree, "p3")
    assert isinstance(honest, LocalReject), honest
    assert honest.code is LocalRejectCode.MODEL_CONFORMANCE
    await net.settled()
    assert await _ledger_ends(net) == ends
    assert await net.created("p3", created.update_id, "Iou") == contract  # still Carol's


async def test_a_view_not_of_the_root_hash_is_rejected(net: Network) -> None:
    ends = await _ledger_ends(net)
    tree = _forged_tree(
        net,
        act_as=["alice"],
        interpret_as=["alice"],
        commands=[iou(net, "alice", "alice", ["carol"])],
    )
    other = _forged_tree(
        net,
        act_as=["alice"],
        interpret_as=["alice"],
        commands=[iou(net, "alice", "alice", ["carol"])],
    )
    envelopes = _envelopes(net, tree)
    assert isinstance(decode_protocol_message(envelopes[0].payload), EncryptedViewMessage)
    envelopes[0] = _envelopes(net, other)[0]  # the other tree's view
    await _send_evil(net, envelopes)
    verdict = await _verdict_for(net, tree)
    assert isinstance(verdict, Reject), verdict
    honest = await _local_verdict(net, tree, "p3")
    assert isinstance(honest, LocalReject), honest
    assert honest.code is LocalRejectCode.ROOT_HASH_MISMATCH
    await net.settled()
    assert await _ledger_ends(net) == ends


async def test_contents_other_than_the_mediator_saw_are_rejected(net: Network) -> None:
    ends = await _ledger_ends(net)
    shown = _forged_tree(
        net,
        act_as=["alice"],
        interpret_as=["alice"],
        commands=[iou(net, "alice", "alice", ["carol"])],
    )
    hidden = _forged_tree(
        net,
        act_as=["alice"],
        interpret_as=["alice"],
        commands=[iou(net, "alice", "alice", ["carol"])],
    )
    a, b = _envelopes(net, shown), _envelopes(net, hidden)
    mediator = net.domain.mediator.member
    # the participants get tree A (its root hash message kept from the mediator); the
    # mediator gets tree B's informee message and root hash message
    rhm_a = a[-1]
    assert isinstance(decode_protocol_message(rhm_a.payload), RootHashMessage)
    to_participants = Envelope.of(rhm_a.payload, set(rhm_a.recipients) - {mediator})
    await _send_evil(net, [*a[:-2], to_participants, b[-2], Envelope.of(b[-1].payload, {mediator})])
    verdict = await _verdict_for(net, hidden)
    assert not isinstance(verdict, Approve), verdict
    honest = await _local_verdict(net, hidden, "p3")
    assert isinstance(honest, LocalReject), honest
    assert honest.code is LocalRejectCode.ROOT_HASH_MISMATCH
    # the participants roll tree A back at its decision deadline (no verdict can match it);
    # nothing was committed anywhere
    assert await _ledger_ends(net) == ends


# -- privacy on a public chain ------------------------------------------------------------------


async def test_no_plaintext_value_reaches_the_chain(net: Network) -> None:
    """Every byte written to the chain: the contract's logs and every transaction's
    calldata, from genesis to the head, after all the tests above."""
    store = net.nodes["p1"].store
    assert store is not None
    # the scan can see them: the participant's own contract encoding holds them in clear
    held = b"".join(c.instance_bytes for c in await store.active_contracts())
    assert SECRET_CURRENCY.encode() in held and SECRET_USD.encode() in held
    record = DeploymentRecord.load(net.domain.root / "inbox.json")
    w3 = await connect(net.domain.anvil.rpc_url)
    try:
        logs = await w3.eth.get_logs(
            {"address": record.address, "fromBlock": 0, "toBlock": "latest"}
        )
        blobs = [bytes(log["data"]) for log in logs]
        blobs += [bytes(topic) for log in logs for topic in log["topics"]]
        head = await w3.eth.block_number
        for number in range(head + 1):
            block = await w3.eth.get_block(number, full_transactions=True)
            blobs += [bytes(tx["input"]) for tx in block["transactions"]]  # type: ignore[index]
    finally:
        await w3.provider.disconnect()
    assert len(logs) > 20 and sum(map(len, blobs)) > 50_000  # the whole suite's traffic
    # the requests as a reader decodes them (a batch may be zlib-compressed)
    for log in logs:
        if "0x" + bytes(log["topics"][0]).hex() == BATCH_APPENDED_TOPIC:
            batch = decode_batch(decode_batch_appended(log).batch)
            blobs += [r.to_bytes() for r in batch.requests]
    chain = b"\x00".join(blobs)
    for secret in SECRETS:
        for form in (secret.encode(), secret.encode("utf-16-le"), secret.encode().hex().encode()):
            assert form not in chain, secret
    # nor any contract id or template id of the suite's contracts (archived ones too), nor
    # what a rejection found (its key hashes, contract ids): reject reasons are public
    ledger: set[str] = set()
    for node in net.nodes.values():
        assert node.store is not None and node.processor is not None
        rows = await node.store._fetch("SELECT contract_id, template_id FROM contracts")
        ledger |= {str(v) for row in rows for v in row}
        for rejection in node.processor.rejections:
            ledger |= set(re.findall(r"\b00[0-9a-f]{64}\b", rejection.detail))
            ledger |= set(re.findall(r"(?<!::)\b1220[0-9a-f]{64}\b", rejection.detail))
    assert len(ledger) > 10, ledger
    for item in ledger:
        assert item.encode() not in chain, item
