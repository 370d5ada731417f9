"""The participant's errors stay inside their package's error tree."""

from __future__ import annotations

import pytest

from participant.engine import EngineError, PackageError
from participant.engine.typesys import TypeDeclError, parse_type
from participant.errors import ParticipantError
from participant.protocol.actions import instance_from_bytes


def test_a_type_declaration_error_is_an_engine_package_error() -> None:
    with pytest.raises(TypeDeclError) as caught:
        parse_type(complex, {}, "Iou.amount")
    assert isinstance(caught.value, PackageError) and isinstance(caught.value, EngineError)
    assert isinstance(caught.value, ValueError)
    assert str(caught.value).startswith("Iou.amount: ")


def test_an_action_decode_error_is_a_participant_error() -> None:
    with pytest.raises(ValueError) as caught:  # ActionDecodeError keeps its ValueError mixin
        instance_from_bytes(b"\x00not an instance")
    assert type(caught.value).__name__ == "ActionDecodeError"
    assert isinstance(caught.value, ParticipantError)
    assert str(caught.value).startswith("contract instance: ")
