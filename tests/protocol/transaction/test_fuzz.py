"""Every decoder, fed random or mutated bytes, raises only
MalformedTransactionMessageError (or decodes)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol.transaction import (
    EncryptedViewMessage,
    FullTransactionTree,
    InformeeMessage,
    InformeeTree,
    MalformedTransactionMessageError,
    RootHashMessage,
    SignedAcsCommitment,
    SignedConfirmationResponse,
    SignedConfirmationResult,
    TransactionTree,
    TransactionViewTree,
    decode_protocol_message,
)
from tests.protocol.transaction.test_vectors import sample_encodings

DECODERS: dict[str, Callable[[bytes], object]] = {
    "transaction_tree": TransactionTree.from_bytes,
    "full_tree": FullTransactionTree.from_bytes,
    "view_tree": TransactionViewTree.from_bytes,
    "informee_tree": InformeeTree.from_bytes,
    "encrypted_view": EncryptedViewMessage.from_bytes,
    "informee_message": InformeeMessage.from_bytes,
    "root_hash_message": RootHashMessage.from_bytes,
    "response": SignedConfirmationResponse.from_bytes,
    "result": SignedConfirmationResult.from_bytes,
    "acs_commitment": SignedAcsCommitment.from_bytes,
    "any_message": decode_protocol_message,
}
SAMPLES = sample_encodings()
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _only_typed(decode: Callable[[bytes], object], data: bytes) -> None:
    with contextlib.suppress(MalformedTransactionMessageError):
        decode(data)


@pytest.mark.parametrize("name", sorted(DECODERS))
@FUZZ
@given(data=st.binary(max_size=512))
def test_random_bytes_raise_only_the_typed_error(name: str, data: bytes) -> None:
    _only_typed(DECODERS[name], data)


@pytest.mark.parametrize("name", sorted(DECODERS))
@FUZZ
@given(data=st.data())
def test_mutated_valid_encodings_raise_only_the_typed_error(name: str, data: st.DataObject) -> None:
    sample = bytearray(data.draw(st.sampled_from(sorted(SAMPLES.values()))))
    for _ in range(data.draw(st.integers(1, 4))):
        kind = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        at = data.draw(st.integers(0, max(len(sample) - 1, 0)))
        if kind == "flip" and sample:
            sample[at] ^= data.draw(st.integers(1, 255))
        elif kind == "cut":
            del sample[at:]
        else:
            sample[at:at] = data.draw(st.binary(min_size=1, max_size=8))
    _only_typed(DECODERS[name], bytes(sample))


def test_non_bytes_and_oversized_inputs_are_typed() -> None:
    for decode in DECODERS.values():
        with pytest.raises(MalformedTransactionMessageError):
            decode("not bytes")  # type: ignore[arg-type]
    with pytest.raises(MalformedTransactionMessageError):
        SignedConfirmationResponse.from_bytes(bytes(1024 * 1024))
