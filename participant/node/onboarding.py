"""Onboarding through the domain manager at a participant's first start.

A participant named in the genesis topology (its ``OwnerToKeyMapping``) needs none, and
neither does one that ran before (its member database exists: the runtime has its stream
position). Otherwise the node sends its root certificate (the namespace delegation of its
own namespace) and its ``OwnerToKeyMapping`` (signing + encryption key), signed by its
namespace key and its signing key, with ``RequestOnboarding(PARTICIPANT)``, and waits
until the request is ONBOARDED: at once under the ``open`` policy, after an administrator
approved it under ``permissioned``. Ed25519 signatures are deterministic, so a node that
crashed while waiting sends the same bytes again, which the domain manager answers with
the existing request (``docs/domain-manager.md`` §3).
"""

from __future__ import annotations

import asyncio
import logging

from node_runtime.member.dm_client import (
    DomainManagerClient,
    DomainManagerClientError,
    OnboardingKind,
    OnboardingState,
    OnboardingStatus,
)
from participant.node.errors import OnboardingError
from protocol.crypto import EncryptionPrivateKey, SigningPrivateKey
from protocol.identifiers import MemberId
from protocol.topology import Genesis, OwnerToKeyMapping, add_mapping, root_certificate

log = logging.getLogger(__name__)

POLL_S = 0.25


def in_genesis(genesis: Genesis, participant: MemberId) -> bool:
    """Whether the genesis topology already gives ``participant`` its keys."""
    return any(
        isinstance(s.transaction.mapping, OwnerToKeyMapping)
        and s.transaction.mapping.member == participant
        for s in genesis.transactions
    )


def onboarding_transactions(
    participant: MemberId,
    namespace_key: SigningPrivateKey,
    signing_key: SigningPrivateKey,
    encryption_key: EncryptionPrivateKey,
) -> list[bytes]:
    """The participant's root certificate and its OwnerToKeyMapping, encoded."""
    otk = OwnerToKeyMapping(participant, signing_key.public_key, encryption_key.public_key)
    signers = {namespace_key.fingerprint: namespace_key, signing_key.fingerprint: signing_key}
    return [root_certificate(namespace_key).encode(), add_mapping(otk, signers.values()).encode()]


async def onboard(
    client: DomainManagerClient, transactions: list[bytes], timeout_s: float
) -> OnboardingStatus:
    """Request onboarding and wait until ONBOARDED (PENDING waits for an approval)."""
    try:
        async with asyncio.timeout(timeout_s):
            status = await client.request_onboarding(OnboardingKind.PARTICIPANT, transactions)
            log.info("onboarding requested: %s %s", status.request_id, status.state.name)
            while status.state is not OnboardingState.ONBOARDED:
                if status.state is OnboardingState.REJECTED:
                    raise OnboardingError("REJECTED", status.reason or "rejected")
                await asyncio.sleep(POLL_S)
                status = await client.onboarding_status(status.request_id)
    except TimeoutError:
        raise OnboardingError("TIMEOUT", f"not onboarded within {timeout_s}s") from None
    except DomainManagerClientError as exc:
        raise OnboardingError("REFUSED", str(exc)) from exc
    log.info("onboarded, active from %d", status.effective_at)
    return status
