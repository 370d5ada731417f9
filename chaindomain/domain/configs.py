"""The TOML configs of a domain's own nodes: sequencers, domain manager, mediator.

One template per node, shared by the two writers: ``chaindomain domain init`` writes the
configs into the domain directory, naming the domain's files relative to it (the
directory can be moved) with the ports of :class:`DomainPorts`; ``devnet up`` writes them
under its state directory with absolute paths, its recorded ports, a ``[tls]`` section
and values tuned for anvil. ``docs/configuration.md`` is the reference of every key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from chaindomain.domain.record import InitializedDomain, KeyFiles

LOCALHOST = "127.0.0.1"


def q(value: object) -> str:
    """A TOML basic string (JSON's escaping is a subset of TOML's)."""
    return json.dumps(str(value))


class TlsFiles(Protocol):
    """A node's certificate, its key, and the CA it trusts (``[tls]``)."""

    @property
    def cert_file(self) -> Path: ...
    @property
    def key_file(self) -> Path: ...
    @property
    def ca_file(self) -> Path: ...


@dataclass(frozen=True, slots=True)
class Naming:
    """How a config names the domain's files."""

    domain: InitializedDomain
    relative_to: Path | None = None
    """The directory the config is written to, to name files relative to it; ``None``:
    absolute paths."""

    def path(self, path: Path) -> str:
        if self.relative_to is not None:
            return q(path.relative_to(self.relative_to))
        return q(path)


def endpoints(addresses: Sequence[str]) -> str:
    """A TOML array of ``host:port`` strings."""
    return "[" + ", ".join(q(a) for a in addresses) + "]"


def ops_section(port: int) -> str:
    return f'[ops]\nhost = "{LOCALHOST}"\nport = {port}'


def tls_section(tls: TlsFiles) -> str:
    return (
        f"[tls]\ncert_file = {q(tls.cert_file)}\nkey_file = {q(tls.key_file)}\n"
        f"ca_file = {q(tls.ca_file)}"
    )


def keys_section(keys: KeyFiles, naming: Naming) -> str:
    return (
        f"[keys]\nnamespace_keystore = {naming.path(keys.namespace)}\n"
        f"signing_keystore = {naming.path(keys.signing)}\n"
        f"encryption_keystore = {naming.path(keys.encryption)}\n"
        f"password = {{ file = {naming.path(naming.domain.password_file)} }}"
    )


def domain_section(naming: Naming, sequencers: Sequence[str] | None) -> str:
    lines = [
        f"domain_id = {q(naming.domain.domain_id)}",
        f"genesis_file = {naming.path(naming.domain.genesis)}",
    ]
    if sequencers is not None:
        lines.append(f"sequencers = {endpoints(sequencers)}")
    return "[domain]\n" + "\n".join(lines)


def _account_section(naming: Naming, index: int) -> str:
    seq = naming.domain.sequencers[index - 1]
    if seq.dev_key_index is not None:
        return f"[chain.account]\ndev_key_index = {seq.dev_key_index}"
    if seq.chain_keystore is None:
        raise ValueError(f"sequencer {index} has neither a dev key nor a chain keystore")
    password = naming.path(naming.domain.password_file)
    return (
        f"[chain.account]\nkeystore = {naming.path(seq.chain_keystore)}\n"
        f"password = {{ file = {password} }}"
    )


def _values(values: Mapping[str, float | int]) -> list[str]:
    return [f"{key} = {value}" for key, value in values.items()]


def _config(header: str, sections: Sequence[str]) -> str:
    return header + "\n\n".join(sections) + "\n"


def sequencer_toml(
    naming: Naming,
    index: int,
    *,
    header: str,
    data_dir: Path,
    rpc_url: str,
    api_port: int,
    ops_port: int,
    chain: Mapping[str, float | int],
    tls: TlsFiles | None = None,
) -> str:
    """Sequencer ``seq<index>`` (1-based); ``chain``: ``confirmations`` and any tuning
    of the ``[chain]`` section."""
    domain = naming.domain
    sections = [
        f"[node]\nsequencer_id = {q(domain.sequencers[index - 1].keys.member)}\n"
        f"data_dir = {naming.path(data_dir)}",
        domain_section(naming, None),
        "\n".join(
            [
                "[chain]",
                f"rpc_url = {q(rpc_url)}",
                f"deployment = {naming.path(domain.deployment)}",
                *_values(chain),
            ]
        ),
        _account_section(naming, index),
        f'[api]\nhost = "{LOCALHOST}"\nport = {api_port}',
        ops_section(ops_port),
        *([tls_section(tls)] if tls is not None else []),
    ]
    return _config(header, sections)


def dm_toml(
    naming: Naming,
    *,
    header: str,
    data_dir: Path,
    sequencers: Sequence[str],
    policy: str,
    admin_port: int,
    ops_port: int,
    tls: TlsFiles | None = None,
) -> str:
    """The domain manager; its admin API takes the domain's development HS256 secret."""
    domain = naming.domain
    sections = [
        f"[node]\nmember_id = {q(domain.domain_manager.member)}\n"
        f"data_dir = {naming.path(data_dir)}",
        domain_section(naming, sequencers),
        keys_section(domain.domain_manager, naming),
        f'[admin]\nhost = "{LOCALHOST}"\nport = {admin_port}\npolicy = {q(policy)}\n'
        'admin_users = ["admin"]',
        "[admin.auth]\n"
        "# Production: the identity provider's JWKS. Development: an HS256 secret file.\n"
        '# jwks_url = "https://idp.example.com/.well-known/jwks.json"\n'
        f"allow_hs256_secret = {{ file = {naming.path(domain.admin_secret_file)} }}",
        ops_section(ops_port),
        *([tls_section(tls)] if tls is not None else []),
    ]
    return _config(header, sections)


def mediator_toml(
    naming: Naming,
    *,
    header: str,
    data_dir: Path,
    sequencers: Sequence[str],
    mediator: Mapping[str, float | int] | None = None,
    ops_port: int | None = None,
    tls: TlsFiles | None = None,
) -> str:
    """The genesis mediator: in the genesis topology, so no ``[onboarding]``;
    ``mediator``: a ``[mediator]`` section's values."""
    domain = naming.domain
    sections = [
        f"[node]\nmember_id = {q(domain.mediator.member)}\ndata_dir = {naming.path(data_dir)}",
        domain_section(naming, sequencers),
        keys_section(domain.mediator, naming),
        *(["\n".join(["[mediator]", *_values(mediator)])] if mediator else []),
        *([ops_section(ops_port)] if ops_port is not None else []),
        *([tls_section(tls)] if tls is not None else []),
    ]
    return _config(header, sections)


@dataclass(frozen=True, slots=True)
class DomainPorts:
    """The ports of the configs ``domain init`` writes: sequencer *i* (0-based) serves
    at ``base + 10·i`` (ops one above), the domain manager at ``base + 100`` (ops + 101)."""

    base: int

    def sequencer(self, index: int) -> int:
        return self.base + 10 * index

    @property
    def domain_manager(self) -> int:
        return self.base + 100

    def sequencer_endpoints(self, count: int) -> list[str]:
        return [f"{LOCALHOST}:{self.sequencer(i)}" for i in range(count)]

    @property
    def domain_manager_endpoint(self) -> str:
        return f"{LOCALHOST}:{self.domain_manager}"


def write_domain_configs(
    domain: InitializedDomain, *, ports: DomainPorts, policy: str, confirmations: int
) -> list[str]:
    """Write ``seq<i>.toml``, ``dm.toml`` and ``mediator1.toml`` into the domain
    directory (data under ``state/<node>``); returns the files' names."""
    root = domain.root
    naming = Naming(domain, relative_to=root)
    sequencers = ports.sequencer_endpoints(len(domain.sequencers))
    names: list[str] = []
    for index in range(1, len(domain.sequencers) + 1):
        name = f"seq{index}"
        api = ports.sequencer(index - 1)
        text = sequencer_toml(
            naming,
            index,
            header=f"# sequencer node {name} (chaindomain domain init)\n",
            data_dir=root / "state" / name,
            rpc_url=domain.rpc_url,
            api_port=api,
            ops_port=api + 1,
            chain={"confirmations": confirmations},
        )
        (root / f"{name}.toml").write_text(text)
        names.append(f"{name}.toml")
    (root / "dm.toml").write_text(
        dm_toml(
            naming,
            header="# domain manager (chaindomain domain init)\n",
            data_dir=root / "state" / "dm",
            sequencers=sequencers,
            policy=policy,
            admin_port=ports.domain_manager,
            ops_port=ports.domain_manager + 1,
        )
    )
    (root / "mediator1.toml").write_text(
        mediator_toml(
            naming,
            header="# mediator template (chaindomain domain init); see docs/nodes.md\n",
            data_dir=root / "state" / "mediator1",
            sequencers=sequencers,
        )
    )
    return [*names, "dm.toml", "mediator1.toml"]
