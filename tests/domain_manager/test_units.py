"""Unit tests of the domain manager's parts without a chain: the onboarding request shape,
the sqlite store (survives reopening), the dry run and the receipt wait with a fake sender,
and the committed protobuf stubs."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from domain_manager import (
    DomainManager,
    DomainManagerStore,
    InvalidRequestError,
    ManagerSettings,
    NotSequencedError,
    OnboardingKind,
    OnboardingState,
    Policy,
    TopologyRefusedError,
)
from domain_manager.onboarding import check_onboarding
from protocol.identifiers import MemberKind
from protocol.sequencer_messages import Envelope, MessageId
from protocol.timestamp import Timestamp
from protocol.topology import (
    TOPOLOGY_PAYLOAD_PREFIX,
    SequencerWriter,
    TopologyStore,
    build_genesis,
    parse_chain_address,
)
from tests.support.domain import make_identity, onboarding_transactions

ROOT = Path(__file__).parents[2]
P1 = make_identity(MemberKind.PARTICIPANT, "p1")
MED = make_identity(MemberKind.MEDIATOR, "med")


def raw(identity=P1, with_root=True) -> list[bytes]:  # type: ignore[no-untyped-def]
    return [t.encode() for t in onboarding_transactions(identity, with_root)]


def test_onboarding_shape() -> None:
    sub = check_onboarding(OnboardingKind.PARTICIPANT, raw())
    assert sub.member == P1.member and len(sub.transactions) == 2
    with pytest.raises(InvalidRequestError) as err:
        check_onboarding(OnboardingKind.MEDIATOR, raw())
    assert err.value.code == "WRONG_MEMBER_KIND"
    with pytest.raises(InvalidRequestError) as err:
        check_onboarding(OnboardingKind.PARTICIPANT, raw()[:1])  # no OwnerToKeyMapping
    assert err.value.code == "INVALID_REQUEST"
    with pytest.raises(InvalidRequestError) as err:
        check_onboarding(OnboardingKind.PARTICIPANT, [*raw(), raw(MED)[0]])  # another ns
    assert err.value.code == "UNEXPECTED_MAPPING"
    with pytest.raises(TopologyRefusedError) as refused:
        check_onboarding(OnboardingKind.PARTICIPANT, [TOPOLOGY_PAYLOAD_PREFIX + b"junk"])
    assert refused.value.code == "MALFORMED" and refused.value.index == 0
    with pytest.raises(InvalidRequestError):
        check_onboarding(OnboardingKind.PARTICIPANT, [])


class FakeSender:
    """Records sends; never delivers a receipt."""

    def __init__(self) -> None:
        self.sent: list[Sequence[Envelope]] = []

    async def send(
        self,
        envelopes: Sequence[Envelope],
        *,
        max_sequencing_time: Timestamp | None = None,
        message_id: str | None = None,
    ) -> MessageId:
        self.sent.append(envelopes)
        return MessageId(message_id or "m")


async def make_manager(tmp_path: Path, policy: Policy) -> tuple[DomainManager, FakeSender]:
    from protocol.crypto import SigningPrivateKey
    from tests.support.domain import _seeded  # the same deterministic keys

    domain_key = SigningPrivateKey.from_seed(_seeded("unit-domain"))
    seq = make_identity(MemberKind.SEQUENCER, "seq1")
    writer = SequencerWriter(seq.member, parse_chain_address("0x" + "11" * 20))
    genesis = build_genesis(
        domain_key, "unit", sequencers=[writer], mediators=[MED.member],
        member_transactions=onboarding_transactions(MED),
    )  # fmt: skip
    topology = await TopologyStore.open(tmp_path / "topology.sqlite", genesis.domain)
    await topology.load_genesis(genesis)
    store = await DomainManagerStore.open(tmp_path / "dm.sqlite", genesis.domain)
    dm = make_identity(MemberKind.DOMAIN_MANAGER, "dm", namespace_key=domain_key)
    sender = FakeSender()
    manager = DomainManager(
        domain=genesis.domain, member=dm.member, domain_key=domain_key, topology=topology,
        store=store, settings=ManagerSettings(policy, sequencing_window_s=0.1,
                                              receipt_grace_s=0.1), sender=sender,
    )  # fmt: skip
    return manager, sender


async def test_permissioned_request_is_stored_and_survives_reopen(tmp_path: Path) -> None:
    manager, sender = await make_manager(tmp_path, Policy.PERMISSIONED)
    request = await manager.request_onboarding(OnboardingKind.PARTICIPANT, raw())
    assert request.state is OnboardingState.PENDING and not sender.sent
    again = await manager.request_onboarding(OnboardingKind.PARTICIPANT, raw())
    assert again.request_id == request.request_id  # a retry, not a duplicate
    rotated = make_identity(MemberKind.PARTICIPANT, "p1", seed="other")
    import dataclasses

    clash = dataclasses.replace(rotated, member=P1.member, namespace_key=P1.namespace_key)
    with pytest.raises(Exception) as err:
        await manager.request_onboarding(OnboardingKind.PARTICIPANT, raw(clash))
    assert getattr(err.value, "code", None) == "DUPLICATE_ONBOARDING"
    rejected = await manager.reject(request.request_id, "ops", "unknown organisation")
    assert rejected.state is OnboardingState.REJECTED
    await manager.store.close()
    reopened = await DomainManagerStore.open(tmp_path / "dm.sqlite", manager.domain)
    stored = await reopened.request(request.request_id)
    assert stored is not None and stored.state is OnboardingState.REJECTED
    assert stored.transactions == request.transactions
    assert [a[2] for a in await reopened.audit_log()] == ["request-onboarding", "reject"]
    await reopened.close()
    await manager.topology.close()  # type: ignore[attr-defined]


async def test_open_policy_broadcasts_after_dry_run_and_reports_no_receipt(
    tmp_path: Path,
) -> None:
    manager, sender = await make_manager(tmp_path, Policy.OPEN)
    with pytest.raises(TopologyRefusedError) as refused:  # namespace unknown: nothing sent
        await manager.request_onboarding(OnboardingKind.PARTICIPANT, raw(with_root=False))
    assert refused.value.code == "UNKNOWN_NAMESPACE" and not sender.sent
    with pytest.raises(NotSequencedError):
        await asyncio.shield(manager.request_onboarding(OnboardingKind.PARTICIPANT, raw()))
    (envelopes,) = sender.sent
    assert len(envelopes) == 3  # root certificate, keys, the domain's admission
    assert all(e.recipients == frozenset({manager.member}) for e in envelopes)
    (pending,) = await manager.store.requests(OnboardingState.APPROVED)  # resumable
    assert pending.member == P1.member
    await manager.store.close()
    await manager.topology.close()  # type: ignore[attr-defined]


def test_committed_domain_manager_stubs_match_regeneration(tmp_path: Path) -> None:
    subprocess.run([str(ROOT / "scripts" / "gen_protos"), str(tmp_path)], check=True, timeout=120)
    for name in ("domain_manager_pb2.py", "domain_manager_pb2.pyi", "domain_manager_pb2_grpc.py"):
        fresh = (tmp_path / "protocol" / "v1" / name).read_bytes()
        assert fresh == (ROOT / "protocol" / "v1" / name).read_bytes(), name
