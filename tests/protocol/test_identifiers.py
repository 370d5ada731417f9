"""Identifier grammar: what parses, what is refused, and with which rule."""

from __future__ import annotations

import pytest

from protocol.canonical import Reader, encode
from protocol.errors import InvalidIdentifierError, MalformedError
from protocol.identifiers import (
    MAX_NAME_LENGTH,
    MemberKind,
    make_member_id,
    member_kind,
    member_namespace,
    parse_domain_id,
    parse_fingerprint,
    parse_member_id,
    parse_party_id,
    read_member_id,
    split_member_id,
)
from tests.protocol.support import namespace

NS = namespace("alice")


def test_namespace_is_multihash_of_root_key() -> None:
    assert NS.startswith("1220")
    assert len(NS) == 68
    assert parse_fingerprint(NS) == NS


@pytest.mark.parametrize("kind", list(MemberKind))
def test_member_round_trip(kind: MemberKind) -> None:
    m = make_member_id(kind, "node-1.a_b", NS)
    assert m == f"{kind.value}::node-1.a_b::{NS}"
    assert split_member_id(m) == (kind, "node-1.a_b", NS)
    assert member_kind(m) is kind
    assert member_namespace(m) == NS


def test_party_and_domain_ids() -> None:
    assert parse_party_id(f"Alice::{NS}") == f"Alice::{NS}"
    assert parse_domain_id(f"dom::{NS}") == f"dom::{NS}"


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        (f"XYZ::n::{NS}", "member code"),
        (f"PAR::{NS}", "name::namespace"),
        (f"PAR::n::{NS}::x", "name::namespace"),
        (f"PAR::-n::{NS}", "name must be"),
        (f"PAR::n m::{NS}", "name must be"),
        (f"PAR::ä::{NS}", "name must be"),
        (f"PAR::{'a' * (MAX_NAME_LENGTH + 1)}::{NS}", "at most"),
        (f"PAR::::{NS}", "name must be 1.."),
        (f"PAR::n::{NS.upper()}", "1220"),
        (f"PAR::n::{NS[:-1]}g", "lowercase hex"),
        (f"PAR::n::{NS[:-2]}", "68 characters"),
        ("PAR", "CODE::name::namespace"),
    ],
)
def test_member_rejections_name_the_rule(text: str, rule: str) -> None:
    with pytest.raises(InvalidIdentifierError) as info:
        parse_member_id(text)
    assert rule in info.value.rule
    assert isinstance(info.value, MalformedError)


def test_rejected_member_error_carries_input() -> None:
    bad = f"XYZ::n::{NS}"
    with pytest.raises(InvalidIdentifierError) as info:
        parse_member_id(bad)
    assert info.value.text == bad
    assert info.value.kind == "member id"


def test_party_refuses_member_form() -> None:
    with pytest.raises(InvalidIdentifierError):
        parse_party_id(f"PAR::n::{NS}")


def test_decoder_revalidates() -> None:
    data = encode(lambda w: w.str(f"PAR::bad name::{NS}"))
    with pytest.raises(InvalidIdentifierError):
        read_member_id(Reader(data))


def test_remembered_validation_keeps_every_refusal_and_its_kind() -> None:
    """Validation remembers ids that passed; a refusal is always checked in full and names
    the kind of identifier the caller asked for."""
    good = make_member_id(MemberKind.PARTICIPANT, "memo", NS)
    for _ in range(2):
        assert parse_member_id(good) == good
        assert split_member_id(good) == (MemberKind.PARTICIPANT, "memo", NS)
    unique = good.removeprefix("PAR::")
    assert parse_party_id(unique) == unique
    for parse, kind in ((parse_party_id, "party id"), (parse_domain_id, "domain id")):
        with pytest.raises(InvalidIdentifierError) as info:
            parse(good)  # three parts: a member id is not a unique id
        assert info.value.kind == kind
    with pytest.raises(InvalidIdentifierError) as info:
        parse_fingerprint(NS[:-1] + "G", "signer")
    assert info.value.kind == "signer"

    class Text(str):
        pass

    assert parse_member_id(Text(good)) == good  # a str subclass is checked, not looked up
    with pytest.raises(InvalidIdentifierError):
        parse_member_id(Text(good + "x"))
