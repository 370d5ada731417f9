"""Authentication and authorization for the Ledger API and HTTP services.

Tokens in Daml's three formats (audience-based, scope-based, custom claims), verified with
PyJWT against keys from a JWKS URL (RS256, ES256; HS256 only behind a development flag);
the rights model and its checks; a ``grpc.aio`` interceptor and an aiohttp middleware;
and a development identity provider in :mod:`auth.dev_idp`. See ``docs/auth.md``.

This package imports ``node_runtime`` and no node.
"""

from auth.claims import TokenPolicy, detect_format, parse_claims
from auth.config import AuthConfig, build_verifier
from auth.context import (
    RequestAuth,
    authenticate,
    current_auth,
    current_claims,
    current_rights,
    request_auth,
)
from auth.errors import (
    AuthConfigError,
    AuthenticationError,
    AuthError,
    InvalidTokenError,
    InvalidTokenReason,
    JwksUnavailableError,
    MissingTokenError,
    PermissionDeniedError,
    TokenExpiredError,
    TokenRequestError,
)
from auth.grpc_interceptor import DEFAULT_PUBLIC_METHODS, AuthInterceptor
from auth.http_middleware import REQUEST_AUTH_KEY, auth_middleware, error_response
from auth.jwks import JwksClient, JwksSettings
from auth.rights import (
    require_act_as,
    require_admin,
    require_application_id,
    require_read_as,
    require_user_or_admin,
    resolve_rights,
    seconds_until_expiry,
)
from auth.status import GRPC_STATUS, HTTP_STATUS, grpc_status_for, http_status_for
from auth.token_client import IssuedToken, fetch_token
from auth.types import (
    LEDGER_API_SCOPE,
    AuthClaims,
    CanActAs,
    CanReadAs,
    EffectiveRights,
    IdentityProviderAdmin,
    ParticipantAdmin,
    TokenFormat,
    UserId,
    UserRight,
    UserRightsLookup,
    participant_audience,
)
from auth.verifier import TokenVerifier, VerifierSettings, bearer_token

__all__ = [
    "DEFAULT_PUBLIC_METHODS",
    "GRPC_STATUS",
    "HTTP_STATUS",
    "LEDGER_API_SCOPE",
    "REQUEST_AUTH_KEY",
    "AuthClaims",
    "AuthConfig",
    "AuthConfigError",
    "AuthError",
    "AuthInterceptor",
    "AuthenticationError",
    "CanActAs",
    "CanReadAs",
    "EffectiveRights",
    "IdentityProviderAdmin",
    "InvalidTokenError",
    "InvalidTokenReason",
    "IssuedToken",
    "JwksClient",
    "JwksSettings",
    "JwksUnavailableError",
    "MissingTokenError",
    "ParticipantAdmin",
    "PermissionDeniedError",
    "RequestAuth",
    "TokenExpiredError",
    "TokenFormat",
    "TokenPolicy",
    "TokenRequestError",
    "TokenVerifier",
    "UserId",
    "UserRight",
    "UserRightsLookup",
    "VerifierSettings",
    "auth_middleware",
    "authenticate",
    "bearer_token",
    "build_verifier",
    "current_auth",
    "current_claims",
    "current_rights",
    "detect_format",
    "error_response",
    "fetch_token",
    "grpc_status_for",
    "http_status_for",
    "parse_claims",
    "participant_audience",
    "request_auth",
    "require_act_as",
    "require_admin",
    "require_application_id",
    "require_read_as",
    "require_user_or_admin",
    "resolve_rights",
    "seconds_until_expiry",
]
