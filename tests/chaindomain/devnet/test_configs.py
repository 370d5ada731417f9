"""Every config the devnet writes loads through its node's own config model (the same
validation the node runs at start), with the values the devnet means; the organisations'
parties and their state-file form. No chain: the domain record is made up."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auth.dev_idp.config import IdpConfig
from chaindomain.devnet.access import idp_clients
from chaindomain.devnet.certs import DevnetCa
from chaindomain.devnet.configs import (
    Layout,
    dm_toml,
    idp_toml,
    mediator_toml,
    participant_toml,
    sequencer_toml,
)
from chaindomain.devnet.network import load_ports
from chaindomain.devnet.participants import (
    Organisation,
    organisation,
    organisation_parties,
    participant_identity,
)
from chaindomain.domain import InitializedDomain, KeyFiles, SequencerFiles
from domain_manager.config import load_dm_config
from mediator.config import load_mediator_config
from node_runtime.config import load_config
from participant.node.config import load_participant_config
from protocol.crypto import ScryptParams, load_signing_key
from protocol.identifiers import MemberId
from sequencer_chain.config import load_node_config

NS = "1220" + "ab" * 32
DOMAIN = f"devnet::{NS}"


def keys(root: Path, name: str, kind: str) -> KeyFiles:
    return KeyFiles(
        MemberId(f"{kind}::{name}::{NS}"),
        root / "keys" / f"{name}-namespace.json",
        root / "keys" / f"{name}-signing.json",
        root / "keys" / f"{name}-encryption.json",
    )


@pytest.fixture
def domain(tmp_path: Path) -> InitializedDomain:
    root = tmp_path / "devnet" / "domain"
    (root / "secrets").mkdir(parents=True)
    (root / "secrets" / "keystore.pw").write_text("pw\n")
    return InitializedDomain(
        root=root,
        domain_id=DOMAIN,  # type: ignore[arg-type]
        rpc_url="http://127.0.0.1:8545",
        contract="0x" + "11" * 20,
        domain_manager=keys(root, "dm", "DOM"),
        mediator=keys(root, "mediator1", "MED"),
        sequencers=tuple(
            SequencerFiles(keys(root, f"seq{i}", "SEQ"), "0x" + f"{i}" * 40, i, None)
            for i in (1, 2)
        ),
    )


PORTS = {
    "seq1": 4001, "seq1.ops": 4002, "seq2": 4011, "seq2.ops": 4012, "dm": 4101,
    "dm.ops": 4102, "mediator.ops": 4202, "participant1": 5001, "participant1.ops": 5002,
    "idp": 4301,
}  # fmt: skip
SEQUENCERS = ["127.0.0.1:4001", "127.0.0.1:4011"]


def write(layout: Layout, name: str, text: str) -> Path:
    path = layout.config(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_every_node_config_loads_through_its_model(
    tmp_path: Path, domain: InitializedDomain
) -> None:
    layout = Layout(tmp_path / "devnet")
    ca = DevnetCa(layout.tls)
    for index in (1, 2):
        name = f"seq{index}"
        text = sequencer_toml(layout, domain, index, "http://x:1", PORTS, cert=ca.node(name))
        seq = load_node_config(write(layout, name, text))
        assert seq.tls.cert_file == layout.tls / f"{name}.crt"
        assert seq.tls.ca_file == layout.tls / "ca.crt"
        assert seq.chain.confirmations == 0
        assert seq.chain.account.dev_key_index == index
        assert seq.api.port == PORTS[f"seq{index}"]
        assert str(seq.node.data_dir).endswith(f"data/seq{index}")
    dm = load_dm_config(
        write(layout, "dm", dm_toml(layout, domain, SEQUENCERS, PORTS, ca.node("dm")))
    )
    assert dm.tls.enabled
    assert dm.admin.policy == "open" and dm.domain.sequencers == SEQUENCERS
    assert dm.keys.password.resolve(dm.base_dir) == "pw"
    med_cert = ca.node("mediator")
    mediator = load_mediator_config(
        write(layout, "mediator", mediator_toml(layout, domain, SEQUENCERS, PORTS, med_cert))
    )
    assert mediator.tls.enabled
    assert mediator.node.member_id == domain.mediator.member
    assert mediator.ops.port == PORTS["mediator.ops"]
    p1 = keys(tmp_path, "participant1", "PAR")
    participant = load_participant_config(
        write(
            layout,
            "participant1",
            participant_toml(
                layout,
                domain,
                "participant1",
                p1,
                sequencers=SEQUENCERS,
                ports=PORTS,
                cert=ca.node("participant1"),
            ),
        )
    )
    assert participant.tls.enabled and participant.ledger_api.auth is not None
    assert participant.ledger_api.auth.jwks_url == "https://127.0.0.1:4301/jwks"
    clients = idp_clients([("participant1", p1.member, "Bank")])
    idp = load_config(
        write(layout, "idp", idp_toml(layout, clients, PORTS["idp"], ca.node("idp"))), IdpConfig
    )
    assert idp.tls.enabled and idp.port == PORTS["idp"]
    assert [(c.client_id, c.user_id) for c in idp.clients] == [
        ("participant1-admin", "participant_admin"),
        ("bank", "bank"),
    ]
    assert participant.node.participant_id == p1.member
    assert participant.domain_manager is not None
    assert participant.domain_manager.endpoint == "127.0.0.1:4101"
    assert participant.ledger_api.port == 5001 and participant.packages.examples == []


def test_paths_are_absolute_for_a_relative_state_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    layout = Layout(Path(".devnet"))
    assert layout.root == tmp_path / ".devnet"
    assert layout.participants.is_absolute() and layout.config("p1").is_absolute()


def test_a_participant_identity_is_made_once(tmp_path: Path, domain: InitializedDomain) -> None:
    cheap = ScryptParams(n=2**10)
    first = participant_identity(tmp_path / "p1", "participant1", domain, cheap)
    again = participant_identity(tmp_path / "p1", "participant1", domain, cheap)
    assert first == again
    root = load_signing_key(first.namespace, "pw")
    assert first.member == f"PAR::participant1::{root.fingerprint}"


def test_organisations_and_their_parties() -> None:
    assert [organisation(i) for i in (1, 2, 3, 4)] == ["Bank", "Alice", "Bob", "Org4"]
    assert organisation_parties(1) == ("Bank", "Custodian")
    assert organisation_parties(3) == ("Bob",)
    org = Organisation("Bank", "participant1", "PAR::p::x", "127.0.0.1:1", {"Bank": "Bank::x"})
    assert Organisation.from_json(org.to_json()) == org and org.party == "Bank::x"


def test_every_node_gets_its_own_port_even_when_a_probe_repeats_one(tmp_path: Path) -> None:
    """The kernel may hand the same ephemeral port to two successive probes; a network
    file that recorded one port twice (seq2.ops and participant3.ops once did) is
    repaired for the later name, and recorded ports are otherwise kept."""
    layout = Layout(tmp_path / "devnet")
    layout.root.mkdir()
    probes = iter([5001, 5001, 5002, 5002, 5003, 5004])
    ports = load_ports(layout, ["a", "b", "c"], pick=lambda: next(probes))
    assert ports == {"a": 5001, "b": 5002, "c": 5003}
    layout.network.write_text(json.dumps({"ports": {"a": 5001, "b": 5001}}))
    repair = iter([5001, 6001, 6001, 6002])
    again = load_ports(layout, ["a", "b", "c"], pick=lambda: next(repair))
    assert again == {"a": 5001, "b": 6001, "c": 6002}
    assert json.loads(layout.network.read_text())["ports"] == again
