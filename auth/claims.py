"""Daml's token formats: from a verified JWT payload to :class:`~auth.types.AuthClaims`.

This module owns the *format* rules only. It never sees a signature: the payload it gets
has been verified by :mod:`auth.verifier` (signature, ``exp``/``nbf``/``iat``), and what is
left is to decide which format the payload has and whether it is meant for us.

Format detection, in this order (the first match wins):

1. the payload holds ``https://daml.com/ledger-api`` → **custom claims** (legacy);
2. ``scope`` (space separated) contains the configured ledger scope → **scope-based**;
3. ``aud`` contains a ``https://daml.com/jwt/aud/participant/…`` entry or the configured
   target audience → **audience-based**;
4. otherwise the token is not a Ledger API token (``unknown_format``).

Audience rules:

* audience-based: ``aud`` must contain this participant's audience
  (``https://daml.com/jwt/aud/participant/<participantId>``) or the configured
  ``target_audience``; a token for another participant is ``wrong_audience``.
* scope-based and custom claims: ``aud`` is checked only when ``target_audience`` is
  configured, and must then contain it.

A custom-claims token naming a ``participantId`` or ``ledgerId`` must name ours.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from auth.errors import AuthConfigError, InvalidTokenError, InvalidTokenReason
from auth.types import (
    CUSTOM_CLAIMS_KEY,
    LEDGER_API_SCOPE,
    PARTICIPANT_AUDIENCE_PREFIX,
    AuthClaims,
    TokenFormat,
    UserId,
    is_valid_user_id,
    participant_audience,
)

ALL_FORMATS = frozenset(TokenFormat)


@dataclass(frozen=True, slots=True)
class TokenPolicy:
    """What a participant accepts, beyond a valid signature."""

    participant_id: str
    """This participant; audience-based tokens must name it."""
    target_audience: str | None = None
    """If set, every token must carry this ``aud`` (and it also marks audience tokens)."""
    issuer: str | None = None
    """If set, ``iss`` must equal it."""
    scope: str = LEDGER_API_SCOPE
    """The scope that marks a scope-based token."""
    ledger_id: str | None = None
    """If set, a custom-claims ``ledgerId`` must equal it."""
    accepted_formats: frozenset[TokenFormat] = field(default=ALL_FORMATS)
    """Formats this participant accepts (e.g. drop ``CUSTOM`` once users are set up)."""
    require_expiry: bool = True
    """Whether ``exp`` is required (Daml requires it; turn off only for tests)."""
    leeway_s: float = 5.0
    """Clock skew tolerated on ``exp``, ``nbf`` and ``iat``."""

    def __post_init__(self) -> None:
        if not self.participant_id:
            raise AuthConfigError("TokenPolicy.participant_id", "must not be empty")
        if not 0 <= self.leeway_s <= 300:
            raise AuthConfigError("TokenPolicy.leeway_s", f"must be 0..300, got {self.leeway_s}")
        if not self.accepted_formats:
            raise AuthConfigError("TokenPolicy.accepted_formats", "must name at least one")

    @property
    def own_audience(self) -> str:
        return participant_audience(self.participant_id)


def _audiences(payload: Mapping[str, Any]) -> tuple[str, ...]:
    aud = payload.get("aud")
    if aud is None:
        return ()
    if isinstance(aud, str):
        return (aud,)
    if isinstance(aud, list) and all(isinstance(a, str) for a in aud):
        return tuple(aud)
    raise InvalidTokenError(
        InvalidTokenReason.MALFORMED, "'aud' must be a string or a list of strings", got=aud
    )


def _scopes(payload: Mapping[str, Any]) -> tuple[str, ...]:
    scope = payload.get("scope")
    if scope is None:
        return ()
    if not isinstance(scope, str):
        raise InvalidTokenError(
            InvalidTokenReason.MALFORMED, "'scope' must be a space-separated string", got=scope
        )
    return tuple(s for s in scope.split(" ") if s)


def _optional_str(obj: Mapping[str, Any], key: str, where: str) -> str | None:
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value or None
    raise InvalidTokenError(
        InvalidTokenReason.MALFORMED, f"'{where}{key}' must be a string", got=value
    )


def _party_list(obj: Mapping[str, Any], key: str) -> frozenset[str]:
    value = obj.get(key, [])
    if not isinstance(value, list) or not all(isinstance(p, str) and p for p in value):
        raise InvalidTokenError(
            InvalidTokenReason.MALFORMED,
            f"'{CUSTOM_CLAIMS_KEY}.{key}' must be a list of party ids",
            got=value,
        )
    return frozenset(value)


def _user_id(payload: Mapping[str, Any], required: bool) -> UserId | None:
    sub = payload.get("sub")
    if sub is None or sub == "":
        if required:
            raise InvalidTokenError(
                InvalidTokenReason.MISSING_CLAIM, "'sub' (the user id) is required", got=sub
            )
        return None
    if not isinstance(sub, str) or not is_valid_user_id(sub):
        raise InvalidTokenError(
            InvalidTokenReason.INVALID_USER_ID,
            "'sub' must be 1..128 characters of [A-Za-z0-9@^$.!`-#+'~_|:]",
            got=sub,
        )
    return UserId(sub)


def detect_format(payload: Mapping[str, Any], policy: TokenPolicy) -> TokenFormat:
    """Which of Daml's formats ``payload`` has (see the module docstring for the order)."""
    if CUSTOM_CLAIMS_KEY in payload:
        return TokenFormat.CUSTOM
    if policy.scope in _scopes(payload):
        return TokenFormat.SCOPE
    audiences = _audiences(payload)
    if policy.target_audience is not None and policy.target_audience in audiences:
        return TokenFormat.AUDIENCE
    if any(a.startswith(PARTICIPANT_AUDIENCE_PREFIX) for a in audiences):
        return TokenFormat.AUDIENCE
    if audiences:
        expected = policy.target_audience or policy.own_audience
        raise InvalidTokenError(
            InvalidTokenReason.WRONG_AUDIENCE,
            "no Ledger API audience, scope or custom claims",
            expected=expected,
            got=list(audiences),
        )
    raise InvalidTokenError(
        InvalidTokenReason.UNKNOWN_FORMAT,
        f"neither '{CUSTOM_CLAIMS_KEY}', scope '{policy.scope}' nor a participant audience",
    )


def _check_target_audience(audiences: tuple[str, ...], policy: TokenPolicy) -> None:
    if policy.target_audience is not None and policy.target_audience not in audiences:
        raise InvalidTokenError(
            InvalidTokenReason.WRONG_AUDIENCE,
            "token is not for this audience",
            expected=policy.target_audience,
            got=list(audiences),
        )


def _time(payload: Mapping[str, Any], key: str) -> float | None:
    value = payload.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidTokenError(
            InvalidTokenReason.MALFORMED, f"'{key}' must be a number", got=value
        )
    return float(value)


def parse_claims(
    payload: Mapping[str, Any],
    policy: TokenPolicy,
    *,
    key_id: str | None = None,
    algorithm: str = "",
) -> AuthClaims:
    """Turn a verified payload into :class:`AuthClaims`, or raise :class:`InvalidTokenError`."""
    token_format = detect_format(payload, policy)
    if token_format not in policy.accepted_formats:
        raise InvalidTokenError(
            InvalidTokenReason.FORMAT_NOT_ACCEPTED,
            f"{token_format.value}-based tokens are not accepted here",
            expected=sorted(f.value for f in policy.accepted_formats),
            got=token_format.value,
        )
    issuer = _optional_str(payload, "iss", "")
    if policy.issuer is not None and issuer != policy.issuer:
        raise InvalidTokenError(
            InvalidTokenReason.WRONG_ISSUER,
            "token from another issuer",
            expected=policy.issuer,
            got=issuer,
        )
    audiences = _audiences(payload)
    scopes = _scopes(payload)
    expires_at = _time(payload, "exp")
    common: dict[str, Any] = {
        "expires_at": expires_at,
        "issuer": issuer,
        "audiences": audiences,
        "scopes": scopes,
        "key_id": key_id,
        "algorithm": algorithm,
    }

    if token_format is TokenFormat.AUDIENCE:
        accepted = {policy.own_audience}
        if policy.target_audience is not None:
            accepted.add(policy.target_audience)
        if accepted.isdisjoint(audiences):
            raise InvalidTokenError(
                InvalidTokenReason.WRONG_AUDIENCE,
                "token is for another participant",
                expected=sorted(accepted),
                got=list(audiences),
            )
        user = _user_id(payload, required=True)
        return AuthClaims(
            format=token_format,
            user_id=user,
            participant_id=policy.participant_id,
            application_id=user,
            **common,
        )

    _check_target_audience(audiences, policy)
    if token_format is TokenFormat.SCOPE:
        user = _user_id(payload, required=True)
        return AuthClaims(format=token_format, user_id=user, application_id=user, **common)

    custom = payload[CUSTOM_CLAIMS_KEY]
    if not isinstance(custom, dict):
        raise InvalidTokenError(
            InvalidTokenReason.MALFORMED, f"'{CUSTOM_CLAIMS_KEY}' must be an object", got=custom
        )
    where = f"{CUSTOM_CLAIMS_KEY}."
    participant = _optional_str(custom, "participantId", where)
    if participant is not None and participant != policy.participant_id:
        raise InvalidTokenError(
            InvalidTokenReason.WRONG_PARTICIPANT,
            "token is for another participant",
            expected=policy.participant_id,
            got=participant,
        )
    ledger = _optional_str(custom, "ledgerId", where)
    if ledger is not None and policy.ledger_id is not None and ledger != policy.ledger_id:
        raise InvalidTokenError(
            InvalidTokenReason.WRONG_LEDGER,
            "token is for another ledger",
            expected=policy.ledger_id,
            got=ledger,
        )
    admin = custom.get("admin", False)
    if not isinstance(admin, bool):
        raise InvalidTokenError(
            InvalidTokenReason.MALFORMED, f"'{where}admin' must be a boolean", got=admin
        )
    return AuthClaims(
        format=token_format,
        user_id=_user_id(payload, required=False),
        participant_id=participant,
        application_id=_optional_str(custom, "applicationId", where),
        ledger_id=ledger,
        act_as=_party_list(custom, "actAs"),
        read_as=_party_list(custom, "readAs"),
        admin=admin,
        **common,
    )
