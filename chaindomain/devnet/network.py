"""``devnet up``: the chain, the contract, the domain and every node, under one supervisor.

The state directory (default ``.devnet/``) holds everything, so a second ``up`` resumes the
same ledger:

| path | what |
|---|---|
| ``network.json`` | the node ports chosen on the first ``up``, kept so endpoints stay valid |
| ``anvil-state.json`` | anvil's chain (``--state``: loaded at start, dumped at a clean stop) |
| ``domain/`` | the domain made by ``init_domain``: ``domain.json``, ``genesis.json``, |
|  | ``inbox.json`` (the contract's deployment record), ``keys/``, ``secrets/`` |
| ``participants/<name>/`` | each participant's keystores and id, made on the first ``up`` |
| ``tls/`` | the devnet's CA (``ca.crt``) and each node's certificate and key (``certs.py``) |
| ``idp/`` | the identity provider's signing keys and its clients' secrets (``access.py``) |
| ``nodes/<name>.toml`` | each node's config, rewritten at every ``up`` |
| ``data/<name>/`` | each node's databases |
| ``logs/<name>.log`` | each node's log (JSON lines), appended across restarts |
| ``devnet.json``, ``devnet.lock`` | the running network's state file and lock (``state.py``) |

Order of start: anvil (or ``--rpc-url``), the domain (first ``up``: keys, contract,
genesis), the identity provider, seq1, seq2, domain manager, mediator, participants; then
the organisations' packages, parties and users through the participants' Ledger APIs.
Stop: the reverse. Every endpoint is TLS with a certificate of the devnet's CA, and the
Ledger APIs take only tokens of the devnet's IdP (``access.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from eth_utils.address import to_checksum_address

from chaindomain.devnet.access import (
    DevnetAccess,
    admin_client_id,
    ensure_secret,
    idp_clients,
    token_command,
    user_id,
)
from chaindomain.devnet.certs import DevnetCa
from chaindomain.devnet.configs import (
    Layout,
    dm_toml,
    idp_toml,
    mediator_toml,
    participant_toml,
    sequencer_toml,
)
from chaindomain.devnet.domain import DEVNET_SCRYPT, create_domain, existing_domain
from chaindomain.devnet.errors import BootstrapError, NodeStartError
from chaindomain.devnet.participants import (
    organisation,
    participant_identity,
    participant_name,
    set_up_organisations,
)
from chaindomain.devnet.process import NodeSpec
from chaindomain.devnet.state import DevnetLock, DevnetState
from chaindomain.devnet.supervisor import Event, NodeExited, NodeReady, RestartPolicy, Supervisor
from chaindomain.domain import InitializedDomain, KeyFiles
from protocol.errors import ProtocolError
from sequencer_chain.anvil import AnvilConfig, ManagedAnvil, free_port
from sequencer_chain.contract import DeploymentRecord, connect
from sequencer_chain.errors import DeploymentRecordError, SequencerChainError

DEFAULT_ANVIL_PORT = 8545
Printer = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class UpOptions:
    state_dir: Path
    rpc_url: str | None = None
    anvil_port: int = DEFAULT_ANVIL_PORT
    """0: a free port at each ``up`` (the nodes' configs are rewritten with it)."""
    block_time_s: float = 0.5
    participants: int = 3
    restart: bool = False
    ready_timeout_s: float = 60.0


def load_ports(
    layout: Layout, names: list[str], pick: Callable[[], int] = free_port
) -> dict[str, int]:
    """Ports recorded by an earlier ``up``; new names get a free port, recorded now.

    Every name gets its own port: the kernel can hand the same ephemeral port to two
    successive probes (each socket is closed before the next), so a port already given
    to another name is picked again, and a file that recorded one port twice is repaired
    for the later name."""
    recorded: dict[str, int] = {}
    if layout.network.exists():
        data = json.loads(layout.network.read_text())["ports"]
        recorded = {str(k): int(v) for k, v in data.items()}
    ports: dict[str, int] = {}
    for name in [*recorded, *(n for n in names if n not in recorded)]:
        port = recorded.get(name)
        while port is None or port in ports.values():
            port = pick()
        ports[name] = port
    layout.network.write_text(json.dumps({"ports": ports}, indent=2) + "\n")
    return ports


async def check_contract(domain: InitializedDomain, rpc_url: str) -> DeploymentRecord:
    """The domain's contract, which the chain at ``rpc_url`` must still have."""
    try:
        record = DeploymentRecord.load(domain.deployment)
    except DeploymentRecordError as exc:
        raise BootstrapError("contract", f"unusable deployment record: {exc}") from None
    w3 = await connect(rpc_url)
    try:
        chain_id = await w3.eth.chain_id
        if record.chain_id == chain_id and await w3.eth.get_code(
            to_checksum_address(record.address)
        ):
            return record
    finally:
        await w3.provider.disconnect()
    raise BootstrapError(
        "contract",
        f"the chain at {rpc_url} no longer has the contract of {domain.deployment} "
        "(chain state lost?); remove the state directory to start a new network",
    )


def _spec(layout: Layout, name: str, module: str, options: UpOptions) -> NodeSpec:
    root = str(Path(__file__).resolve().parents[2])
    pythonpath = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
    return NodeSpec(
        name=name,
        module=module,
        config=layout.config(name),
        log_path=layout.log(name),
        env={"PYTHONPATH": pythonpath},
        ready_timeout_s=options.ready_timeout_s,
    )


def plan_nodes(
    layout: Layout, domain: InitializedDomain, rpc_url: str, options: UpOptions
) -> tuple[list[NodeSpec], dict[str, KeyFiles], DevnetAccess]:
    """Write every node's config (making participants' keys, the CA and the nodes'
    certificates, the IdP's client secrets on first use) and return the nodes in start
    order: identity provider, sequencers, domain manager, mediator, participants."""
    participants = [participant_name(i) for i in range(1, options.participants + 1)]
    names = ["seq1", "seq2", "dm", *participants]
    ports = load_ports(
        layout, [*(p for n in names for p in (n, f"{n}.ops")), "mediator.ops", "idp"]
    )
    (layout.root / "nodes").mkdir(parents=True, exist_ok=True)
    ca = DevnetCa(layout.tls)
    identities = {
        name: participant_identity(layout.participants / name, name, domain, DEVNET_SCRYPT)
        for name in participants
    }
    clients = idp_clients(
        [(name, identities[name].member, organisation(i)) for i, name in enumerate(participants, 1)]
    )
    for client in clients:
        ensure_secret(layout.idp_secrets, client.client_id)
    access = DevnetAccess(ca.ca_file, f"https://127.0.0.1:{ports['idp']}/token", layout.idp_secrets)
    layout.config("idp").write_text(idp_toml(layout, clients, ports["idp"], ca.node("idp")))
    specs = [_spec(layout, "idp", "auth.dev_idp", options)]
    for index in (1, 2):
        name = f"seq{index}"
        layout.config(name).write_text(
            sequencer_toml(layout, domain, index, rpc_url, ports, cert=ca.node(name))
        )
        specs.append(_spec(layout, name, "sequencer_chain", options))
    sequencers = [f"127.0.0.1:{ports['seq1']}", f"127.0.0.1:{ports['seq2']}"]
    layout.config("dm").write_text(dm_toml(layout, domain, sequencers, ports, ca.node("dm")))
    specs.append(_spec(layout, "dm", "domain_manager", options))
    layout.config("mediator").write_text(
        mediator_toml(layout, domain, sequencers, ports, ca.node("mediator"))
    )
    specs.append(_spec(layout, "mediator", "mediator", options))
    for name in participants:
        layout.config(name).write_text(
            participant_toml(
                layout,
                domain,
                name,
                identities[name],
                sequencers=sequencers,
                ports=ports,
                cert=ca.node(name),
            )
        )
        specs.append(_spec(layout, name, "participant", options))
    return specs, identities, access


def access_lines(state: DevnetState) -> list[str]:
    """How a user reaches the network: the CA every client trusts, and a token."""
    if "access" not in state.extra:
        return []
    access = DevnetAccess.from_state_extra(state.extra)
    lines = [
        f"tls     every endpoint is TLS; clients trust the devnet CA {access.ca_file}",
        f"tokens  Ledger API calls need a JWT of the devnet IdP ({access.token_url}), e.g.",
    ]
    orgs = state.extra.get("organisations", [])
    if orgs:
        client = user_id(str(orgs[0]["name"]))
        lines.append(f"        {token_command(access, client)}")
        others = ", ".join(user_id(str(o["name"])) for o in orgs[1:])
        admins = ", ".join(admin_client_id(str(o["node"])) for o in orgs)
        lines.append(f"        (other clients: {others}; participant admins: {admins})")
    return lines


def summary(layout: Layout, state: DevnetState) -> str:
    """Every endpoint and where the logs are."""
    lines = ["endpoints:", f"  {'chain':<13} {'rpc':<10} {state.chain.get('rpc_url')}"]
    for name, node in state.nodes.items():
        for kind, address in sorted(node.endpoints.items()):
            if kind in {"participant", "member"}:
                continue
            label = "ledger api" if node.module == "participant" and kind == "grpc" else kind
            lines.append(f"  {name:<13} {label:<10} {address}")
    for org in state.extra.get("organisations", []):
        parties = ", ".join(org["parties"])
        lines.append(f"  {org['name']:<13} ledger api {org['ledger_api']}  parties {parties}")
    lines.extend(access_lines(state))
    lines.append(f"logs    {layout.root}/logs/<node>.log  (JSON lines)")
    lines.append(f"configs {layout.root}/nodes/<node>.toml")
    lines.append(f"state   {layout.root}/devnet.json")
    return "\n".join(lines)


def describe(event: Event) -> str:
    if isinstance(event, NodeReady):
        again = f" (restart {event.restarts})" if event.restarts else ""
        endpoints = "  ".join(f"{k} {v}" for k, v in sorted(event.endpoints.items()))
        return f"  {event.name:<12} ready{again}  pid {event.pid}  {endpoints}"
    assert isinstance(event, NodeExited)
    then = (
        f"restarting in {event.restart_in_s:.1f}s"
        if event.restart_in_s is not None
        else "left down (run with --restart to restart it)"
    )
    tail = "\n".join(f"      | {line}" for line in event.log_tail.splitlines()[-10:])
    return f"  {event.name:<12} EXITED with code {event.exit_code}; {then}\n{tail}"


def local_chain(options: UpOptions, layout: Layout) -> ManagedAnvil | None:
    """anvil with the state directory's chain, unless ``--rpc-url`` names a chain."""
    if options.rpc_url is not None:
        return None
    # Not recorded: every node config is rewritten with the URL at each start.
    return ManagedAnvil(
        AnvilConfig(
            block_time=options.block_time_s or None,
            state_path=layout.anvil_state,
            port=options.anvil_port or None,
        ),
        log_path=layout.log("anvil"),
    )


async def start_chain(anvil: ManagedAnvil, layout: Layout, out: Printer) -> str:
    """Start ``anvil``; its RPC URL."""
    resumed = layout.anvil_state.exists()
    await asyncio.to_thread(anvil.start)
    how = "resumed" if resumed else "new"
    out(f"anvil          {anvil.rpc_url}  ({how} chain, pid {anvil.pid})")
    return anvil.rpc_url


async def start_domain(
    layout: Layout,
    domain: InitializedDomain | None,
    rpc_url: str,
    *,
    state: DevnetState,
    anvil: ManagedAnvil | None,
    out: Printer,
) -> InitializedDomain:
    """The domain (``None``: made now, on the first ``up``), whose contract the chain
    must have; the chain's part of ``state``."""
    if domain is None:
        out(f"creating the domain (keys, contract, genesis) in {layout.domain}/")
        domain = await create_domain(layout.domain, rpc_url, lambda line: out("  " + line))
    record = await check_contract(domain, rpc_url)
    out(
        f"SequencerInbox {record.address}  "
        f"(chain {record.chain_id}, deployed in block {record.deploy_block})"
    )
    out(f"domain         {domain.domain_id}")
    state.chain = {
        "rpc_url": rpc_url,
        "chain_id": record.chain_id,
        "contract": record.address,
        "deploy_block": record.deploy_block,
        "anvil_pid": anvil.pid if anvil is not None else None,
    }
    state.extra = {"domain_id": domain.domain_id}
    return domain


async def start_organisations(
    state: DevnetState,
    domain: InitializedDomain,
    identities: dict[str, KeyFiles],
    access: DevnetAccess,
    out: Printer,
) -> None:
    """Once every node is ready: the organisations' packages, parties and users."""
    nodes = state.nodes
    participants = [
        (nodes[name].endpoints["participant"], nodes[name].endpoints["grpc"], keys)
        for name, keys in identities.items()
    ]
    if not participants:
        return
    out("organisations (example packages uploaded, parties allocated):")
    organisations, packages = await set_up_organisations(
        participants,
        dm_endpoint=nodes["dm"].endpoints["grpc"],
        password=domain.password_file.read_text().rstrip("\r\n"),
        out=out,
        access=access,
    )
    state.extra["organisations"] = [o.to_json() for o in organisations]
    state.extra["packages"] = packages


async def run_network(options: UpOptions, stop: asyncio.Event, out: Printer) -> int:
    """Bring the network up and supervise it until ``stop`` is set; returns an exit code."""
    layout = Layout(options.state_dir)
    layout.root.mkdir(parents=True, exist_ok=True)
    lock = DevnetLock(layout.root)
    lock.acquire()
    anvil: ManagedAnvil | None = None
    supervisor: Supervisor | None = None
    state = DevnetState(supervisor_pid=os.getpid())

    def save(s: DevnetState) -> None:
        s.save(layout.root)

    try:
        existing = existing_domain(layout.domain)
        anvil = local_chain(options, layout)
        if anvil is not None:
            rpc_url = await start_chain(anvil, layout, out)
        else:
            rpc_url = str(options.rpc_url)
        domain = await start_domain(layout, existing, rpc_url, state=state, anvil=anvil, out=out)
        specs, identities, access = await asyncio.to_thread(
            plan_nodes, layout, domain, rpc_url, options
        )
        state.extra["access"] = access.to_json()
        policy = RestartPolicy(enabled=options.restart)
        supervisor = Supervisor(state, save, lambda event: out(describe(event)), policy)
        out("starting nodes:")
        await supervisor.start_all(specs)
        await start_organisations(state, domain, identities, access, out)
        state.status = "running"
        save(state)
        out(summary(layout, state))
        out("running; Ctrl-C or `chaindomain devnet down` to stop")
        return await _supervise(stop, anvil, out)
    except (NodeStartError, BootstrapError, SequencerChainError, ProtocolError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        out("stopping")
        state.status = "stopping"
        with contextlib.suppress(OSError):
            state.save(layout.root)
        if supervisor is not None:
            await supervisor.stop()
        if anvil is not None:
            await asyncio.to_thread(anvil.stop)
        state.status = "stopped"
        with contextlib.suppress(OSError):
            state.save(layout.root)
        lock.release()
        out(f"stopped; the network's state is kept in {layout.root}/")


async def _supervise(stop: asyncio.Event, anvil: ManagedAnvil | None, out: Printer) -> int:
    """Wait for ``stop``; 1 if anvil (when the devnet runs it) exits before."""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1.0):
                await stop.wait()
        if anvil is not None and not anvil.running:
            out("anvil exited unexpectedly:\n" + anvil.log_tail())
            return 1
    return 0
