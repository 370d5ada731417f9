"""The Ledger API of a participant: gRPC services in Daml's Ledger API v2 shape.

``backend.py`` is the contract with the participant node (:class:`LedgerBackend` and its
values), ``projection.py`` cuts flat and tree views of committed transactions,
``errors.py``/``status.py`` are the Daml-style error codes and how they travel,
``users.py`` the user management store, ``server.py`` the server. See
``docs/ledger-api.md``.
"""

from participant.ledger_api.backend import LedgerBackend
from participant.ledger_api.config import LedgerApiConfig, TlsConfig
from participant.ledger_api.errors import ErrorCode, LedgerApiError, LedgerBackendError
from participant.ledger_api.server import LedgerApiServer
from participant.ledger_api.users import User, UserStore

__all__ = [
    "ErrorCode",
    "LedgerApiConfig",
    "LedgerApiError",
    "LedgerApiServer",
    "LedgerBackend",
    "LedgerBackendError",
    "TlsConfig",
    "User",
    "UserStore",
]
