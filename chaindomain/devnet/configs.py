"""Every devnet node's TOML config, rewritten at each ``up`` under ``<dir>/nodes/``.

The domain's own nodes (sequencers, domain manager, mediator) use the templates that
``chaindomain domain init`` uses (``chaindomain.domain.configs``); the identity provider
and the participants are the devnet's alone.

Each is a working example of ``docs/configuration.md``: absolute paths into the state
directory, the ports recorded in ``network.json``, the keystore password read from the
domain's secret file (never written into a config). The devnet tunes for a local anvil
with immediate finality: ``confirmations = 0`` and short poll intervals.

Every node runs as in production: ``[tls]`` with its certificate from the devnet's CA
(``certs.py``), the CA trusted for every connection it opens, and the participants'
Ledger APIs checking JWTs from the devnet's IdP (``[ledger_api.auth]``, ``access.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from chaindomain.devnet.access import TOKEN_TTL_S, IdpClient
from chaindomain.devnet.certs import NodeCertificate
from chaindomain.domain import InitializedDomain, KeyFiles
from chaindomain.domain import configs as node
from chaindomain.domain.configs import (
    Naming,
    domain_section,
    keys_section,
    ops_section,
    q,
    tls_section,
)


@dataclass(frozen=True, slots=True)
class Layout:
    """Where everything lives in a state directory (``docs/devnet.md`` §4)."""

    root: Path
    """Made absolute: the configs name files by absolute paths (a relative one would be
    read relative to the config file's directory)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", self.root.resolve())

    @property
    def network(self) -> Path:
        return self.root / "network.json"

    @property
    def anvil_state(self) -> Path:
        return self.root / "anvil-state.json"

    @property
    def domain(self) -> Path:
        return self.root / "domain"

    @property
    def participants(self) -> Path:
        """The participants' identities (``participants/<name>/``)."""
        return self.root / "participants"

    @property
    def tls(self) -> Path:
        """The devnet's CA and the nodes' certificates (``certs.py``)."""
        return self.root / "tls"

    @property
    def idp(self) -> Path:
        """The IdP's signing keys (``keys/``) and its clients' secrets (``secrets/``)."""
        return self.root / "idp"

    @property
    def idp_secrets(self) -> Path:
        return self.idp / "secrets"

    def config(self, name: str) -> Path:
        return self.root / "nodes" / f"{name}.toml"

    def data(self, name: str) -> Path:
        return self.root / "data" / name

    def log(self, name: str) -> Path:
        return self.root / "logs" / f"{name}.log"


HEADER = "# written by `chaindomain devnet up`; rewritten at every start\n"


def idp_toml(layout: Layout, clients: Sequence[IdpClient], port: int, cert: NodeCertificate) -> str:
    """The development IdP: HTTPS, keys kept in ``idp/keys``, one client per admin and
    per organisation (``access.py``)."""
    entries = "".join(
        f"""
[[clients]]
client_id = {q(c.client_id)}
client_secret = {{ file = {q(layout.idp_secrets / (c.client_id + ".secret"))} }}
format = "audience"
user_id = {q(c.user_id)}
participant_id = {q(c.participant_id)}
"""
        for c in clients
    )
    return f"""{HEADER}host = "127.0.0.1"
port = {port}
state_dir = {q(layout.idp / "keys")}
token_ttl_seconds = {TOKEN_TTL_S}

{tls_section(cert)}
{entries}"""


def sequencer_toml(
    layout: Layout,
    domain: InitializedDomain,
    index: int,
    rpc_url: str,
    ports: dict[str, int],
    *,
    cert: NodeCertificate,
) -> str:
    name = f"seq{index}"
    return node.sequencer_toml(
        Naming(domain),
        index,
        header=HEADER,
        data_dir=layout.data(name),
        rpc_url=rpc_url,
        api_port=ports[name],
        ops_port=ports[name + ".ops"],
        chain={"confirmations": 0, "poll_interval_s": 0.1, "linger_s": 0.02},
        tls=cert,
    )


def dm_toml(
    layout: Layout,
    domain: InitializedDomain,
    sequencers: Sequence[str],
    ports: dict[str, int],
    cert: NodeCertificate,
) -> str:
    return node.dm_toml(
        Naming(domain),
        header=HEADER,
        data_dir=layout.data("dm"),
        sequencers=sequencers,
        policy="open",
        admin_port=ports["dm"],
        ops_port=ports["dm.ops"],
        tls=cert,
    )


def mediator_toml(
    layout: Layout,
    domain: InitializedDomain,
    sequencers: Sequence[str],
    ports: dict[str, int],
    cert: NodeCertificate,
) -> str:
    """The genesis mediator: in the genesis topology, so no ``[onboarding]``."""
    return node.mediator_toml(
        Naming(domain),
        header=HEADER,
        data_dir=layout.data("mediator"),
        sequencers=sequencers,
        mediator={"time_proof_idle_s": 0.5},
        ops_port=ports["mediator.ops"],
        tls=cert,
    )


def participant_toml(
    layout: Layout,
    domain: InitializedDomain,
    name: str,
    keys: KeyFiles,
    *,
    sequencers: Sequence[str],
    ports: dict[str, int],
    cert: NodeCertificate,
) -> str:
    """A participant onboarded through the domain manager at its first start; its
    packages are uploaded through its Ledger API (``[packages]`` loads none itself),
    which checks tokens of the devnet's IdP."""
    naming = Naming(domain)
    return f"""{HEADER}[node]
participant_id = {q(keys.member)}
name = {q(name)}
data_dir = {naming.path(layout.data(name))}

{keys_section(keys, naming)}

{domain_section(naming, sequencers)}

[domain_manager]
endpoint = "127.0.0.1:{ports["dm"]}"
onboarding_timeout_s = 120.0

[ledger_api]
host = "127.0.0.1"
port = {ports[name]}

[ledger_api.auth]
jwks_url = "https://127.0.0.1:{ports["idp"]}/jwks"

[protocol]
time_proof_idle_s = 0.5

[packages]
examples = []

{ops_section(ports[name + ".ops"])}

{tls_section(cert)}
"""
