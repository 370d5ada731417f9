"""The Ledger API's gRPC servicers, one module per group of services.

Each method: validate the request (``convert.requests``), check the caller's rights
(:class:`~.access.Access`), call the :class:`~..backend.LedgerBackend`, convert the answer.
Every failure leaves through :func:`~..status.abort` with a Daml error code.
"""
