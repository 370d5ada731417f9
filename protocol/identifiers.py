"""Identifiers of keys, namespaces, members, parties and domains, and their grammar.

Identifiers are plain strings at run time (``NewType``), so they serve directly as dict keys,
database columns and protobuf fields. A value of one of these types has always been
through its ``parse_*``/``make_*`` function; nothing else should ``cast`` to them.

Grammar (Canton style; ``::`` is the separator, and never occurs inside a part)::

    fingerprint  = "1220" 64*lowerhex          ; multihash: sha2-256 (0x12), 32 bytes (0x20)
    namespace    = fingerprint                 ; of the root Ed25519 key of the namespace
    name         = alnum *( alnum / "." / "_" / "-" )   ; 1..MAX_NAME_LENGTH characters
    unique-id    = name "::" namespace
    party-id     = unique-id
    domain-id    = unique-id
    member-id    = member-code "::" unique-id
    member-code  = "PAR" / "MED" / "SEQ" / "DOM"

Only ASCII is accepted, so the text and its UTF-8 bytes have the same length and no
Unicode normalisation question arises. The canonical encoding of every identifier is its
text as a ``str``; decoders re-validate with :func:`read_member_id` and friends.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Callable
from typing import NewType, TypeVar

from protocol.canonical import Reader, Writer
from protocol.errors import InvalidIdentifierError

T = TypeVar("T")

Fingerprint = NewType("Fingerprint", str)
"""Multihash hex of a public key: ``"1220"`` then 64 lowercase hex digits."""

Namespace = NewType("Namespace", str)
"""The fingerprint of a namespace's root Ed25519 key."""

MemberId = NewType("MemberId", str)
"""A domain member: ``PAR::name::namespace``, ``MED::…``, ``SEQ::…`` or ``DOM::…``."""

PartyId = NewType("PartyId", str)
"""A ledger party: ``name::namespace``."""

DomainId = NewType("DomainId", str)
"""A domain: ``name::namespace`` (the namespace of the domain owner's root key)."""

SEPARATOR = "::"
MULTIHASH_SHA256_PREFIX = "1220"
FINGERPRINT_LENGTH = len(MULTIHASH_SHA256_PREFIX) + 64
MAX_NAME_LENGTH = 64
MAX_UNIQUE_ID_LENGTH = MAX_NAME_LENGTH + len(SEPARATOR) + FINGERPRINT_LENGTH
MAX_MEMBER_ID_LENGTH = 3 + len(SEPARATOR) + MAX_UNIQUE_ID_LENGTH

IDENTIFIER_CACHE_SIZE = 16_384
"""Identifiers of each grammar whose successful validation is remembered."""

_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_FINGERPRINT_RE = re.compile(r"1220[0-9a-f]{64}")


class MemberKind(enum.Enum):
    """The kinds of domain member; the value is the code written before the first ``::``."""

    PARTICIPANT = "PAR"
    MEDIATOR = "MED"
    SEQUENCER = "SEQ"
    DOMAIN_MANAGER = "DOM"


def _memoised(check: Callable[[str, str], T]) -> Callable[[str, str], T]:
    """``check(text, kind)`` with its successes remembered by ``text`` (the answer does
    not depend on ``kind``, which only names the identifier in an error).

    Decoders re-validate every identifier they read, and a busy sequencer reads the same
    few member ids thousands of times a second. Only exact ``str`` values that passed are
    remembered, at most ``IDENTIFIER_CACHE_SIZE`` (least recently used dropped first);
    anything else, and every failure, goes through the full check and raises from it."""

    @functools.lru_cache(maxsize=IDENTIFIER_CACHE_SIZE)
    def passed(text: str) -> T:
        return check(text, "identifier")

    @functools.wraps(check)
    def checked(text: str, kind: str) -> T:
        if type(text) is str:
            try:
                return passed(text)
            except InvalidIdentifierError:
                pass
        return check(text, kind)

    return checked


def parse_fingerprint(text: str, kind: str = "fingerprint") -> Fingerprint:
    """Validate ``text`` as a fingerprint; raise :class:`InvalidIdentifierError` otherwise."""
    return _parse_fingerprint(text, kind)


@_memoised
def _parse_fingerprint(text: str, kind: str) -> Fingerprint:
    if not isinstance(text, str):
        raise InvalidIdentifierError(kind, text, "must be a str")
    if len(text) != FINGERPRINT_LENGTH:
        raise InvalidIdentifierError(kind, text, f"must be {FINGERPRINT_LENGTH} characters")
    if not text.startswith(MULTIHASH_SHA256_PREFIX):
        raise InvalidIdentifierError(kind, text, "must start with the sha2-256 multihash '1220'")
    if _FINGERPRINT_RE.fullmatch(text) is None:
        raise InvalidIdentifierError(kind, text, "must be lowercase hex after '1220'")
    return Fingerprint(text)


def parse_namespace(text: str) -> Namespace:
    """Validate ``text`` as a namespace (a fingerprint)."""
    return Namespace(parse_fingerprint(text, "namespace"))


def validate_name(text: str, kind: str = "name") -> str:
    """Validate the name part of a unique identifier and return it unchanged."""
    if not isinstance(text, str):
        raise InvalidIdentifierError(kind, text, "must be a str")
    if not 1 <= len(text) <= MAX_NAME_LENGTH:
        raise InvalidIdentifierError(kind, text, f"name must be 1..{MAX_NAME_LENGTH} characters")
    if not text.isascii() or _NAME_RE.fullmatch(text) is None:
        raise InvalidIdentifierError(
            kind, text, "name must be [A-Za-z0-9] then [A-Za-z0-9._-] characters"
        )
    return text


@_memoised
def _split_unique(text: str, kind: str) -> tuple[str, Namespace]:
    if not isinstance(text, str):
        raise InvalidIdentifierError(kind, text, "must be a str")
    if len(text) > MAX_UNIQUE_ID_LENGTH:
        raise InvalidIdentifierError(kind, text, f"must be at most {MAX_UNIQUE_ID_LENGTH} chars")
    parts = text.split(SEPARATOR)
    if len(parts) != 2:
        raise InvalidIdentifierError(kind, text, "must be 'name::namespace'")
    name = validate_name(parts[0], kind)
    return name, Namespace(parse_fingerprint(parts[1], kind))


def parse_party_id(text: str) -> PartyId:
    """Validate ``text`` as ``name::namespace``."""
    _split_unique(text, "party id")
    return PartyId(text)


def make_party_id(name: str, namespace: Namespace) -> PartyId:
    return parse_party_id(f"{name}{SEPARATOR}{namespace}")


def parse_domain_id(text: str) -> DomainId:
    """Validate ``text`` as ``name::namespace``."""
    _split_unique(text, "domain id")
    return DomainId(text)


def make_domain_id(name: str, namespace: Namespace) -> DomainId:
    return parse_domain_id(f"{name}{SEPARATOR}{namespace}")


def split_unique_id(text: PartyId | DomainId) -> tuple[str, Namespace]:
    """The name and namespace of a party or domain id."""
    return _split_unique(text, "unique id")


def parse_member_id(text: str) -> MemberId:
    """Validate ``text`` as ``CODE::name::namespace`` with a known member code."""
    split_member_id(text)
    return MemberId(text)


def make_member_id(kind: MemberKind, name: str, namespace: Namespace) -> MemberId:
    return parse_member_id(f"{kind.value}{SEPARATOR}{name}{SEPARATOR}{namespace}")


def split_member_id(text: str) -> tuple[MemberKind, str, Namespace]:
    """The kind, name and namespace of a member id; raises if ``text`` is not one."""
    return _split_member_id(text, "member id")


@_memoised
def _split_member_id(text: str, kind: str) -> tuple[MemberKind, str, Namespace]:
    if not isinstance(text, str):
        raise InvalidIdentifierError(kind, text, "must be a str")
    if len(text) > MAX_MEMBER_ID_LENGTH:
        raise InvalidIdentifierError(kind, text, f"must be at most {MAX_MEMBER_ID_LENGTH} chars")
    code, sep, rest = text.partition(SEPARATOR)
    if not sep:
        raise InvalidIdentifierError(kind, text, "must be 'CODE::name::namespace'")
    try:
        member_kind = MemberKind(code)
    except ValueError:
        codes = "/".join(k.value for k in MemberKind)
        raise InvalidIdentifierError(kind, text, f"member code must be one of {codes}") from None
    name, namespace = _split_unique(rest, kind)
    return member_kind, name, namespace


def member_kind(member: MemberId) -> MemberKind:
    return split_member_id(member)[0]


def member_namespace(member: MemberId) -> Namespace:
    return split_member_id(member)[2]


# -- canonical encoding ---------------------------------------------------------------------
# Readers re-validate, and map the identifier error into the decoder's error tree by
# letting InvalidIdentifierError (a MalformedError) propagate.


def write_member_id(w: Writer, member: MemberId) -> None:
    w.str(parse_member_id(member))


def read_member_id(r: Reader) -> MemberId:
    return parse_member_id(r.str())


def write_fingerprint(w: Writer, fingerprint: Fingerprint) -> None:
    w.str(parse_fingerprint(fingerprint))


def read_fingerprint(r: Reader) -> Fingerprint:
    return parse_fingerprint(r.str())


def write_domain_id(w: Writer, domain: DomainId) -> None:
    w.str(parse_domain_id(domain))


def read_domain_id(r: Reader) -> DomainId:
    return parse_domain_id(r.str())


def write_party_id(w: Writer, party: PartyId) -> None:
    w.str(parse_party_id(party))


def read_party_id(r: Reader) -> PartyId:
    return parse_party_id(r.str())
