"""The ledger benchmark's breakdown of chain bytes: a real batch (a confirmation request,
a response, a verdict, a time proof), packed by the batch format and wrapped in
``submit`` calldata, is classified by message kind and its parts add up exactly."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from protocol.batch_format import BATCH_HEADER_SIZE, decode_batch, pack_batch
from protocol.identifiers import MemberId
from protocol.sequencer_messages import (
    Batch,
    Envelope,
    MessageId,
    SignedSubmissionRequest,
    SubmissionRequest,
)
from protocol.timestamp import Timestamp
from protocol.transaction import (
    Approve,
    ConfirmationResponse,
    ConfirmationResult,
    LocalApprove,
    RequestId,
    SignedConfirmationResponse,
    SignedConfirmationResult,
    build_confirmation_request,
)
from sequencer_chain.contract.inbox import encode_submit
from tests.protocol.transaction.support import (
    ALICE,
    DOMAIN,
    MEDIATOR,
    P1,
    P2,
    P3,
    REQUEST_ID,
    FakeTopology,
    sample_tree,
    signing_key,
)

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "chain_breakdown.py"
SEQUENCED_BY = Timestamp(REQUEST_ID + 60_000_000)


@pytest.fixture(scope="module")
def cb() -> ModuleType:
    spec = importlib.util.spec_from_file_location("chain_breakdown", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through it
    spec.loader.exec_module(module)
    return module


def signed(sender: MemberId, message_id: str, envelopes: list[Envelope]) -> bytes:
    request = SubmissionRequest(
        DOMAIN, sender, MessageId(message_id), Batch(tuple(envelopes)), SEQUENCED_BY
    )
    return SignedSubmissionRequest.sign(request, signing_key(sender)).to_bytes()


def real_batch() -> tuple[bytes, list[bytes]]:
    full = sample_tree()
    request = [
        Envelope.of(e.payload, e.recipients)
        for e in build_confirmation_request(full, FakeTopology(), signing_key(P1))
    ]
    response = ConfirmationResponse(
        DOMAIN, RequestId(REQUEST_ID), P1, (0,), full.view((0,)).hash, LocalApprove(),
        frozenset({ALICE}), full.root_hash(),
    )  # fmt: skip
    result = ConfirmationResult(
        DOMAIN, RequestId(REQUEST_ID), full.root_hash(), MEDIATOR, Approve()
    )
    response_payload = SignedConfirmationResponse.sign(response, signing_key(P1)).to_bytes()
    result_payload = SignedConfirmationResult.sign(result, signing_key(MEDIATOR)).to_bytes()
    requests = [
        signed(P1, "tx-1", request),
        signed(P1, "resp-1", [Envelope.of(response_payload, {MEDIATOR})]),
        signed(MEDIATOR, "verdict-1", [Envelope.of(result_payload, {P1, P2, P3})]),
        signed(P2, "time-proof-1", []),
    ]
    packed = pack_batch(requests, Timestamp(REQUEST_ID))
    assert packed.count == len(requests)
    return packed.data, requests


def test_a_real_batch_is_classified_by_message_kind_and_adds_up(cb: ModuleType) -> None:
    data, requests = real_batch()
    breakdown = cb.Breakdown()
    breakdown.add_transaction(encode_submit(7, data), gas_used=123_456, ok=True)

    # the sample request has three views, one informee and one root hash message
    assert dict(breakdown.count) == {
        cb.ENCRYPTED_VIEW: 3,
        cb.INFORMEE: 1,
        cb.ROOT_HASH: 1,
        cb.RESPONSE: 1,
        cb.VERDICT: 1,
        cb.TIME_PROOF: 1,
    }
    assert breakdown.batches == breakdown.chain_txs == 1 and breakdown.requests == 4
    assert breakdown.gas == 123_456 and breakdown.on_chain == len(data)
    # every byte of the uncompressed batch is in exactly one row
    content = BATCH_HEADER_SIZE + 4 + sum(4 + len(r) for r in requests)
    assert breakdown.content == content
    rows = [*cb.KINDS, cb.TIME_PROOF, *cb.OVERHEADS, cb.BATCH_FRAMING]
    assert sum(breakdown.size.get(row, 0) for row in rows) == content
    # the parts of each kind are within it; a signature is 150 bytes
    views = decode_batch(data).requests[0].request.batch.envelopes[:3]
    assert breakdown.size[cb.ENCRYPTED_VIEW] == sum(len(e.payload) for e in views)
    view_parts = (
        breakdown.parts[cb.ENCRYPTED_VIEW, cb.CIPHERTEXT]
        + breakdown.parts[cb.ENCRYPTED_VIEW, cb.WRAPPED_KEYS]
    )
    assert view_parts < breakdown.size[cb.ENCRYPTED_VIEW]
    assert breakdown.parts[cb.RESPONSE, cb.SIGNATURES] == 150
    assert breakdown.size[cb.REQUEST_SIGNATURE] == 3 * 150  # the time proof is all its own
    ids = ("tx-1", "resp-1", "verdict-1")
    assert breakdown.size[cb.REQUEST_MESSAGE_ID] == sum(4 + len(m) for m in ids)
    text = breakdown.render(ledger_txs=1)
    assert "encrypted view" in text and "compression ratio" in text


def test_garbage_and_reverted_transactions_are_counted_not_classified(cb: ModuleType) -> None:
    data, _ = real_batch()
    breakdown = cb.Breakdown()
    breakdown.add_transaction(encode_submit(1, data), gas_used=10, ok=False)
    breakdown.add_transaction(encode_submit(2, b"\x01not a batch"), gas_used=20, ok=True)
    assert breakdown.chain_txs == 2 and breakdown.reverted_txs == 1
    assert breakdown.undecodable == 1 and breakdown.batches == 0 and not breakdown.count
    assert cb.classify_payload(b"\x00\x00\x00\x03abc")[0] == cb.OTHER
