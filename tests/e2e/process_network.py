"""A network whose deciding nodes are OS processes, for crash tests.

The domain of ``tests.support.domain.running_domain`` (anvil, two sequencers, the domain
manager) with the mediator (``python -m mediator``) and three participants
(``python -m participant``) as child processes (:class:`~tests.e2e.support.NodeProcess`).
Alice is hosted on P1, Bob on P2, Carol on P3, each allocated through its participant's
Ledger API. Everything the tests do to the ledger goes through the real gRPC Ledger API
(``ledger_client``), one short-lived client per call, so a client simply reconnects to a
restarted node.

:class:`ProcessNetwork` keeps every command the test submitted (:class:`Sent`: its
party and the parties whose participants must commit it) and checks the ledger against
them (:meth:`ProcessNetwork.check`):

1. nothing is in flight any more: every participant's ``participant_inflight_requests``
   and the mediator's ``mediator_pending_requests`` are 0 (a request stuck after a
   restart fails here);
2. each submitting party's completion stream, read from the start up to a marker command
   submitted last, holds every command id exactly once, and each completion is a success;
3. each participant's transactions are exactly those of the successful commands with an
   informee it hosts (a transaction on some informee participants only, or on a
   participant for a failed command, fails here);
4. the active contract sets agree: every contract active at P with a stakeholder hosted
   on Q is active at Q, and the other way round;
5. ACS commitments: every participant received a matching commitment from each of the
   others for a period that ends after the last transaction, and none ever mismatched.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import sqlite3
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from ledger_client import (
    Completion,
    CreateAndExerciseCommand,
    CreateCommand,
    DuplicateCommandError,
    ExerciseCommand,
    LedgerClient,
    Party,
    ServiceUnavailableError,
    Transaction,
    TransportError,
)
from tests.e2e.support import (
    COMMITMENT_PERIOD_S,
    NodeProcess,
    mediator_toml,
    write_participant_config,
)
from tests.support.domain import PASSWORD, RunningDomain, save_identity

APP = "crash-test"
HOSTS = {"alice": "p1", "bob": "p2", "carol": "p3"}
"""Party name → the participant hosting it."""
PARTICIPANTS = ("p1", "p2", "p3")
CALL_DEADLINE_S = 120.0
"""The longest a submission may take, retries across a restart included."""

Command = CreateCommand | ExerciseCommand | CreateAndExerciseCommand


@dataclass(frozen=True, slots=True)
class Sent:
    """A command the test submitted."""

    command_id: str
    party: str
    """The acting party's name (the command is submitted at its participant)."""
    informees: frozenset[str]
    """The names of the parties whose participants must commit it."""


@dataclass
class ProcessNetwork:
    domain: RunningDomain
    mediator: NodeProcess
    nodes: dict[str, NodeProcess]
    parties: dict[str, str] = field(default_factory=dict)
    """Party name → party id."""
    iou_package: str = ""
    sent: dict[str, Sent] = field(default_factory=dict)
    generation: dict[str, int] = field(default_factory=dict)
    """How often each node was started: a client that lost its node waits for the next."""
    started: asyncio.Condition = field(default_factory=asyncio.Condition)
    _ids: Iterator[int] = field(default_factory=itertools.count)

    # -- nodes ------------------------------------------------------------------------------

    def process(self, name: str) -> NodeProcess:
        return self.mediator if name == "mediator" else self.nodes[name]

    async def start(self, name: str, env: Mapping[str, str] | None = None) -> None:
        await self.process(name).start(env)
        async with self.started:
            self.generation[name] = self.generation.get(name, 0) + 1
            self.started.notify_all()

    async def restart(self, name: str, env: Mapping[str, str] | None = None) -> None:
        """Stop ``name`` cleanly (SIGTERM) and start it again with ``env``."""
        code = await asyncio.to_thread(self.process(name).terminate)
        assert code == 0, (name, code, self.process(name).tail())
        await self.start(name, env)

    async def restarted(self, name: str, seen: int) -> None:
        """Until ``name`` was started again after generation ``seen``."""
        async with asyncio.timeout(CALL_DEADLINE_S), self.started:
            await self.started.wait_for(lambda: self.generation.get(name, 0) > seen)

    def client(self, node: str) -> LedgerClient:
        return LedgerClient(self.nodes[node].ready["grpc"], application_id=APP)

    def member(self, node: str) -> str:
        return self.nodes[node].ready["participant"]

    def data_dir(self, node: str) -> Path:
        return self.domain.root / f"{node}-state"

    # -- commands ---------------------------------------------------------------------------

    def party(self, name: str) -> Party:
        return Party(self.parties[name])

    def template(self, name: str) -> str:
        return f"{self.iou_package}:Iou:{name}"

    def iou(self, owner: str, observers: Sequence[str], amount: str = "10") -> CreateCommand:
        return CreateCommand(
            self.template("Iou"),
            {
                "issuer": self.party(owner),
                "owner": self.party(owner),
                "amount": amount,
                "currency": "CHF",
                "observers": [self.party(o) for o in observers],
            },
        )

    async def submit(
        self, party: str, commands: Sequence[Command], informees: Iterable[str]
    ) -> str:
        """Submit as ``party`` at its participant and return the command id once the
        participant took it. A call cut by the participant's death is retried with the
        same command id after its restart (the client's side of command deduplication);
        ``DUPLICATE_COMMAND`` on a retry means the cut attempt got in."""
        command_id = f"{party}-{next(self._ids)}"
        self.sent[command_id] = Sent(command_id, party, frozenset({party, *informees}))
        node = HOSTS[party]
        async with asyncio.timeout(CALL_DEADLINE_S):
            for attempt in itertools.count():
                seen = self.generation[node]
                try:
                    async with self.client(node) as client:
                        await client.submit(
                            commands, act_as=[self.parties[party]], command_id=command_id
                        )
                    return command_id
                except DuplicateCommandError:
                    if attempt == 0:
                        raise
                    return command_id
                except ServiceUnavailableError:
                    await asyncio.sleep(0.2)  # not connected yet: no event to wait for
                except TransportError:
                    proc = self.nodes[node].proc
                    if proc is not None and proc.poll() is None and self.generation[node] == seen:
                        await asyncio.sleep(0.2)  # alive but slow: the call timed out
                    else:
                        await self.restarted(node, seen)
        raise AssertionError("unreachable")

    async def run(
        self, party: str, commands: Sequence[Command], informees: Iterable[str]
    ) -> Transaction:
        """Submit and wait for the transaction (for setup steps; no crash expected)."""
        command_id = f"{party}-{next(self._ids)}"
        self.sent[command_id] = Sent(command_id, party, frozenset({party, *informees}))
        async with self.client(HOSTS[party]) as client:
            return await client.submit_and_wait_for_transaction(
                commands, act_as=[self.parties[party]], command_id=command_id
            )

    # -- checks -----------------------------------------------------------------------------

    async def metric(self, name: str, metric: str) -> float:
        ops = self.process(name).ready["ops"]
        timeout = aiohttp.ClientTimeout(total=10)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(ops + "/metrics") as response,
        ):
            text = await response.text()
        for line in text.splitlines():
            if line.startswith(metric + " ") or line.startswith(metric + "{"):
                return float(line.rsplit(" ", 1)[1])
        raise AssertionError(f"{metric} not in the metrics of {name}")

    async def settled(self, timeout_s: float = 90) -> None:
        """Check 1 (module docstring)."""
        gauges = [(n, "participant_inflight_requests") for n in PARTICIPANTS]
        gauges.append(("mediator", "mediator_pending_requests"))
        busy: list[tuple[str, float]] = []
        try:
            async with asyncio.timeout(timeout_s):
                while True:
                    values = [(n, await self.metric(n, g)) for n, g in gauges]
                    busy = [(n, v) for n, v in values if v]
                    if not busy:
                        return
                    await asyncio.sleep(0.2)
        except TimeoutError:
            raise AssertionError(f"still in flight after {timeout_s}s: {busy}") from None

    async def completions(self, party: str) -> list[Completion]:
        """``party``'s completions from the start, up to a marker submitted now."""
        marker = await self.submit(party, [self.iou(party, [])], [])
        found: list[Completion] = []
        async with (
            asyncio.timeout(60),
            self.client(HOSTS[party]) as client,
            contextlib.aclosing(  # an async generator; typed as an AsyncIterator
                client.completions([self.parties[party]], begin=0, application_id=APP)  # type: ignore[type-var]
            ) as stream,
        ):
            async for completion in stream:
                found.append(completion)
                if completion.command_id == marker:
                    return found
        raise AssertionError(f"{party}'s completion stream ended before the marker")

    async def check_completions(self) -> dict[str, Completion]:
        """Check 2; the completion of every command, by command id."""
        by_id: dict[str, Completion] = {}
        for party in HOSTS:
            mine = {s.command_id for s in self.sent.values() if s.party == party}
            stream = await self.completions(party)
            counts: dict[str, int] = {}
            for c in stream:
                counts[c.command_id] = counts.get(c.command_id, 0) + 1
            twice = {k: v for k, v in counts.items() if v != 1}
            missing = mine - counts.keys()
            assert not twice and not missing, (
                f"{party}: completions not exactly once: repeated {twice}, missing {missing}"
            )
            failed = [(c.command_id, c.error_code, c.message) for c in stream if not c.ok]
            assert not failed, f"{party}: commands failed: {failed}"
            by_id.update({c.command_id: c for c in stream})
        return by_id

    async def transactions_at(self, node: str) -> set[str]:
        hosted = [self.parties[p] for p, n in HOSTS.items() if n == node]
        async with asyncio.timeout(60), self.client(node) as client:
            end = await client.ledger_end()
            return {t.update_id async for t in client.update_trees(hosted, begin=0, end=end)}

    async def check_transactions(self, completions: Mapping[str, Completion]) -> None:
        """Check 3."""
        expected: dict[str, set[str]] = {n: set() for n in PARTICIPANTS}
        for command_id, completion in completions.items():
            sent = self.sent[command_id]
            assert completion.update_id, (command_id, completion)
            for party in sent.informees:
                expected[HOSTS[party]].add(completion.update_id)
        for node in PARTICIPANTS:
            got = await self.transactions_at(node)
            missing, extra = expected[node] - got, got - expected[node]
            assert not missing and not extra, (
                f"{node}: transactions missing {sorted(missing)}, unexpected {sorted(extra)}"
            )

    async def check_active_contracts(self) -> None:
        """Check 4."""
        stakeholders: dict[str, dict[str, frozenset[str]]] = {}
        for node in PARTICIPANTS:
            hosted = [self.parties[p] for p, n in HOSTS.items() if n == node]
            async with self.client(node) as client:
                acs = await client.active_contracts(hosted)
            stakeholders[node] = {
                c.contract_id: frozenset((*c.signatories, *c.observers)) for c in acs.contracts
            }
        for p, q in itertools.permutations(PARTICIPANTS, 2):
            q_parties = {self.parties[x] for x, n in HOSTS.items() if n == q}
            shared = {cid for cid, s in stakeholders[p].items() if s & q_parties}
            absent = shared - stakeholders[q].keys()
            assert not absent, f"active at {p}, shared with {q}, but not active there: {absent}"

    def _rows(self, node: str, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        db = self.data_dir(node) / "participant.sqlite"
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            return conn.execute(sql, args).fetchall()

    async def check_commitments(self, timeout_s: float = 90) -> None:
        """Check 5. Periods close on events, so the test makes some (an Iou that Alice
        creates reaches all three participants) until every pair has compared."""
        last = max(
            int(self._rows(n, "SELECT COALESCE(MAX(record_time), 0) FROM updates")[0][0])
            for n in PARTICIPANTS
        )
        pairs = list(itertools.permutations(PARTICIPANTS, 2))

        def compared() -> list[tuple[str, str]]:
            return [
                (p, q)
                for p, q in pairs
                if not self._rows(
                    p,
                    "SELECT 1 FROM commitments_received "
                    "WHERE sender = ? AND to_time > ? AND matched = 1",
                    self.member(q),
                    last,
                )
            ]

        waiting = compared()
        try:
            async with asyncio.timeout(timeout_s):
                while waiting:
                    await self.run("alice", [self.iou("alice", ["bob", "carol"])], ["bob", "carol"])
                    waiting = compared()
        except TimeoutError:
            raise AssertionError(f"no matching commitment after the crash for {waiting}") from None
        for node in PARTICIPANTS:
            unmatched = self._rows(
                node, "SELECT sender, to_time FROM commitments_received WHERE matched = 0"
            )
            mismatches = self._rows(node, "SELECT counterparty, to_time FROM mismatches")
            assert not unmatched and not mismatches, self._mismatch_report(node)
            assert await self.metric(node, "participant_commitment_mismatches_total") == 0

    def _mismatch_report(self, node: str) -> str:
        """Both views of each mismatch ``node`` found: the commitments each side sent to
        the other for the periods around it, and where the node logs are."""
        by_member = {self.member(n): n for n in PARTICIPANTS}
        lines = [f"ACS commitment mismatches at {node} (logs: {self.domain.root}/<node>.log)"]
        found = self._rows(
            node,
            "SELECT counterparty, from_time, to_time, hex(ours), hex(theirs), contract_ids, "
            "detected_at FROM mismatches ORDER BY id",
        )
        for member, start, end, ours, theirs, ids, at in found:
            other = by_member.get(member, member)
            lines.append(
                f"  with {other} for ({start}, {end}] at {at}: ours {ours[:16]}, theirs "
                f"{theirs[:16]}, our shared contracts {ids}"
            )
            for sender, receiver in ((node, other), (other, node)):
                if receiver not in self.nodes:
                    continue
                sent = self._rows(
                    sender,
                    "SELECT from_time, to_time, hex(commitment) FROM commitments_sent "
                    "WHERE counterparty = ? AND to_time > ? AND from_time < ? ORDER BY to_time",
                    self.member(receiver),
                    start,
                    end + int(10 * COMMITMENT_PERIOD_S * 1_000_000),
                )
                periods = ", ".join(f"({f}, {t}] {c[:16]}" for f, t, c in sent)
                lines.append(f"    {sender} sent {receiver}: {periods or 'nothing'}")
        return "\n".join(lines)

    async def check(self) -> None:
        """Checks 1-5 (module docstring)."""
        await self.settled()
        completions = await self.check_completions()
        await self.settled()
        await self.check_transactions(completions)
        await self.check_active_contracts()
        await self.check_commitments()


async def _allocate(net: ProcessNetwork) -> None:
    for name, node in HOSTS.items():
        async with net.client(node) as client:
            net.parties[name] = (await client.allocate_party(name.title())).party
    wanted = set(net.parties.values())
    async with asyncio.timeout(60):
        for node in PARTICIPANTS:
            while True:
                async with net.client(node) as client:
                    known = {p.party for p in await client.list_parties()}
                if wanted <= known:
                    break
                await asyncio.sleep(0.2)  # topology reaches each participant in its time
    async with net.client("p1") as client:
        packages = await client.known_packages()
    net.iou_package = next(p.package_id for p in packages if p.name == "iou")


@contextlib.asynccontextmanager
async def running_process_network(domain: RunningDomain) -> AsyncIterator[ProcessNetwork]:
    """The mediator and P1-P3 as processes on ``domain`` (module docstring); each is
    stopped with SIGTERM at the end (killed if it does not stop)."""
    keys = save_identity(domain.mediator, domain.root / "keys")
    (domain.root / "node.pw").write_text(PASSWORD)
    (domain.root / "mediator.toml").write_text(mediator_toml(domain, keys))
    mediator = NodeProcess(domain.root / "mediator.toml", domain.root / "mediator.log", "mediator")
    nodes = {}
    for name in PARTICIPANTS:
        config, _identity = write_participant_config(domain, name)
        nodes[name] = NodeProcess(config, domain.root / f"{name}.log")
    net = ProcessNetwork(domain, mediator, nodes)
    try:
        await net.start("mediator")
        await asyncio.gather(*(net.start(n) for n in PARTICIPANTS))
        await _allocate(net)
        yield net
    finally:
        for node in [*nodes.values(), mediator]:
            if node.proc is not None:
                await asyncio.to_thread(node.terminate)
