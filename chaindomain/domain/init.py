"""Making a domain in an empty directory: :func:`init_domain`.

``chaindomain domain init`` and ``chaindomain devnet up`` both call it. The steps, in
order (each a function below):

1. :func:`prepare_directory`: check the directory is empty, make ``keys/`` and
   ``secrets/`` (the keystore password and the admin API's development HS256 secret,
   both 0600);
2. :func:`make_identities`: the domain's key (its namespace is the domain's), the domain
   manager's and the mediator's keys, the sequencers' shared namespace key;
3. :func:`deploy_contract`: the ordering contract (``inbox.json``) and one writer account
   per sequencer (anvil's development keys 1..N on chain 31337, new keystores elsewhere,
   to be funded), each sequencer's keys with it;
4. :func:`write_domain_genesis`: the genesis topology (``genesis.json``);
5. the node configs (``configs.py``), if asked for;
6. ``domain.json`` (``record.py``) last, so a directory without it is an interrupted
   attempt.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from chaindomain.domain.configs import DomainPorts, write_domain_configs
from chaindomain.domain.errors import DeployerError, DomainDirectoryError
from chaindomain.domain.identities import Identity, member_transactions, new_identity
from chaindomain.domain.record import (
    MARKER,
    InitializedDomain,
    KeyFiles,
    SequencerFiles,
    key_files,
    write_record,
)
from chaindomain.private_files import write_private
from protocol.crypto import ScryptParams, SigningPrivateKey, save_keystore
from protocol.identifiers import (
    DomainId,
    MemberId,
    MemberKind,
    Namespace,
    make_domain_id,
    make_member_id,
)
from protocol.timestamp import Micros
from protocol.topology import (
    DomainParameters,
    Genesis,
    SequencerWriter,
    SignedTopologyTransaction,
    build_genesis,
    parse_chain_address,
    root_certificate,
    write_genesis,
)
from sequencer_chain.chain_keys import ANVIL_CHAIN_ID, create_keystore, dev_account, load_keystore
from sequencer_chain.contract import (
    DeploymentRecord,
    InboxContract,
    connect,
    deploy_inbox,
    domain_id_bytes,
    send_transaction,
)

Echo = Callable[[str], None]


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
class DomainIdentities:
    """The keys made in step 2, and their members' transactions for the genesis."""

    domain: DomainId
    domain_key: SigningPrivateKey
    domain_manager: KeyFiles
    mediator: KeyFiles
    sequencer_root: SigningPrivateKey
    members: tuple[SignedTopologyTransaction, ...]


@dataclass(frozen=True, slots=True)
class Deployment:
    """What step 3 made: the contract, the writers, each sequencer's files and its
    members' transactions for the genesis."""

    record: DeploymentRecord
    writers: tuple[SequencerWriter, ...]
    sequencers: tuple[SequencerFiles, ...]
    members: tuple[SignedTopologyTransaction, ...]


def check_empty(out: Path) -> Path:
    """``out`` as an absolute path, if it can hold a new domain."""
    if (out / MARKER).exists():
        raise DomainDirectoryError(out, f"already holds a domain ({MARKER}); refusing to overwrite")
    if out.exists() and any(out.iterdir()):
        raise DomainDirectoryError(out, "exists and is not empty")
    return out.resolve()


def prepare_directory(out: Path, password: str) -> Path:
    """Step 1: ``out`` (absolute) with ``keys/`` and ``secrets/``."""
    root = check_empty(out)
    (root / "keys").mkdir(parents=True)
    (root / "secrets").mkdir()
    write_private(root / "secrets" / "keystore.pw", password)
    write_private(root / "secrets" / "dev-hs256", secrets.token_urlsafe(48))
    return root


def _member(kind: MemberKind, name: str, root: SigningPrivateKey) -> MemberId:
    return make_member_id(kind, name, Namespace(root.fingerprint))


def _identity(
    files: KeyFiles, password: str, params: ScryptParams, root: SigningPrivateKey | None
) -> Identity:
    return new_identity((files.namespace, files.signing, files.encryption), password, params, root)


def make_identities(
    root: Path, password: str, options: DomainInitOptions, echo: Echo
) -> DomainIdentities:
    """Step 2: the domain's key and the keys of its domain manager and mediator, and the
    sequencers' namespace key. The genesis orders the members: the sequencers' root
    certificate, the mediator's transactions, the domain manager's."""
    keys, params = root / "keys", options.scrypt
    domain_key = SigningPrivateKey.generate()
    save_keystore(keys / "domain-namespace.json", domain_key, password, params)
    domain = make_domain_id(options.name, Namespace(domain_key.fingerprint))
    echo(f"domain {domain}")
    dm_files = key_files(keys, _member(MemberKind.DOMAIN_MANAGER, "dm", domain_key), "dm", "domain")
    dm = _identity(dm_files, password, params, domain_key)
    mediator_root = SigningPrivateKey.generate()
    med_files = key_files(
        keys, _member(MemberKind.MEDIATOR, "mediator1", mediator_root), "mediator1", "mediator1"
    )
    save_keystore(med_files.namespace, mediator_root, password, params)
    med = _identity(med_files, password, params, mediator_root)
    seq_root = SigningPrivateKey.generate()
    save_keystore(keys / "sequencers-namespace.json", seq_root, password, params)
    members: list[SignedTopologyTransaction] = [root_certificate(seq_root)]
    members += member_transactions(med_files.member, med.namespace, med.signing, med.encryption)
    members += member_transactions(
        dm_files.member, domain_key, dm.signing, dm.encryption, with_root=False
    )
    return DomainIdentities(domain, domain_key, dm_files, med_files, seq_root, tuple(members))


async def deploy_contract(
    root: Path,
    rpc_url: str,
    *,
    password: str,
    options: DomainInitOptions,
    identities: DomainIdentities,
    echo: Echo,
) -> Deployment:
    """Step 3: deploy the ordering contract and register one writer per sequencer,
    making each sequencer's keys."""
    w3 = await connect(rpc_url)
    try:
        chain_id = int(await w3.eth.chain_id)
        if options.deployer_keystore is not None:
            deployer = load_keystore(options.deployer_keystore, password, chain_id=chain_id)
        elif chain_id == ANVIL_CHAIN_ID:
            deployer = dev_account(0, chain_id)
        else:
            raise DeployerError(chain_id)
        domain = identities.domain
        record = await deploy_inbox(w3, deployer, domain_id_bytes(domain), domain_name=domain)
        record.save(root / "inbox.json")
        echo(f"deployed the ordering contract at {record.address} (chain {chain_id})")
        inbox = InboxContract(w3, record.address)
        writers: list[SequencerWriter] = []
        sequencers: list[SequencerFiles] = []
        members: list[SignedTopologyTransaction] = []
        for index in range(1, options.sequencers + 1):
            files, transactions = _sequencer(
                root,
                index,
                chain_id=chain_id,
                password=password,
                scrypt=options.scrypt,
                seq_root=identities.sequencer_root,
                echo=echo,
            )
            members += transactions
            data = inbox.calldata("addWriter", files.writer)
            await send_transaction(w3, deployer, to=record.address, data=data)
            member = files.keys.member
            writers.append(SequencerWriter(member, parse_chain_address(files.writer.lower())))
            sequencers.append(files)
            echo(f"  registered writer {files.writer} for {member}")
    finally:
        await w3.provider.disconnect()
    return Deployment(record, tuple(writers), tuple(sequencers), tuple(members))


def _sequencer(
    root: Path,
    index: int,
    *,
    chain_id: int,
    password: str,
    scrypt: ScryptParams,
    seq_root: SigningPrivateKey,
    echo: Echo,
) -> tuple[SequencerFiles, list[SignedTopologyTransaction]]:
    """Sequencer ``seq<index>``'s keys, its member transactions, and its writer account:
    anvil's development key ``index`` on anvil, a new keystore (to be funded) elsewhere."""
    keys, name = root / "keys", f"seq{index}"
    files = key_files(keys, _member(MemberKind.SEQUENCER, name, seq_root), name, "sequencers")
    seq = _identity(files, password, scrypt, seq_root)
    transactions = member_transactions(
        files.member, seq_root, seq.signing, seq.encryption, with_root=False
    )
    if chain_id == ANVIL_CHAIN_ID:
        account = dev_account(index, chain_id)
        return SequencerFiles(files, str(account.address), index, None), transactions
    chain_keystore = keys / f"{name}-chain.json"
    account = create_keystore(chain_keystore, password)
    echo(f"  {name}: fund chain account {account.address} before starting")
    return SequencerFiles(files, str(account.address), None, chain_keystore), transactions


def write_domain_genesis(
    root: Path, options: DomainInitOptions, identities: DomainIdentities, deployment: Deployment
) -> Genesis:
    """Step 4: the genesis topology with the domain's parameters."""
    parameters = DomainParameters(
        identities.domain,
        participant_response_timeout=Micros(30_000_000),
        mediator_reaction_timeout=Micros(30_000_000),
        ledger_time_record_time_tolerance=Micros(60_000_000),
        topology_change_delay=Micros(options.topology_change_delay_ms * 1000),
        max_request_size=119_000,
        confirmation_depth=options.confirmations,
    )
    genesis = build_genesis(
        identities.domain_key,
        options.name,
        sequencers=deployment.writers,
        mediators=[identities.mediator.member],
        parameters=parameters,
        member_transactions=identities.members + deployment.members,
    )
    write_genesis(root / "genesis.json", genesis)
    return genesis


async def init_domain(
    out: Path,
    rpc_url: str,
    password: str,
    options: DomainInitOptions = DomainInitOptions(),
    echo: Echo = print,
) -> InitializedDomain:
    """Create a domain in the empty directory ``out`` on the chain at ``rpc_url``.

    Every keystore is encrypted with ``password``, which is also written to
    ``secrets/keystore.pw``. The steps are in the module docstring.
    """
    root = prepare_directory(out, password)
    identities = make_identities(root, password, options, echo)
    deployment = await deploy_contract(
        root, rpc_url, password=password, options=options, identities=identities, echo=echo
    )
    genesis = write_domain_genesis(root, options, identities, deployment)
    echo(f"wrote genesis.json ({len(genesis.transactions)} transactions)")
    domain = InitializedDomain(
        root=root,
        domain_id=identities.domain,
        rpc_url=rpc_url,
        contract=deployment.record.address,
        domain_manager=identities.domain_manager,
        mediator=identities.mediator,
        sequencers=deployment.sequencers,
    )
    ports = DomainPorts(options.base_port)
    if options.write_configs:
        names = write_domain_configs(
            domain, ports=ports, policy=options.policy, confirmations=options.confirmations
        )
        echo(f"wrote {', '.join(names)}")
    write_record(
        domain,
        genesis_hash=genesis.hash().to_multihash(),
        sequencer_endpoints=ports.sequencer_endpoints(len(domain.sequencers)),
        domain_manager_endpoint=ports.domain_manager_endpoint,
    )
    echo(f"domain initialised in {out}")
    return domain
