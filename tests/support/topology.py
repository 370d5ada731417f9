"""Topology fixtures without a domain manager: identities, admissions and a genesis for
tests that run sequencer nodes and members directly (``tests/node_runtime/member``).

Identities come from :mod:`tests.support.domain` (``make_identity``,
``onboarding_transactions``) so every suite builds members the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

from protocol.crypto.signing import SigningPrivateKey
from protocol.identifiers import DomainId, MemberId, Namespace, make_domain_id
from protocol.timestamp import Micros
from protocol.topology import (
    Admission,
    DomainParameters,
    Genesis,
    ParticipantDomainPermission,
    ParticipantPermission,
    SequencerWriter,
    SignedTopologyTransaction,
    TopologyTransaction,
    build_genesis,
    parse_chain_address,
    root_certificate,
    sign_transaction,
)
from protocol.topology.transactions import Operation, Serial
from sequencer_chain.chain_keys import dev_account
from tests.support.domain import MemberIdentity, onboarding_transactions


def admission(
    domain: DomainId,
    member: MemberId,
    domain_key: SigningPrivateKey,
    admission: Admission = Admission.ADMITTED,
    serial: int = 1,
) -> SignedTopologyTransaction:
    """The domain's ParticipantDomainPermission for ``member`` (ADD at serial 1, else
    REPLACE), signed by the domain's root key."""
    mapping = ParticipantDomainPermission(
        domain, member, ParticipantPermission.SUBMISSION, admission
    )
    op = Operation.ADD if serial == 1 else Operation.REPLACE
    return sign_transaction(TopologyTransaction(op, Serial(serial), mapping), [domain_key])


def participant_onboarding(
    domain: DomainId, identity: MemberIdentity, domain_key: SigningPrivateKey
) -> list[SignedTopologyTransaction]:
    """What makes a participant an active member: its identity and its admission."""
    return [*onboarding_transactions(identity), admission(domain, identity.member, domain_key)]


def make_genesis(
    domain_name: str,
    domain_key: SigningPrivateKey,
    *,
    sequencers: Sequence[MemberIdentity],
    dm: MemberIdentity,
    mediator: MemberIdentity,
    participants: Sequence[MemberIdentity],
    topology_change_delay_us: int = 0,
) -> Genesis:
    """A genesis with the domain manager and sequencers in the domain key's namespace and
    their dev writer accounts 1.., one mediator and ``participants`` admitted."""
    domain = make_domain_id(domain_name, Namespace(domain_key.fingerprint))
    members: list[SignedTopologyTransaction] = []
    seq_roots = {s.namespace_key.fingerprint: s.namespace_key for s in sequencers}
    members += [root_certificate(k) for k in seq_roots.values() if k != domain_key]
    for seq in sequencers:
        members += onboarding_transactions(seq, with_root=False)
    members += onboarding_transactions(mediator)
    members += onboarding_transactions(dm, with_root=False)
    for participant in participants:
        members += participant_onboarding(domain, participant, domain_key)
    params = DomainParameters(
        domain,
        participant_response_timeout=Micros(30_000_000),
        mediator_reaction_timeout=Micros(30_000_000),
        ledger_time_record_time_tolerance=Micros(60_000_000),
        topology_change_delay=Micros(topology_change_delay_us),
        max_request_size=119_000,
        confirmation_depth=0,
    )
    writers = [
        SequencerWriter(s.member, parse_chain_address(dev_account(i, 31337).address.lower()))
        for i, s in enumerate(sequencers, start=1)
    ]
    genesis = build_genesis(
        domain_key,
        domain_name,
        sequencers=writers,
        mediators=[mediator.member],
        parameters=params,
        member_transactions=members,
    )
    if genesis.domain != domain:
        raise AssertionError(f"domain id {genesis.domain} != {domain}")
    return genesis
