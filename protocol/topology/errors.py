"""Errors of topology management: every reason a topology transaction is refused.

Every error here derives from :class:`TopologyError` (itself a
:class:`~protocol.errors.ProtocolError`). What a node does with a transaction that every
node must judge alike is one of three things: accept it, keep it as a pending proposal, or
refuse it with a :class:`TopologyRejectedError` whose ``code`` is stable text (it goes into
admin API answers and logs, and ``docs/topology.md`` lists every code)::

    TopologyError                                  (ProtocolError)
    ├── TopologyRejectedError                          a transaction refused; ``code`` says why
    │   ├── MalformedTopologyError   MALFORMED     (also DecodeError) bytes or values that are
    │   │                                          not a valid topology transaction
    │   ├── WrongDomainError         WRONG_DOMAIN  a domain-scoped mapping for another domain
    │   ├── InvalidSignatureError    INVALID_SIGNATURE   a signature that does not verify
    │   ├── UnauthorizedError        UNAUTHORIZED  a signer not authorized for any required
    │   │                                          namespace, or a non-proposal that is not
    │   │                                          fully authorized
    │   ├── UnknownNamespaceError    UNKNOWN_NAMESPACE   a required namespace has no root
    │   ├── SerialMismatchError      WRONG_SERIAL  the serial is not the expected one
    │   ├── DuplicateTransactionError DUPLICATE    already accepted, or a proposal that adds
    │   │                                          no new signature
    │   ├── MappingExistsError       MAPPING_EXISTS  ADD while the unique key is active
    │   │                                          (onboarding a member that has keys)
    │   └── MappingNotFoundError     MAPPING_NOT_FOUND  REPLACE/REMOVE of a unique key that is
    │                                          not active, or REMOVE naming other content
    └── TopologyStoreError                         the store cannot be used (corrupt, closed,
                                                   built for another domain, bad genesis file)

Rejections never depend on the node: the same state and the same transaction give the same
error class with the same fields everywhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from protocol.errors import DecodeError, ProtocolError


class TopologyError(ProtocolError):
    """Root of every topology error."""


class TopologyRejectedError(TopologyError):
    """A topology transaction refused by the state machine. ``code`` is stable text."""

    code: ClassVar[str] = "REJECTED"


class MalformedTopologyError(DecodeError, TopologyRejectedError):
    """Bytes that do not decode to a topology transaction, or a value that breaks a rule.

    The topology decoders raise nothing else, so a member can drop garbage with one
    ``except`` clause and the same decision on every node. ``cause`` is the underlying
    error's text (truncation, non-canonical form, invalid identifier, ...).
    """

    code: ClassVar[str] = "MALFORMED"

    def __init__(self, what: str, detail: str, offset: int | None = None) -> None:
        DecodeError.__init__(self, what, detail, offset)


class WrongDomainError(TopologyRejectedError):
    """A domain-scoped mapping names another domain than this store's."""

    code: ClassVar[str] = "WRONG_DOMAIN"

    def __init__(self, expected: str, got: str) -> None:
        self.expected = expected
        self.got = got
        super().__init__(f"mapping is for domain {got}, expected {expected}")


class InvalidSignatureError(TopologyRejectedError):
    """A signature by a key the state knows, that does not verify over the transaction."""

    code: ClassVar[str] = "INVALID_SIGNATURE"

    def __init__(self, signer: str, transaction_hash: str) -> None:
        self.signer = signer
        self.transaction_hash = transaction_hash
        super().__init__(f"signature by {signer} does not verify for {transaction_hash}")


class UnauthorizedError(TopologyRejectedError):
    """Signatures that do not authorize the transaction.

    Either ``signer`` is set (that key is not authorized for any namespace the mapping
    needs, so its signature is not accepted even on a proposal), or ``missing`` lists the
    namespaces (and proof-of-possession keys) still unsigned on a transaction that was not
    sent as a proposal.
    """

    code: ClassVar[str] = "UNAUTHORIZED"

    def __init__(
        self, transaction_hash: str, signer: str | None = None, missing: tuple[str, ...] = ()
    ) -> None:
        self.transaction_hash = transaction_hash
        self.signer = signer
        self.missing = missing
        if signer is not None:
            detail = f"signer {signer} is not authorized for any required namespace"
        else:
            detail = f"not fully authorized; missing signatures for {', '.join(missing)}"
        super().__init__(f"{transaction_hash}: {detail}")


class UnknownNamespaceError(TopologyRejectedError):
    """A namespace the mapping needs has no root certificate in the state."""

    code: ClassVar[str] = "UNKNOWN_NAMESPACE"

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        super().__init__(f"namespace {namespace} has no root certificate")


class SerialMismatchError(TopologyRejectedError):
    """The serial is not one more than the last accepted serial of the unique key."""

    code: ClassVar[str] = "WRONG_SERIAL"

    def __init__(self, unique_key: str, expected: int, got: int) -> None:
        self.unique_key = unique_key
        self.expected = expected
        self.got = got
        super().__init__(f"serial for {unique_key}: expected {expected}, got {got}")


class DuplicateTransactionError(TopologyRejectedError):
    """A transaction already accepted, or a proposal that brings no new signature."""

    code: ClassVar[str] = "DUPLICATE"

    def __init__(self, transaction_hash: str, detail: str) -> None:
        self.transaction_hash = transaction_hash
        self.detail = detail
        super().__init__(f"{transaction_hash}: {detail}")


class MappingExistsError(TopologyRejectedError):
    """ADD of a unique key that is active (e.g. onboarding a member that already has keys)."""

    code: ClassVar[str] = "MAPPING_EXISTS"

    def __init__(self, unique_key: str, active_serial: int) -> None:
        self.unique_key = unique_key
        self.active_serial = active_serial
        super().__init__(
            f"{unique_key} is already active (serial {active_serial}); use REPLACE or REMOVE"
        )


class MappingNotFoundError(TopologyRejectedError):
    """REPLACE or REMOVE of a unique key that is not active, or REMOVE of other content."""

    code: ClassVar[str] = "MAPPING_NOT_FOUND"

    def __init__(self, unique_key: str, detail: str) -> None:
        self.unique_key = unique_key
        self.detail = detail
        super().__init__(f"{unique_key}: {detail}")


class TopologyStoreError(TopologyError):
    """The topology store or a genesis file cannot be used; ``path`` names the file."""

    def __init__(self, path: Path | None, detail: str) -> None:
        self.path = path
        self.detail = detail
        where = "" if path is None else f"{path}: "
        super().__init__(f"topology store {where}{detail}")
