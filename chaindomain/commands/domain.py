"""``chaindomain domain ...``: bootstrap a domain and talk to its domain manager.

``init`` creates a domain in a directory: identities (encrypted keystores), the ordering
contract (deployed through ``sequencer_chain.contract``, AD-2), the sequencers' writer
accounts, the genesis topology and TOML configs for the sequencer nodes, the domain
manager and a mediator. The other commands call the domain manager's admin API
(``node_runtime.member.dm_client``): members' requests are authorized by their keys,
admin calls by a bearer token read from a file or an environment variable.

Exit codes: 0 success; 1 the domain manager refused (its error code is printed);
2 bad input or an unusable file; 3 the domain manager is unreachable.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sys
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from node_runtime.member.dm_client import (
    DomainManagerClient,
    DomainManagerRefusedError,
    DomainManagerUnavailableError,
    OnboardingKind,
)
from protocol.crypto import (
    EncryptionPrivateKey,
    ScryptParams,
    SigningPrivateKey,
    load_encryption_key,
    load_signing_key,
    save_keystore,
)
from protocol.errors import ProtocolError
from protocol.identifiers import (
    DomainId,
    MemberId,
    MemberKind,
    Namespace,
    make_domain_id,
    make_member_id,
    parse_domain_id,
    parse_member_id,
    parse_party_id,
)
from protocol.timestamp import Micros
from protocol.tls import ClientTls
from protocol.topology import (
    DomainParameters,
    HostingParticipant,
    Operation,
    OwnerToKeyMapping,
    ParticipantPermission,
    PartyToParticipant,
    SequencerWriter,
    Serial,
    SignedTopologyTransaction,
    TopologyTransaction,
    VettedPackages,
    add_mapping,
    build_genesis,
    parse_chain_address,
    parse_package_id,
    root_certificate,
    sign_transaction,
    write_genesis,
)
from sequencer_chain.anvil import AnvilConfig, ManagedAnvil
from sequencer_chain.chain_keys import (
    ANVIL_CHAIN_ID,
    create_keystore,
    dev_account,
    load_keystore,
)
from sequencer_chain.contract import (
    InboxContract,
    connect,
    deploy_inbox,
    domain_id_bytes,
    send_transaction,
)
from sequencer_chain.errors import SequencerChainError

EXIT_REFUSED, EXIT_USAGE, EXIT_UNAVAILABLE = 1, 2, 3
MARKER = "domain.json"
PERMISSIONS = {p.name.lower(): p for p in ParticipantPermission}


class DomainCommandError(Exception):
    """Bad input to a ``domain`` command."""


def register(groups: Any) -> None:
    parser = groups.add_parser("domain", help="bootstrap a domain; onboarding and admin calls")
    commands = parser.add_subparsers(dest="command", required=True, metavar="ACTION")

    init = commands.add_parser("init", help="create a domain: keys, contract, genesis, configs")
    init.add_argument("--dir", type=Path, required=True, help="directory to create the domain in")
    init.add_argument("--name", default="domain", help="domain name (the id is NAME::namespace)")
    init.add_argument("--rpc-url", help="chain RPC (default: a local anvil with saved state)")
    init.add_argument("--anvil-port", type=int, default=8545, help="port of the local anvil")
    init.add_argument("--sequencers", type=int, default=2, choices=range(1, 11), metavar="N")
    init.add_argument("--policy", choices=("open", "permissioned"), default="permissioned")
    init.add_argument("--topology-change-delay-ms", type=int, default=250)
    init.add_argument("--confirmations", type=int, default=1)
    init.add_argument("--base-port", type=int, default=4100, help="first node port")
    init.add_argument("--password-file", type=Path, help="password for every keystore")
    init.add_argument("--password-env", metavar="VAR")
    init.add_argument(
        "--deployer-keystore", type=Path, help="chain account deploying (not on anvil)"
    )
    init.add_argument("--scrypt-n", type=int, default=ScryptParams().n, help=argparse.SUPPRESS)
    init.set_defaults(handler=_sync(_init))

    onboard = commands.add_parser("onboard", help="ask the domain manager to admit a member")
    _dm_args(onboard, admin=False)
    onboard.add_argument("--kind", choices=("participant", "mediator"), required=True)
    onboard.add_argument("--name", required=True, help="member name (id KIND::NAME::namespace)")
    onboard.add_argument("--namespace-key", type=Path, required=True, help="root key keystore")
    onboard.add_argument("--signing-key", type=Path, required=True)
    onboard.add_argument("--encryption-key", type=Path, required=True)
    onboard.add_argument("--password-file", type=Path)
    onboard.add_argument("--password-env", metavar="VAR")
    onboard.add_argument("--permission", choices=sorted(PERMISSIONS), default="submission")
    onboard.add_argument("--namespace-known", action="store_true", help="omit the root certificate")
    onboard.set_defaults(handler=_sync(_onboard))

    for name, helptext in (("approve", "approve a pending request"), ("reject", "reject one")):
        sub = commands.add_parser(name, help=helptext)
        _dm_args(sub, admin=True)
        sub.add_argument("request_id")
        sub.add_argument("--reason", default="")
        sub.set_defaults(handler=_sync(_approve if name == "approve" else _reject))

    status = commands.add_parser("status", help="an onboarding request's state")
    _dm_args(status, admin=False)
    status.add_argument("request_id")
    status.set_defaults(handler=_sync(_status))

    pending = commands.add_parser("pending", help="list pending onboarding requests")
    _dm_args(pending, admin=True)
    pending.set_defaults(handler=_sync(_pending))

    members = commands.add_parser("members", help="list the domain's members and their state")
    _dm_args(members, admin=True)
    members.add_argument("--at", type=int, default=0, help="microseconds (default: now)")
    members.set_defaults(handler=_sync(_members))

    revoke = commands.add_parser("revoke", help="revoke a participant's admission")
    _dm_args(revoke, admin=True)
    revoke.add_argument("participant")
    revoke.add_argument("--reason", default="")
    revoke.set_defaults(handler=_sync(_revoke))

    params = commands.add_parser("set-params", help="change domain parameters")
    _dm_args(params, admin=True)
    for flag in (
        "participant-response-timeout-us",
        "mediator-reaction-timeout-us",
        "ledger-time-record-time-tolerance-us",
        "topology-change-delay-us",
        "max-request-size",
        "confirmation-depth",
    ):
        params.add_argument(f"--{flag}", type=int)
    params.set_defaults(handler=_sync(_set_params))

    host = commands.add_parser("host-party", help="propose hosting a party on participants")
    _dm_args(host, admin=False)
    host.add_argument("--party", required=True, help="party id NAME::namespace")
    host.add_argument(
        "--participant",
        action="append",
        required=True,
        help="PARTICIPANT_ID[=permission], repeat for each host",
    )
    host.add_argument("--threshold", type=int, default=1)
    host.add_argument("--serial", type=int, default=1)
    host.add_argument(
        "--key", type=Path, action="append", required=True, help="namespace key keystore(s)"
    )
    host.add_argument("--password-file", type=Path)
    host.add_argument("--password-env", metavar="VAR")
    host.set_defaults(handler=_sync(_host_party))

    vet = commands.add_parser("vet", help="set the packages a participant vets (VettedPackages)")
    _dm_args(vet, admin=False)
    vet.add_argument("--participant", required=True, help="participant id PAR::name::namespace")
    vet.add_argument(
        "--package", action="append", default=[], help="package id (64 hex), repeat for each"
    )
    vet.add_argument(
        "--serial", type=int, default=1, help="1 adds the mapping; N > 1 replaces serial N - 1"
    )
    vet.add_argument("--key", type=Path, required=True, help="the participant's namespace key")
    vet.add_argument("--password-file", type=Path)
    vet.add_argument("--password-env", metavar="VAR")
    vet.set_defaults(handler=_sync(_vet))


def _dm_args(parser: argparse.ArgumentParser, *, admin: bool) -> None:
    parser.add_argument("--dm", required=True, help="domain manager admin endpoint HOST:PORT")
    parser.add_argument(
        "--ca-file", type=Path, help="dial over TLS trusting this CA bundle (e.g. tls/ca.crt)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    if admin:
        parser.add_argument("--token-file", type=Path, help="file holding an admin bearer token")
        parser.add_argument("--token-env", metavar="VAR", help="variable holding the token")


def _sync(
    handler: Callable[[argparse.Namespace], Coroutine[Any, Any, int]],
) -> Callable[..., int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return asyncio.run(handler(args))
        except DomainManagerRefusedError as exc:
            print(f"error: refused ({exc.status.name} {exc.code}): {exc.message}", file=sys.stderr)
            return EXIT_REFUSED
        except DomainManagerUnavailableError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_UNAVAILABLE
        except (DomainCommandError, ProtocolError, SequencerChainError, OSError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE

    return run


def _password(args: argparse.Namespace) -> str:
    if args.password_file is not None:
        return str(args.password_file.read_text(encoding="utf-8")).rstrip("\r\n")
    if args.password_env is not None:
        value = os.environ.get(args.password_env)
        if value is None:
            raise DomainCommandError(f"environment variable {args.password_env} is not set")
        return value
    raise DomainCommandError("no password: give --password-file or --password-env")


def _tls(args: argparse.Namespace) -> ClientTls | None:
    ca_file = getattr(args, "ca_file", None)
    return ClientTls(ca_file) if ca_file is not None else None


def _token(args: argparse.Namespace) -> str:
    if getattr(args, "token_file", None) is not None:
        return str(args.token_file.read_text(encoding="utf-8")).strip()
    if getattr(args, "token_env", None) is not None:
        value = os.environ.get(args.token_env)
        if value:
            return value
        raise DomainCommandError(f"environment variable {args.token_env} is not set")
    raise DomainCommandError("admin calls need --token-file or --token-env")


def _print(args: argparse.Namespace, value: Any) -> None:
    if args.json:
        print(json.dumps(value, indent=2, default=str))
        return
    rows = value if isinstance(value, list) else [value]
    for row in rows:
        print("  ".join(f"{k}={v}" for k, v in row.items()))


def _fields(value: Any) -> dict[str, Any]:
    out = {}
    for name in value.__dataclass_fields__:
        item = getattr(value, name)
        out[name] = item.name.lower() if hasattr(item, "name") and hasattr(item, "value") else item
    return out


# -- member commands -------------------------------------------------------------------------


async def _onboard(args: argparse.Namespace) -> int:
    password = _password(args)
    root = load_signing_key(args.namespace_key, password)
    signing = load_signing_key(args.signing_key, password)
    encryption = load_encryption_key(args.encryption_key, password)
    kind = MemberKind.PARTICIPANT if args.kind == "participant" else MemberKind.MEDIATOR
    member = make_member_id(kind, args.name, Namespace(root.fingerprint))
    txs = member_transactions(member, root, signing, encryption, not args.namespace_known)
    async with DomainManagerClient(args.dm, tls=_tls(args)) as client:
        status = await client.request_onboarding(
            OnboardingKind[args.kind.upper()],
            [t.encode() for t in txs],
            int(PERMISSIONS[args.permission]),
        )
    _print(args, _fields(status))
    return 0


def member_transactions(
    member: MemberId,
    root: SigningPrivateKey,
    signing: SigningPrivateKey,
    encryption: EncryptionPrivateKey,
    with_root: bool = True,
) -> list[SignedTopologyTransaction]:
    """A member's onboarding transactions: root certificate and OwnerToKeyMapping."""
    otk = OwnerToKeyMapping(member, signing.public_key, encryption.public_key)
    signers = {root.fingerprint: root, signing.fingerprint: signing}
    return [*([root_certificate(root)] if with_root else []), add_mapping(otk, signers.values())]


async def _status(args: argparse.Namespace) -> int:
    async with DomainManagerClient(args.dm, tls=_tls(args)) as client:
        _print(args, _fields(await client.onboarding_status(args.request_id)))
    return 0


async def _host_party(args: argparse.Namespace) -> int:
    password = _password(args)
    keys = [load_signing_key(path, password) for path in args.key]
    hosts = []
    for spec in args.participant:
        member, _, perm = spec.partition("=")
        if perm and perm not in PERMISSIONS:
            raise DomainCommandError(
                f"--participant {spec}: permission one of {sorted(PERMISSIONS)}"
            )
        hosts.append(HostingParticipant(parse_member_id(member), PERMISSIONS[perm or "submission"]))
    mapping = PartyToParticipant(parse_party_id(args.party), args.threshold, tuple(hosts))
    signed = add_mapping(mapping, keys, serial=args.serial, is_proposal=True)
    async with DomainManagerClient(args.dm, tls=_tls(args)) as client:
        outcomes = await client.request_party_hosting([signed.encode()])
    _print(args, [_fields(o) for o in outcomes])
    return 0


async def _vet(args: argparse.Namespace) -> int:
    if args.serial < 1:
        raise DomainCommandError(f"--serial {args.serial}: must be at least 1")
    key = load_signing_key(args.key, _password(args))
    mapping = VettedPackages(
        parse_member_id(args.participant), tuple(parse_package_id(p) for p in args.package)
    )
    operation = Operation.ADD if args.serial == 1 else Operation.REPLACE
    signed = sign_transaction(TopologyTransaction(operation, Serial(args.serial), mapping), [key])
    async with DomainManagerClient(args.dm, tls=_tls(args)) as client:
        change = await client.request_vetting(signed.encode())
    _print(args, _fields(change))
    return 0


# -- admin commands --------------------------------------------------------------------------


async def _approve(args: argparse.Namespace) -> int:
    async with DomainManagerClient(args.dm, token=_token(args), tls=_tls(args)) as client:
        _print(args, _fields(await client.approve(args.request_id, args.reason)))
    return 0


async def _reject(args: argparse.Namespace) -> int:
    async with DomainManagerClient(args.dm, token=_token(args), tls=_tls(args)) as client:
        _print(args, _fields(await client.reject(args.request_id, args.reason)))
    return 0


async def _pending(args: argparse.Namespace) -> int:
    async with DomainManagerClient(args.dm, token=_token(args), tls=_tls(args)) as client:
        _print(args, [_fields(r) for r in await client.pending_requests()])
    return 0


async def _members(args: argparse.Namespace) -> int:
    async with DomainManagerClient(args.dm, token=_token(args), tls=_tls(args)) as client:
        _print(args, [_fields(m) for m in await client.members(args.at)])
    return 0


async def _revoke(args: argparse.Namespace) -> int:
    async with DomainManagerClient(args.dm, token=_token(args), tls=_tls(args)) as client:
        _print(args, _fields(await client.revoke_participant(args.participant, args.reason)))
    return 0


async def _set_params(args: argparse.Namespace) -> int:
    names = (
        "participant_response_timeout_us",
        "mediator_reaction_timeout_us",
        "ledger_time_record_time_tolerance_us",
        "topology_change_delay_us",
        "max_request_size",
        "confirmation_depth",
    )
    changes = {n: getattr(args, n) for n in names if getattr(args, n) is not None}
    if not changes:
        raise DomainCommandError("give at least one parameter to change")
    async with DomainManagerClient(args.dm, token=_token(args), tls=_tls(args)) as client:
        _print(args, _fields(await client.set_domain_parameters(changes)))
    return 0


# -- init ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DomainInitOptions:
    """What ``init_domain`` makes; the defaults are the CLI's."""

    name: str = "domain"
    """Domain name: the id is ``NAME::<namespace of the domain key>``."""
    sequencers: int = 2
    policy: str = "permissioned"
    """The domain manager's onboarding policy written to ``dm.toml``."""
    topology_change_delay_ms: int = 250
    confirmations: int = 1
    base_port: int = 4100
    """Ports of the written node configs: sequencer i at base + 10·i, the DM at base + 100."""
    scrypt: ScryptParams = field(default_factory=ScryptParams)
    deployer_keystore: Path | None = None
    """Chain account deploying the contract; anvil's development key 0 when ``None``."""
    write_configs: bool = True
    """Write ``seq<i>.toml``, ``dm.toml``, ``mediator1.toml`` (the devnet writes its own)."""


@dataclass(frozen=True, slots=True)
class KeyFiles:
    """The keystores of one domain node, as absolute paths."""

    member: MemberId
    namespace: Path
    signing: Path
    encryption: Path


@dataclass(frozen=True, slots=True)
class SequencerFiles:
    keys: KeyFiles
    writer: str
    """Its chain account (checksummed address)."""
    dev_key_index: int | None
    """anvil's development key index of the writer account, or ``None`` (a keystore)."""
    chain_keystore: Path | None


@dataclass(frozen=True, slots=True)
class InitializedDomain:
    """A domain made by :func:`init_domain`, as recorded in its ``domain.json``."""

    root: Path
    domain_id: DomainId
    rpc_url: str
    contract: str
    domain_manager: KeyFiles
    mediator: KeyFiles
    sequencers: tuple[SequencerFiles, ...]

    @property
    def genesis(self) -> Path:
        return self.root / "genesis.json"

    @property
    def deployment(self) -> Path:
        """The contract's deployment record (``sequencer_chain.contract.DeploymentRecord``)."""
        return self.root / "inbox.json"

    @property
    def password_file(self) -> Path:
        return self.root / "secrets" / "keystore.pw"

    @property
    def admin_secret_file(self) -> Path:
        """The development HS256 secret of the domain manager's admin API."""
        return self.root / "secrets" / "dev-hs256"


def _check_empty(out: Path) -> Path:
    """``out`` as an absolute path, if it can hold a new domain."""
    if (out / MARKER).exists():
        raise DomainCommandError(f"{out} already holds a domain ({MARKER}); refusing to overwrite")
    if out.exists() and any(out.iterdir()):
        raise DomainCommandError(f"{out} exists and is not empty")
    return out.resolve()


def _new_identity(
    keys: Path, name: str, password: str, params: ScryptParams, root: SigningPrivateKey | None
) -> tuple[SigningPrivateKey, SigningPrivateKey, EncryptionPrivateKey]:
    """Generate and save a member's keys; ``root`` given: the namespace is shared."""
    namespace = root or SigningPrivateKey.generate()
    signing, encryption = SigningPrivateKey.generate(), EncryptionPrivateKey.generate()
    if root is None:
        save_keystore(keys / f"{name}-namespace.json", namespace, password, params)
    save_keystore(keys / f"{name}-signing.json", signing, password, params)
    save_keystore(keys / f"{name}-encryption.json", encryption, password, params)
    return namespace, signing, encryption


def _write_secret(path: Path, value: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(value)


async def _init(args: argparse.Namespace) -> int:
    out: Path = args.dir
    _check_empty(out)
    password = _password(args)
    options = DomainInitOptions(
        name=args.name,
        sequencers=args.sequencers,
        policy=args.policy,
        topology_change_delay_ms=args.topology_change_delay_ms,
        confirmations=args.confirmations,
        base_port=args.base_port,
        scrypt=ScryptParams(n=args.scrypt_n),
        deployer_keystore=args.deployer_keystore,
    )
    rpc_url = args.rpc_url
    anvil: ManagedAnvil | None = None
    if rpc_url is None:
        anvil = ManagedAnvil(
            AnvilConfig(block_time=1.0, state_path=out / "anvil-state.json", port=args.anvil_port)
        ).start()
        rpc_url = anvil.rpc_url
        print(f"started a local anvil at {rpc_url} (state saved to {out / 'anvil-state.json'})")
    try:
        await init_domain(out, rpc_url, password, options)
    finally:
        if anvil is not None:
            anvil.stop()
    return 0


async def init_domain(
    out: Path,
    rpc_url: str,
    password: str,
    options: DomainInitOptions = DomainInitOptions(),
    echo: Callable[[str], None] = print,
) -> InitializedDomain:
    """Create a domain in the empty directory ``out`` on the chain at ``rpc_url``.

    Made, in order: every keystore (``keys/``, encrypted with ``password``, which is also
    written to ``secrets/keystore.pw``) and the admin API's development HS256 secret; the
    ordering contract (``inbox.json``) with one writer account per sequencer (anvil's
    development keys 1..N on chain 31337, new keystores elsewhere, to be funded); the
    genesis topology; the node configs (``options.write_configs``); ``domain.json`` last,
    so a directory without it is an interrupted attempt. ``chaindomain domain init`` and
    ``chaindomain devnet up`` both call this.
    """
    root = _check_empty(out)
    params = options.scrypt
    keys = root / "keys"
    keys.mkdir(parents=True)
    (out / "secrets").mkdir()
    _write_secret(out / "secrets" / "keystore.pw", password)
    _write_secret(out / "secrets" / "dev-hs256", secrets.token_urlsafe(48))

    domain_key = SigningPrivateKey.generate()
    save_keystore(keys / "domain-namespace.json", domain_key, password, params)
    domain = make_domain_id(options.name, Namespace(domain_key.fingerprint))
    ns = Namespace(domain_key.fingerprint)
    echo(f"domain {domain}")
    _, dm_sign, dm_enc = _new_identity(keys, "dm", password, params, domain_key)
    dm_id = make_member_id(MemberKind.DOMAIN_MANAGER, "dm", ns)
    med_root, med_sign, med_enc = _new_identity(keys, "mediator1", password, params, None)
    med_id = make_member_id(MemberKind.MEDIATOR, "mediator1", Namespace(med_root.fingerprint))
    seq_root = SigningPrivateKey.generate()
    save_keystore(keys / "sequencers-namespace.json", seq_root, password, params)
    members: list[SignedTopologyTransaction] = [root_certificate(seq_root)]
    members += member_transactions(med_id, med_root, med_sign, med_enc)
    members += member_transactions(dm_id, domain_key, dm_sign, dm_enc, with_root=False)

    w3 = await connect(rpc_url)
    try:
        chain_id = int(await w3.eth.chain_id)
        if options.deployer_keystore is not None:
            deployer = load_keystore(options.deployer_keystore, password, chain_id=chain_id)
        elif chain_id == ANVIL_CHAIN_ID:
            deployer = dev_account(0, chain_id)
        else:
            raise DomainCommandError("not anvil: give --deployer-keystore")
        record = await deploy_inbox(w3, deployer, domain_id_bytes(domain), domain_name=domain)
        record.save(out / "inbox.json")
        echo(f"deployed the ordering contract at {record.address} (chain {chain_id})")
        inbox = InboxContract(w3, record.address)
        writers: list[SequencerWriter] = []
        sequencers: list[tuple[str, SequencerFiles, str]] = []
        for index in range(1, options.sequencers + 1):
            name = f"seq{index}"
            _, sign, enc = _new_identity(keys, name, password, params, seq_root)
            seq_id = make_member_id(MemberKind.SEQUENCER, name, Namespace(seq_root.fingerprint))
            members += member_transactions(seq_id, seq_root, sign, enc, with_root=False)
            dev_index: int | None = None
            chain_keystore: Path | None = None
            if chain_id == ANVIL_CHAIN_ID:
                account, dev_index = dev_account(index, chain_id), index
                account_cfg = f"dev_key_index = {index}"
            else:
                chain_keystore = keys / f"{name}-chain.json"
                account = create_keystore(chain_keystore, password)
                account_cfg = (
                    f'keystore = "keys/{name}-chain.json"\n'
                    'password = { file = "secrets/keystore.pw" }'
                )
                echo(f"  {name}: fund chain account {account.address} before starting")
            data = inbox.calldata("addWriter", account.address)
            await send_transaction(w3, deployer, to=record.address, data=data)
            writers.append(SequencerWriter(seq_id, parse_chain_address(account.address.lower())))
            files = SequencerFiles(
                KeyFiles(
                    seq_id,
                    keys / "sequencers-namespace.json",
                    keys / f"{name}-signing.json",
                    keys / f"{name}-encryption.json",
                ),
                str(account.address),
                dev_index,
                chain_keystore,
            )
            sequencers.append((name, files, account_cfg))
            echo(f"  registered writer {account.address} for {seq_id}")
    finally:
        await w3.provider.disconnect()
    parameters = DomainParameters(
        domain,
        participant_response_timeout=Micros(30_000_000),
        mediator_reaction_timeout=Micros(30_000_000),
        ledger_time_record_time_tolerance=Micros(60_000_000),
        topology_change_delay=Micros(options.topology_change_delay_ms * 1000),
        max_request_size=119_000,
        confirmation_depth=options.confirmations,
    )
    genesis = build_genesis(
        domain_key,
        options.name,
        sequencers=writers,
        mediators=[med_id],
        parameters=parameters,
        member_transactions=members,
    )
    write_genesis(out / "genesis.json", genesis)
    echo(f"wrote genesis.json ({len(genesis.transactions)} transactions)")
    port = options.base_port
    endpoints = [f"127.0.0.1:{port + 10 * i}" for i in range(len(sequencers))]
    dm_port = port + 100
    if options.write_configs:
        _write_configs(
            out,
            options=options,
            domain=domain,
            rpc_url=rpc_url,
            dm_id=dm_id,
            med_id=med_id,
            sequencers=sequencers,
            endpoints=endpoints,
        )
        names = ", ".join(f"{n}.toml" for n, _, _ in sequencers)
        echo(f"wrote {names}, dm.toml, mediator1.toml")
    result = InitializedDomain(
        root=root,
        domain_id=domain,
        rpc_url=rpc_url,
        contract=record.address,
        domain_manager=_key_files(keys, dm_id, "dm", "domain"),
        mediator=_key_files(keys, med_id, "mediator1", "mediator1"),
        sequencers=tuple(files for _, files, _ in sequencers),
    )
    marker = {
        "domain": domain,
        "genesis_hash": genesis.hash().to_multihash(),
        "domain_manager": dm_id,
        "mediators": [med_id],
        "sequencers": [files.keys.member for _, files, _ in sequencers],
        "sequencer_endpoints": endpoints,
        "domain_manager_endpoint": f"127.0.0.1:{dm_port}",
        "rpc_url": rpc_url,
        "contract": record.address,
        "files": _files_json(result),
    }
    (out / MARKER).write_text(json.dumps(marker, indent=2) + "\n")
    echo(f"domain initialised in {out}")
    return result


def _key_files(keys: Path, member: MemberId, name: str, namespace: str) -> KeyFiles:
    return KeyFiles(
        member,
        keys / f"{namespace}-namespace.json",
        keys / f"{name}-signing.json",
        keys / f"{name}-encryption.json",
    )


def _keys_json(k: KeyFiles, root: Path) -> dict[str, str]:
    return {
        "member": k.member,
        "namespace": str(k.namespace.relative_to(root)),
        "signing": str(k.signing.relative_to(root)),
        "encryption": str(k.encryption.relative_to(root)),
    }


def _files_json(domain: InitializedDomain) -> dict[str, Any]:
    """Key files relative to the domain directory, so the directory can be moved."""
    root = domain.root
    return {
        "domain_manager": _keys_json(domain.domain_manager, root),
        "mediator": _keys_json(domain.mediator, root),
        "sequencers": [
            {
                **_keys_json(s.keys, root),
                "writer": s.writer,
                "dev_key_index": s.dev_key_index,
                "chain_keystore": (
                    str(s.chain_keystore.relative_to(root)) if s.chain_keystore else None
                ),
            }
            for s in domain.sequencers
        ],
    }


def load_domain(out: Path) -> InitializedDomain | None:
    """The domain :func:`init_domain` made in ``out``, or ``None`` if ``out`` holds none
    (no ``domain.json``); ``DomainCommandError`` for a ``domain.json`` it cannot read."""
    path = out / MARKER
    if not path.exists():
        return None
    root = out.resolve()
    try:
        data = json.loads(path.read_text())
        files = data["files"]

        def keys(d: dict[str, str]) -> KeyFiles:
            return KeyFiles(
                parse_member_id(d["member"]),
                root / d["namespace"],
                root / d["signing"],
                root / d["encryption"],
            )

        return InitializedDomain(
            root=root,
            domain_id=parse_domain_id(data["domain"]),
            rpc_url=str(data["rpc_url"]),
            contract=str(data["contract"]),
            domain_manager=keys(files["domain_manager"]),
            mediator=keys(files["mediator"]),
            sequencers=tuple(
                SequencerFiles(
                    keys(s),
                    str(s["writer"]),
                    None if s["dev_key_index"] is None else int(s["dev_key_index"]),
                    root / s["chain_keystore"] if s["chain_keystore"] else None,
                )
                for s in files["sequencers"]
            ),
        )
    except (OSError, ValueError, KeyError, TypeError, ProtocolError) as exc:
        raise DomainCommandError(
            f"{path}: not a domain record this version reads ({exc})"
        ) from None


def _write_configs(
    out: Path,
    *,
    options: DomainInitOptions,
    domain: DomainId,
    rpc_url: str,
    dm_id: MemberId,
    med_id: MemberId,
    sequencers: list[tuple[str, SequencerFiles, str]],
    endpoints: list[str],
) -> None:
    port = options.base_port
    for index, (name, files, account_cfg) in enumerate(sequencers):
        api, ops = port + 10 * index, port + 10 * index + 1
        (out / f"{name}.toml").write_text(
            _SEQ_TOML.format(
                member=files.keys.member,
                name=name,
                domain=domain,
                rpc=rpc_url,
                account=account_cfg,
                api=api,
                ops=ops,
                confirmations=options.confirmations,
            )
        )
    dm_port = port + 100
    (out / "dm.toml").write_text(
        _DM_TOML.format(
            member=dm_id,
            domain=domain,
            endpoints=", ".join(f'"{e}"' for e in endpoints),
            policy=options.policy,
            api=dm_port,
            ops=dm_port + 1,
        )
    )
    (out / "mediator1.toml").write_text(
        _MED_TOML.format(
            member=med_id, domain=domain, endpoints=", ".join(f'"{e}"' for e in endpoints)
        )
    )


_SEQ_TOML = """# sequencer node {name} (chaindomain domain init)
[node]
sequencer_id = "{member}"
data_dir = "state/{name}"

[domain]
domain_id = "{domain}"
genesis_file = "genesis.json"

[chain]
rpc_url = "{rpc}"
deployment = "inbox.json"
confirmations = {confirmations}

[chain.account]
{account}

[api]
host = "127.0.0.1"
port = {api}

[ops]
host = "127.0.0.1"
port = {ops}
"""

_DM_TOML = """# domain manager (chaindomain domain init)
[node]
member_id = "{member}"
data_dir = "state/dm"

[domain]
domain_id = "{domain}"
genesis_file = "genesis.json"
sequencers = [{endpoints}]

[keys]
namespace_keystore = "keys/domain-namespace.json"
signing_keystore = "keys/dm-signing.json"
encryption_keystore = "keys/dm-encryption.json"
password = {{ file = "secrets/keystore.pw" }}

[admin]
host = "127.0.0.1"
port = {api}
policy = "{policy}"
admin_users = ["admin"]

[admin.auth]
# Production: the identity provider's JWKS. Development: an HS256 secret file.
# jwks_url = "https://idp.example.com/.well-known/jwks.json"
allow_hs256_secret = {{ file = "secrets/dev-hs256" }}

[ops]
host = "127.0.0.1"
port = {ops}
"""

_MED_TOML = """# mediator template (chaindomain domain init); see docs/nodes.md
[node]
member_id = "{member}"
data_dir = "state/mediator1"

[domain]
domain_id = "{domain}"
genesis_file = "genesis.json"
sequencers = [{endpoints}]

[keys]
namespace_keystore = "keys/mediator1-namespace.json"
signing_keystore = "keys/mediator1-signing.json"
encryption_keystore = "keys/mediator1-encryption.json"
password = {{ file = "secrets/keystore.pw" }}
"""
