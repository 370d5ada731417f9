"""The decision rule: from a request's frozen policy and the votes accepted so far, the
verdict (or None while undecided). Pure: the same record and votes give the same answer,
which is what makes replays after a crash decide alike.

Per view ``v`` and confirming party ``p`` (with ``hosts(p)`` able to confirm and
``threshold(p)`` of them needed):

* ``p`` **approves** when at least ``threshold(p)`` of its hosts approved ``v`` for it
  and did not reject it;
* ``p`` **rejects** when so many hosts rejected (for ``v``, or view-less) that fewer than
  ``threshold(p)`` are left who could approve;
* ``v`` is **approved** when the weights of approving parties reach ``v``'s threshold,
  and **rejected** when the weights of parties that did not reject fall below it.

A view is also **rejected** when a host of one of its *non-confirming* informees rejected
it with ``MODEL_CONFORMANCE`` for that informee (a policy veto,
:func:`mediator.types.is_policy_veto`): the submitter declares the confirming
parties, and an informee it wrongly left out must be able to stop the view. Such a host
can never approve for it, so a malicious one can block a request, never make one pass.

The request is **rejected** as soon as any view is rejected (``Reject`` with the
rejections that count against rejected views, sorted by participant), **approved** when
every view is approved. A timeout is decided elsewhere: by time, not by votes.
"""

from __future__ import annotations

from mediator.types import PartyPolicy, RequestRecord, ViewPolicy, Vote, is_policy_veto
from protocol.identifiers import MemberId, PartyId
from protocol.transaction import Approve, LocalReject, Reject, RejectReason, Verdict


def _applies(vote: Vote, view: ViewPolicy, party: PartyPolicy) -> bool:
    if vote.participant not in party.hosts:
        return False
    if vote.view is None:
        return not vote.parties or party.party in vote.parties
    return vote.view == view.position and party.party in vote.parties


def _party_outcome(
    view: ViewPolicy, party: PartyPolicy, votes: tuple[Vote, ...]
) -> tuple[bool, bool, list[tuple[MemberId, LocalReject]]]:
    """(approved, rejected, the rejections) of ``party`` in ``view``."""
    approving: set[MemberId] = set()
    rejecting: set[MemberId] = set()
    rejections: list[tuple[MemberId, LocalReject]] = []
    for vote in votes:
        if not _applies(vote, view, party):
            continue
        if isinstance(vote.verdict, LocalReject):
            rejecting.add(vote.participant)
            rejections.append((vote.participant, vote.verdict))
        else:
            approving.add(vote.participant)
    approved = len(approving - rejecting) >= party.threshold
    rejected = len(party.hosts) - len(rejecting) < party.threshold
    return approved and not rejected, rejected, rejections


def _vetoes(
    view: ViewPolicy, votes: tuple[Vote, ...]
) -> list[tuple[PartyId, MemberId, LocalReject]]:
    """The policy vetoes against ``view``: (informee, its host, the rejection)."""
    out: list[tuple[PartyId, MemberId, LocalReject]] = []
    for vote in votes:
        verdict = vote.verdict
        if vote.view != view.position or not isinstance(verdict, LocalReject):
            continue
        if is_policy_veto(verdict):
            out += [
                (p, vote.participant, verdict)
                for p in sorted(vote.parties & view.vetoers(vote.participant))
            ]
    return out


def decide(record: RequestRecord, votes: tuple[Vote, ...]) -> Verdict | None:
    """The verdict the votes make, or None while undecided (module docstring)."""
    all_approved = True
    reasons: dict[tuple[MemberId, int, str], tuple[set[PartyId], LocalReject]] = {}
    for view in record.views:
        approved_weight = 0
        possible_weight = 0
        view_rejections: list[tuple[PartyId, MemberId, LocalReject]] = []
        for party in view.parties:
            approved, rejected, rejections = _party_outcome(view, party, votes)
            if approved:
                approved_weight += party.weight
            if not rejected:
                possible_weight += party.weight
            view_rejections += [(party.party, who, reject) for who, reject in rejections]
        vetoes = _vetoes(view, votes)
        view_rejections += vetoes
        if vetoes or possible_weight < view.threshold:
            for party_id, participant, reject in view_rejections:
                key = (participant, reject.code, reject.reason)
                parties, _ = reasons.setdefault(key, (set(), reject))
                parties.add(party_id)
        elif approved_weight < view.threshold:
            all_approved = False
    if reasons:
        return Reject(
            tuple(
                RejectReason(participant, frozenset(parties), reject)
                for (participant, _code, _text), (parties, reject) in sorted(reasons.items())
            )
        )
    return Approve() if all_approved else None
