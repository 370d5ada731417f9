"""Derivation with the node's signature cache: it skips only checks already made on the
very same bytes, key and signature, and never changes what a batch derives to."""

from __future__ import annotations

import dataclasses

from eth_utils.crypto import keccak

from protocol.crypto.signing import Signature, SignatureCache
from protocol.sequencer_messages import (
    Batch,
    Deliver,
    Envelope,
    SignedSubmissionRequest,
    decode_sequenced_event,
)
from protocol.timestamp import now
from sequencer_chain.contract import ZERO_HASH, BatchAppended, next_acc
from sequencer_chain.reader import DerivationState
from sequencer_chain.reader.derivation import DerivedBatch, derive_batch
from tests.sequencer_chain.sequencer_support import (
    ALICE,
    BOB,
    CAROL,
    DOMAIN,
    batch_of,
    signed_request,
    static_members,
)

MEMBERS = static_members()
BLOCK_TIME_S = now() // 1_000_000


def appended(batch: bytes) -> BatchAppended:
    return BatchAppended(
        0,
        "0x" + "00" * 20,
        0,
        keccak(batch),
        next_acc(ZERO_HASH, batch),
        batch,
        7,
        b"\x00" * 32,
        0,
        b"\x00" * 32,
    )


def derive(batch: bytes, cache: SignatureCache | None) -> DerivedBatch:
    state = DerivationState(0, ZERO_HASH, None)
    return derive_batch(
        state, appended(batch), BLOCK_TIME_S, domain_id=DOMAIN, members=MEMBERS, signatures=cache
    )


def arrived(cache: SignatureCache, *requests: SignedSubmissionRequest) -> None:
    """What SendAsync does on arrival: verify with the sender's key, through the cache."""
    for signed in requests:
        info = MEMBERS.member(signed.request.sender, now())
        assert info is not None
        key = info.key(signed.signature.signer)
        assert key is not None
        signed.verify(key, cache)


def events(derived: DerivedBatch) -> list[tuple[str, int, bytes]]:
    return [(e.member, e.counter, e.event) for e in derived.events]


def tampered_payload(signed: SignedSubmissionRequest) -> SignedSubmissionRequest:
    """The same signature over a request whose payload differs by one byte."""
    request = signed.request
    envelope = request.batch.envelopes[0]
    changed = bytes([envelope.payload[0] ^ 1]) + envelope.payload[1:]
    forged = dataclasses.replace(request, batch=Batch((Envelope(changed, envelope.recipients),)))
    return SignedSubmissionRequest(forged, signed.signature)


def test_a_request_verified_on_arrival_is_not_verified_again() -> None:
    ok = signed_request(ALICE, "ok", [(b"hello", [BOB.member])])
    cache = SignatureCache()
    arrived(cache, ok)
    assert (len(cache), cache.misses, cache.hits) == (1, 1, 0)
    batch = batch_of(ok)
    with_cache = derive(batch, cache)
    assert cache.hits == 1
    assert len(cache) == 0  # consumed: derivation takes it once
    assert events(with_cache) == events(derive(batch, None))
    assert [e.member for e in with_cache.events] == sorted([ALICE.member, BOB.member])


def test_a_cached_request_never_lets_a_tampered_one_through() -> None:
    """The cache holds Alice's genuine request; the chain carries variants with her
    signature over other bytes, or other signature bytes over hers. Each is verified in
    full and dropped, exactly as a node without the cache drops it."""
    genuine = signed_request(ALICE, "pay", [(b"pay bob 10", [BOB.member])])
    other = signed_request(ALICE, "pay-2", [(b"pay bob 10", [BOB.member])])
    flipped = bytes([genuine.signature.signature[0] ^ 1]) + genuine.signature.signature[1:]
    variants = [
        tampered_payload(genuine),
        SignedSubmissionRequest(other.request, genuine.signature),
        SignedSubmissionRequest(genuine.request, Signature(genuine.signature.signer, flipped)),
    ]
    for forged in variants:
        cache = SignatureCache()
        arrived(cache, genuine)
        batch = batch_of(forged)
        derived = derive(batch, cache)
        assert derived.events == ()  # dropped: not written by Alice
        assert cache.hits == 0
        assert len(cache) == 1  # the genuine entry is untouched
        assert events(derived) == events(derive(batch, None))


def test_a_request_signed_with_another_key_misses_the_cache() -> None:
    """An entry is also keyed by the key: Carol's signature over Alice's request, cached
    as a check against Carol's key, does not make it Alice's."""
    by_carol = signed_request(ALICE, "x", [(b"p", [BOB.member])], signer=CAROL.key)
    cache = SignatureCache()
    by_carol.verify(CAROL.key.public_key, cache)  # a true statement, cached
    derived = derive(batch_of(by_carol), cache)
    assert derived.events == ()
    assert cache.hits == 0


def test_a_mixed_batch_derives_the_same_with_and_without_the_cache() -> None:
    """Requests this node verified, requests another node wrote and a forgery in one
    batch: identical events, and only the first kind comes from the cache."""
    mine = [signed_request(ALICE, f"a{i}", [(bytes([i]) * 40, [BOB.member])]) for i in range(3)]
    theirs = [signed_request(BOB, f"b{i}", [(bytes([i]) * 40, [ALICE.member])]) for i in range(2)]
    forged = tampered_payload(mine[1])
    batch = batch_of(mine[0], theirs[0], forged, mine[1], theirs[1], mine[2])
    cache = SignatureCache()
    arrived(cache, *mine)
    with_cache = derive(batch, cache)
    assert cache.hits == 3
    assert cache.misses == 3 + 3  # three on arrival, then two of theirs and the forgery
    assert events(with_cache) == events(derive(batch, None))
    delivered = [decode_sequenced_event(e.event) for e in with_cache.events]
    assert sum(1 for d in delivered if isinstance(d, Deliver) and d.message_id) == 5
