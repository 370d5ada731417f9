"""A domain directory's files and its record, ``domain.json``.

:func:`chaindomain.domain.init.init_domain` writes ``domain.json`` last, so a directory
without it is an interrupted attempt. The record names every key file relative to the
directory (the directory can be moved); :func:`load_domain` reads it back as an
:class:`InitializedDomain` with absolute paths.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chaindomain.domain.errors import DomainRecordError
from protocol.errors import ProtocolError
from protocol.identifiers import DomainId, MemberId, parse_domain_id, parse_member_id

MARKER = "domain.json"
"""The record; its presence is what makes a directory a domain."""


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
    """A domain made by ``init_domain``, as recorded in its ``domain.json``."""

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


def key_files(keys: Path, member: MemberId, name: str, namespace: str) -> KeyFiles:
    """A node's keystores in ``keys/`` as ``init_domain`` names them: ``<namespace>-namespace``
    (shared by the nodes of one namespace), ``<name>-signing``, ``<name>-encryption``."""
    return KeyFiles(
        member,
        keys / f"{namespace}-namespace.json",
        keys / f"{name}-signing.json",
        keys / f"{name}-encryption.json",
    )


def write_record(
    domain: InitializedDomain,
    *,
    genesis_hash: str,
    sequencer_endpoints: list[str],
    domain_manager_endpoint: str,
) -> Path:
    """Write ``domain.json``: the ids, the endpoints of the written configs, the files."""
    record = {
        "domain": domain.domain_id,
        "genesis_hash": genesis_hash,
        "domain_manager": domain.domain_manager.member,
        "mediators": [domain.mediator.member],
        "sequencers": [s.keys.member for s in domain.sequencers],
        "sequencer_endpoints": sequencer_endpoints,
        "domain_manager_endpoint": domain_manager_endpoint,
        "rpc_url": domain.rpc_url,
        "contract": domain.contract,
        "files": _files_json(domain),
    }
    path = domain.root / MARKER
    path.write_text(json.dumps(record, indent=2) + "\n")
    return path


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
    """The domain ``init_domain`` made in ``out``, or ``None`` if ``out`` holds none
    (no ``domain.json``); :class:`DomainRecordError` for a ``domain.json`` it cannot read."""
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
        raise DomainRecordError(path, str(exc)) from None
