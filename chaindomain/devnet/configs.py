"""Every devnet node's TOML config, rewritten at each ``up`` under ``<dir>/nodes/``.

Each is a working example of ``docs/configuration.md``: absolute paths into the state
directory, the ports recorded in ``network.json``, the keystore password read from the
domain's secret file (never written into a config). The devnet tunes for a local anvil
with immediate finality: ``confirmations = 0`` and short poll intervals.

Every node runs as in production: ``[tls]`` with its certificate from the devnet's CA
(``certs.py``), the CA trusted for every connection it opens, and the participants'
Ledger APIs checking JWTs from the devnet's IdP (``[ledger_api.auth]``, ``access.py``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from chaindomain.commands.domain import InitializedDomain, KeyFiles
from chaindomain.devnet.access import TOKEN_TTL_S, IdpClient
from chaindomain.devnet.certs import NodeCertificate


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


def q(value: object) -> str:
    """A TOML basic string (JSON's escaping is a subset of TOML's)."""
    return json.dumps(str(value))


def _endpoints(endpoints: Sequence[str]) -> str:
    return "[" + ", ".join(q(e) for e in endpoints) + "]"


def _account(domain: InitializedDomain, index: int) -> str:
    seq = domain.sequencers[index - 1]
    if seq.dev_key_index is not None:
        return f"dev_key_index = {seq.dev_key_index}"
    return f"keystore = {q(seq.chain_keystore)}\npassword = {{ file = {q(domain.password_file)} }}"


def _keys(keys: KeyFiles, domain: InitializedDomain, *, signing_name: str) -> str:
    return f"""[keys]
namespace_keystore = {q(keys.namespace)}
{signing_name} = {q(keys.signing)}
encryption_keystore = {q(keys.encryption)}
password = {{ file = {q(domain.password_file)} }}"""


def _ops(port: int) -> str:
    return f"""[ops]
host = "127.0.0.1"
port = {port}
"""


def _tls(cert: NodeCertificate) -> str:
    return f"""[tls]
cert_file = {q(cert.cert_file)}
key_file = {q(cert.key_file)}
ca_file = {q(cert.ca_file)}
"""


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

{_tls(cert)}{entries}"""


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
    keys = domain.sequencers[index - 1].keys
    return f"""{HEADER}[node]
sequencer_id = {q(keys.member)}
data_dir = {q(layout.data(name).resolve())}

[domain]
domain_id = {q(domain.domain_id)}
genesis_file = {q(domain.genesis)}

[chain]
rpc_url = {q(rpc_url)}
deployment = {q(domain.deployment)}
confirmations = 0
poll_interval_s = 0.1
linger_s = 0.02

[chain.account]
{_account(domain, index)}

[api]
host = "127.0.0.1"
port = {ports[name]}

{_ops(ports[name + ".ops"])}
{_tls(cert)}"""


def dm_toml(
    layout: Layout,
    domain: InitializedDomain,
    sequencers: Sequence[str],
    ports: dict[str, int],
    cert: NodeCertificate,
) -> str:
    return f"""{HEADER}[node]
member_id = {q(domain.domain_manager.member)}
data_dir = {q(layout.data("dm").resolve())}

[domain]
domain_id = {q(domain.domain_id)}
genesis_file = {q(domain.genesis)}
sequencers = {_endpoints(sequencers)}

{_keys(domain.domain_manager, domain, signing_name="signing_keystore")}

[admin]
host = "127.0.0.1"
port = {ports["dm"]}
policy = "open"
admin_users = ["admin"]

[admin.auth]
allow_hs256_secret = {{ file = {q(domain.admin_secret_file)} }}

{_ops(ports["dm.ops"])}
{_tls(cert)}"""


def mediator_toml(
    layout: Layout,
    domain: InitializedDomain,
    sequencers: Sequence[str],
    ports: dict[str, int],
    cert: NodeCertificate,
) -> str:
    """The genesis mediator: in the genesis topology, so no ``[onboarding]``."""
    return f"""{HEADER}[node]
member_id = {q(domain.mediator.member)}
data_dir = {q(layout.data("mediator").resolve())}

[domain]
domain_id = {q(domain.domain_id)}
genesis_file = {q(domain.genesis)}
sequencers = {_endpoints(sequencers)}

{_keys(domain.mediator, domain, signing_name="signing_keystore")}

[mediator]
time_proof_idle_s = 0.5

{_ops(ports["mediator.ops"])}
{_tls(cert)}"""


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
    return f"""{HEADER}[node]
participant_id = {q(keys.member)}
name = {q(name)}
data_dir = {q(layout.data(name).resolve())}

{_keys(keys, domain, signing_name="signing_keystore")}

[domain]
domain_id = {q(domain.domain_id)}
genesis_file = {q(domain.genesis)}
sequencers = {_endpoints(sequencers)}

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

{_ops(ports[name + ".ops"])}
{_tls(cert)}"""
