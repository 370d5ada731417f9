"""Telling the messages of the confirmation protocol apart in a delivered envelope.

Every message's encoding starts with its domain-separation tag (``protocol.canonical``),
so the tag alone says which decoder applies. :func:`decode_protocol_message` is the one
entry point a node needs for envelope payloads; it raises only
:class:`~protocol.transaction.errors.MalformedTransactionMessageError` (an unknown tag
included), so a node drops garbage with one ``except`` and the same decision everywhere.
"""

from __future__ import annotations

from collections.abc import Callable

from protocol.canonical import Reader
from protocol.errors import MalformedError
from protocol.transaction.commitments import SignedAcsCommitment
from protocol.transaction.errors import MalformedTransactionMessageError
from protocol.transaction.messages import EncryptedViewMessage, InformeeMessage, RootHashMessage
from protocol.transaction.verdicts import SignedConfirmationResponse, SignedConfirmationResult

ProtocolMessage = (
    EncryptedViewMessage
    | InformeeMessage
    | RootHashMessage
    | SignedConfirmationResponse
    | SignedConfirmationResult
    | SignedAcsCommitment
)
"""Every message that travels in an envelope payload."""

_DECODERS: dict[tuple[str, int], Callable[[bytes], ProtocolMessage]] = {
    EncryptedViewMessage.TAG: EncryptedViewMessage.from_bytes,
    InformeeMessage.TAG: InformeeMessage.from_bytes,
    RootHashMessage.TAG: RootHashMessage.from_bytes,
    SignedConfirmationResponse.TAG: SignedConfirmationResponse.from_bytes,
    SignedConfirmationResult.TAG: SignedConfirmationResult.from_bytes,
    SignedAcsCommitment.TAG: SignedAcsCommitment.from_bytes,
}


def message_tag(data: bytes) -> tuple[str, int]:
    """The ``(name, version)`` tag an encoding starts with."""
    if not isinstance(data, bytes):
        raise MalformedTransactionMessageError("protocol message", "input must be bytes")
    reader = Reader(data[:256], "protocol message")
    try:
        return reader.str(), reader.u8()
    except MalformedError as exc:
        raise MalformedTransactionMessageError("protocol message", str(exc), 0) from None


def decode_protocol_message(data: bytes) -> ProtocolMessage:
    """Decode an envelope payload into whichever protocol message it is."""
    tag = message_tag(data)
    decoder = _DECODERS.get(tag)
    if decoder is None:
        known = ", ".join(f"{name} v{version}" for name, version in sorted(_DECODERS))
        raise MalformedTransactionMessageError(
            "protocol message", f"expected a tag among {known}, got {tag[0]!r} v{tag[1]}", 0
        )
    return decoder(data)
