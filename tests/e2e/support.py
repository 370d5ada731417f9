"""A whole network for the end-to-end suites: anvil, the ordering contract, two sequencer
nodes and the domain manager (``tests.support.domain.running_domain``), the mediator
(in-process :class:`MediatorNode`) and three participants (in-process
:class:`ParticipantNode` s, each onboarded through the domain manager by its own start),
with the example packages. Participants (and the mediator) can also run as their own
OS process (:class:`NodeProcess`, ``python -m participant``; ``ParticipantProcess`` is
its old name).

Parties (allocated through each node's :class:`PartyManager`, i.e. topology via the DM):
Alice and Bank on P1, Bob on P2, Carol on P3; Bank is also hosted on P2 with observation
permission (a multi-hosting proposal signed by P1 and P2), so Bob's participant knows the
bank's contracts.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mediator import MediatorNode
from mediator.config import load_mediator_config
from node_runtime.member.dm_client import HostingState
from participant.engine import Command, PartyId, TemplateId
from participant.ledger_api.backend import SubmitRequest
from participant.node import NodeLedgerBackend, ParticipantNode, load_participant_config
from participant.store import Completion, StoredUpdate, UpdateId
from protocol.identifiers import MemberId, MemberKind
from protocol.topology import ParticipantPermission
from tests.support.domain import (
    PASSWORD,
    MemberIdentity,
    RunningDomain,
    make_identity,
    save_identity,
)

ROOT = Path(__file__).resolve().parents[2]
RESPONSE_TIMEOUT_US = 5_000_000
"""The participant response timeout the suites run with (a silent confirmer times out)."""
COMMITMENT_PERIOD_S = 3.0
"""The participants' ``commitment_period_s``."""
APP = "e2e"
_ids = itertools.count()


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
password = {{ file = "node.pw" }}

[mediator]
time_proof_poll_s = 0.1
time_proof_idle_s = 0.5
clock_tolerance_s = 1.0
"""


def participant_toml(
    domain: RunningDomain,
    name: str,
    identity: MemberIdentity,
    keys: dict[str, Path],
    extra_toml: str = "",
) -> str:
    """The node's config; ``extra_toml`` is appended (further tables, e.g.
    ``[ledger_api.auth]``)."""
    endpoints = ", ".join(f'"{e}"' for e in domain.sequencer_endpoints)
    return f"""
[node]
participant_id = "{identity.member}"
data_dir = "{name}-state"

[keys]
namespace_keystore = "{keys["namespace"]}"
signing_keystore = "{keys["signing"]}"
encryption_keystore = "{keys["encryption"]}"
password = {{ file = "node.pw" }}

[domain]
domain_id = "{domain.domain}"
genesis_file = "genesis.json"
sequencers = [{endpoints}]

[domain_manager]
endpoint = "{domain.dm_target}"
onboarding_timeout_s = 60

[ledger_api]
port = 0

[protocol]
commitment_period_s = {COMMITMENT_PERIOD_S}
time_proof_poll_s = 0.1
time_proof_idle_s = 0.5
clock_tolerance_s = 1.0

[ops]
port = 0
{extra_toml}"""


def write_participant_config(
    domain: RunningDomain, name: str, extra_toml: str = ""
) -> tuple[Path, MemberIdentity]:
    identity = make_identity(MemberKind.PARTICIPANT, name)
    keys = save_identity(identity, domain.root / "keys")
    (domain.root / "node.pw").write_text(PASSWORD)
    path = domain.root / f"{name}.toml"
    path.write_text(participant_toml(domain, name, identity, keys, extra_toml))
    return path, identity


@dataclass
class Network:
    domain: RunningDomain
    mediator: MediatorNode
    nodes: dict[str, ParticipantNode] = field(default_factory=dict)
    identities: dict[str, MemberIdentity] = field(default_factory=dict)
    parties: dict[str, PartyId] = field(default_factory=dict)

    def member(self, name: str) -> MemberId:
        return self.identities[name].member

    def party(self, name: str) -> PartyId:
        return self.parties[name]

    def backend(self, node: str) -> NodeLedgerBackend:
        backend = self.nodes[node].backend
        assert backend is not None
        return backend

    def template(self, package: str, name: str) -> TemplateId:
        module = {"iou": "Iou", "dvp": "Dvp", "agreement": "Agreement"}[package]
        packages = self.nodes["p1"].packages
        assert packages is not None
        for info in packages.list():
            if info.name == package:
                return TemplateId(f"{info.package_id}:{module}:{name}")
        raise KeyError(package)

    async def submit(
        self,
        node: str,
        act_as: Sequence[str],
        *commands: Command,
        read_as: Sequence[str] = (),
    ) -> tuple[str, int]:
        """Submit through the node's Ledger API backend; returns (command id, ledger end
        before)."""
        n = next(_ids)
        backend = self.backend(node)
        begin = await backend.ledger_end()
        request = SubmitRequest(
            act_as=tuple(self.party(p) for p in act_as),
            read_as=tuple(self.party(p) for p in read_as),
            application_id=APP,
            command_id=f"cmd-{n}",
            submission_id=f"sub-{n}",
            workflow_id="",
            commands=tuple(commands),
        )
        await backend.submit(request)
        return request.command_id, begin

    async def completion(
        self, node: str, command_id: str, begin: int, parties: Sequence[str], timeout_s: float = 40
    ) -> Completion:
        backend = self.backend(node)
        stream = backend.completions(
            begin,  # type: ignore[arg-type]
            APP,
            frozenset(self.party(p) for p in parties),
        )
        # the backend's completions are an async generator; its protocol types them as an
        # AsyncIterator, which has no aclose()
        closing = contextlib.aclosing(stream)  # type: ignore[type-var]
        async with asyncio.timeout(timeout_s), closing as completions:
            async for completion in completions:
                if completion.command_id == command_id:
                    return completion
        raise AssertionError("completion stream ended")

    async def run(
        self, node: str, act_as: Sequence[str], *commands: Command, read_as: Sequence[str] = ()
    ) -> Completion:
        """Submit and wait for the completion."""
        command_id, begin = await self.submit(node, act_as, *commands, read_as=read_as)
        return await self.completion(node, command_id, begin, act_as)

    async def update_on(self, node: str, update_id: str, timeout_s: float = 30) -> StoredUpdate:
        """Wait until ``node`` committed ``update_id``."""
        store = self.nodes[node].store
        assert store is not None
        async with asyncio.timeout(timeout_s):
            while True:
                found = await store.update_by_id(UpdateId(update_id))
                if found is not None:
                    return found
                await store.wait_for_ledger_end(store.current_ledger_end, timeout_s=0.2)

    async def active(self, node: str, template: str | None = None) -> list[str]:
        """Template names (``Module:Name`` suffix) of ``node``'s active contracts, sorted."""
        store = self.nodes[node].store
        assert store is not None
        names = sorted(c.template_id.rsplit(":", 1)[1] for c in await store.active_contracts())
        return [n for n in names if template is None or n == template]

    async def active_id(self, node: str, name: str) -> str:
        store = self.nodes[node].store
        assert store is not None
        ids = [
            c.contract_id
            for c in await store.active_contracts()
            if c.template_id.endswith(f":{name}")
        ]
        assert len(ids) == 1, ids
        return ids[0]

    async def created(self, node: str, update_id: str | None, name: str) -> str:
        """The active ``name`` contract that ``update_id`` created, as ``node`` holds it."""
        store = self.nodes[node].store
        assert store is not None and update_id is not None
        ids = [
            c.contract_id
            for c in await store.active_contracts()
            if c.created_update == update_id and c.template_id.endswith(f":{name}")
        ]
        assert len(ids) == 1, ids
        return ids[0]

    async def settled(self, timeout_s: float = 30) -> None:
        """Until no participant has a pending request or an own submission in flight."""

        def busy() -> bool:
            return any(
                n.processor is not None and bool(n.processor.pending or n.processor.in_flight)
                for n in self.nodes.values()
            )

        async with asyncio.timeout(timeout_s):
            while busy():  # noqa: ASYNC110 (the state of three processors; no one event)
                await asyncio.sleep(0.05)


async def start_participant(
    domain: RunningDomain, name: str, extra_toml: str = ""
) -> tuple[ParticipantNode, MemberIdentity]:
    path, identity = write_participant_config(domain, name, extra_toml)
    node = ParticipantNode(load_participant_config(path))
    await node.start()
    return node, identity


@contextlib.asynccontextmanager
async def running_network(domain: RunningDomain, *, extra_toml: str = "") -> AsyncIterator[Network]:
    """The mediator and three participants on ``domain`` (see the module docstring);
    ``extra_toml`` is appended to each participant's config."""
    admin = domain.admin_client()
    change = await admin.set_domain_parameters(
        {"participant_response_timeout_us": RESPONSE_TIMEOUT_US}
    )
    await domain.wait_processed(change.sequenced_at)
    keys = save_identity(domain.mediator, domain.root / "keys")
    (domain.root / "node.pw").write_text(PASSWORD)
    (domain.root / "mediator.toml").write_text(mediator_toml(domain, keys))
    mediator = MediatorNode(load_mediator_config(domain.root / "mediator.toml"))
    await mediator.start()
    net = Network(domain, mediator)
    try:
        started = await asyncio.gather(
            *(start_participant(domain, n, extra_toml) for n in ("p1", "p2", "p3"))
        )
        for name, (node, identity) in zip(("p1", "p2", "p3"), started, strict=True):
            net.nodes[name] = node
            net.identities[name] = identity
        await allocate_parties(net)
        yield net
    finally:
        for node in net.nodes.values():
            await node.stop()
        await mediator.stop()


async def allocate_parties(net: Network) -> None:
    managers = {n: node.parties for n, node in net.nodes.items()}
    assert all(m is not None for m in managers.values())
    p1, p2, p3 = (managers[n] for n in ("p1", "p2", "p3"))
    assert p1 is not None and p2 is not None and p3 is not None
    net.parties["alice"] = PartyId(await p1.allocate("Alice"))
    net.parties["bank"] = PartyId(await p1.allocate("Bank"))
    net.parties["bob"] = PartyId(await p2.allocate("Bob"))
    net.parties["carol"] = PartyId(await p3.allocate("Carol"))
    # Bank also on P2 (observation): proposed by both namespaces
    hosts = [
        (net.member("p1"), ParticipantPermission.SUBMISSION),
        (net.member("p2"), ParticipantPermission.OBSERVATION),
    ]
    bank = net.parties["bank"]
    first = await p1.propose_hosting(bank, hosts)  # type: ignore[arg-type]
    assert first.state is HostingState.PROPOSED, first
    second = await p2.propose_hosting(bank, hosts)  # type: ignore[arg-type]
    assert second.state is HostingState.EFFECTIVE, second
    # every participant sees every party before the tests start
    for node in net.nodes.values():
        assert node.link is not None
        await node.link.topology.wait_for_time(second.effective_at)  # type: ignore[arg-type]


class NodeProcess:
    """``python -m <module> --config …`` as a child process (a participant by default).

    ``start(env=…)`` adds variables to this start's environment only (a crash point,
    ``node_runtime.crash_points``); every wait has a deadline and fails with the log's
    tail."""

    def __init__(self, config: Path, log: Path, module: str = "participant") -> None:
        self.config = config
        self.log = log
        self.module = module
        self.proc: subprocess.Popen[str] | None = None
        self.ready: dict[str, str] = {}

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text()[-chars:] if self.log.exists() else ""

    async def start(self, env: Mapping[str, str] | None = None, timeout_s: float = 90) -> None:
        environment = {**os.environ, **(env or {})}
        with self.log.open("a") as log:
            self.proc = subprocess.Popen(  # noqa: ASYNC220 (a long-lived node; READY read in a thread)
                [sys.executable, "-m", self.module, "--config", str(self.config)],
                cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True, env=environment,
            )  # fmt: skip
        assert self.proc.stdout is not None
        try:
            async with asyncio.timeout(timeout_s):
                line = await asyncio.to_thread(self.proc.stdout.readline)
        except TimeoutError:
            self.kill()
            raise AssertionError(
                f"{self.module} {self.config.name}: no READY in {timeout_s}s\n{self.tail()}"
            ) from None
        assert line.startswith("READY "), (line, self.tail())
        self.ready = json.loads(line.removeprefix("READY "))

    async def exited(self, timeout_s: float, what: str) -> int:
        """The exit code once the process ended by itself (``-9``: SIGKILL)."""
        assert self.proc is not None
        try:
            return await asyncio.to_thread(self.proc.wait, timeout_s)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"{self.module} {self.config.name} still running {timeout_s}s after {what}\n"
                f"{self.tail()}"
            ) from None

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=10)

    def terminate(self) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return -1 if self.proc is None else self.proc.returncode
        self.proc.terminate()
        try:
            return self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(timeout=10)


ParticipantProcess = NodeProcess
