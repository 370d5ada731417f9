"""A whole domain for end-to-end tests: ``async with running_domain(tmp_path) as domain``.

It starts a real anvil (interval mining), deploys the ordering contract, writes a genesis
topology (domain root key, domain manager, sequencers with their writer accounts, one
mediator), starts ``sequencers`` in-process :class:`SequencerNode` s and an in-process
:class:`DomainManagerNode` with its admin endpoint (HS256 dev tokens), and stops all of it
afterwards. Shared by the domain manager, mediator and participant suites.

Helpers:

* :func:`make_identity` — a member's keys (namespace root, signing, encryption) and id;
* :func:`onboarding_transactions` — its root certificate and OwnerToKeyMapping, signed;
* :func:`save_identity` — the identity as encrypted keystores (for node configs);
* ``domain.admin_client()`` / ``domain.member_client()`` — DM admin API clients;
* ``domain.onboard(identity)`` — onboard through the admin API, returns the status;
* ``domain.connect_member(name, identity)`` — a running ``MemberConnection`` for it;
* ``domain.topology_stores()`` / ``domain.wait_processed(t)`` — every node's topology;
* :func:`hosting_proposal` — a PartyToParticipant signed by the given namespaces.

Keystores use a low scrypt cost (tests only).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import jwt

from domain_manager import DomainManagerNode, load_dm_config
from node_runtime.member import EventHandler, MemberConnection
from node_runtime.member.dm_client import DomainManagerClient, OnboardingKind, OnboardingStatus
from protocol.crypto import (
    EncryptionPrivateKey,
    ScryptParams,
    SigningPrivateKey,
    save_keystore,
)
from protocol.identifiers import (
    DomainId,
    MemberId,
    MemberKind,
    Namespace,
    PartyId,
    make_domain_id,
    make_member_id,
    make_party_id,
)
from protocol.sequencer_messages import SequencedEvent
from protocol.timestamp import Micros, Timestamp
from protocol.topology import (
    DomainParameters,
    Genesis,
    HostingParticipant,
    OwnerToKeyMapping,
    ParticipantPermission,
    PartyToParticipant,
    SequencerWriter,
    SignedTopologyTransaction,
    TopologyStore,
    add_mapping,
    build_genesis,
    parse_chain_address,
    root_certificate,
    write_genesis,
)
from sequencer_chain.anvil import AnvilConfig, ManagedAnvil
from sequencer_chain.chain_keys import dev_account
from sequencer_chain.config import load_node_config
from sequencer_chain.contract import (
    InboxContract,
    connect,
    deploy_inbox,
    domain_id_bytes,
    send_transaction,
)
from sequencer_chain.node import SequencerNode

DOMAIN_NAME = "e2e-domain"
TEST_SCRYPT = ScryptParams(n=2**10)
PASSWORD = "test-password"
HS256_SECRET = "dev-only-domain-admin-secret-32-bytes-long"


@dataclass(frozen=True)
class MemberIdentity:
    """A member's keys and id. ``namespace_key`` is its root key (its namespace)."""

    member: MemberId
    namespace_key: SigningPrivateKey
    signing_key: SigningPrivateKey
    encryption_key: EncryptionPrivateKey

    @property
    def namespace(self) -> Namespace:
        return Namespace(self.namespace_key.fingerprint)


def _seeded(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


def make_identity(
    kind: MemberKind, name: str, namespace_key: SigningPrivateKey | None = None, seed: str = ""
) -> MemberIdentity:
    """Deterministic keys from ``name`` (+ ``seed``); pass ``namespace_key`` to share one."""
    root = namespace_key or SigningPrivateKey.from_seed(_seeded(f"ns/{name}/{seed}"))
    signing = SigningPrivateKey.from_seed(_seeded(f"sig/{name}/{seed}"))
    encryption = EncryptionPrivateKey.from_seed(_seeded(f"enc/{name}/{seed}"))
    member = make_member_id(kind, name, Namespace(root.fingerprint))
    return MemberIdentity(member, root, signing, encryption)


def onboarding_transactions(
    identity: MemberIdentity, with_root: bool = True
) -> list[SignedTopologyTransaction]:
    """The member's root certificate (unless ``with_root`` is False) and its
    OwnerToKeyMapping signed by its namespace and its signing key."""
    otk = OwnerToKeyMapping(
        identity.member, identity.signing_key.public_key, identity.encryption_key.public_key
    )
    signers = {identity.namespace_key.fingerprint: identity.namespace_key}
    signers[identity.signing_key.fingerprint] = identity.signing_key
    txs = [root_certificate(identity.namespace_key)] if with_root else []
    return [*txs, add_mapping(otk, signers.values())]


def save_identity(identity: MemberIdentity, directory: Path) -> dict[str, Path]:
    """Write the identity's three keys as keystores (password :data:`PASSWORD`)."""
    directory.mkdir(parents=True, exist_ok=True)
    name = identity.member.split("::")[1]
    paths = {
        "namespace": directory / f"{name}-namespace.json",
        "signing": directory / f"{name}-signing.json",
        "encryption": directory / f"{name}-encryption.json",
    }
    save_keystore(paths["namespace"], identity.namespace_key, PASSWORD, TEST_SCRYPT)
    save_keystore(paths["signing"], identity.signing_key, PASSWORD, TEST_SCRYPT)
    save_keystore(paths["encryption"], identity.encryption_key, PASSWORD, TEST_SCRYPT)
    return paths


def hosting_proposal(
    party: PartyId,
    hosts: Sequence[tuple[MemberId, ParticipantPermission]],
    signers: Iterable[SigningPrivateKey],
    *,
    threshold: int = 1,
    is_proposal: bool = True,
    serial: int = 1,
) -> SignedTopologyTransaction:
    mapping = PartyToParticipant(
        party, threshold, tuple(HostingParticipant(p, perm) for p, perm in hosts)
    )
    return add_mapping(mapping, signers, serial=serial, is_proposal=is_proposal)


def party_of(identity: MemberIdentity, name: str) -> PartyId:
    return make_party_id(name, identity.namespace)


def admin_token(user: str = "domain-admin", ttl_s: int = 3600) -> str:
    """An HS256 custom-claims admin token for the dev secret."""
    payload = {
        "https://daml.com/ledger-api": {"admin": True},
        "sub": user,
        "exp": int(time.time()) + ttl_s,
    }
    return jwt.encode(payload, HS256_SECRET, algorithm="HS256")


async def _derived_past(node: SequencerNode, at: Timestamp) -> bool:
    cursor = None if node.store is None else await node.store.cursor()
    last = None if cursor is None else cursor.last_timestamp
    return last is not None and last >= at


class RecordingHandler:
    """A member's event handler that keeps every event it is given."""

    def __init__(self) -> None:
        self.events: list[SequencedEvent] = []

    async def handle(self, event: SequencedEvent) -> None:
        self.events.append(event)


@dataclass
class RunningDomain:
    """What :func:`running_domain` started. Nodes are in-process objects."""

    root: Path
    anvil: ManagedAnvil
    domain: DomainId
    domain_key: SigningPrivateKey
    dm_identity: MemberIdentity
    mediator: MemberIdentity
    sequencer_ids: list[MemberId]
    genesis: Genesis
    sequencers: list[SequencerNode] = field(default_factory=list)
    dm: DomainManagerNode | None = None
    topology_change_delay_us: int = 0
    members: dict[str, MemberConnection] = field(default_factory=dict)
    """Member connections started with :meth:`connect_member`, by name."""
    _clients: list[DomainManagerClient] = field(default_factory=list)

    @property
    def sequencer_endpoints(self) -> list[str]:
        return [s.target for s in self.sequencers]

    @property
    def dm_target(self) -> str:
        assert self.dm is not None
        return self.dm.target

    def admin_client(self, token: str | None = None) -> DomainManagerClient:
        client = DomainManagerClient(self.dm_target, token=token or admin_token())
        self._clients.append(client)
        return client

    def member_client(self) -> DomainManagerClient:
        client = DomainManagerClient(self.dm_target)
        self._clients.append(client)
        return client

    def topology_stores(self) -> dict[str, TopologyStore]:
        """The topology store of every node started here, by node name."""
        stores = {}
        for index, node in enumerate(self.sequencers, start=1):
            if node.topology is not None:
                stores[f"seq{index}"] = node.topology.store
        if self.dm is not None and self.dm.topology is not None:
            stores["dm"] = self.dm.topology
        for name, connection in self.members.items():
            stores[name] = connection.topology.store
        return stores

    async def wait_processed(self, sequenced_at: int, timeout_s: float = 20) -> None:
        """Until every node has fully processed the events sequenced at ``sequenced_at``:
        a sequencer once its event store's cursor has passed that time (the topology of a
        step is persisted before its events), the domain manager and every member
        connection once they handled an event at or after it."""
        at = Timestamp(sequenced_at)
        async with asyncio.timeout(timeout_s):
            connections = list(self.members.values())
            if self.dm is not None and self.dm.link is not None:
                connections.append(self.dm.link)
            for connection in connections:
                await connection.topology.wait_for_time(at)
            for node in self.sequencers:
                while not await _derived_past(node, at):  # noqa: ASYNC110
                    await asyncio.sleep(0.02)

    async def connect_member(
        self, name: str, identity: MemberIdentity, handler: EventHandler | None = None
    ) -> MemberConnection:
        """Start a :class:`MemberConnection` for ``identity`` (its topology processed as the
        real nodes do); ``handler`` defaults to a :class:`RecordingHandler`."""
        connection = MemberConnection(
            identity.member,
            identity.signing_key,
            self.domain,
            self.genesis,
            self.sequencer_endpoints,
            self.root / "members" / name,
            handler or RecordingHandler(),
        )
        await connection.start()
        self.members[name] = connection
        await connection.wait_connected()
        return connection

    async def onboard(
        self,
        identity: MemberIdentity,
        kind: OnboardingKind = OnboardingKind.PARTICIPANT,
        with_root: bool = True,
    ) -> OnboardingStatus:
        """Ask for onboarding; under ``permissioned`` also approve it as the admin."""
        txs = [t.encode() for t in onboarding_transactions(identity, with_root)]
        status = await self.member_client().request_onboarding(kind, txs)
        if status.state.name == "PENDING":
            status = await self.admin_client().approve(status.request_id, "test approval")
        return status


@contextlib.asynccontextmanager
async def running_domain(
    tmp_path: Path,
    *,
    sequencers: int = 2,
    policy: str = "open",
    topology_change_delay_us: int = 0,
    block_time_s: float = 0.25,
) -> AsyncIterator[RunningDomain]:
    """Start a domain (see the module docstring); everything is stopped on exit."""
    root = tmp_path / "domain"
    root.mkdir()
    domain_key = SigningPrivateKey.from_seed(_seeded("domain-root"))
    domain = make_domain_id(DOMAIN_NAME, Namespace(domain_key.fingerprint))
    dm = make_identity(MemberKind.DOMAIN_MANAGER, "dm", namespace_key=domain_key)
    mediator = make_identity(MemberKind.MEDIATOR, "mediator1")
    seq_ns = SigningPrivateKey.from_seed(_seeded("sequencers"))
    seqs = [
        make_identity(MemberKind.SEQUENCER, f"seq{i}", namespace_key=seq_ns)
        for i in range(1, sequencers + 1)
    ]
    members: list[SignedTopologyTransaction] = [root_certificate(seq_ns)]
    for seq in seqs:
        members += onboarding_transactions(seq, with_root=False)
    members += onboarding_transactions(mediator)
    members += onboarding_transactions(dm, with_root=False)
    params = DomainParameters(
        domain,
        participant_response_timeout=Micros(30_000_000),
        mediator_reaction_timeout=Micros(30_000_000),
        ledger_time_record_time_tolerance=Micros(60_000_000),
        topology_change_delay=Micros(topology_change_delay_us),
        max_request_size=119_000,
        confirmation_depth=0,
    )
    writers = [
        SequencerWriter(s.member, parse_chain_address(dev_account(i, 31337).address.lower()))
        for i, s in enumerate(seqs, start=1)
    ]
    genesis = build_genesis(
        domain_key,
        DOMAIN_NAME,
        sequencers=writers,
        mediators=[mediator.member],
        parameters=params,
        member_transactions=members,
    )
    write_genesis(root / "genesis.json", genesis)
    with ManagedAnvil(AnvilConfig(block_time=block_time_s)) as anvil:
        w3 = await connect(anvil.rpc_url)
        try:
            owner = dev_account(0, 31337)
            record = await deploy_inbox(w3, owner, domain_id_bytes(domain), domain_name=domain)
            inbox = InboxContract(w3, record.address)
            for index in range(1, sequencers + 1):
                data = inbox.calldata("addWriter", dev_account(index, 31337).address)
                await send_transaction(w3, owner, to=record.address, data=data)
        finally:
            await w3.provider.disconnect()
        record.save(root / "inbox.json")
        running = RunningDomain(
            root=root,
            anvil=anvil,
            domain=domain,
            domain_key=domain_key,
            dm_identity=dm,
            mediator=mediator,
            sequencer_ids=[s.member for s in seqs],
            genesis=genesis,
            topology_change_delay_us=topology_change_delay_us,
        )
        try:
            for index, seq in enumerate(seqs, start=1):
                config = root / f"seq{index}.toml"
                config.write_text(
                    _sequencer_toml(seq.member, domain, anvil.rpc_url, f"seq{index}", index)
                )
                node = SequencerNode(load_node_config(config))
                running.sequencers.append(node)
                await node.start()
            keys = save_identity(dm, root / "keys")
            (root / "dm.pw").write_text(PASSWORD)
            (root / "dev-hs256").write_text(HS256_SECRET)
            dm_config = root / "dm.toml"
            dm_config.write_text(
                _dm_toml(dm.member, domain, running.sequencer_endpoints, keys, policy)
            )
            running.dm = DomainManagerNode(load_dm_config(dm_config))
            await running.dm.start()
            assert running.dm.link is not None
            await running.dm.link.wait_connected(timeout_s=30)
            yield running
        finally:
            for client in running._clients:
                await client.close()
            for connection in running.members.values():
                await connection.stop()
            if running.dm is not None:
                await running.dm.stop()
            for node in running.sequencers:
                await node.stop()


def _sequencer_toml(member: MemberId, domain: DomainId, rpc_url: str, name: str, key: int) -> str:
    return f"""
[node]
sequencer_id = "{member}"
data_dir = "{name}"

[domain]
domain_id = "{domain}"
genesis_file = "genesis.json"

[chain]
rpc_url = "{rpc_url}"
deployment = "inbox.json"
confirmations = 0
poll_interval_s = 0.05
linger_s = 0.01

[chain.account]
dev_key_index = {key}
"""


def _dm_toml(
    member: MemberId, domain: DomainId, endpoints: list[str], keys: dict[str, Path], policy: str
) -> str:
    quoted = ", ".join(f'"{e}"' for e in endpoints)
    return f"""
[node]
member_id = "{member}"
data_dir = "dm"

[domain]
domain_id = "{domain}"
genesis_file = "genesis.json"
sequencers = [{quoted}]

[keys]
namespace_keystore = "{keys["namespace"]}"
signing_keystore = "{keys["signing"]}"
encryption_keystore = "{keys["encryption"]}"
password = {{ file = "dm.pw" }}

[admin]
policy = "{policy}"
sequencing_window_s = 20

[admin.auth]
allow_hs256_secret = {{ file = "dev-hs256" }}
"""
