"""Topology transactions: an operation on a mapping with a serial, its canonical encoding,
its hash, and its signed form.

Encoding (``protocol.canonical``)::

    TopologyTransaction        = tag("TopologyTransaction", 1)
                                 u8 operation  u32 serial  u8 mapping-code  mapping-fields
    SignedTopologyTransaction  = tag("SignedTopologyTransaction", 1)
                                 bytes(TopologyTransaction encoding)
                                 set(Signature)  bool is_proposal

Every signature is an Ed25519 signature over the transaction's encoding (which begins with
its tag, so it can never be taken for a signature over another message type). The
transaction hash is ``hash(TOPOLOGY_TRANSACTION, encoding)``; signatures are not part of it,
which is what lets proposals of the same transaction merge their signatures.

The serial counts changes per unique key: the first transaction of a key has serial 1, and
each later one (REPLACE, REMOVE, or an ADD after a REMOVE) has exactly the previous serial
plus one. The decoders here raise only :class:`MalformedTopologyError`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NewType

from protocol.canonical import MAX_U32, Reader, Writer, encode
from protocol.crypto.hashing import Hash, HashPurpose, hash_bytes
from protocol.crypto.signing import Signature, SigningPrivateKey
from protocol.errors import (
    DecodeError,
    EncodeError,
    InvalidKeyError,
    InvalidValueError,
    MalformedError,
)
from protocol.identifiers import Fingerprint, Namespace
from protocol.topology.errors import MalformedTopologyError
from protocol.topology.mappings import (
    DomainParameters,
    NamespaceDelegation,
    TopologyMapping,
    UniqueKey,
    read_mapping,
    write_mapping,
)

Serial = NewType("Serial", int)
"""Per-unique-key change counter, starting at 1."""

TRANSACTION_TAG = "TopologyTransaction"
SIGNED_TRANSACTION_TAG = "SignedTopologyTransaction"
ENCODING_VERSION = 1
MAX_SERIAL = MAX_U32
MAX_SIGNATURES = 64
MAX_SIGNED_TRANSACTION_SIZE = 100_000
"""Bytes of one encoded signed transaction; it must fit one sequencer envelope."""


class Operation(enum.IntEnum):
    """What a transaction does to its unique key."""

    ADD = 1
    """Create the mapping; the key must not be active."""
    REPLACE = 2
    """Supersede the active mapping of the key."""
    REMOVE = 3
    """Deactivate the key; the mapping must equal the active one."""


@dataclass(frozen=True, slots=True)
class TopologyTransaction:
    """One change to the topology state."""

    operation: Operation
    serial: Serial
    """1 for the first transaction of the unique key, then exactly one more each time."""
    mapping: TopologyMapping

    def __post_init__(self) -> None:
        if not isinstance(self.operation, Operation):
            raise InvalidValueError("operation", self.operation, "must be an Operation")
        s = self.serial
        if type(s) is not int or not 1 <= s <= MAX_SERIAL:
            raise InvalidValueError("serial", s, f"must be in 1..{MAX_SERIAL}")
        if self.operation is Operation.REMOVE and isinstance(self.mapping, DomainParameters):
            raise InvalidValueError("operation", "REMOVE", "domain parameters cannot be removed")
        root_cert = (
            isinstance(self.mapping, NamespaceDelegation) and self.mapping.is_root_certificate
        )
        if root_cert and self.operation is Operation.REPLACE:
            raise InvalidValueError(
                "operation", "REPLACE", "a root certificate is added or removed"
            )

    @property
    def unique_key(self) -> UniqueKey:
        return self.mapping.unique_key()

    def write(self, w: Writer) -> None:
        w.tag(TRANSACTION_TAG, ENCODING_VERSION)
        w.u8(self.operation)
        w.u32(self.serial)
        write_mapping(w, self.mapping)

    def encode(self) -> bytes:
        """The canonical encoding: what is signed and hashed."""
        return encode(self.write)

    def hash(self) -> Hash:
        return hash_bytes(HashPurpose.TOPOLOGY_TRANSACTION, self.encode())

    @classmethod
    def read(cls, r: Reader) -> TopologyTransaction:
        r.expect_tag(TRANSACTION_TAG, ENCODING_VERSION)
        start = r.offset
        op = r.u8()
        try:
            operation = Operation(op)
        except ValueError:
            raise MalformedTopologyError(r.what, f"unknown operation {op}", start) from None
        serial = Serial(r.u32())
        return cls(operation, serial, read_mapping(r))


@dataclass(frozen=True, slots=True)
class SignedTopologyTransaction:
    """A transaction with the signatures collected so far.

    ``is_proposal`` says what to do if the signatures do not yet fully authorize the
    transaction: keep it pending so that later proposals of the same transaction can add
    theirs (True), or refuse it (False).
    """

    transaction: TopologyTransaction
    signatures: frozenset[Signature]
    """1..MAX_SIGNATURES signatures, at most one per signer."""
    is_proposal: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.transaction, TopologyTransaction):
            raise InvalidValueError("transaction", self.transaction, "a TopologyTransaction")
        sigs = frozenset(self.signatures)
        object.__setattr__(self, "signatures", sigs)
        if not 1 <= len(sigs) <= MAX_SIGNATURES:
            raise InvalidValueError("signatures", len(sigs), f"must hold 1..{MAX_SIGNATURES}")
        if len({s.signer for s in sigs}) != len(sigs):
            raise InvalidValueError("signatures", sorted(s.signer for s in sigs), "one per signer")
        if not isinstance(self.is_proposal, bool):
            raise InvalidValueError("is_proposal", self.is_proposal, "must be a bool")

    @property
    def signers(self) -> frozenset[Fingerprint]:
        return frozenset(s.signer for s in self.signatures)

    def hash(self) -> Hash:
        """The transaction's hash (signatures are not part of it)."""
        return self.transaction.hash()

    def sorted_signatures(self) -> tuple[Signature, ...]:
        return tuple(sorted(self.signatures, key=lambda s: s.signer))

    def write(self, w: Writer) -> None:
        w.tag(SIGNED_TRANSACTION_TAG, ENCODING_VERSION)
        w.bytes(self.transaction.encode())
        w.set(self.signatures, lambda w_, s: s.write(w_))
        w.bool(self.is_proposal)

    def encode(self) -> bytes:
        data = encode(self.write)
        if len(data) > MAX_SIGNED_TRANSACTION_SIZE:
            raise EncodeError(
                "signed topology transaction",
                len(data),
                f"at most {MAX_SIGNED_TRANSACTION_SIZE} bytes",
            )
        return data

    @classmethod
    def read(cls, r: Reader) -> SignedTopologyTransaction:
        r.expect_tag(SIGNED_TRANSACTION_TAG, ENCODING_VERSION)
        start = r.offset
        inner = r.bytes()
        transaction = _decode(inner, "topology transaction", start + 4)
        signatures = r.set(Signature.read, max_count=MAX_SIGNATURES)
        return cls(transaction, frozenset(signatures), r.bool())


def sign_transaction(
    transaction: TopologyTransaction, keys: Iterable[SigningPrivateKey], is_proposal: bool = False
) -> SignedTopologyTransaction:
    """Sign ``transaction`` with each of ``keys``."""
    data = transaction.encode()
    return SignedTopologyTransaction(
        transaction, frozenset(k.sign(data) for k in keys), is_proposal
    )


def _decode(data: bytes, what: str, base: int = 0) -> TopologyTransaction:
    r = Reader(data, what)
    try:
        value = TopologyTransaction.read(r)
        r.finish()
    except MalformedTopologyError:
        raise
    except (MalformedError, InvalidKeyError, EncodeError) as exc:
        raise _wrap(exc, what, base) from None
    return value


def _wrap(exc: Exception, what: str, base: int = 0) -> MalformedTopologyError:
    offset = exc.offset if isinstance(exc, DecodeError) else None
    return MalformedTopologyError(what, str(exc), None if offset is None else base + offset)


def decode_topology_transaction(data: bytes) -> TopologyTransaction:
    """Decode one transaction; raises only :class:`MalformedTopologyError`."""
    if not isinstance(data, bytes):
        raise MalformedTopologyError("topology transaction", "input must be bytes")
    return _decode(data, "topology transaction")


def decode_signed_topology_transaction(data: bytes) -> SignedTopologyTransaction:
    """Decode one signed transaction; raises only :class:`MalformedTopologyError`."""
    what = "signed topology transaction"
    if not isinstance(data, bytes):
        raise MalformedTopologyError(what, "input must be bytes")
    if len(data) > MAX_SIGNED_TRANSACTION_SIZE:
        raise MalformedTopologyError(
            what, f"{len(data)} bytes exceed {MAX_SIGNED_TRANSACTION_SIZE}"
        )
    r = Reader(data, what)
    try:
        value = SignedTopologyTransaction.read(r)
        r.finish()
    except MalformedTopologyError:
        raise
    except (MalformedError, InvalidKeyError, EncodeError) as exc:
        raise _wrap(exc, what) from None
    return value


def root_certificate(key: SigningPrivateKey) -> SignedTopologyTransaction:
    """The self-signed NamespaceDelegation that creates the namespace of ``key``."""
    mapping = NamespaceDelegation(
        Namespace(key.fingerprint), key.public_key, is_root_delegation=True
    )
    return sign_transaction(TopologyTransaction(Operation.ADD, Serial(1), mapping), [key])


def add_mapping(
    mapping: TopologyMapping,
    keys: Iterable[SigningPrivateKey],
    serial: int = 1,
    is_proposal: bool = False,
) -> SignedTopologyTransaction:
    """``ADD`` of ``mapping`` at ``serial``, signed by ``keys``."""
    return sign_transaction(
        TopologyTransaction(Operation.ADD, Serial(serial), mapping), keys, is_proposal
    )
