"""Errors of the confirmation protocol's shared message layer.

Every error here derives from :class:`TransactionError` (a
:class:`~protocol.errors.ProtocolError`). Errors that a confirming participant turns into a
``LocalReject`` carry the reject code it should use (``docs/transaction-protocol.md``)::

    TransactionError                                    (ProtocolError)
    ├── MalformedTransactionMessageError                (also DecodeError) bytes that are not
    │                                                   a valid tree or message; the decoders
    │                                                   of this package raise nothing else
    ├── InvalidTreeError                                (also InvalidValueError) a tree or view
    │                                                   value that breaks a structural rule
    ├── RootHashMismatchError                           a (partially blinded) tree whose root
    │                                                   hash is not the expected one
    ├── ViewMismatchError                               a view that is not the one a message
    │                                                   names (hash, position, blinding)
    ├── ViewDecryptionError                             (also DecryptionError) an encrypted
    │                                                   view this key cannot open
    ├── MessageSignatureError                           (also SignatureVerificationError) a
    │                                                   signed message whose signature fails
    └── RecipientError                                  the topology cannot serve a request
        ├── UnhostedInformeeError                           an informee no active participant
        │                                                   hosts
        └── MissingEncryptionKeyError                       a recipient participant without an
                                                            encryption key
"""

from __future__ import annotations

from protocol.errors import (
    DecodeError,
    DecryptionError,
    InvalidValueError,
    ProtocolError,
    SignatureVerificationError,
)


class TransactionError(ProtocolError):
    """Root of every confirmation-protocol error."""


class MalformedTransactionMessageError(DecodeError, TransactionError):
    """Bytes that do not decode to the expected tree or message, or decode to a value that
    breaks a rule. ``detail`` is the underlying error's text."""

    def __init__(self, what: str, detail: str, offset: int | None = None) -> None:
        DecodeError.__init__(self, what, detail, offset)


class InvalidTreeError(InvalidValueError, TransactionError):
    """A view, tree or message value that breaks a structural rule (``rule`` says which)."""

    def __init__(self, what: str, value: object, rule: str) -> None:
        InvalidValueError.__init__(self, what, value, rule)


class RootHashMismatchError(TransactionError):
    """A tree whose recomputed root hash differs from the one it must have."""

    def __init__(self, expected: str, actual: str, what: str = "transaction tree") -> None:
        self.expected = expected
        self.actual = actual
        self.what = what
        super().__init__(f"{what}: root hash expected {expected}, got {actual}")


class ViewMismatchError(TransactionError):
    """A view that is not the one the message claims: another hash or position, or blinded
    where it must be visible."""

    def __init__(self, what: str, expected: str, actual: str) -> None:
        self.what = what
        self.expected = expected
        self.actual = actual
        super().__init__(f"{what}: expected {expected}, got {actual}")


class ViewDecryptionError(DecryptionError, TransactionError):
    """An encrypted view that ``recipient`` cannot open: not a recipient, or ciphertext or
    associated data (root hash, view hash, domain) changed."""

    def __init__(self, recipient: str, view_hash: str, detail: str) -> None:
        self.view_hash = view_hash
        DecryptionError.__init__(self, recipient, f"view {view_hash}: {detail}")


class MessageSignatureError(SignatureVerificationError, TransactionError):
    """A signed protocol message (``message`` names its type) whose signature fails."""

    def __init__(self, message: str, signer: str, expected_signer: str, detail: str) -> None:
        self.message = message
        SignatureVerificationError.__init__(self, signer, expected_signer, f"{message}: {detail}")


class RecipientError(TransactionError):
    """The topology at the request time cannot serve the request's recipients."""


class UnhostedInformeeError(RecipientError):
    """An informee of a view that no active participant hosts."""

    def __init__(self, party: str, view_position: str) -> None:
        self.party = party
        self.view_position = view_position
        super().__init__(
            f"informee {party} of view {view_position}: expected at least one active "
            "hosting participant, got none"
        )


class MissingEncryptionKeyError(RecipientError):
    """A participant that must receive a view but has no encryption key in topology."""

    def __init__(self, participant: str) -> None:
        self.participant = participant
        super().__init__(f"participant {participant}: expected an encryption key, got none")
