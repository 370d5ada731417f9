"""Responses and verdicts: round trips, signature checks, and construction rules."""

from __future__ import annotations

import dataclasses

import pytest

from protocol.transaction import (
    Approve,
    ConfirmationResponse,
    ConfirmationResult,
    InvalidTreeError,
    LocalApprove,
    LocalReject,
    LocalRejectCode,
    MediatorReject,
    MediatorRejectCode,
    MessageSignatureError,
    Reject,
    RejectReason,
    RequestId,
    SignedConfirmationResponse,
    SignedConfirmationResult,
    Timeout,
    decode_protocol_message,
)
from tests.protocol.transaction.support import (
    ALICE,
    DAVE,
    DOMAIN,
    MEDIATOR,
    P1,
    P3,
    REQUEST_ID,
    sample_tree,
    signing_key,
)

FULL = sample_tree()


APPROVE = LocalApprove()


def response(verdict: LocalApprove | LocalReject = APPROVE) -> ConfirmationResponse:
    return ConfirmationResponse(
        DOMAIN, RequestId(REQUEST_ID), P1, (0,), FULL.view((0,)).hash, verdict,
        frozenset({ALICE}), FULL.root_hash(),
    )  # fmt: skip


VERDICTS = [
    Approve(),
    Reject(
        (RejectReason(P3, frozenset({DAVE}), LocalReject(LocalRejectCode.CONTRACT_LOCKED, "x")),)
    ),
    MediatorReject(MediatorRejectCode.WRONG_CONFIRMATION_POLICY, "threshold 2, topology says 1"),
    Timeout(),
]


@pytest.mark.parametrize(
    "verdict", [LocalApprove(), LocalReject(LocalRejectCode.AUTHORIZATION, "missing Bob")]
)
def test_signed_response_round_trips_and_verifies(verdict: LocalApprove | LocalReject) -> None:
    signed = SignedConfirmationResponse.sign(response(verdict), signing_key(P1))
    signed.verify(signing_key(P1).public_key)
    data = signed.to_bytes()
    assert SignedConfirmationResponse.from_bytes(data) == signed
    assert decode_protocol_message(data) == signed


def test_tampered_or_misattributed_response_is_rejected() -> None:
    signed = SignedConfirmationResponse.sign(response(), signing_key(P1))
    flipped = dataclasses.replace(
        signed, response=response(LocalReject(LocalRejectCode.MODEL_CONFORMANCE, ""))
    )
    with pytest.raises(MessageSignatureError):
        flipped.verify(signing_key(P1).public_key)
    with pytest.raises(MessageSignatureError):
        signed.verify(signing_key(P3).public_key)
    other_request = dataclasses.replace(
        signed, response=dataclasses.replace(signed.response, request_id=RequestId(REQUEST_ID + 1))
    )
    with pytest.raises(MessageSignatureError):
        other_request.verify(signing_key(P1).public_key)


@pytest.mark.parametrize("verdict", VERDICTS, ids=lambda v: type(v).__name__)
def test_signed_result_round_trips_and_verifies(verdict: object) -> None:
    result = ConfirmationResult(DOMAIN, RequestId(REQUEST_ID), FULL.root_hash(), MEDIATOR, verdict)  # type: ignore[arg-type]
    signed = SignedConfirmationResult.sign(result, signing_key(MEDIATOR))
    signed.verify(signing_key(MEDIATOR).public_key)
    assert SignedConfirmationResult.from_bytes(signed.to_bytes()) == signed
    assert decode_protocol_message(signed.to_bytes()) == signed
    assert result.is_approved == isinstance(verdict, Approve)
    forged = dataclasses.replace(signed, result=dataclasses.replace(result, verdict=Approve()))
    if not isinstance(verdict, Approve):
        with pytest.raises(MessageSignatureError):
            forged.verify(signing_key(MEDIATOR).public_key)
    with pytest.raises(MessageSignatureError):
        signed.verify(signing_key(P1).public_key)


def test_response_rules() -> None:
    with pytest.raises(InvalidTreeError):  # an approval must name its view
        dataclasses.replace(response(), view_position=None, view_hash=None)
    malformed = dataclasses.replace(
        response(LocalReject(LocalRejectCode.MALFORMED, "cannot decrypt")),
        view_position=None, view_hash=None, confirming_parties=frozenset(),
    )  # fmt: skip
    assert (
        SignedConfirmationResponse.from_bytes(
            SignedConfirmationResponse.sign(malformed, signing_key(P1)).to_bytes()
        ).response
        == malformed
    )
    with pytest.raises(InvalidTreeError):
        dataclasses.replace(response(), sender=MEDIATOR)
    with pytest.raises(InvalidTreeError):
        dataclasses.replace(response(), confirming_parties=frozenset())
    with pytest.raises(InvalidTreeError):
        LocalReject(LocalRejectCode.MALFORMED, "x" * 2000)
