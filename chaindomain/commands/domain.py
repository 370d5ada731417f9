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
import sys
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

from chaindomain.domain import DomainError, DomainInitOptions, init_domain, member_transactions
from chaindomain.domain.init import check_empty
from node_runtime.member.dm_client import (
    DomainManagerClient,
    DomainManagerRefusedError,
    DomainManagerUnavailableError,
    OnboardingKind,
)
from protocol.crypto import ScryptParams, load_encryption_key, load_signing_key
from protocol.errors import ProtocolError
from protocol.identifiers import (
    MemberKind,
    Namespace,
    make_member_id,
    parse_member_id,
    parse_party_id,
)
from protocol.tls import ClientTls
from protocol.topology import (
    HostingParticipant,
    Operation,
    ParticipantPermission,
    PartyToParticipant,
    Serial,
    TopologyTransaction,
    VettedPackages,
    add_mapping,
    parse_package_id,
    sign_transaction,
)
from sequencer_chain.anvil import AnvilConfig, ManagedAnvil
from sequencer_chain.chain_keys import read_password
from sequencer_chain.errors import SequencerChainError

EXIT_REFUSED, EXIT_USAGE, EXIT_UNAVAILABLE = 1, 2, 3
PERMISSIONS = {p.name.lower(): p for p in ParticipantPermission}


class DomainCommandError(Exception):
    """Bad input to a ``domain`` command."""


def register(groups: Any) -> None:
    parser = groups.add_parser("domain", help="bootstrap a domain; onboarding and admin calls")
    commands = parser.add_subparsers(dest="command", required=True, metavar="ACTION")
    _register_init(commands)
    _register_onboarding(commands)
    _register_topology(commands)


def _register_init(commands: Any) -> None:
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


def _register_onboarding(commands: Any) -> None:
    """Members ask to join; admins list, approve, reject and revoke."""
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


def _register_topology(commands: Any) -> None:
    """Domain parameters, party hosting, package vetting."""
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
        except (
            DomainCommandError,
            DomainError,
            ProtocolError,
            SequencerChainError,
            OSError,
        ) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE

    return run


def _password(args: argparse.Namespace) -> str:
    return read_password(args.password_file, args.password_env)


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


async def _admin_call(
    args: argparse.Namespace, call: Callable[[DomainManagerClient], Awaitable[Any]]
) -> int:
    """One admin call with the admin token; its result (one row or a list) printed."""
    async with DomainManagerClient(args.dm, token=_token(args), tls=_tls(args)) as client:
        result = await call(client)
    rows = [_fields(r) for r in result] if isinstance(result, list | tuple) else _fields(result)
    _print(args, rows)
    return 0


async def _approve(args: argparse.Namespace) -> int:
    return await _admin_call(args, lambda c: c.approve(args.request_id, args.reason))


async def _reject(args: argparse.Namespace) -> int:
    return await _admin_call(args, lambda c: c.reject(args.request_id, args.reason))


async def _pending(args: argparse.Namespace) -> int:
    return await _admin_call(args, lambda c: c.pending_requests())


async def _members(args: argparse.Namespace) -> int:
    return await _admin_call(args, lambda c: c.members(args.at))


async def _revoke(args: argparse.Namespace) -> int:
    return await _admin_call(args, lambda c: c.revoke_participant(args.participant, args.reason))


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
    return await _admin_call(args, lambda c: c.set_domain_parameters(changes))


# -- init ------------------------------------------------------------------------------------


async def _init(args: argparse.Namespace) -> int:
    out: Path = args.dir
    check_empty(out)
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
