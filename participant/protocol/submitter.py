"""Building a confirmation request from a command (step 1 of the protocol), without I/O.

``command → engine.submit (against the ACS visible to act_as ∪ read_as) → views
(:func:`~participant.protocol.actions.view_specs`) → salted tree (transaction seed) →
build_confirmation_request (topology: hosting, encryption keys; mediator from the
MediatorDomainState)``. Both seeds are fresh random values that the caller records with
the submission before sending, so contract ids and the root hash never change after a
crash.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass

from participant.engine import Engine, PackageId, PartyId, Transaction
from participant.engine.types import split_template_id
from participant.errors import (
    PackageNotVettedByRecipientsError,
    SubmissionBuildError,
    SubmissionTopologyError,
)
from participant.protocol.acs import ActiveContracts
from participant.protocol.actions import view_specs
from participant.protocol.types import SubmissionCommand
from protocol.canonical import encode
from protocol.crypto.signing import SigningPrivateKey
from protocol.identifiers import DomainId, MemberId
from protocol.sequencer_messages import Batch, Envelope
from protocol.timestamp import Timestamp
from protocol.topology import ParticipantPermission, TopologySnapshot
from protocol.transaction import (
    FullTransactionTree,
    InvalidTreeError,
    RecipientError,
    RootHash,
    build_confirmation_request,
    build_transaction_tree,
)

SEED_SIZE = 32


@dataclass(frozen=True, slots=True)
class BuiltSubmission:
    transaction: Transaction
    tree: FullTransactionTree
    envelopes: tuple[Envelope, ...]
    mediator: MemberId
    submission_seed: bytes
    transaction_seed: bytes

    @property
    def root_hash(self) -> RootHash:
        return self.tree.root_hash()

    def batch_bytes(self) -> bytes:
        return encode(Batch(self.envelopes).write)


def message_id_for(root_hash: RootHash) -> str:
    """The submission's message id: derived from the root hash, so a resend after a crash
    carries the same id and the sequencer deduplicates it."""
    return "tx-" + root_hash.digest.hex()[:48]


def choose_mediator(snapshot: TopologySnapshot, seed: bytes) -> MemberId:
    state = snapshot.mediator_state()
    if state is None or not state.mediators:
        raise SubmissionTopologyError("mediator", "the domain has no mediator")
    active = [m for m in state.mediators if snapshot.is_active(m)] or list(state.mediators)
    index = int.from_bytes(hashlib.sha256(seed).digest()[:4], "big") % len(active)
    return active[index]


def check_submitter(snapshot: TopologySnapshot, me: MemberId, act_as: Collection[PartyId]) -> None:
    for party in sorted(act_as):
        ok = any(
            h.participant == me and h.permission >= ParticipantPermission.SUBMISSION
            for h in snapshot.active_hosts(party)
        )
        if not ok:
            raise SubmissionTopologyError(
                "act_as", f"{party} is not hosted on {me} with submission permission"
            )


def used_packages(transaction: Transaction) -> frozenset[PackageId]:
    """The packages of every template the transaction's nodes name."""
    out = set()
    for node in transaction.nodes():
        name = split_template_id(node.template_id)
        if name is not None:
            out.add(name.package_id)
    return frozenset(out)


def check_recipients_vetted(
    transaction: Transaction,
    snapshot: TopologySnapshot,
    vetted_by: Callable[[MemberId], Collection[str]],
) -> None:
    """Canton's rule: every participant hosting an informee of ``transaction`` in
    ``snapshot`` has vetted every package it uses. Raises
    :class:`PackageNotVettedByRecipientsError` listing each gap."""
    packages = used_packages(transaction)
    participants = {
        host.participant for party in transaction.informees for host in snapshot.active_hosts(party)
    }
    missing = []
    for participant in sorted(participants):
        have = frozenset(vetted_by(participant))
        missing += [(str(participant), str(pkg)) for pkg in sorted(packages) if pkg not in have]
    if missing:
        raise PackageNotVettedByRecipientsError(tuple(missing))


def build_submission(
    command: SubmissionCommand,
    *,
    me: MemberId,
    domain: DomainId,
    signing_key: SigningPrivateKey,
    engine: Engine,
    acs: ActiveContracts,
    snapshot: TopologySnapshot,
    vetted: Collection[PackageId],
    ledger_time: Timestamp,
    max_sequencing_time: Timestamp,
    submission_seed: bytes | None = None,
    transaction_seed: bytes | None = None,
    recipients_vetted: Callable[[MemberId], Collection[str]] | None = None,
) -> BuiltSubmission:
    """Interpret and build (module docstring). Lets the engine's errors escape; raises
    :class:`SubmissionTopologyError` / :class:`SubmissionBuildError` otherwise, and
    :class:`PackageNotVettedByRecipientsError` when ``recipients_vetted`` (the packages a
    participant vetted, ``None`` when vetting is local) shows an informee participant
    that has not vetted a package the transaction uses."""
    check_submitter(snapshot, me, command.act_as)
    sub_seed = submission_seed or secrets.token_bytes(SEED_SIZE)
    tx_seed = transaction_seed or secrets.token_bytes(SEED_SIZE)
    lookup = acs.lookup_for((*command.act_as, *command.read_as))
    transaction = engine.submit(
        command.commands,
        act_as=command.act_as,
        read_as=command.read_as,
        lookup=lookup,
        vetted=vetted,
        seed=sub_seed,
        ledger_time=ledger_time,
    )
    if recipients_vetted is not None:
        check_recipients_vetted(transaction, snapshot, recipients_vetted)
    mediator = choose_mediator(snapshot, tx_seed)
    try:
        tree = build_transaction_tree(
            transaction_seed=tx_seed,
            domain=domain,
            mediator=mediator,
            submitting_participant=me,
            act_as=frozenset(command.act_as),
            application_id=command.application_id,
            command_id=command.command_id,
            max_sequencing_time=max_sequencing_time,
            ledger_time=ledger_time,
            workflow_id=command.workflow_id or None,
            views=view_specs(transaction),
        )
        full = FullTransactionTree(tree)
        built = build_confirmation_request(full, snapshot, signing_key)
    except RecipientError as exc:
        raise SubmissionTopologyError("recipients", str(exc)) from exc
    except InvalidTreeError as exc:
        raise SubmissionBuildError(str(exc)) from exc
    envelopes = tuple(Envelope.of(e.payload, e.recipients) for e in built)
    return BuiltSubmission(transaction, full, envelopes, mediator, sub_seed, tx_seed)
