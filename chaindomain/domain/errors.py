"""Errors of making and reading a domain directory.

::

    DomainError
    ├── DomainDirectoryError  the directory already holds a domain, or is not empty
    ├── DomainRecordError     ``domain.json`` is there but cannot be read
    └── DeployerError         no chain account to deploy the ordering contract with
"""

from __future__ import annotations

from pathlib import Path


class DomainError(Exception):
    """Root of every error raised by ``chaindomain.domain``."""


class DomainDirectoryError(DomainError):
    """``path`` cannot hold a new domain."""

    def __init__(self, path: Path, detail: str) -> None:
        self.path = path
        self.detail = detail
        super().__init__(f"{path} {detail}")


class DomainRecordError(DomainError, ValueError):
    """``path`` (a ``domain.json``) is not a record this version reads."""

    def __init__(self, path: Path, detail: str) -> None:
        self.path = path
        self.detail = detail
        super().__init__(f"{path}: not a domain record this version reads ({detail})")


class DeployerError(DomainError):
    """Off anvil (``chain_id``), the contract needs a deployer keystore."""

    def __init__(self, chain_id: int) -> None:
        self.chain_id = chain_id
        super().__init__(
            f"chain {chain_id} is not anvil: give a deployer keystore (--deployer-keystore)"
        )
