"""The devnet's domain: its identities, keystores and genesis, made once per state directory.

Run on the first ``devnet up`` and never again (the files are the domain: a second run
would make another domain and orphan the ledger). What is made, under ``<dir>/domain/``:

| file | content |
|---|---|
| ``genesis.json`` | the genesis topology: root certificate, sequencers with their writer |
|  | accounts (anvil keys 1 and 2), mediator, domain manager, parameters |
| ``keys/<member>-{namespace,signing,encryption}.json`` | encrypted keystores of each domain node |
| ``secrets/keystore.pw`` | their password (random, mode 0600) |
| ``secrets/admin-hs256`` | the development HS256 secret of the DM admin API (dev only) |
| ``domain.json`` | the ids: domain, sequencers, mediator, domain manager |

Keys are fresh random keys; only the chain accounts are anvil's well-known ones (refused
on any chain but 31337). ``chaindomain domain init`` is the operator's way to do the same
with a real network's keys; see docs/operations.md.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from protocol.crypto import EncryptionPrivateKey, ScryptParams, SigningPrivateKey, save_keystore
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
    OwnerToKeyMapping,
    SequencerWriter,
    SignedTopologyTransaction,
    add_mapping,
    build_genesis,
    parse_chain_address,
    root_certificate,
    write_genesis,
)
from sequencer_chain.chain_keys import dev_account

DEVNET_SCRYPT = ScryptParams(n=2**14)
"""Cheaper than the default so that every node start stays fast; devnet keys only."""
ANVIL_CHAIN_ID = 31337


@dataclass(frozen=True, slots=True)
class NodeKeys:
    member: MemberId
    namespace: Path
    signing: Path
    encryption: Path


@dataclass(frozen=True, slots=True)
class DevnetDomain:
    """The ids and key files of the devnet's domain."""

    root: Path
    domain_id: DomainId
    sequencers: tuple[NodeKeys, ...]
    mediator: NodeKeys
    domain_manager: NodeKeys
    writer_key_indices: tuple[int, ...]

    @property
    def genesis(self) -> Path:
        return self.root / "genesis.json"

    @property
    def password_file(self) -> Path:
        return self.root / "secrets" / "keystore.pw"

    @property
    def admin_secret_file(self) -> Path:
        return self.root / "secrets" / "admin-hs256"


@dataclass(frozen=True, slots=True)
class _Identity:
    member: MemberId
    namespace_key: SigningPrivateKey
    signing_key: SigningPrivateKey
    encryption_key: EncryptionPrivateKey

    def onboarding(self, with_root: bool) -> list[SignedTopologyTransaction]:
        mapping = OwnerToKeyMapping(
            self.member, self.signing_key.public_key, self.encryption_key.public_key
        )
        signers = {self.namespace_key.fingerprint: self.namespace_key}
        signers[self.signing_key.fingerprint] = self.signing_key
        txs = [root_certificate(self.namespace_key)] if with_root else []
        return [*txs, add_mapping(mapping, signers.values())]


def _identity(kind: MemberKind, name: str, namespace_key: SigningPrivateKey) -> _Identity:
    member = make_member_id(kind, name, Namespace(namespace_key.fingerprint))
    return _Identity(
        member, namespace_key, SigningPrivateKey.generate(), EncryptionPrivateKey.generate()
    )


def _save(identity: _Identity, keys_dir: Path, password: str) -> NodeKeys:
    name = identity.member.split("::")[1]
    paths = NodeKeys(
        identity.member,
        keys_dir / f"{name}-namespace.json",
        keys_dir / f"{name}-signing.json",
        keys_dir / f"{name}-encryption.json",
    )
    save_keystore(paths.namespace, identity.namespace_key, password, DEVNET_SCRYPT)
    save_keystore(paths.signing, identity.signing_key, password, DEVNET_SCRYPT)
    save_keystore(paths.encryption, identity.encryption_key, password, DEVNET_SCRYPT)
    return paths


def _write_secret(path: Path, value: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(value)


def create_domain(
    root: Path, name: str = "devnet", writer_key_indices: tuple[int, ...] = (1, 2)
) -> DevnetDomain:
    """Make the domain's keys and genesis under ``root``.

    ``domain.json`` is written last: a ``root`` without it is an interrupted earlier attempt
    (no node has used it yet) and is replaced.
    """
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    password = secrets.token_urlsafe(24)
    _write_secret(root / "secrets" / "keystore.pw", password)
    _write_secret(root / "secrets" / "admin-hs256", secrets.token_urlsafe(32))
    domain_key = SigningPrivateKey.generate()
    domain_id = make_domain_id(name, Namespace(domain_key.fingerprint))
    dm = _identity(MemberKind.DOMAIN_MANAGER, "dm", domain_key)
    mediator = _identity(MemberKind.MEDIATOR, "mediator1", SigningPrivateKey.generate())
    seq_ns = SigningPrivateKey.generate()
    seqs = [
        _identity(MemberKind.SEQUENCER, f"seq{i}", seq_ns)
        for i in range(1, len(writer_key_indices) + 1)
    ]
    members: list[SignedTopologyTransaction] = [root_certificate(seq_ns)]
    for seq in seqs:
        members += seq.onboarding(with_root=False)
    members += mediator.onboarding(with_root=True)
    members += dm.onboarding(with_root=False)
    parameters = DomainParameters(
        domain_id,
        participant_response_timeout=Micros(30_000_000),
        mediator_reaction_timeout=Micros(30_000_000),
        ledger_time_record_time_tolerance=Micros(60_000_000),
        topology_change_delay=Micros(0),
        max_request_size=119_000,
        confirmation_depth=0,
    )
    writers = [
        SequencerWriter(
            s.member, parse_chain_address(dev_account(k, ANVIL_CHAIN_ID).address.lower())
        )
        for s, k in zip(seqs, writer_key_indices, strict=True)
    ]
    genesis = build_genesis(
        domain_key,
        name,
        sequencers=writers,
        mediators=[mediator.member],
        parameters=parameters,
        member_transactions=members,
    )
    write_genesis(root / "genesis.json", genesis)
    keys_dir = root / "keys"
    keys_dir.mkdir()
    domain = DevnetDomain(
        root=root,
        domain_id=domain_id,
        sequencers=tuple(_save(s, keys_dir, password) for s in seqs),
        mediator=_save(mediator, keys_dir, password),
        domain_manager=_save(dm, keys_dir, password),
        writer_key_indices=writer_key_indices,
    )
    (root / "domain.json").write_text(json.dumps(_to_json(domain), indent=2) + "\n")
    return domain


def _keys_json(k: NodeKeys) -> dict[str, str]:
    return {
        "member": k.member,
        "namespace": str(k.namespace),
        "signing": str(k.signing),
        "encryption": str(k.encryption),
    }


def _keys_from(d: dict[str, str]) -> NodeKeys:
    return NodeKeys(
        MemberId(d["member"]), Path(d["namespace"]), Path(d["signing"]), Path(d["encryption"])
    )


def _to_json(domain: DevnetDomain) -> dict[str, object]:
    return {
        "domain_id": domain.domain_id,
        "sequencers": [_keys_json(k) for k in domain.sequencers],
        "mediator": _keys_json(domain.mediator),
        "domain_manager": _keys_json(domain.domain_manager),
        "writer_key_indices": list(domain.writer_key_indices),
    }


def load_domain(root: Path) -> DevnetDomain | None:
    """The domain made earlier under ``root``, or ``None`` if there is none."""
    path = root / "domain.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    return DevnetDomain(
        root=root,
        domain_id=DomainId(data["domain_id"]),
        sequencers=tuple(_keys_from(k) for k in data["sequencers"]),
        mediator=_keys_from(data["mediator"]),
        domain_manager=_keys_from(data["domain_manager"]),
        writer_key_indices=tuple(data["writer_key_indices"]),
    )
