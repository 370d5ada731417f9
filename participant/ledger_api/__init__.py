"""The Ledger API of a participant: gRPC services in Daml's Ledger API v2 shape.

``backend.py`` is the contract with the participant node (:class:`LedgerBackend`);
``errors.py`` the error codes. See ``docs/ledger-api.md``.
"""
