"""What a ``MediatorReject`` says in public (``docs/transaction-protocol.md`` §7).

The mediator's verdict is sent through the sequencer and written to a public chain in
clear. Its ``MediatorReject`` reason is therefore built here, and only here, from the
code (a fixed phrase, :data:`PUBLIC_PHRASES`) and, for a rule checked per view, the view
position. What the check found (party ids, member ids, hashes, decode errors, times) is
the rejection's ``detail``: logged by the mediator at WARNING with the request id, never
encoded. A participant's own ``LocalReject`` is copied into a ``Reject`` verdict as it was
received (it is already public in the participant's response).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from protocol.transaction import MediatorRejectCode, ViewPosition
from protocol.transaction.types import position_text

PUBLIC_PHRASES: Mapping[MediatorRejectCode, str] = MappingProxyType(
    {
        MediatorRejectCode.MALFORMED_REQUEST: "the request is malformed",
        MediatorRejectCode.INVALID_SIGNATURE: "a request message is not signed by its submitter",
        MediatorRejectCode.ROOT_HASH_MISMATCH: (
            "the root hash messages are missing or disagree with the informee tree"
        ),
        MediatorRejectCode.WRONG_CONFIRMATION_POLICY: (
            "the confirmation policy differs from the topology's"
        ),
        MediatorRejectCode.INVALID_SUBMITTER: "the submitter may not submit this request",
        MediatorRejectCode.MAX_SEQUENCING_TIME_EXCEEDED: (
            "the request was sequenced after its max sequencing time"
        ),
    }
)
"""The fixed explanatory phrase of each code: the only free text a mediator reject carries."""


def public_reason(code: MediatorRejectCode, position: ViewPosition | None = None) -> str:
    """The on-wire reason: ``"<phrase>"``, or ``"<phrase> (view 0.1)"`` for a rule checked
    per view. Built from the code and the position alone (module docstring)."""
    phrase = PUBLIC_PHRASES[code]
    return phrase if position is None else f"{phrase} (view {position_text(position)})"
