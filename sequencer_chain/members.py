"""Who may use the domain: the :class:`MemberLookup` the sequencer validates requests with.

Derivation asks "was this member known and active, and what were its keys, at sequencing
time ``t``?", so every lookup takes a time. ``SequencerTopology`` answers
it from sequenced topology transactions; :class:`StaticMembers` answers it from a static
members file, the same for every ``t``. Every sequencer node of a domain must use
the same members (the same file), or their streams diverge.

Members file (TOML; ``docs/sequencer.md`` is the reference)::

    [[member]]
    id = "PAR::participant1::1220<64 hex>"
    public_keys = ["<64 hex: 32-byte Ed25519 public key>"]   # one or more
    active = true                                             # optional, default true

A member that is listed but not active is *known*: its requests are sequenced, but yield a
``DeliverError`` (unknown sender) and no one may address it. An unlisted member is unknown.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from protocol.crypto.signing import SigningPublicKey
from protocol.errors import ProtocolError
from protocol.identifiers import Fingerprint, MemberId, parse_member_id
from protocol.timestamp import Timestamp
from sequencer_chain.errors import MembersFileError


@dataclass(frozen=True, slots=True)
class MemberInfo:
    """What the sequencer knows about one member at one time."""

    member: MemberId
    keys: tuple[SigningPublicKey, ...]
    """The member's Ed25519 protocol keys; a request may be signed by any of them."""
    active: bool
    """Whether the member may send and be addressed."""

    def key(self, fingerprint: Fingerprint) -> SigningPublicKey | None:
        """The member's key with this fingerprint, if it has one."""
        for key in self.keys:
            if key.fingerprint == fingerprint:
                return key
        return None


class MemberLookup(Protocol):
    """Members and their keys as of a sequencing time. Must be deterministic in its inputs."""

    def member(self, member: MemberId, at: Timestamp) -> MemberInfo | None:
        """The member's state at ``at``, or ``None`` if it is unknown then."""
        ...

    def members(self, at: Timestamp) -> Iterable[MemberInfo]:
        """Every member known at ``at``."""
        ...


class StaticMembers:
    """A fixed set of members, the same at every time."""

    def __init__(self, members: Iterable[MemberInfo]) -> None:
        self._members: dict[MemberId, MemberInfo] = {}
        for info in members:
            if info.member in self._members:
                raise ValueError(f"member {info.member} listed twice")
            self._members[info.member] = info

    def member(self, member: MemberId, at: Timestamp) -> MemberInfo | None:
        return self._members.get(member)

    def members(self, at: Timestamp) -> Iterable[MemberInfo]:
        return tuple(self._members.values())

    @classmethod
    def load(cls, path: Path) -> StaticMembers:
        """Read a members file; any problem is a :class:`MembersFileError` naming the entry."""
        try:
            data = tomllib.loads(path.read_text())
        except OSError as exc:
            raise MembersFileError(path, f"cannot read: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise MembersFileError(path, f"not valid TOML: {exc}") from None
        return cls(parse_members(data, path))


def parse_members(data: Mapping[str, Any], path: Path) -> list[MemberInfo]:
    """The entries of a parsed members file."""
    unknown = sorted(set(data) - {"member"})
    if unknown:
        raise MembersFileError(path, f"unknown top-level keys {unknown}")
    entries = data.get("member", [])
    if not isinstance(entries, list):
        raise MembersFileError(path, "'member' must be an array of tables ([[member]])")
    out: list[MemberInfo] = []
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        where = f"member[{i}]"
        if not isinstance(entry, dict):
            raise MembersFileError(path, f"{where}: must be a table")
        extra = sorted(set(entry) - {"id", "public_keys", "active"})
        if extra:
            raise MembersFileError(path, f"{where}: unknown keys {extra}")
        try:
            member = parse_member_id(entry.get("id", ""))
        except ProtocolError as exc:
            raise MembersFileError(path, f"{where}.id: {exc}") from None
        if member in seen:
            raise MembersFileError(path, f"{where}.id: {member} is listed twice")
        seen.add(member)
        raw_keys = entry.get("public_keys")
        if not isinstance(raw_keys, list) or not raw_keys:
            raise MembersFileError(path, f"{where}.public_keys: a non-empty list of hex keys")
        keys: list[SigningPublicKey] = []
        for j, text in enumerate(raw_keys):
            try:
                keys.append(SigningPublicKey(bytes.fromhex(str(text).removeprefix("0x"))))
            except (ValueError, ProtocolError) as exc:
                raise MembersFileError(path, f"{where}.public_keys[{j}]: {exc}") from None
        active = entry.get("active", True)
        if not isinstance(active, bool):
            raise MembersFileError(path, f"{where}.active: must be true or false")
        out.append(MemberInfo(member, tuple(keys), active))
    return out


def render_members_file(members: Iterable[MemberInfo]) -> str:
    """The TOML text of a members file listing ``members`` (for tests and the devnet)."""
    lines: list[str] = []
    for info in members:
        keys = ", ".join(f'"{k.raw.hex()}"' for k in info.keys)
        lines += [
            "[[member]]",
            f'id = "{info.member}"',
            f"public_keys = [{keys}]",
            f"active = {'true' if info.active else 'false'}",
            "",
        ]
    return "\n".join(lines)
