"""What a chain reader sees of a test domain's rejections: every confirmation response and
verdict the ordering fake sequenced (they go on a public chain in clear) must hold no
ledger data: no contract id, template id or contract key hash anywhere in its bytes, no
party id in a reject reason, and every reason in exactly its public form
(``participant/protocol/rejections.py``, ``mediator/rejections.py``).

:func:`assert_no_ledger_data_in_clear` runs when a :class:`ProtocolDomain` closes, so every
protocol test that makes a participant reject (a forged request, an inactive or locked
contract, a key conflict, a policy veto, a wrong authorization …) is checked too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mediator.rejections import PUBLIC_PHRASES as MEDIATOR_PHRASES
from participant.engine.transaction import GlobalKey
from participant.protocol.actions import instance_from_bytes
from participant.protocol.keys import key_hash
from participant.protocol.rejections import public_reason
from protocol.sequencer_messages import Deliver
from protocol.transaction import (
    LocalReject,
    MalformedTransactionMessageError,
    MediatorReject,
    Reject,
    SignedConfirmationResponse,
    SignedConfirmationResult,
    decode_protocol_message,
)

if TYPE_CHECKING:
    from tests.participant.protocol.support import ProtocolDomain

_CONTRACT_ID = re.compile(r"\b00[0-9a-f]{64}\b")
_HASH = re.compile(r"(?<!::)\b1220[0-9a-f]{64}\b")
"""A multihash not part of a party or member id (a key hash, a package id)."""


@dataclass
class Secrets:
    """Ledger data of one test domain that must stay off the chain."""

    anywhere: set[str] = field(default_factory=set)
    """Contract ids, template ids, key hashes: in no public message's bytes."""
    parties: set[str] = field(default_factory=set)
    """Party ids: in no reject reason (responses list confirming parties by design)."""

    def add_detail(self, detail: str) -> None:
        self.anywhere.update(_CONTRACT_ID.findall(detail))
        self.anywhere.update(_HASH.findall(detail))


@dataclass
class Checked:
    responses: int = 0
    local_rejects: int = 0
    verdicts: int = 0
    mediator_rejects: int = 0


def public_messages(
    delivered: Iterable[object],
) -> Iterable[tuple[bytes, SignedConfirmationResponse | SignedConfirmationResult]]:
    for event in delivered:
        if not isinstance(event, Deliver):
            continue
        for envelope in event.batch.envelopes:
            try:
                message = decode_protocol_message(envelope.payload)
            except MalformedTransactionMessageError:
                continue
            if isinstance(message, SignedConfirmationResponse | SignedConfirmationResult):
                yield envelope.payload, message


def check_messages(
    messages: Iterable[tuple[bytes, SignedConfirmationResponse | SignedConfirmationResult]],
    secrets: Secrets,
) -> Checked:
    """Assert the rules of the module docstring over ``messages``; count what was seen."""
    checked = Checked()
    for payload, message in messages:
        for secret in secrets.anywhere:
            assert secret.encode() not in payload, (secret, message)
        reasons: list[str] = []
        if isinstance(message, SignedConfirmationResponse):
            checked.responses += 1
            response = message.response
            if isinstance(response.verdict, LocalReject):
                checked.local_rejects += 1
                expected = public_reason(response.verdict.code, response.view_position)
                assert response.verdict.reason == expected, response
                reasons.append(response.verdict.reason)
        else:
            checked.verdicts += 1
            verdict = message.result.verdict
            if isinstance(verdict, Reject):
                reasons += [r.reject.reason for r in verdict.reasons]
            elif isinstance(verdict, MediatorReject):
                checked.mediator_rejects += 1
                assert verdict.reason.startswith(MEDIATOR_PHRASES[verdict.code]), verdict
                reasons.append(verdict.reason)
        for reason in reasons:
            for party in secrets.parties:
                assert party not in reason, (party, reason)
    return checked


async def domain_secrets(d: ProtocolDomain) -> Secrets:
    secrets = Secrets(parties=set(d.parties.values()))
    for store in d.stores.values():
        for (data,) in await store._fetch("SELECT instance FROM contracts"):
            instance = instance_from_bytes(bytes(data))
            secrets.anywhere.update({str(instance.contract_id), str(instance.template_id)})
            if instance.key is not None:
                key = GlobalKey(instance.template_id, instance.key.key)
                secrets.anywhere.add(key_hash(key))
    for processor in d.processors.values():
        for rejection in processor.rejections:
            secrets.add_detail(rejection.detail)
    return secrets


async def assert_no_ledger_data_in_clear(d: ProtocolDomain) -> Checked:
    """Check every response and verdict any member of ``d`` received (module docstring)."""
    secrets = await domain_secrets(d)
    seen: set[bytes] = set()
    unique = []
    for events in d.ordering.delivered.values():
        for payload, message in public_messages(events):
            if payload not in seen:
                seen.add(payload)
                unique.append((payload, message))
    return check_messages(unique, secrets)
