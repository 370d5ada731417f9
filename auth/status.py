"""How an :class:`~auth.errors.AuthError` is answered: gRPC status codes and HTTP statuses.

The mapping is data (:data:`GRPC_STATUS`, :data:`HTTP_STATUS`), looked up along the
error's class hierarchy, so a new subclass inherits its parent's status:

=========================  ===================  ====
error                      gRPC                 HTTP
=========================  ===================  ====
AuthenticationError        UNAUTHENTICATED      401
  MissingTokenError        UNAUTHENTICATED      401
  TokenExpiredError        UNAUTHENTICATED      401
  InvalidTokenError        UNAUTHENTICATED      401
PermissionDeniedError      PERMISSION_DENIED    403
JwksUnavailableError       UNAVAILABLE          503
AuthConfigError            INTERNAL             500
=========================  ===================  ====
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import grpc

from auth.errors import (
    AuthConfigError,
    AuthenticationError,
    AuthError,
    JwksUnavailableError,
    PermissionDeniedError,
)

GRPC_STATUS: Mapping[type[AuthError], grpc.StatusCode] = MappingProxyType(
    {
        AuthenticationError: grpc.StatusCode.UNAUTHENTICATED,
        PermissionDeniedError: grpc.StatusCode.PERMISSION_DENIED,
        JwksUnavailableError: grpc.StatusCode.UNAVAILABLE,
        AuthConfigError: grpc.StatusCode.INTERNAL,
        AuthError: grpc.StatusCode.INTERNAL,
    }
)

HTTP_STATUS: Mapping[type[AuthError], int] = MappingProxyType(
    {
        AuthenticationError: 401,
        PermissionDeniedError: 403,
        JwksUnavailableError: 503,
        AuthConfigError: 500,
        AuthError: 500,
    }
)


def grpc_status_for(error: AuthError) -> grpc.StatusCode:
    """The gRPC status code to answer ``error`` with."""
    for cls in type(error).__mro__:
        if cls in GRPC_STATUS:
            return GRPC_STATUS[cls]
    return grpc.StatusCode.INTERNAL


def http_status_for(error: AuthError) -> int:
    """The HTTP status to answer ``error`` with."""
    for cls in type(error).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]
    return 500
