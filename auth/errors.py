"""Errors of the ``auth`` package, and nothing else.

Every error is an :class:`AuthError`; the branch it sits on decides the status a caller
answers with (see :mod:`auth.status` for the mapping as data)::

    AuthError
    ├── AuthenticationError          gRPC UNAUTHENTICATED, HTTP 401
    │   ├── MissingTokenError        no ``authorization: Bearer …`` at all
    │   ├── TokenExpiredError        ``exp`` (plus leeway) has passed
    │   └── InvalidTokenError        anything else wrong with the token; ``reason`` says what
    ├── PermissionDeniedError        gRPC PERMISSION_DENIED, HTTP 403; ``missing`` names the right
    ├── JwksUnavailableError         gRPC UNAVAILABLE, HTTP 503: the key set could not be fetched
    ├── AuthConfigError (ValueError) gRPC INTERNAL, HTTP 500: the verifier or a caller is misused
    │   └── SigningKeyStoreError     the development IdP's key directory is unreadable or
    │                                inconsistent (``auth.dev_idp.keys``)
    └── TokenRequestError            a client's token request refused by the identity provider
                                     (``auth.token_client``); raised to clients, never answered

Each error carries what was expected and what came as fields, so that logs can say
exactly why a token was refused. :attr:`AuthError.public_message` is the text that may be
sent to the client: it names the reason but never key material or the token itself.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from pathlib import Path


class AuthError(Exception):
    """Root of every error raised by ``auth``."""

    @property
    def public_message(self) -> str:
        """What a client may be told (the full ``str(self)`` is for logs)."""
        return str(self)


class AuthenticationError(AuthError):
    """The caller could not be authenticated: answer UNAUTHENTICATED / 401."""


class MissingTokenError(AuthenticationError):
    """The request carries no bearer token (or a header that is not ``Bearer <jwt>``)."""

    def __init__(self, detail: str = "no 'authorization: Bearer <token>' header") -> None:
        self.detail = detail
        super().__init__(f"missing access token: {detail}")


class TokenExpiredError(AuthenticationError):
    """The token's ``exp`` lies in the past (beyond the allowed leeway)."""

    def __init__(self, expired_at: float | None, now: float, leeway_s: float) -> None:
        self.expired_at = expired_at
        self.now = now
        self.leeway_s = leeway_s
        when = "unknown time" if expired_at is None else f"{expired_at:.0f}"
        super().__init__(f"token expired at {when} (now {now:.0f}, leeway {leeway_s:g}s)")

    @property
    def public_message(self) -> str:
        return "access token expired"


class InvalidTokenReason(enum.Enum):
    """Why a token was refused; the value is the stable text used in logs and replies."""

    MALFORMED = "malformed"
    """Not three base64url parts, not JSON, or a claim of the wrong type."""
    ALG_NONE = "alg_none"
    """An unsigned token (``alg: none``)."""
    DISALLOWED_ALGORITHM = "disallowed_algorithm"
    """A signature algorithm outside the allowed list (e.g. HS256 without the dev flag)."""
    MISSING_KEY_ID = "missing_key_id"
    """An asymmetric token without ``kid``: the key cannot be chosen from the JWKS."""
    UNKNOWN_KEY_ID = "unknown_key_id"
    """``kid`` is not in the JWKS, even after a refetch."""
    KEY_ALGORITHM_MISMATCH = "key_algorithm_mismatch"
    """The JWKS key named by ``kid`` is not a key for the header's ``alg``."""
    BAD_SIGNATURE = "bad_signature"
    """The signature does not verify with the named key."""
    NOT_YET_VALID = "not_yet_valid"
    """``nbf`` (or ``iat``) lies in the future beyond the leeway."""
    MISSING_CLAIM = "missing_claim"
    """A required claim (``exp``, ``sub``) is absent."""
    WRONG_AUDIENCE = "wrong_audience"
    """``aud`` does not name this participant / the configured audience."""
    WRONG_ISSUER = "wrong_issuer"
    """``iss`` is not the configured issuer."""
    WRONG_PARTICIPANT = "wrong_participant"
    """A custom-claims token's ``participantId`` names another participant."""
    WRONG_LEDGER = "wrong_ledger"
    """A custom-claims token's ``ledgerId`` names another ledger."""
    UNKNOWN_FORMAT = "unknown_format"
    """None of Daml's three formats: no custom claims, no ledger scope, no participant aud."""
    FORMAT_NOT_ACCEPTED = "format_not_accepted"
    """A known format this verifier is configured not to accept."""
    INVALID_USER_ID = "invalid_user_id"
    """``sub`` is not a valid Daml user id."""


class InvalidTokenError(AuthenticationError):
    """The token is refused; :attr:`reason` says why, ``expected``/``got`` give detail."""

    def __init__(
        self,
        reason: InvalidTokenReason,
        detail: str,
        *,
        expected: object = None,
        got: object = None,
    ) -> None:
        self.reason = reason
        self.detail = detail
        self.expected = expected
        self.got = got
        text = f"invalid token ({reason.value}): {detail}"
        if expected is not None or got is not None:
            text += f" (expected {expected!r}, got {got!r})"
        super().__init__(text)

    @property
    def public_message(self) -> str:
        return f"invalid access token ({self.reason.value}): {self.detail}"


class PermissionDeniedError(AuthError):
    """The token is valid but lacks a right the call needs: PERMISSION_DENIED / 403."""

    def __init__(self, missing: str, subject: str, detail: str = "") -> None:
        self.missing = missing
        """The right that is missing, e.g. ``CanActAs(alice::1220…)`` or ``ParticipantAdmin``."""
        self.subject = subject
        """Who asked: ``user 'alice'`` or ``custom-claims token``."""
        self.detail = detail
        text = f"{subject} lacks {missing}"
        super().__init__(f"{text}: {detail}" if detail else text)


class JwksUnavailableError(AuthError):
    """The JWKS could not be fetched (timeout, connection refused, bad reply).

    This is the server's trouble, not the caller's: it maps to UNAVAILABLE (retryable),
    so a client does not throw away a good token because the identity provider blinked.
    """

    def __init__(self, url: str, detail: str) -> None:
        self.url = url
        self.detail = detail
        super().__init__(f"JWKS at {url} unavailable: {detail}")

    @property
    def public_message(self) -> str:
        return "token keys temporarily unavailable; retry"


class AuthConfigError(AuthError, ValueError):
    """The verifier or a check was configured or called wrongly (a bug, not the client's)."""

    def __init__(self, what: str, detail: str) -> None:
        self.what = what
        self.detail = detail
        super().__init__(f"{what}: {detail}")

    @property
    def public_message(self) -> str:
        return "internal authorization error"


class SigningKeyStoreError(AuthConfigError):
    """The development IdP's key directory is unreadable, inconsistent, or a key file cannot
    be decrypted; ``path`` names the directory."""

    def __init__(self, path: Path, detail: str) -> None:
        self.path = path
        super().__init__(str(path), detail)


def join_names(names: Iterable[str]) -> str:
    """``a, b, c`` in sorted order, for messages that list parties or rights."""
    return ", ".join(sorted(names))


class TokenRequestError(AuthError):
    """The identity provider's token endpoint ``url`` refused or did not answer a client
    credentials request; ``error`` is its RFC 6749 §5.2 code (``invalid_client``, …) or
    ``unavailable`` / ``server_certificate`` when no answer came."""

    def __init__(self, url: str, error: str, detail: str) -> None:
        self.url = url
        self.error = error
        self.detail = detail
        super().__init__(
            f"token request to {url} failed: {error}" + (f": {detail}" if detail else "")
        )
