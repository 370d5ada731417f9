"""Member authentication: signed challenges in, bearer tokens out.

1. ``GetChallenge(member)``: the node answers the canonical bytes of an
   :class:`~protocol.sequencer_messages.AuthenticationChallenge` naming the domain, this
   sequencer, the member, 32 random bytes and an expiry. The nonce is remembered.
2. ``Authenticate(challenge, signature)``: the node checks it issued that challenge, that
   it has not expired or been used, that the member is active and that the signature
   verifies under one of the member's keys; the nonce is then forgotten (single use).
   It answers a token and its expiry.
3. Every other call carries ``authorization: Bearer <token>``.

A token is ``<member>.<expires_at µs>.<hex HMAC-SHA256 of "member.expires_at">`` under a
secret held by this node alone: tokens need no storage and are not valid at another
node (a member switching node authenticates there). The secret is random per process
unless configured, so a restart also ends every session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from protocol.crypto.signing import Signature
from protocol.errors import ProtocolError
from protocol.identifiers import DomainId, MemberId, parse_member_id
from protocol.sequencer_messages import AUTH_NONCE_SIZE, AuthenticationChallenge
from protocol.timestamp import MICROS_PER_SECOND, Timestamp, now, timestamp
from sequencer_chain.errors import AuthenticationError
from sequencer_chain.members import MemberLookup

DEFAULT_CHALLENGE_TTL_US = 60 * MICROS_PER_SECOND
DEFAULT_TOKEN_TTL_US = 3_600 * MICROS_PER_SECOND
MAX_PENDING_CHALLENGES = 10_000


@dataclass(frozen=True, slots=True)
class Token:
    member: MemberId
    expires_at: Timestamp
    text: str


class Authenticator:
    """Issues challenges and tokens for one sequencer node."""

    def __init__(
        self,
        *,
        domain_id: DomainId,
        sequencer: MemberId,
        members: MemberLookup,
        secret: bytes | None = None,
        challenge_ttl_us: int = DEFAULT_CHALLENGE_TTL_US,
        token_ttl_us: int = DEFAULT_TOKEN_TTL_US,
    ) -> None:
        self.domain_id = domain_id
        self.sequencer = sequencer
        self.members = members
        self._secret = secret or secrets.token_bytes(32)
        self.challenge_ttl_us = challenge_ttl_us
        self.token_ttl_us = token_ttl_us
        self._pending: dict[bytes, AuthenticationChallenge] = {}

    def challenge(self, member_text: str) -> bytes:
        """A fresh challenge for ``member``; unknown or inactive members get none."""
        member = self._active_member(member_text)
        t = now()
        self._expire(t)
        if len(self._pending) >= MAX_PENDING_CHALLENGES:
            raise AuthenticationError("too many outstanding challenges; retry later")
        challenge = AuthenticationChallenge(
            domain_id=self.domain_id,
            sequencer=self.sequencer,
            member=member,
            nonce=secrets.token_bytes(AUTH_NONCE_SIZE),
            expires_at=timestamp(t + self.challenge_ttl_us),
        )
        self._pending[challenge.nonce] = challenge
        return challenge.to_bytes()

    def authenticate(self, challenge_bytes: bytes, signature_bytes: bytes) -> Token:
        """Check a signed challenge and issue a token (the challenge is then used up)."""
        try:
            challenge = AuthenticationChallenge.from_bytes(challenge_bytes)
            signature = decode_signature(signature_bytes)
        except ProtocolError as exc:
            raise AuthenticationError(f"malformed challenge or signature: {exc}") from None
        t = now()
        self._expire(t)
        issued = self._pending.get(challenge.nonce)
        if issued is None or issued != challenge:
            raise AuthenticationError("unknown, used or expired challenge")
        info = self.members.member(challenge.member, t)
        if info is None or not info.active:
            raise AuthenticationError(f"{challenge.member} is not an active member")
        key = info.key(signature.signer)
        if key is None:
            raise AuthenticationError("signed by a key the member does not have")
        try:
            key.verify(challenge_bytes, signature)
        except ProtocolError:
            raise AuthenticationError("signature does not verify") from None
        del self._pending[challenge.nonce]
        expires = timestamp(t + self.token_ttl_us)
        return Token(challenge.member, expires, self._token_text(challenge.member, expires))

    def verify_token(self, text: str) -> MemberId:
        """The member a valid, unexpired token was issued to; raises otherwise."""
        member_text, _, _mac = text.rpartition(".")
        member_text, _, expires_text = member_text.rpartition(".")
        try:
            member = parse_member_id(member_text)
            expires = timestamp(int(expires_text))
        except (ProtocolError, ValueError):
            raise AuthenticationError("malformed token") from None
        expected = self._token_text(member, expires)
        if not hmac.compare_digest(expected.encode(), text.encode()):
            raise AuthenticationError("token was not issued by this node")
        if now() > expires:
            raise AuthenticationError("token expired")
        info = self.members.member(member, now())
        if info is None or not info.active:
            raise AuthenticationError(f"{member} is no longer an active member")
        return member

    def _token_text(self, member: MemberId, expires: Timestamp) -> str:
        body = f"{member}.{expires}"
        mac = hmac.new(self._secret, body.encode(), hashlib.sha256).hexdigest()
        return f"{body}.{mac}"

    def _active_member(self, text: str) -> MemberId:
        try:
            member = parse_member_id(text)
        except ProtocolError as exc:
            raise AuthenticationError(f"not a member id: {exc}") from None
        info = self.members.member(member, now())
        if info is None or not info.active:
            raise AuthenticationError(f"{member} is not an active member")
        return member

    def _expire(self, t: Timestamp) -> None:
        for nonce in [n for n, c in self._pending.items() if c.expires_at < t]:
            del self._pending[nonce]


def encode_signature(signature: Signature) -> bytes:
    """Canonical bytes of a signature (kept for callers; see :meth:`Signature.to_bytes`)."""
    return signature.to_bytes()


def decode_signature(data: bytes) -> Signature:
    return Signature.from_bytes(data)
