"""Optional onboarding through the domain manager (``[onboarding]`` in the config).

A mediator named in the genesis ``MediatorDomainState`` needs none. Otherwise the node
sends its root certificate and OwnerToKeyMapping (signed by its namespace and signing
keys) with ``RequestOnboarding(MEDIATOR)``; the domain manager adds it to the mediator
state once approved. The node waits until the request is ONBOARDED (the member runtime
then fetches the topology history up to it before the first event).
"""

from __future__ import annotations

import asyncio
import logging

from mediator.errors import MediatorOnboardingError
from node_runtime.member.dm_client import (
    DomainManagerClient,
    DomainManagerClientError,
    OnboardingKind,
    OnboardingState,
)
from protocol.crypto import EncryptionPrivateKey, SigningPrivateKey
from protocol.identifiers import MemberId
from protocol.tls import ClientTls
from protocol.topology import Genesis, OwnerToKeyMapping, add_mapping, root_certificate
from protocol.topology.mappings import MediatorDomainState

log = logging.getLogger(__name__)

POLL_S = 0.25


def in_genesis(genesis: Genesis, mediator: MemberId) -> bool:
    """Whether the genesis mediator state names ``mediator``."""
    return any(
        isinstance(t.mapping, MediatorDomainState) and mediator in t.mapping.mediators
        for t in (s.transaction for s in genesis.transactions)
    )


def onboarding_transactions(
    mediator: MemberId,
    namespace_key: SigningPrivateKey,
    signing_key: SigningPrivateKey,
    encryption_key: EncryptionPrivateKey,
) -> list[bytes]:
    otk = OwnerToKeyMapping(mediator, signing_key.public_key, encryption_key.public_key)
    signers = {namespace_key.fingerprint: namespace_key, signing_key.fingerprint: signing_key}
    return [root_certificate(namespace_key).encode(), add_mapping(otk, signers.values()).encode()]


async def onboard(
    target: str, transactions: list[bytes], timeout_s: float, tls: ClientTls | None = None
) -> None:
    """Request onboarding at the domain manager ``target`` and wait until ONBOARDED."""
    try:
        async with asyncio.timeout(timeout_s), DomainManagerClient(target, tls=tls) as client:
            status = await client.request_onboarding(OnboardingKind.MEDIATOR, transactions)
            log.info("onboarding requested: %s %s", status.request_id, status.state.name)
            while status.state is not OnboardingState.ONBOARDED:
                if status.state is OnboardingState.REJECTED:
                    raise MediatorOnboardingError("REJECTED", status.reason)
                await asyncio.sleep(POLL_S)
                status = await client.onboarding_status(status.request_id)
    except TimeoutError:
        raise MediatorOnboardingError("TIMEOUT", f"not onboarded within {timeout_s}s") from None
    except DomainManagerClientError as exc:
        raise MediatorOnboardingError("REFUSED", str(exc)) from exc
    log.info("onboarded at %d", status.effective_at)
