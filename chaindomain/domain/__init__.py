"""A domain in a directory: made once (``init.py``), read back (``record.py``).

``init_domain`` makes the keystores (``identities.py``), deploys the ordering contract,
writes the genesis topology, the node configs (``configs.py``, whose templates the devnet
shares) and ``domain.json`` last; ``load_domain`` reads ``domain.json`` back. Used by
``chaindomain domain init`` and ``chaindomain devnet up``; see ``docs/domain-manager.md``.
"""

from chaindomain.domain.errors import (
    DeployerError,
    DomainDirectoryError,
    DomainError,
    DomainRecordError,
)
from chaindomain.domain.identities import Identity, member_transactions, new_identity
from chaindomain.domain.init import DomainInitOptions, init_domain
from chaindomain.domain.record import (
    MARKER,
    InitializedDomain,
    KeyFiles,
    SequencerFiles,
    load_domain,
)

__all__ = [
    "MARKER",
    "DeployerError",
    "DomainDirectoryError",
    "DomainError",
    "DomainInitOptions",
    "DomainRecordError",
    "Identity",
    "InitializedDomain",
    "KeyFiles",
    "SequencerFiles",
    "init_domain",
    "load_domain",
    "member_transactions",
    "new_identity",
]
