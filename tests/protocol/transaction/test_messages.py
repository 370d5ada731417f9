"""Request messages: encryption to exactly the recipients, associated data binding,
signatures, and what the mediator (and the chain) can see."""

from __future__ import annotations

import dataclasses
import random

import pytest

from protocol.crypto import EncryptedMessage
from protocol.transaction import (
    EncryptedViewMessage,
    InformeeMessage,
    InformeeTree,
    MessageSignatureError,
    MissingEncryptionKeyError,
    RootHashMessage,
    RootHashMismatchError,
    UnhostedInformeeError,
    ViewDecryptionError,
    build_confirmation_request,
    confirming_parties,
    decode_protocol_message,
    view_recipients,
    views_for_participant,
)
from tests.protocol.transaction.support import (
    ALICE,
    DAVE,
    DOMAIN,
    MEDIATOR,
    OLD_IOU,
    P1,
    P2,
    P3,
    P4,
    SECRETS,
    FakeTopology,
    encryption_key,
    sample_tree,
    signing_key,
)

FULL = sample_tree()
ROOT = FULL.root_hash()
TOPOLOGY = FakeTopology()


def _encrypt(position: tuple[int, ...], *members: str) -> EncryptedViewMessage:
    keys = [encryption_key(m).public_key for m in members]  # type: ignore[arg-type]
    return EncryptedViewMessage.encrypt(FULL.view_tree(position), keys)


def test_view_for_a_and_b_decrypts_for_both_and_not_for_c() -> None:
    message = _encrypt((0,), P1, P2)
    for member in (P1, P2):
        tree = message.decrypt(encryption_key(member))
        assert tree == FULL.view_tree((0,))
        assert tree.root_hash() == ROOT
    with pytest.raises(ViewDecryptionError) as info:
        message.decrypt(encryption_key(P3))
    assert info.value.view_hash == message.view_hash.to_multihash()


def test_encrypted_view_round_trips_and_hides_its_contents() -> None:
    message = _encrypt((0,), P1, P2)
    data = message.to_bytes()
    assert EncryptedViewMessage.from_bytes(data) == message
    assert decode_protocol_message(data) == message
    for secret in SECRETS:
        assert secret not in data


def test_associated_data_binds_the_root_hash() -> None:
    """An encrypted view moved into another request fails, whichever hashes it shows."""
    mine = _encrypt((0,), P1, P2)
    other_tree = sample_tree(b"\x09" * 32)
    other = EncryptedViewMessage.encrypt(
        other_tree.view_tree((0,)), [encryption_key(P1).public_key]
    )
    # Relabelled with the other request's hashes: the associated data no longer matches.
    moved = dataclasses.replace(mine, root_hash=other.root_hash, view_hash=other.view_hash)
    with pytest.raises(ViewDecryptionError):
        moved.decrypt(encryption_key(P1))
    moved_root_only = dataclasses.replace(mine, root_hash=other.root_hash)
    with pytest.raises(ViewDecryptionError):
        moved_root_only.decrypt(encryption_key(P1))
    # Kept as is: it opens, but names another root hash than the request's message.
    root_message = RootHashMessage.sign(DOMAIN, other_tree.root_hash(), P1, signing_key(P1))
    opened = mine.decrypt(encryption_key(P1))
    with pytest.raises(RootHashMismatchError):
        root_message.check_root_hash(opened.root_hash(), "view 0")


def test_ciphertext_from_another_view_fails() -> None:
    view0 = _encrypt((0,), P1)
    view1 = _encrypt((1,), P1)
    spliced = dataclasses.replace(view0, encrypted=view1.encrypted)
    with pytest.raises(ViewDecryptionError):
        spliced.decrypt(encryption_key(P1))
    flipped = bytearray(view0.encrypted.ciphertext)
    flipped[0] ^= 1
    tampered = dataclasses.replace(
        view0,
        encrypted=EncryptedMessage(view0.encrypted.keys, view0.encrypted.nonce, bytes(flipped)),
    )
    with pytest.raises(ViewDecryptionError):
        tampered.decrypt(encryption_key(P1))


def test_informee_and_root_hash_messages_are_signed() -> None:
    informee = InformeeMessage.sign(InformeeTree.of(FULL), signing_key(P1))
    informee.verify(signing_key(P1).public_key)
    assert informee.root_hash == ROOT
    assert InformeeMessage.from_bytes(informee.to_bytes()) == informee
    with pytest.raises(MessageSignatureError):
        informee.verify(signing_key(P2).public_key)
    root = RootHashMessage.sign(DOMAIN, ROOT, P1, signing_key(P1))
    root.verify(signing_key(P1).public_key)
    assert RootHashMessage.from_bytes(root.to_bytes()) == root
    forged = dataclasses.replace(root, submitting_participant=P2)
    with pytest.raises(MessageSignatureError):
        forged.verify(signing_key(P1).public_key)


def test_recipients_include_ancestors_informee_participants() -> None:
    recipients = view_recipients(FULL, TOPOLOGY)
    assert recipients == {(0,): {P1, P3}, (0, 0): {P1, P2, P3}, (1,): {P3}}
    assert views_for_participant(FULL, P2, TOPOLOGY) == ((0, 0),)
    assert views_for_participant(FULL, P3, TOPOLOGY) == ((0,), (0, 0), (1,))
    assert views_for_participant(FULL, P4, TOPOLOGY) == ()
    assert confirming_parties(FULL.common_data((0,)), P1, TOPOLOGY) == {ALICE}
    # P3 hosts Carol only for observation: it confirms nothing in view 0, Dave in view 1.
    assert confirming_parties(FULL.common_data((0,)), P3, TOPOLOGY) == frozenset()
    assert confirming_parties(FULL.common_data((1,)), P3, TOPOLOGY) == {DAVE}


def test_request_envelopes_reach_exactly_the_right_members() -> None:
    envelopes = build_confirmation_request(FULL, TOPOLOGY, signing_key(P1))
    decoded = [(decode_protocol_message(e.payload), e.recipients) for e in envelopes]
    views = [(m, r) for m, r in decoded if isinstance(m, EncryptedViewMessage)]
    assert [r for _, r in views] == [{P1, P3}, {P1, P2, P3}, {P3}]
    for member in (P1, P2, P3):
        opened = [m.decrypt(encryption_key(member)) for m, r in views if member in r]
        assert [t.position for t in opened] == list(views_for_participant(FULL, member, TOPOLOGY))
    informee = [(m, r) for m, r in decoded if isinstance(m, InformeeMessage)]
    assert len(informee) == 1 and informee[0][1] == {MEDIATOR}
    informee[0][0].verify(signing_key(P1).public_key)
    roots = [(m, r) for m, r in decoded if isinstance(m, RootHashMessage)]
    assert len(roots) == 1 and roots[0][1] == {P1, P2, P3, MEDIATOR}
    assert roots[0][0].root_hash == ROOT == informee[0][0].root_hash


def test_nothing_addressed_to_the_mediator_holds_participant_data() -> None:
    envelopes = build_confirmation_request(FULL, TOPOLOGY, signing_key(P1))
    to_mediator = [e.payload for e in envelopes if MEDIATOR in e.recipients]
    assert len(to_mediator) == 2
    for payload in to_mediator:
        for secret in (*SECRETS, OLD_IOU.encode()):
            assert secret not in payload
        assert not isinstance(decode_protocol_message(payload), EncryptedViewMessage)
    # Nothing anywhere in the request (what the chain stores) holds a plaintext.
    for envelope in envelopes:
        for secret in SECRETS:
            assert secret not in envelope.payload


def test_request_fails_typed_when_topology_cannot_serve_it() -> None:
    no_key = FakeTopology()
    del no_key.keys[P2]
    with pytest.raises(MissingEncryptionKeyError) as missing:
        build_confirmation_request(FULL, no_key, signing_key(P1))
    assert missing.value.participant == P2
    unhosted = FakeTopology()
    del unhosted.hosts[DAVE]
    with pytest.raises(UnhostedInformeeError) as info:
        build_confirmation_request(FULL, unhosted, signing_key(P1))
    assert info.value.party == DAVE


def test_a_view_larger_than_an_envelope_is_refused_typed() -> None:
    from protocol.sequencer_messages import MAX_PAYLOAD_SIZE
    from protocol.transaction import InvalidTreeError

    # incompressible: views are compressed before encryption
    big = sample_tree(amount=random.Random(7).randbytes(MAX_PAYLOAD_SIZE + 1))
    with pytest.raises(InvalidTreeError) as info:
        build_confirmation_request(big, TOPOLOGY, signing_key(P1))
    assert info.value.what == "envelope payload"


# -- padding of view plaintexts ------------------------------------------------------------


def test_padded_sizes_follow_padme() -> None:
    from protocol.transaction.messages import MIN_PADDED_SIZE, padded_size

    assert [padded_size(n) for n in (1, 512, 513, 700, 1000, 3000, 10_000, 50_000)] == [
        MIN_PADDED_SIZE, 512, 544, 704, 1024, 3072, 10_240, 51_200,
    ]  # fmt: skip
    for n in range(1, 200_000, 997):
        size = padded_size(n)
        assert size >= n and (n <= MIN_PADDED_SIZE or size <= n * 1.12)


def test_padding_round_trips_and_refuses_what_it_could_not_have_made() -> None:
    from protocol.transaction.errors import MalformedTransactionMessageError
    from protocol.transaction.messages import pad_plaintext, padded_size, unpad_plaintext

    for data in (b"", b"x", bytes(range(256)) * 7):
        padded = pad_plaintext(data)
        assert len(padded) == padded_size(4 + len(data))
        assert unpad_plaintext(padded) == data
    good = pad_plaintext(b"view")
    for bad in (
        good[:3],  # no length prefix
        (10_000).to_bytes(4, "big") + good[4:],  # length past the end
        good[:-1] + b"\x01",  # non-zero padding
        good + bytes(16),  # padding longer than Padmé's size
    ):
        with pytest.raises(MalformedTransactionMessageError):
            unpad_plaintext(bad)


def test_views_of_different_small_sizes_encrypt_to_the_same_size() -> None:
    """Sizes on the chain no longer tell a tiny view from a slightly larger one."""
    from protocol.transaction.messages import pad_plaintext

    assert len(pad_plaintext(b"a" * 10)) == len(pad_plaintext(b"b" * 400))


# -- compression of view plaintexts --------------------------------------------------------


def test_views_are_compressed_before_padding_and_encryption() -> None:
    """A view tree's repeated ids compress away; the ciphertext carries the padded zlib
    stream, so it is shorter than the padded tree itself would be."""
    import zlib

    from protocol.transaction.messages import padded_size

    tree = FULL.view_tree((0,))
    message = _encrypt((0,), P1, P3)
    assert message.decrypt(encryption_key(P3)) == tree
    raw = tree.to_bytes()
    compressed = zlib.compress(raw, 9)
    assert len(message.encrypted.ciphertext) == padded_size(4 + len(compressed)) + 16
    assert len(message.encrypted.ciphertext) < padded_size(4 + len(raw)) + 16


def test_inflating_a_view_refuses_garbage_bombs_truncation_and_trailing_bytes() -> None:
    import zlib

    from protocol.transaction.errors import MalformedTransactionMessageError
    from protocol.transaction.messages import compress_view, decompress_view
    from protocol.transaction.views import MAX_TREE_SIZE

    data = FULL.view_tree((0,)).to_bytes()
    assert decompress_view(compress_view(data)) == data
    bomb = zlib.compress(bytes(MAX_TREE_SIZE + 1), 9)
    stream = compress_view(data)
    for bad in (b"not zlib", bomb, stream[:-3], stream + b"\x00"):
        with pytest.raises(MalformedTransactionMessageError):
            decompress_view(bad)


def test_an_uncompressed_view_plaintext_is_refused_typed() -> None:
    """A version-2 style plaintext (padded tree without compression) under a version-3
    message fails to decode with the typed error, not by accident."""
    from protocol.crypto import encrypt
    from protocol.transaction.errors import MalformedTransactionMessageError
    from protocol.transaction.messages import pad_plaintext, view_associated_data

    tree = FULL.view_tree((0,))
    ad = view_associated_data(DOMAIN, ROOT, tree.view_hash)
    encrypted = encrypt([encryption_key(P1).public_key], pad_plaintext(tree.to_bytes()), ad)
    message = EncryptedViewMessage(DOMAIN, ROOT, tree.view_hash, encrypted)
    with pytest.raises(MalformedTransactionMessageError):
        message.decrypt(encryption_key(P1))
