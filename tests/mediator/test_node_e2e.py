"""The mediator as its own process (``python -m mediator``) on a real domain: anvil, two
sequencer nodes, the domain manager; three onboarded participants driven by a scripted
participant (real member connections sending requests and responses built from
``protocol.transaction``). Approve, a SIGKILL mid-request and a restart, a timeout by
sequencer time with time proofs, the ops endpoint, and a scan of the mediator's files
and logs for the request's plaintexts."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest

from node_runtime.member import MemberConnection
from node_runtime.member.dm_client import HostingState
from protocol.identifiers import MemberId, MemberKind, PartyId
from protocol.sequencer_messages import Deliver, Envelope, SequencedEvent
from protocol.timestamp import Timestamp, now
from protocol.topology import ParticipantPermission, is_topology_payload
from protocol.transaction import (
    Approve,
    ConfirmationResponse,
    FullTransactionTree,
    LocalApprove,
    RequestId,
    SignedConfirmationResponse,
    SignedConfirmationResult,
    Timeout,
    ViewPosition,
    build_confirmation_request,
    build_transaction_tree,
    decode_protocol_message,
)
from tests.mediator.support import SECRETS, transfer_views
from tests.support.domain import (
    PASSWORD,
    MemberIdentity,
    RunningDomain,
    hosting_proposal,
    make_identity,
    party_of,
    running_domain,
    save_identity,
)

pytestmark = pytest.mark.anvil

ROOT = Path(__file__).resolve().parents[2]
RESPONSE_TIMEOUT_US = 4_000_000
SUB = ParticipantPermission.SUBMISSION


class Inbox:
    """A member's event handler whose events can be awaited."""

    def __init__(self) -> None:
        self.events: list[SequencedEvent] = []
        self._changed = asyncio.Event()

    async def handle(self, event: SequencedEvent) -> None:
        self.events.append(event)
        self._changed.set()

    async def wait_for(
        self, match: Callable[[SequencedEvent], object], timeout_s: float = 30
    ) -> SequencedEvent:
        async with asyncio.timeout(timeout_s):
            while True:
                for event in self.events:
                    if match(event):
                        return event
                self._changed.clear()
                await self._changed.wait()

    async def verdict(self, request_id: int, timeout_s: float = 30) -> SignedConfirmationResult:
        def find(event: SequencedEvent) -> SignedConfirmationResult | None:
            if not isinstance(event, Deliver):
                return None
            for envelope in event.batch.envelopes:
                if is_topology_payload(envelope.payload):
                    continue
                message = decode_protocol_message(envelope.payload)
                if (
                    isinstance(message, SignedConfirmationResult)
                    and message.result.request_id == request_id
                ):
                    return message
            return None

        event = await self.wait_for(find, timeout_s)
        found = find(event)
        assert found is not None
        return found


class Mediator:
    """``python -m mediator`` as a child process."""

    def __init__(self, config: Path, log: Path) -> None:
        self.config = config
        self.log = log
        self.proc: subprocess.Popen[str] | None = None
        self.ops = ""

    async def start(self) -> None:
        with self.log.open("a") as log:
            self.proc = subprocess.Popen(  # noqa: ASYNC220 (a long-lived node; READY read in a thread)
                [sys.executable, "-m", "mediator", "--config", str(self.config)],
                cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True,
            )  # fmt: skip
        assert self.proc.stdout is not None
        line = await asyncio.to_thread(self.proc.stdout.readline)
        assert line.startswith("READY "), (line, self.log.read_text()[-3000:])
        self.ops = json.loads(line.removeprefix("READY "))["ops"]

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def terminate(self) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return -1 if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=20)

    async def metrics(self) -> str:
        async with aiohttp.ClientSession() as session, session.get(self.ops + "/metrics") as r:
            return await r.text()


def mediator_toml(domain: RunningDomain, keys: dict[str, Path]) -> str:
    endpoints = ", ".join(f'"{e}"' for e in domain.sequencer_endpoints)
    return f"""
[node]
member_id = "{domain.mediator.member}"
data_dir = "mediator-state"

[domain]
domain_id = "{domain.domain}"
genesis_file = "genesis.json"
sequencers = [{endpoints}]

[keys]
keystore = "{keys["signing"]}"
password = {{ file = "mediator.pw" }}

[mediator]
time_proof_poll_s = 0.1
time_proof_idle_s = 0.5
clock_tolerance_s = 1.0
"""


class Scripted:
    """The scripted participants: P1 submits for Alice; P2 hosts Bob, P3 Carol."""

    def __init__(self, domain: RunningDomain) -> None:
        self.domain = domain
        self.ids: dict[str, MemberIdentity] = {
            n: make_identity(MemberKind.PARTICIPANT, n) for n in ("p1", "p2", "p3")
        }
        self.parties: dict[str, PartyId] = {
            "alice": party_of(self.ids["p1"], "alice"),
            "bob": party_of(self.ids["p2"], "bob"),
            "carol": party_of(self.ids["p3"], "carol"),
        }
        self.links: dict[str, MemberConnection] = {}
        self.inboxes: dict[str, Inbox] = {n: Inbox() for n in self.ids}

    async def setup(self) -> None:
        member = self.domain.member_client()
        for identity in self.ids.values():
            await self.domain.onboard(identity)
        hosted = {"alice": "p1", "bob": "p2", "carol": "p3"}
        for party, host in hosted.items():
            identity = self.ids[host]
            proposal = hosting_proposal(
                self.parties[party], [(identity.member, SUB)], [identity.namespace_key]
            )
            (outcome,) = await member.request_party_hosting([proposal.encode()])
            assert outcome.state is HostingState.EFFECTIVE
        for name, identity in self.ids.items():
            self.links[name] = await self.domain.connect_member(name, identity, self.inboxes[name])

    def member(self, name: str) -> MemberId:
        return self.ids[name].member

    def tree(self, seed: str) -> FullTransactionTree:
        views = transfer_views(self.parties["alice"], self.parties["bob"], self.parties["carol"])
        return FullTransactionTree(
            build_transaction_tree(
                transaction_seed=seed.encode().ljust(32, b"."),
                domain=self.domain.domain,
                mediator=self.domain.mediator.member,
                submitting_participant=self.member("p1"),
                act_as=frozenset({self.parties["alice"]}),
                application_id="iou-app",
                command_id=seed,
                max_sequencing_time=Timestamp(now() + 600_000_000),
                ledger_time=now(),
                workflow_id=None,
                views=views,
            )
        )

    async def submit(self, tree: FullTransactionTree) -> RequestId:
        link = self.links["p1"]
        snapshot = link.topology.latest_snapshot()
        envelopes = build_confirmation_request(tree, snapshot, self.ids["p1"].signing_key)
        mid = await link.send([Envelope.of(e.payload, e.recipients) for e in envelopes])
        receipt = await self.inboxes["p1"].wait_for(
            lambda e: isinstance(e, Deliver) and e.message_id == mid
        )
        return RequestId(receipt.timestamp)

    async def approve(
        self, name: str, tree: FullTransactionTree, request_id: int, position: ViewPosition
    ) -> None:
        party = {"p1": "alice", "p2": "bob"}[name]
        response = ConfirmationResponse(
            self.domain.domain,
            RequestId(Timestamp(request_id)),
            self.member(name),
            position,
            tree.view_tree(position).view_hash,
            LocalApprove(),
            frozenset({self.parties[party]}),
            tree.root_hash(),
        )
        signed = SignedConfirmationResponse.sign(response, self.ids[name].signing_key)
        await self.links[name].send([Envelope.of(signed.to_bytes(), {self.domain.mediator.member})])


def metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{name} not in metrics")


async def test_mediator_process_decides_recovers_times_out_and_keeps_no_plaintext(
    tmp_path: Path,
) -> None:
    async with running_domain(tmp_path) as domain:
        admin = domain.admin_client()
        change = await admin.set_domain_parameters(
            {"participant_response_timeout_us": RESPONSE_TIMEOUT_US}
        )
        await domain.wait_processed(change.sequenced_at, timeout_s=30)
        scripted = Scripted(domain)
        await scripted.setup()

        keys = save_identity(domain.mediator, domain.root / "mediator-keys")
        (domain.root / "mediator.pw").write_text(PASSWORD)
        config = domain.root / "mediator.toml"
        config.write_text(mediator_toml(domain, keys))
        mediator = Mediator(config, tmp_path / "mediator.log")
        await mediator.start()
        try:
            # -- 1. approve: every view reaches its threshold ------------------------------
            tree = scripted.tree("approve-1")
            request_id = await scripted.submit(tree)
            await scripted.approve("p1", tree, request_id, (0,))
            await scripted.approve("p2", tree, request_id, (0, 0))
            for name in ("p1", "p2", "p3"):
                verdict = await scripted.inboxes[name].verdict(request_id)
                assert verdict.result.mediator == domain.mediator.member
                verdict.verify(domain.mediator.signing_key.public_key)
                assert verdict.result.verdict == Approve()
                assert verdict.result.root_hash == tree.root_hash()

            # -- 2. SIGKILL with the request pending; responses arrive while it is down ----
            tree = scripted.tree("crash-2")
            request_id = await scripted.submit(tree)
            await scripted.approve("p1", tree, request_id, (0,))
            mediator.kill()
            await scripted.approve("p2", tree, request_id, (0, 0))
            await mediator.start()
            verdict = await scripted.inboxes["p2"].verdict(request_id)
            assert verdict.result.verdict == Approve()

            # -- 3. timeout: P2 never answers; time proofs move sequencer time ---------------
            tree = scripted.tree("timeout-3")
            request_id = await scripted.submit(tree)
            await scripted.approve("p1", tree, request_id, (0,))
            verdict = await scripted.inboxes["p1"].verdict(request_id, timeout_s=40)
            assert verdict.result.verdict == Timeout()
            text = await mediator.metrics()
            assert metric(text, 'mediator_verdicts_total{kind="timeout"}') == 1
            assert metric(text, "mediator_pending_requests") == 0
            assert metric(text, "mediator_verdict_latency_seconds_count") >= 1
            assert metric(text, "mediator_time_proofs_total") >= 1
            # exactly one verdict per request reached each participant, crash included
            verdicts = [
                m.result.request_id
                for e in scripted.inboxes["p1"].events
                if isinstance(e, Deliver)
                for env in e.batch.envelopes
                if not is_topology_payload(env.payload)
                if isinstance(m := decode_protocol_message(env.payload), SignedConfirmationResult)
            ]
            assert len(verdicts) == len(set(verdicts)) == 3
        finally:
            code = mediator.terminate()
        assert code == 0, mediator.log.read_text()[-3000:]

        # -- 4. privacy: the mediator's files and logs hold none of the plaintexts ---------
        blobs = [p.read_bytes() for p in (domain.root / "mediator-state").rglob("*") if p.is_file()]
        blobs.append(mediator.log.read_bytes())
        assert sum(len(b) for b in blobs) > 0
        for secret in SECRETS:
            for blob in blobs:
                assert secret not in blob
        # what it did store: the requests' informee trees (root hashes) and its decisions
        assert any(tree.root_hash().digest in blob for blob in blobs)
        assert b"decided timeout" in mediator.log.read_bytes()
