"""A mediator's verdict at this participant: whether to trust it, and what it commits.

Step 6 of ``processor``'s event: a :class:`~protocol.transaction.SignedConfirmationResult`
is taken only from the mediator the request names, for this domain and the request's root
hash, with a valid signature (:func:`verdict_problem`). ``Approve`` commits the request's
projection (:func:`new_commit`); anything else rolls it back with the completion status of
:func:`completion_status`. Nothing here does I/O.
"""

from __future__ import annotations

from participant.engine import PartyId, TemplateId, Transaction
from participant.protocol.confirmer import signature_problem
from participant.protocol.request import Effects, PendingRequest, update_id_of
from participant.store import CompletionCode, CompletionDraft, CompletionStatus, NewCommit
from participant.store.types import COMPLETION_OK, UpdateId
from protocol.crypto import SigningPublicKey
from protocol.identifiers import DomainId, MemberId
from protocol.timestamp import Timestamp
from protocol.transaction import (
    LocalReject,
    LocalRejectCode,
    MediatorReject,
    Reject,
    SignedConfirmationResult,
    Timeout,
    TransactionViewTree,
    Verdict,
)

_LOCAL_CODES: dict[LocalRejectCode, CompletionCode] = {
    LocalRejectCode.CONTRACT_NOT_ACTIVE: CompletionCode.INCONSISTENT_CONTRACTS,
    LocalRejectCode.CONTRACT_LOCKED: CompletionCode.LOCKED_CONTRACTS,
    LocalRejectCode.KEY_CONFLICT: CompletionCode.INCONSISTENT_CONTRACT_KEY,
    LocalRejectCode.AUTHORIZATION: CompletionCode.DAML_AUTHORIZATION_ERROR,
    LocalRejectCode.PACKAGE_NOT_VETTED: CompletionCode.PACKAGE_NOT_VETTED,
}


def completion_status(verdict: Verdict) -> CompletionStatus:
    """The completion status of a non-approving verdict: the Ledger API code of the first
    rejection and the codes and public reasons the verdict carries (never the rejecting
    participant's local detail, which only it has)."""
    if isinstance(verdict, Reject):
        first = (
            verdict.reasons[0].reject
            if verdict.reasons
            else LocalReject(LocalRejectCode.MALFORMED, "no reason given")
        )
        code = _LOCAL_CODES.get(first.code, CompletionCode.REJECTED)
        context = tuple(
            (f"reject.{i}", f"{r.participant} {r.reject.code.name}: {r.reject.reason}")
            for i, r in enumerate(verdict.reasons)
        )
        return CompletionStatus(code, f"{first.code.name}: {first.reason}", context)
    if isinstance(verdict, MediatorReject):
        return CompletionStatus(
            CompletionCode.MEDIATOR_REJECTED,
            f"{verdict.code.name}: {verdict.reason}",
            (("mediator_code", verdict.code.name),),
        )
    if isinstance(verdict, Timeout):
        return CompletionStatus(CompletionCode.TIMED_OUT, "the mediator decided Timeout")
    return COMPLETION_OK


def verdict_problem(
    signed: SignedConfirmationResult,
    request: PendingRequest,
    *,
    sender: MemberId,
    domain: DomainId,
    mediator_key: SigningPublicKey | None,
) -> str | None:
    """Why the verdict ``sender`` delivered for ``request`` is not to be trusted (checked
    in order: domain, sender is the signer, the signer is the mediator the request names,
    root hash, signature with ``mediator_key`` at the request time); ``None`` if it is."""
    result = signed.result
    tree = request.any_view
    named = tree.common_metadata.mediator if tree is not None else None
    if result.domain != domain:
        return f"for domain {result.domain}"
    if sender != result.mediator:
        return f"sent by {sender}, signed as {result.mediator}"
    if named is not None and result.mediator != named:
        return f"from {result.mediator}, the request names {named}"
    if result.root_hash != request.root_hash:
        return "root hash differs from the request's"
    return signature_problem(signed, mediator_key, result.mediator)


def update_id(request: PendingRequest) -> UpdateId:
    """The update id a committed ``request`` gets: that of its root hash."""
    return UpdateId(update_id_of(request.root_hash))


def new_commit(
    request: PendingRequest,
    tree: TransactionViewTree,
    projection: Transaction,
    fx: Effects,
    *,
    at: Timestamp,
    own: bool,
    completion: CompletionDraft | None,
) -> NewCommit:
    """What an approved ``request`` commits at ``at``: its projection here with its
    effects, and (``own``: this participant submitted it) its command id and
    ``completion``."""
    submitter = tree.submitter_metadata
    return NewCommit(
        request_id=request.request_id,
        update_id=update_id(request),
        record_time=at,
        ledger_time=tree.participant_metadata.ledger_time,
        transaction=projection.to_bytes(),
        command_id=submitter.command_id if own else "",
        workflow_id=tree.participant_metadata.workflow_id or "",
        act_as=tuple(sorted(PartyId(p) for p in submitter.act_as)),
        witnesses=fx.witnesses,
        templates=frozenset(TemplateId(t) for t in fx.templates),
        created=fx.created,
        archived=fx.archived,
        completion=completion,
    )
