"""The devnet's domain: made once per state directory by the shared ``init_domain``.

``chaindomain domain init`` and ``devnet up`` make a domain the same way
(:func:`chaindomain.domain.init_domain`: keystores, the ordering contract with
one writer per sequencer, the genesis topology, ``domain.json`` written last). The devnet
only chooses its options — an ``open`` onboarding policy, no confirmations and no
topology change delay (anvil has immediate finality), cheap keystores — and a random
keystore password kept in ``domain/secrets/keystore.pw`` (mode 0600).

Run on the first ``devnet up`` and never again: the files are the domain, and a second
run would make another domain and orphan the ledger. A ``domain/`` without
``domain.json`` is an interrupted first run (no node has used it) and is made again.
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Callable
from pathlib import Path

from chaindomain.devnet.errors import BootstrapError
from chaindomain.domain import (
    DomainError,
    DomainInitOptions,
    InitializedDomain,
    init_domain,
    load_domain,
)
from protocol.crypto import ScryptParams

DEVNET_SCRYPT = ScryptParams(n=2**14)
"""Cheaper than the default so that every node start stays fast; devnet keys only."""
DEVNET_OPTIONS = DomainInitOptions(
    name="devnet",
    sequencers=2,
    policy="open",
    topology_change_delay_ms=0,
    confirmations=0,
    scrypt=DEVNET_SCRYPT,
    write_configs=False,
)


def existing_domain(root: Path) -> InitializedDomain | None:
    """The domain made by an earlier ``up`` in ``root``, or ``None``."""
    try:
        return load_domain(root)
    except DomainError as exc:
        raise BootstrapError(
            "domain", f"{exc}; remove the state directory to start a new network"
        ) from None


async def create_domain(root: Path, rpc_url: str, echo: Callable[[str], None]) -> InitializedDomain:
    """Make the devnet's domain in ``root`` on the chain at ``rpc_url`` (deploys the contract)."""
    if root.exists():  # noqa: ASYNC240 - an interrupted first run; nothing uses it yet
        shutil.rmtree(root)
    try:
        return await init_domain(root, rpc_url, secrets.token_urlsafe(24), DEVNET_OPTIONS, echo)
    except DomainError as exc:
        raise BootstrapError("domain", str(exc)) from None
