"""The messages of a confirmation request (step 1): what the submitting participant puts in
the envelopes of its one submission request.

====================  ===========================  ==========================================
message               to                           carries
====================  ===========================  ==========================================
EncryptedViewMessage  participants of the view's   one light view tree, encrypted; root hash
                      (and ancestors') informees   and view hash in clear (salted: they hide
                                                   nothing guessable)
InformeeMessage       the mediator                 the informee tree (no contents), signed
RootHashMessage       every informee participant   root hash and request type, signed
                      and the mediator
====================  ===========================  ==========================================

Everything an envelope carries is readable by anyone on the chain, so the only ledger data
(actions, contracts, ledger time) is inside ``EncryptedViewMessage`` ciphertexts.

**Compression.** A view tree repeats long identifiers (party ids with their 68-character
namespace, package ids, contract ids) in its metadata, its action and its input
contracts, so its encoding shrinks about fourfold under zlib, and ciphertext is the one
part of a batch the batch's own compression cannot shrink. The tree is therefore
compressed (zlib, RFC 1950, level :data:`VIEW_ZLIB_LEVEL`) *before* it is padded and
encrypted, as Canton compresses a view before encrypting it. The recipient inflates at
most :data:`~protocol.transaction.views.MAX_TREE_SIZE` bytes and refuses a stream that is
invalid, truncated, followed by bytes, or larger (a bomb costs at most that bound).
Compressing before encrypting makes the size depend on the content's redundancy, not
only its length (the CRIME/BREACH side channel). Here that leaks little: the size is
Padmé-rounded afterwards; only the view's recipients can put chosen bytes in its
plaintext, and they read the plaintext anyway; and a chain reader cannot make a
participant re-send a view with a chosen variation. ``docs/transaction-protocol.md`` §5
states the trade-off.

**Padding.** Ciphertext sizes are public, and a view's size says much about what it is (a
create of a small contract, a DvP settlement, ...). The plaintext is therefore
``u32_be(n) ‖ compressed tree (n bytes) ‖ zero bytes`` padded to :func:`padded_size` — Padmé
(Nikitin et al., PETS 2019): the size is rounded up so that only its top
``⌊log2 ⌊log2 L⌋⌋ + 1`` bits are kept, which leaks O(log log L) bits at a cost below 12 %
— with a floor of :data:`MIN_PADDED_SIZE` bytes, so small views all look alike. The
recipient refuses a length prefix beyond the plaintext or non-zero padding
(:class:`~protocol.transaction.errors.MalformedTransactionMessageError`).

**Encryption of a view.** The encoded :class:`TransactionViewTree`, compressed and padded,
is encrypted once under a fresh random session key with AES-256-GCM, and the session key
is wrapped to each recipient's X25519 key from topology (``protocol.crypto.encryption``,
version 1). Both layers authenticate the associated data::

    ad = enc(tag "EncryptedViewAD" v1, domain id, root hash, view hash)

so a ciphertext moved to another request, another view or another domain fails to open
(:class:`~protocol.transaction.errors.ViewDecryptionError`). After opening, the recipient
checks that the decrypted tree's root hash and view hash are those of the message; the
root hash must then equal the request's :class:`RootHashMessage`.

**Signatures.** A signature covers the message's tagged canonical content (the tag keeps
a signature for one message type from passing as another's), which names the domain.
Verifiers take the signer's key from the topology at the request time: the submitting
participant's for ``InformeeMessage`` and ``RootHashMessage``.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from protocol.canonical import Reader, Writer, encode
from protocol.crypto.encryption import (
    EncryptedMessage,
    EncryptionPrivateKey,
    EncryptionPublicKey,
    decrypt,
    encrypt,
)
from protocol.crypto.signing import Signature, SigningPrivateKey, SigningPublicKey
from protocol.errors import DecryptionError, SignatureVerificationError
from protocol.identifiers import (
    DomainId,
    MemberId,
    MemberKind,
    member_kind,
    parse_domain_id,
    read_domain_id,
    read_member_id,
    write_domain_id,
    write_member_id,
)
from protocol.transaction.errors import (
    InvalidTreeError,
    MalformedTransactionMessageError,
    MessageSignatureError,
    RootHashMismatchError,
    ViewDecryptionError,
    ViewMismatchError,
)
from protocol.transaction.informee_tree import InformeeTree
from protocol.transaction.types import (
    RequestType,
    RootHash,
    ViewHash,
    decode_strict,
    read_enum,
    read_root_hash,
    read_view_hash,
)
from protocol.transaction.view_tree import TransactionViewTree
from protocol.transaction.views import MAX_TREE_SIZE

MAX_MESSAGE_SIZE = MAX_TREE_SIZE + 64 * 1024
"""Upper bound of any encoded request message (a tree plus signatures and wrapped keys)."""


def _verify(message: str, key: SigningPublicKey, content: bytes, signature: Signature) -> None:
    try:
        key.verify(content, signature)
    except SignatureVerificationError as exc:
        raise MessageSignatureError(message, exc.signer, exc.expected_signer, exc.detail) from None


MIN_PADDED_SIZE = 512
"""Every padded view plaintext is at least this many bytes."""
_LENGTH_PREFIX = 4


def padded_size(length: int) -> int:
    """Padmé: ``length`` rounded up to keep only the top ``⌊log2 ⌊log2 L⌋⌋ + 1`` bits of its
    binary form, and at least :data:`MIN_PADDED_SIZE`."""
    if length <= MIN_PADDED_SIZE:
        return MIN_PADDED_SIZE
    exponent = length.bit_length() - 1
    significant = exponent.bit_length()
    mask = (1 << (exponent - significant)) - 1
    return (length + mask) & ~mask


def pad_plaintext(data: bytes) -> bytes:
    """``u32_be(len) ‖ data ‖ zeros`` of :func:`padded_size` bytes."""
    body = len(data).to_bytes(_LENGTH_PREFIX, "big") + data
    return body + bytes(padded_size(len(body)) - len(body))


def unpad_plaintext(plaintext: bytes) -> bytes:
    """The data :func:`pad_plaintext` padded; refuses anything it could not have made."""
    if len(plaintext) < _LENGTH_PREFIX:
        raise MalformedTransactionMessageError("padded view", "shorter than its length prefix")
    length = int.from_bytes(plaintext[:_LENGTH_PREFIX], "big")
    end = _LENGTH_PREFIX + length
    if end > len(plaintext):
        raise MalformedTransactionMessageError(
            "padded view", f"length {length} exceeds the {len(plaintext)}-byte plaintext"
        )
    if len(plaintext) != padded_size(end) or any(plaintext[end:]):
        raise MalformedTransactionMessageError("padded view", "padding is not zeros of Padmé size")
    return plaintext[_LENGTH_PREFIX:end]


VIEW_ZLIB_LEVEL = 9
"""Views are small and encrypted once per request: the best ratio is worth its time."""


def compress_view(tree: bytes) -> bytes:
    """The zlib stream (RFC 1950) of an encoded view tree."""
    return zlib.compress(tree, VIEW_ZLIB_LEVEL)


def decompress_view(data: bytes) -> bytes:
    """Inflate a view tree; refuses (typed) a stream that is invalid, truncated, followed
    by bytes, or inflates beyond ``MAX_TREE_SIZE``: a bomb costs at most that bound."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, MAX_TREE_SIZE + 1)
    except zlib.error as exc:
        raise MalformedTransactionMessageError("compressed view", f"zlib: {exc}") from None
    if len(out) > MAX_TREE_SIZE:
        raise MalformedTransactionMessageError(
            "compressed view", f"inflates beyond {MAX_TREE_SIZE} bytes"
        )
    if not inflater.eof:
        raise MalformedTransactionMessageError("compressed view", "zlib stream is truncated")
    if inflater.unused_data:
        raise MalformedTransactionMessageError(
            "compressed view", f"{len(inflater.unused_data)} bytes after the zlib stream"
        )
    return out


def view_associated_data(domain: DomainId, root_hash: RootHash, view_hash: ViewHash) -> bytes:
    """The associated data bound to an encrypted view (module docstring)."""

    def write(w: Writer) -> None:
        w.tag("EncryptedViewAD", 1)
        write_domain_id(w, domain)
        root_hash.write(w)
        view_hash.write(w)

    return encode(write)


@dataclass(frozen=True, slots=True)
class EncryptedViewMessage:
    """One light view tree, encrypted to the participants that must see it."""

    domain: DomainId
    root_hash: RootHash
    view_hash: ViewHash
    encrypted: EncryptedMessage
    """The view tree's bytes under a session key wrapped to each recipient."""

    TAG = ("EncryptedViewMessage", 3)
    """Version 3: the view tree is compressed, then padded (module docstring); version 2
    padded it uncompressed, version 1 did neither."""

    def __post_init__(self) -> None:
        parse_domain_id(self.domain)

    @classmethod
    def encrypt(
        cls, view_tree: TransactionViewTree, recipients: Sequence[EncryptionPublicKey]
    ) -> EncryptedViewMessage:
        """Encrypt ``view_tree`` to ``recipients`` (their X25519 keys from topology)."""
        domain = view_tree.common_metadata.domain
        root_hash, view_hash = view_tree.root_hash(), view_tree.view_hash
        ad = view_associated_data(domain, root_hash, view_hash)
        plaintext = pad_plaintext(compress_view(view_tree.to_bytes()))
        return cls(domain, root_hash, view_hash, encrypt(recipients, plaintext, ad))

    def decrypt(self, key: EncryptionPrivateKey) -> TransactionViewTree:
        """Open and check the view.

        Raises :class:`ViewDecryptionError` if ``key`` is not a recipient or anything bound
        by the associated data changed; :class:`MalformedTransactionMessageError` if the
        plaintext is not a padded, compressed view tree; :class:`ViewMismatchError` or
        :class:`RootHashMismatchError` if the tree is not the one this message names.
        """
        ad = view_associated_data(self.domain, self.root_hash, self.view_hash)
        try:
            plaintext = decrypt(key, self.encrypted, ad)
        except DecryptionError as exc:
            raise ViewDecryptionError(
                exc.recipient, self.view_hash.to_multihash(), exc.detail
            ) from None
        tree = TransactionViewTree.from_bytes(decompress_view(unpad_plaintext(plaintext)))
        if tree.view_hash != self.view_hash:
            raise ViewMismatchError(
                "view hash", self.view_hash.to_multihash(), tree.view_hash.to_multihash()
            )
        tree.verify_root_hash(self.root_hash)
        if tree.common_metadata.domain != self.domain:
            raise ViewMismatchError("domain", self.domain, tree.common_metadata.domain)
        return tree

    def write(self, w: Writer) -> None:
        w.tag(*self.TAG)
        write_domain_id(w, self.domain)
        self.root_hash.write(w)
        self.view_hash.write(w)
        self.encrypted.write(w)

    @classmethod
    def read(cls, r: Reader) -> EncryptedViewMessage:
        r.expect_tag(*cls.TAG)
        domain = read_domain_id(r)
        root_hash, view_hash = read_root_hash(r), read_view_hash(r)
        return cls(domain, root_hash, view_hash, EncryptedMessage.read(r))

    def to_bytes(self) -> bytes:
        return encode(self.write)

    @classmethod
    def from_bytes(cls, data: bytes) -> EncryptedViewMessage:
        """Decode; raises only :class:`MalformedTransactionMessageError`."""
        return decode_strict(data, cls.read, "encrypted view message", MAX_MESSAGE_SIZE)


@dataclass(frozen=True, slots=True)
class InformeeMessage:
    """The informee tree for the mediator, signed by the submitting participant it names."""

    informee_tree: InformeeTree
    signature: Signature

    TAG = ("InformeeMessage", 1)

    @staticmethod
    def content(tree: InformeeTree) -> bytes:
        """The signed bytes: the tagged informee tree."""
        return tree.to_bytes()

    @classmethod
    def sign(cls, tree: InformeeTree, key: SigningPrivateKey) -> InformeeMessage:
        return cls(tree, key.sign(cls.content(tree)))

    def verify(self, key: SigningPublicKey) -> None:
        """Raise :class:`MessageSignatureError` unless ``key`` (the submitting participant's,
        from topology at the request time) signed this message."""
        _verify("InformeeMessage", key, self.content(self.informee_tree), self.signature)

    @property
    def root_hash(self) -> RootHash:
        return self.informee_tree.root_hash()

    @property
    def submitting_participant(self) -> MemberId:
        return self.informee_tree.submitting_participant

    def write(self, w: Writer) -> None:
        w.tag(*self.TAG)
        self.informee_tree.write(w)
        self.signature.write(w)

    @classmethod
    def read(cls, r: Reader) -> InformeeMessage:
        r.expect_tag(*cls.TAG)
        return cls(InformeeTree.read(r), Signature.read(r))

    def to_bytes(self) -> bytes:
        return encode(self.write)

    @classmethod
    def from_bytes(cls, data: bytes) -> InformeeMessage:
        """Decode; raises only :class:`MalformedTransactionMessageError`."""
        return decode_strict(data, cls.read, "informee message", MAX_MESSAGE_SIZE)


@dataclass(frozen=True, slots=True)
class RootHashMessage:
    """Announces a request's root hash to every informee participant and the mediator, so
    that each can check that the views it got and the informee tree the mediator got are of
    the same transaction."""

    domain: DomainId
    root_hash: RootHash
    request_type: RequestType
    submitting_participant: MemberId
    signature: Signature

    TAG = ("RootHashMessage", 1)

    def __post_init__(self) -> None:
        parse_domain_id(self.domain)
        if not isinstance(self.request_type, RequestType):
            raise InvalidTreeError("request type", self.request_type, "a RequestType")
        if member_kind(self.submitting_participant) is not MemberKind.PARTICIPANT:
            raise InvalidTreeError("submitter", self.submitting_participant, "a participant")

    @staticmethod
    def content(
        domain: DomainId, root_hash: RootHash, request_type: RequestType, submitter: MemberId
    ) -> bytes:
        def write(w: Writer) -> None:
            w.tag("RootHashMessage.content", 1)
            write_domain_id(w, domain)
            root_hash.write(w)
            w.u8(request_type)
            write_member_id(w, submitter)

        return encode(write)

    @classmethod
    def sign(
        cls,
        domain: DomainId,
        root_hash: RootHash,
        submitting_participant: MemberId,
        key: SigningPrivateKey,
        request_type: RequestType = RequestType.TRANSACTION,
    ) -> RootHashMessage:
        content = cls.content(domain, root_hash, request_type, submitting_participant)
        return cls(domain, root_hash, request_type, submitting_participant, key.sign(content))

    def verify(self, key: SigningPublicKey) -> None:
        """Raise :class:`MessageSignatureError` unless the submitting participant's ``key``
        signed this message."""
        content = self.content(
            self.domain, self.root_hash, self.request_type, self.submitting_participant
        )
        _verify("RootHashMessage", key, content, self.signature)

    def check_root_hash(self, actual: RootHash, what: str) -> None:
        """Raise :class:`RootHashMismatchError` unless ``actual`` (of a decrypted view or
        the informee tree, named by ``what``) is this message's root hash."""
        if actual != self.root_hash:
            raise RootHashMismatchError(self.root_hash.to_multihash(), actual.to_multihash(), what)

    def write(self, w: Writer) -> None:
        w.tag(*self.TAG)
        write_domain_id(w, self.domain)
        self.root_hash.write(w)
        w.u8(self.request_type)
        write_member_id(w, self.submitting_participant)
        self.signature.write(w)

    @classmethod
    def read(cls, r: Reader) -> RootHashMessage:
        r.expect_tag(*cls.TAG)
        domain, root_hash = read_domain_id(r), read_root_hash(r)
        request_type = read_enum(r, RequestType, "request type")
        return cls(domain, root_hash, request_type, read_member_id(r), Signature.read(r))

    def to_bytes(self) -> bytes:
        return encode(self.write)

    @classmethod
    def from_bytes(cls, data: bytes) -> RootHashMessage:
        """Decode; raises only :class:`MalformedTransactionMessageError`."""
        return decode_strict(data, cls.read, "root hash message", MAX_MESSAGE_SIZE)
