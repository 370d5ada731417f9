"""Errors of the shared protocol layer.

Every error raised by ``protocol`` derives from :class:`ProtocolError`. The mixins with
built-in exceptions (``ValueError``) let callers catch broadly or narrowly::

    ProtocolError
    ├── MalformedError         (ValueError)  input that is not a valid protocol value
    │   ├── DecodeError                          bytes that are not a valid encoding
    │   │   ├── TruncatedInputError                  input ended inside a value
    │   │   ├── TrailingBytesError                   input continued after the value
    │   │   ├── NonCanonicalError                    a valid value, not in its one canonical form
    │   │   └── BatchDecodeError                     an on-chain batch that cannot be decoded
    │   └── InvalidValueError                    a value that breaks a protocol rule (bounds)
    │       └── InvalidIdentifierError               text that is not a valid identifier
    ├── EncodeError            (ValueError)  a value that has no encoding (out of range, wrong type)
    │   └── RequestTooLargeError                 a request that can never fit in a batch
    ├── CryptoError                          signing, encryption and key storage
    │   ├── InvalidKeyError    (ValueError)      key bytes that are not a valid key
    │   ├── SignatureVerificationError           a signature that does not verify
    │   ├── DecryptionError                      a ciphertext that cannot be opened
    │   └── KeystoreError                        an encrypted key file that cannot be used
    │       ├── WrongPasswordError                   authentication with the password failed
    │       └── CorruptKeystoreError                 unreadable, malformed or inconsistent file
    ├── TlsError                             transport security (``protocol.tls``)
    │   ├── TlsFileError       (ValueError)      a certificate, key or CA file that cannot be used
    │   └── UntrustedServerError                 a server whose certificate the client refuses
    ├── TopologyError                        topology transactions and stores; its own tree is
    │                                        drawn in ``protocol.topology.errors`` (its
    │                                        MalformedTopologyError is also a DecodeError)
    └── TransactionError                     confirmation-protocol trees and messages; its own
                                             tree is drawn in ``protocol.transaction.errors``
                                             (its MalformedTransactionMessageError is also a
                                             DecodeError)

A sequencer maps :class:`MalformedError` to its "malformed" rejection, whichever decoder
raised it. Every error carries the offending values as fields, so callers can report them
precisely.
"""

from __future__ import annotations

from pathlib import Path


class ProtocolError(Exception):
    """Root of every error raised by the ``protocol`` package."""


class MalformedError(ProtocolError, ValueError):
    """Input (bytes or text) that is not a valid protocol value."""


class EncodeError(ProtocolError, ValueError):
    """A value cannot be encoded: out of range for its field, or of the wrong type."""

    def __init__(self, what: str, value: object, expected: str) -> None:
        self.what = what
        self.value = value
        self.expected = expected
        super().__init__(f"cannot encode {what}: expected {expected}, got {value!r}")


class RequestTooLargeError(EncodeError):
    """A signed submission request whose encoding exceeds what one batch can carry."""

    def __init__(self, size: int, limit: int) -> None:
        self.size = size
        self.limit = limit
        super().__init__("signed submission request", size, f"at most {limit} bytes")


class DecodeError(MalformedError):
    """Bytes that are not a valid canonical encoding of the expected value."""

    def __init__(self, what: str, detail: str, offset: int | None = None) -> None:
        self.what = what
        self.detail = detail
        self.offset = offset
        where = "" if offset is None else f" at byte {offset}"
        super().__init__(f"invalid {what}{where}: {detail}")


class TruncatedInputError(DecodeError):
    """The input ended inside a value."""

    def __init__(self, what: str, needed: int, available: int, offset: int) -> None:
        self.needed = needed
        self.available = available
        super().__init__(what, f"needs {needed} more bytes, {available} left", offset)


class TrailingBytesError(DecodeError):
    """The input continued after the complete value."""

    def __init__(self, what: str, extra: int, offset: int) -> None:
        self.extra = extra
        super().__init__(what, f"{extra} trailing bytes after the value", offset)


class NonCanonicalError(DecodeError):
    """A decodable value that is not in its unique canonical form (e.g. unsorted set)."""


class BatchDecodeError(DecodeError):
    """An on-chain batch that cannot be decoded; ``detail`` says which rule it broke.

    The batch decoder raises nothing else, so a reader can skip a garbage batch written by
    an allowed writer with one ``except`` clause and the same decision on every node.
    """

    def __init__(self, detail: str, offset: int | None = None) -> None:
        super().__init__("on-chain batch", detail, offset)


class InvalidValueError(MalformedError):
    """A value that breaks a protocol rule: a size bound, an empty recipient set, ..."""

    def __init__(self, what: str, value: object, rule: str) -> None:
        self.what = what
        self.value = value
        self.rule = rule
        shown = repr(value)
        if len(shown) > 120:
            shown = shown[:117] + "..."
        super().__init__(f"invalid {what}: {rule} (got {shown})")


class InvalidIdentifierError(InvalidValueError):
    """Text that is not a valid identifier of the given kind; ``rule`` names the rule broken."""

    def __init__(self, kind: str, text: object, rule: str) -> None:
        self.kind = kind
        self.text = text
        super().__init__(kind, text, rule)


class CryptoError(ProtocolError):
    """Root of signing, encryption and key-storage errors."""


class InvalidKeyError(CryptoError, ValueError):
    """Bytes that are not a valid key of the expected type."""

    def __init__(self, key_type: str, detail: str) -> None:
        self.key_type = key_type
        self.detail = detail
        super().__init__(f"invalid {key_type} key: {detail}")


class SignatureVerificationError(CryptoError):
    """A signature that does not verify under the expected key."""

    def __init__(self, signer: str, expected_signer: str, detail: str) -> None:
        self.signer = signer
        self.expected_signer = expected_signer
        self.detail = detail
        super().__init__(f"signature by {signer} (expected {expected_signer}): {detail}")


class DecryptionError(CryptoError):
    """A ciphertext that cannot be opened by this recipient."""

    def __init__(self, recipient: str, detail: str) -> None:
        self.recipient = recipient
        self.detail = detail
        super().__init__(f"cannot decrypt for {recipient}: {detail}")


class KeystoreError(CryptoError):
    """An encrypted key file that cannot be used; ``path`` names the file."""

    def __init__(self, path: Path, detail: str) -> None:
        self.path = path
        self.detail = detail
        super().__init__(f"keystore {path}: {detail}")


class WrongPasswordError(KeystoreError):
    """The password does not open the keystore (or its ciphertext was altered)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, "wrong password, or the encrypted key was altered")


class CorruptKeystoreError(KeystoreError):
    """The file is unreadable, not a keystore, or inconsistent with its own fingerprint."""


class TlsError(ProtocolError):
    """Transport security: certificates, keys, and the TLS handshake."""


class TlsFileError(TlsError, ValueError):
    """A certificate, private key or CA bundle that cannot be used: missing, not PEM,
    expired or not yet valid, or a key that does not belong to its certificate.
    ``path`` names the file, ``role`` what it was meant to be, ``reason`` what is wrong."""

    def __init__(self, path: Path, role: str, reason: str) -> None:
        self.path = path
        self.role = role
        self.reason = reason
        super().__init__(f"{role} {path}: {reason}")


class UntrustedServerError(TlsError):
    """The TLS handshake with ``target`` failed on the server's certificate (expired, not
    signed by the trusted CA, not valid for the name dialled); ``reason`` is the
    verifier's own words."""

    def __init__(self, target: str, reason: str, ca_file: Path | None = None) -> None:
        self.target = target
        self.reason = reason
        self.ca_file = ca_file
        trusted = f" (trusted CA: {ca_file})" if ca_file is not None else ""
        super().__init__(f"the server certificate of {target} is refused: {reason}{trusted}")
