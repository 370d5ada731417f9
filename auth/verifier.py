"""Token verification: from ``Bearer`` text to :class:`~auth.types.AuthClaims`.

This module owns the cryptographic half of authentication, done entirely by PyJWT: it
reads the header, refuses what must never be verified, picks the key, lets PyJWT check
the signature and the time claims, and hands the payload to :mod:`auth.claims` for the
format rules. It translates every PyJWT error into :mod:`auth.errors` here and nowhere
else.

Rules, in the order they are applied:

1. The header must parse; ``alg: none`` is refused outright (``alg_none``), and any other
   algorithm outside the allowed list (``RS256``, ``ES256``; ``HS256`` only with the
   development secret) is ``disallowed_algorithm``.
2. ``RS256``/``ES256`` tokens must name their key (``kid``); the key comes from the JWKS
   (:mod:`auth.jwks`) and must be of the header's algorithm, so an HS256 token can never
   be checked against a public key used as an HMAC secret (algorithm confusion).
3. PyJWT verifies the signature, then ``exp`` (required unless configured off), ``nbf``
   and ``iat`` with the configured leeway.
4. :func:`auth.claims.parse_claims` decides the format and checks audience, issuer,
   participant and ledger.

HS256 exists only so that a developer can mint tokens with a shared secret. Anyone who
can verify such a token can also forge one, so every process that holds the secret is a
token issuer; :class:`TokenVerifier` logs a warning at construction when it is enabled.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt

from auth.claims import TokenPolicy, parse_claims
from auth.errors import (
    AuthConfigError,
    InvalidTokenError,
    InvalidTokenReason,
    MissingTokenError,
    TokenExpiredError,
)
from auth.jwks import JwksClient
from auth.types import AuthClaims

log = logging.getLogger(__name__)

ASYMMETRIC_ALGORITHMS = frozenset({"RS256", "ES256"})
"""The production algorithms: keys from the JWKS."""
HS256 = "HS256"
MIN_HS256_SECRET_BYTES = 32
MAX_TOKEN_BYTES = 16 * 1024
"""Longer bearer values are refused before any parsing."""


@dataclass(frozen=True, slots=True)
class VerifierSettings:
    """Which signatures are acceptable."""

    algorithms: frozenset[str] = ASYMMETRIC_ALGORITHMS
    """Asymmetric algorithms accepted (a subset of RS256, ES256)."""
    allow_hs256_secret: str | None = None
    """Development only: accept HS256 tokens signed with this shared secret."""

    def __post_init__(self) -> None:
        unknown = self.algorithms - ASYMMETRIC_ALGORITHMS
        if unknown or not self.algorithms:
            raise AuthConfigError(
                "VerifierSettings.algorithms",
                f"must be a non-empty subset of {sorted(ASYMMETRIC_ALGORITHMS)}, got "
                f"{sorted(self.algorithms)} (HS256 is enabled only by allow_hs256_secret)",
            )
        secret = self.allow_hs256_secret
        if secret is not None and len(secret.encode()) < MIN_HS256_SECRET_BYTES:
            raise AuthConfigError(
                "VerifierSettings.allow_hs256_secret",
                f"must be at least {MIN_HS256_SECRET_BYTES} bytes",
            )

    @property
    def allowed(self) -> frozenset[str]:
        """Every algorithm accepted, including HS256 when the dev secret is set."""
        return self.algorithms | ({HS256} if self.allow_hs256_secret is not None else set())


def bearer_token(header_value: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` value (scheme case-insensitive)."""
    if header_value is None or not header_value.strip():
        raise MissingTokenError()
    scheme, _, token = header_value.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise MissingTokenError(f"expected 'Bearer <token>', got scheme {scheme[:16]!r}")
    return token


def _unverified_header(token: str) -> dict[str, Any]:
    if len(token) > MAX_TOKEN_BYTES:
        raise InvalidTokenError(
            InvalidTokenReason.MALFORMED, f"token longer than {MAX_TOKEN_BYTES} bytes"
        )
    if token.count(".") != 2:
        raise InvalidTokenError(
            InvalidTokenReason.MALFORMED, "a JWS compact token has three dot-separated parts"
        )
    try:
        header = jwt.get_unverified_header(token)
    except jwt.DecodeError as exc:
        raise InvalidTokenError(InvalidTokenReason.MALFORMED, f"header: {exc}") from None
    return header


def _expiry_of(token: str) -> float | None:
    """``exp`` of a token whose signature PyJWT already verified (for the error's context)."""
    try:
        part = token.split(".")[1]
        payload = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        exp = payload.get("exp")
        return float(exp) if isinstance(exp, int | float) else None
    except (ValueError, IndexError, AttributeError):
        return None


class TokenVerifier:
    """Verifies Ledger API tokens for one participant: ``await verify(token)``."""

    def __init__(
        self,
        policy: TokenPolicy,
        jwks: JwksClient | None,
        settings: VerifierSettings | None = None,
        *,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.policy = policy
        self.jwks = jwks
        self.settings = settings or VerifierSettings()
        self._wall_clock = wall_clock
        if jwks is None and self.settings.allow_hs256_secret is None:
            raise AuthConfigError("TokenVerifier", "needs a JWKS client or the HS256 dev secret")
        if self.settings.allow_hs256_secret is not None:
            log.warning(
                "HS256 tokens with a shared secret are ACCEPTED: development only. Anyone "
                "holding the secret can forge tokens for any user or party.",
                extra={"participant_id": policy.participant_id},
            )

    async def aclose(self) -> None:
        if self.jwks is not None:
            await self.jwks.aclose()

    async def verify_header(self, authorization: str | None) -> AuthClaims:
        """Verify the token of an ``Authorization`` header value."""
        return await self.verify(bearer_token(authorization))

    async def verify(self, token: str) -> AuthClaims:
        """Verify ``token``; raise an :class:`~auth.errors.AuthError` subclass if refused."""
        header = _unverified_header(token)
        alg = header.get("alg")
        if not isinstance(alg, str) or alg.lower() == "none":
            raise InvalidTokenError(
                InvalidTokenReason.ALG_NONE
                if isinstance(alg, str)
                else InvalidTokenReason.MALFORMED,
                "unsigned tokens are never accepted" if isinstance(alg, str) else "no 'alg'",
                expected=sorted(self.settings.allowed),
                got=alg,
            )
        if alg not in self.settings.allowed:
            raise InvalidTokenError(
                InvalidTokenReason.DISALLOWED_ALGORITHM,
                "signature algorithm not allowed"
                + (" (HS256 needs the development flag)" if alg == HS256 else ""),
                expected=sorted(self.settings.allowed),
                got=alg,
            )
        kid = header.get("kid")
        key: Any
        if alg == HS256:
            key = self.settings.allow_hs256_secret
            kid = None
        else:
            if not isinstance(kid, str) or not kid:
                raise InvalidTokenError(
                    InvalidTokenReason.MISSING_KEY_ID, f"{alg} tokens must name their key"
                )
            if self.jwks is None:
                raise InvalidTokenError(
                    InvalidTokenReason.DISALLOWED_ALGORITHM,
                    "no JWKS configured for asymmetric tokens",
                    expected=[HS256],
                    got=alg,
                )
            jwk = await self.jwks.key_for(kid)
            if jwk.algorithm_name != alg:
                raise InvalidTokenError(
                    InvalidTokenReason.KEY_ALGORITHM_MISMATCH,
                    f"key '{kid}' is not a key for the token's algorithm",
                    expected=jwk.algorithm_name,
                    got=alg,
                )
            key = jwk
        payload = self._decode(token, key, alg)
        return parse_claims(payload, self.policy, key_id=kid, algorithm=alg)

    def _decode(self, token: str, key: Any, alg: str) -> dict[str, Any]:
        policy = self.policy
        required = ["exp"] if policy.require_expiry else []
        try:
            payload: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=[alg],
                leeway=policy.leeway_s,
                options={
                    "require": required,
                    "verify_aud": False,  # format-specific: auth.claims checks it
                    "verify_iss": False,  # checked with context in auth.claims
                },
            )
        except jwt.ExpiredSignatureError:
            raise TokenExpiredError(
                _expiry_of(token), self._wall_clock(), policy.leeway_s
            ) from None
        except jwt.InvalidSignatureError:
            raise InvalidTokenError(
                InvalidTokenReason.BAD_SIGNATURE, "signature does not verify"
            ) from None
        except jwt.ImmatureSignatureError as exc:
            raise InvalidTokenError(InvalidTokenReason.NOT_YET_VALID, str(exc)) from None
        except jwt.InvalidIssuedAtError as exc:
            raise InvalidTokenError(InvalidTokenReason.NOT_YET_VALID, str(exc)) from None
        except jwt.MissingRequiredClaimError as exc:
            raise InvalidTokenError(
                InvalidTokenReason.MISSING_CLAIM, str(exc), expected=exc.claim, got=None
            ) from None
        except jwt.InvalidAlgorithmError as exc:
            raise InvalidTokenError(
                InvalidTokenReason.DISALLOWED_ALGORITHM, str(exc), got=alg
            ) from None
        except jwt.InvalidKeyError as exc:
            raise InvalidTokenError(
                InvalidTokenReason.KEY_ALGORITHM_MISMATCH, str(exc), got=alg
            ) from None
        except jwt.PyJWTError as exc:
            # DecodeError, InvalidSubjectError, InvalidJTIError, …: shape problems
            raise InvalidTokenError(
                InvalidTokenReason.MALFORMED, f"{type(exc).__name__}: {exc}"
            ) from None
        if not isinstance(payload, dict):
            raise InvalidTokenError(InvalidTokenReason.MALFORMED, "payload is not an object")
        return payload
