"""The shape of an onboarding request, checked before anything is dry-run.

A request carries the member's own transactions only (``docs/domain-manager.md`` §3):

* exactly one ``ADD OwnerToKeyMapping`` of the member (its signing and encryption key),
  signed by the member's namespace and by the signing key itself;
* optionally the member's root certificate (``ADD NamespaceDelegation`` of its namespace to
  its own key), and further delegations of that namespace — omitted when the namespace is
  already known in the domain.

The member id must be of the requested kind (``PAR`` for participants, ``MED`` for
mediators). Signatures, serials and namespaces are then judged by a dry run through the
topology state machine; what is refused here is only what the state machine would accept
but the domain manager must not forward (another member's mapping, a domain-scoped
mapping, a proposal).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from domain_manager.errors import InvalidRequestError, TopologyRefusedError
from domain_manager.types import OnboardingKind
from protocol.identifiers import MemberId, MemberKind, member_kind, member_namespace
from protocol.topology import (
    MalformedTopologyError,
    NamespaceDelegation,
    Operation,
    OwnerToKeyMapping,
    SignedTopologyTransaction,
    decode_signed_topology_transaction,
)

MAX_ONBOARDING_TRANSACTIONS = 8

KIND_OF: dict[OnboardingKind, MemberKind] = {
    OnboardingKind.PARTICIPANT: MemberKind.PARTICIPANT,
    OnboardingKind.MEDIATOR: MemberKind.MEDIATOR,
}


@dataclass(frozen=True, slots=True)
class OnboardingSubmission:
    """A request whose shape is valid."""

    member: MemberId
    kind: OnboardingKind
    transactions: tuple[SignedTopologyTransaction, ...]
    keys: OwnerToKeyMapping


def decode_all(raw: Sequence[bytes], what: str, limit: int) -> list[SignedTopologyTransaction]:
    """Decode every transaction; the first that does not decode is ``MALFORMED``."""
    if not raw:
        raise InvalidRequestError(what, "no transactions")
    if len(raw) > limit:
        raise InvalidRequestError(what, f"{len(raw)} transactions, at most {limit}")
    out = []
    for index, data in enumerate(raw):
        try:
            out.append(decode_signed_topology_transaction(bytes(data)))
        except MalformedTopologyError as exc:
            raise TopologyRefusedError(index, exc) from None
    return out


def check_onboarding(kind: OnboardingKind, raw: Sequence[bytes]) -> OnboardingSubmission:
    """Decode and check the shape of an onboarding request (see the module docstring)."""
    txs = decode_all(raw, "transactions", MAX_ONBOARDING_TRANSACTIONS)
    keys = [
        t.transaction.mapping for t in txs if isinstance(t.transaction.mapping, OwnerToKeyMapping)
    ]
    if len(keys) != 1:
        raise InvalidRequestError(
            "transactions", f"need exactly one OwnerToKeyMapping, got {len(keys)}"
        )
    otk = keys[0]
    want = KIND_OF[kind]
    if member_kind(otk.member) is not want:
        raise InvalidRequestError(
            "transactions",
            f"member {otk.member} is not a {kind.value} (expected kind {want.value})",
            code="WRONG_MEMBER_KIND",
        )
    namespace = member_namespace(otk.member)
    for index, signed in enumerate(txs):
        tx = signed.transaction
        if signed.is_proposal:
            raise InvalidRequestError(
                f"transactions[{index}]", "must be fully signed, not a proposal"
            )
        if tx.operation is not Operation.ADD:
            raise InvalidRequestError(
                f"transactions[{index}]", f"operation {tx.operation.name}, expected ADD"
            )
        mapping = tx.mapping
        if isinstance(mapping, OwnerToKeyMapping):
            continue
        if isinstance(mapping, NamespaceDelegation) and mapping.namespace == namespace:
            continue
        raise InvalidRequestError(
            f"transactions[{index}]",
            f"{type(mapping).__name__} is not the member's own identity "
            f"(root certificate or delegation of {namespace}, OwnerToKeyMapping)",
            code="UNEXPECTED_MAPPING",
        )
    return OnboardingSubmission(otk.member, kind, tuple(txs), otk)
