"""What a rejection says in public, and what stays here (``docs/transaction-protocol.md`` §7).

A :class:`~protocol.transaction.LocalReject` travels in a confirmation response through
the sequencer to the mediator, and the mediator copies it into its verdict: both are
written to a public chain in clear. Its ``reason`` is therefore built here, and only
here, from parts a chain reader already has or that say nothing about the ledger:

=======================  ===============================================================
part of the reason       source
=======================  ===============================================================
a fixed phrase           :data:`PUBLIC_PHRASES`, one per reject code
where                    the view position (``view 0.1``) or ``request`` for a rejection
                         of the whole request
=======================  ===============================================================

Everything the check found (contract, template and package ids, key hashes, party ids,
node ids, values, engine messages) is the rejection's ``detail``: logged by the confirming
participant at WARNING with the request id and view position, and kept in the
processor's bounded :attr:`~participant.protocol.TransactionProcessor.rejections`. It is
never encoded. A key hash in particular must not leave the participant: it is unsalted,
so anyone can confirm a guessed low-entropy key (bank, owner, currency) against it.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from protocol.transaction import LocalReject, LocalRejectCode, RequestId, ViewPosition
from protocol.transaction.types import position_text

log = logging.getLogger(__name__)

PUBLIC_PHRASES: Mapping[LocalRejectCode, str] = MappingProxyType(
    {
        LocalRejectCode.MALFORMED: "a view cannot be opened or breaks a structural rule",
        LocalRejectCode.ROOT_HASH_MISMATCH: "a view does not belong to the request's root hash",
        LocalRejectCode.MODEL_CONFORMANCE: "the view does not re-interpret to its own contents",
        LocalRejectCode.AUTHORIZATION: "an action lacks a required authorization",
        LocalRejectCode.CONTRACT_NOT_ACTIVE: "an input contract is not active here",
        LocalRejectCode.CONTRACT_LOCKED: "an input contract is locked by a pending request",
        LocalRejectCode.KEY_CONFLICT: (
            "a contract key is not in the state the view needs, or is locked by a pending request"
        ),
        LocalRejectCode.LEDGER_TIME_OUT_OF_BOUNDS: "the ledger time is out of bounds",
        LocalRejectCode.PACKAGE_NOT_VETTED: "a package used is not vetted here",
        LocalRejectCode.TOPOLOGY: "the request disagrees with the topology",
    }
)
"""The fixed explanatory phrase of each code: the only free text a reject carries."""


def public_reason(code: LocalRejectCode, position: ViewPosition | None) -> str:
    """The on-wire reason of a rejection: ``"<phrase> (view 0.1)"`` or ``"<phrase>
    (request)"``. Built from the code and the position alone (module docstring)."""
    where = "request" if position is None else f"view {position_text(position)}"
    return f"{PUBLIC_PHRASES[code]} ({where})"


@dataclass(frozen=True, slots=True)
class LocalRejection:
    """A rejection as this participant found it; only :meth:`public` is ever sent."""

    request_id: RequestId
    position: ViewPosition | None
    """The view rejected; None for the whole request (it cannot be opened)."""
    code: LocalRejectCode
    detail: str
    """What the check found, with the ledger data it involves. Local only: logs, the
    processor's :attr:`~participant.protocol.TransactionProcessor.rejections`."""

    def public(self) -> LocalReject:
        """The reject that goes on the wire: the code and :func:`public_reason`."""
        return LocalReject(self.code, public_reason(self.code, self.position))

    def log(self, context: str = "") -> None:
        """Log the full detail for this participant's operators (WARNING)."""
        where = "request" if self.position is None else f"view {position_text(self.position)}"
        log.warning(
            "request %d %s rejected%s: %s %s",
            self.request_id,
            where,
            context,
            self.code.name,
            self.detail,
        )


MAX_KEPT_REJECTIONS = 1_024
"""How many local rejections :attr:`TransactionProcessor.rejections` keeps."""


def recent_rejections() -> deque[LocalRejection]:
    """An empty record of the latest rejections, keeping :data:`MAX_KEPT_REJECTIONS`."""
    return deque(maxlen=MAX_KEPT_REJECTIONS)
