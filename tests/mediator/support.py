"""A small domain for the mediator's tests: a real topology store (genesis, admitted
participants, hosted parties), and a *scripted participant* that builds confirmation
requests and responses from ``protocol.transaction`` exactly as a participant would.

Parties: Alice on P1 (submits), Bob on P2, Carol on P3 (a plain informee), Dave on P2
*and* P3 with threshold 2 (both must confirm). P4 hosts nobody.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from pathlib import Path

from protocol.crypto import SigningPrivateKey
from protocol.identifiers import DomainId, MemberId, MemberKind, PartyId
from protocol.sequencer_messages import (
    Batch,
    Deliver,
    DeliverError,
    DeliverErrorCode,
    DeliverErrorReason,
    Envelope,
    MessageId,
    SequencerCounter,
)
from protocol.timestamp import Timestamp
from protocol.topology import Accepted, Genesis, ParticipantPermission, TopologyStore
from protocol.transaction import (
    ConfirmationResponse,
    ContractId,
    FullTransactionTree,
    Informee,
    InputContract,
    LocalApprove,
    LocalVerdict,
    RequestId,
    SignedConfirmationResponse,
    ViewPosition,
    ViewSpec,
    build_confirmation_request,
    build_transaction_tree,
)
from tests.support.domain import MemberIdentity, hosting_proposal, make_identity, party_of
from tests.support.topology import make_genesis

T0 = Timestamp(1_900_000_000_000_000)
"""Request times in the tests are T0 + a few seconds."""
SECOND = 1_000_000
RESPONSE_TIMEOUT = 30 * SECOND

SECRET_AMOUNT = b"SECRET-AMOUNT:4711.42 EUR owed by Alice"
SECRET_ACTION = b"SECRET-ACTION:Transfer(newOwner=Bob, note=top secret)"
SECRET_CREATE = b"SECRET-CREATE:Iou(owner=Bob, amount=4711.42)"
SECRET_FETCH = b"SECRET-FETCH:Dave checks his collateral"
SECRETS = (SECRET_AMOUNT, SECRET_ACTION, SECRET_CREATE, SECRET_FETCH)


def _seed(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


@dataclass
class ScriptedDomain:
    """The identities, the genesis and a topology store with the parties hosted."""

    domain: DomainId
    genesis: Genesis
    mediator: MemberIdentity
    participants: dict[str, MemberIdentity]
    parties: dict[str, PartyId]
    topology: TopologyStore
    counter: itertools.count[int] = field(default_factory=itertools.count)

    def member(self, name: str) -> MemberId:
        return self.participants[name].member

    def key(self, name: str) -> SigningPrivateKey:
        return self.participants[name].signing_key

    def party(self, name: str) -> PartyId:
        return self.parties[name]

    # -- events -----------------------------------------------------------------------------

    def deliver(
        self,
        at: int,
        sender: MemberId,
        envelopes: list[Envelope],
        message_id: str | None = None,
    ) -> Deliver:
        """The Deliver the mediator gets for a request with ``envelopes`` (only those
        addressed to it kept, as the sequencer does)."""
        batch = Batch(tuple(envelopes)).for_member(self.mediator.member)
        return Deliver(
            SequencerCounter(next(self.counter)),
            Timestamp(at),
            sender,
            None if message_id is None else MessageId(message_id),
            batch,
        )

    def tick(self, at: int) -> Deliver:
        """A time proof receipt: an event that only says what time it is."""
        return self.deliver(at, self.mediator.member, [], message_id=f"time-proof-{at}")

    def deliver_error(self, at: int, message_id: str, code: DeliverErrorCode) -> DeliverError:
        return DeliverError(
            SequencerCounter(next(self.counter)),
            Timestamp(at),
            MessageId(message_id),
            DeliverErrorReason(code, "test"),
        )

    # -- the scripted participant -----------------------------------------------------------

    def tree(
        self,
        views: list[ViewSpec] | None = None,
        *,
        submitter: str = "p1",
        act_as: str = "alice",
        seed: str = "tx-1",
        max_sequencing_time: int = T0 + 3600 * SECOND,
        mediator: MemberId | None = None,
    ) -> FullTransactionTree:
        tree = build_transaction_tree(
            transaction_seed=_seed(seed),
            domain=self.domain,
            mediator=mediator or self.mediator.member,
            submitting_participant=self.member(submitter),
            act_as=frozenset({self.party(act_as)}),
            application_id="iou-app",
            command_id=f"cmd-{seed}",
            max_sequencing_time=Timestamp(max_sequencing_time),
            ledger_time=T0,
            workflow_id=None,
            views=views if views is not None else self.transfer_views(),
        )
        return FullTransactionTree(tree)

    def transfer_views(self) -> list[ViewSpec]:
        return transfer_views(self.party("alice"), self.party("bob"), self.party("carol"))

    def dave_views(self) -> list[ViewSpec]:
        """One view confirmed by Alice and by Dave (hosted on P2 and P3, threshold 2)."""
        return [
            ViewSpec(
                informees=(Informee(self.party("alice"), 1), Informee(self.party("dave"), 1)),
                threshold=2,
                action=SECRET_FETCH,
            )
        ]

    def request_envelopes(
        self, tree: FullTransactionTree, signer: str = "p1", at: int = T0
    ) -> list[Envelope]:
        snapshot = self.topology.snapshot_at(Timestamp(at))
        built = build_confirmation_request(tree, snapshot, self.key(signer))
        return [Envelope.of(e.payload, e.recipients) for e in built]

    def request(
        self, at: int, tree: FullTransactionTree | None = None, sender: str = "p1"
    ) -> tuple[Deliver, FullTransactionTree]:
        tree = tree or self.tree()
        return self.deliver(at, self.member(sender), self.request_envelopes(tree, at=at)), tree

    def response(  # noqa: PLR0917 (a response's fields)
        self,
        at: int,
        participant: str,
        tree: FullTransactionTree,
        request_id: int,
        position: ViewPosition | None,
        parties: list[str],
        verdict: LocalVerdict | None = None,
        signer: str | None = None,
    ) -> Deliver:
        view_hash = tree.view_tree(position).view_hash if position is not None else None
        response = ConfirmationResponse(
            self.domain,
            RequestId(Timestamp(request_id)),
            self.member(participant),
            position,
            view_hash,
            verdict or LocalApprove(),
            frozenset(self.party(p) for p in parties),
            tree.root_hash(),
        )
        signed = SignedConfirmationResponse.sign(response, self.key(signer or participant))
        envelope = Envelope.of(signed.to_bytes(), {self.mediator.member})
        return self.deliver(at, self.member(participant), [envelope])


def transfer_views(alice: PartyId, bob: PartyId, carol: PartyId) -> list[ViewSpec]:
    """Alice transfers an Iou to Bob (Carol observes); Bob's new Iou is a subview."""
    create = ViewSpec(
        informees=(Informee(bob, 1), Informee(alice, 0)),
        threshold=1,
        action=SECRET_CREATE,
        created=(ContractId("00" + "22" * 32),),
        action_seed=_seed("node/0.0"),
    )
    transfer = ViewSpec(
        informees=(Informee(alice, 1), Informee(carol, 0)),
        threshold=1,
        action=SECRET_ACTION,
        inputs=(InputContract(ContractId("00" + "11" * 32), SECRET_AMOUNT),),
        consumed=(ContractId("00" + "11" * 32),),
        action_seed=_seed("node/0"),
        subviews=(create,),
    )
    return [transfer]


async def make_domain(tmp_path: Path) -> ScriptedDomain:
    """Genesis with P1..P4 admitted, and the parties hosted (effective before T0)."""
    domain_key = SigningPrivateKey.from_seed(_seed("mediator-tests/domain"))
    ns_dm = make_identity(MemberKind.DOMAIN_MANAGER, "dm", namespace_key=domain_key)
    seq = make_identity(MemberKind.SEQUENCER, "seq1", namespace_key=domain_key)
    mediator = make_identity(MemberKind.MEDIATOR, "mediator1")
    participants = {
        name: make_identity(MemberKind.PARTICIPANT, name) for name in ("p1", "p2", "p3", "p4")
    }
    genesis = make_genesis(
        "mediator-tests",
        domain_key,
        sequencers=[seq],
        dm=ns_dm,
        mediator=mediator,
        participants=list(participants.values()),
    )
    store = await TopologyStore.open(tmp_path / "topology.sqlite", genesis.domain)
    await store.load_genesis(genesis)
    submission = ParticipantPermission.SUBMISSION
    p = participants
    parties = {
        "alice": party_of(p["p1"], "Alice"),
        "bob": party_of(p["p2"], "Bob"),
        "carol": party_of(p["p3"], "Carol"),
        "dave": party_of(p["p2"], "Dave"),
    }
    hostings = [
        hosting_proposal(
            parties["alice"],
            [(p["p1"].member, submission)],
            [p["p1"].namespace_key],
            is_proposal=False,
        ),
        hosting_proposal(
            parties["bob"],
            [(p["p2"].member, submission)],
            [p["p2"].namespace_key],
            is_proposal=False,
        ),
        hosting_proposal(
            parties["carol"],
            [(p["p3"].member, submission)],
            [p["p3"].namespace_key],
            is_proposal=False,
        ),
        hosting_proposal(
            parties["dave"],
            [(p["p2"].member, submission), (p["p3"].member, ParticipantPermission.CONFIRMATION)],
            [p["p2"].namespace_key, p["p3"].namespace_key],
            threshold=2,
            is_proposal=False,
        ),
    ]
    for offset, tx in enumerate(hostings):
        outcome = await store.process(tx, Timestamp(T0 - 100 * SECOND + offset))
        if not isinstance(outcome, Accepted):
            raise AssertionError(f"hosting not accepted: {outcome}")
    return ScriptedDomain(genesis.domain, genesis, mediator, participants, parties, store)
