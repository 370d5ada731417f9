"""The rejections a chain reader sees name no ledger data: a key conflict (whose local
detail names the template, the holder and the unsalted key hash) goes out as the code,
a fixed phrase and the view position; the checker every protocol test runs at close
(``public_messages``) finds a reason that leaks any of them."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from participant.protocol.rejections import public_reason
from protocol.transaction import (
    LocalReject,
    LocalRejectCode,
    Reject,
    SignedConfirmationResponse,
)
from tests.participant.protocol.public_messages import (
    assert_no_ledger_data_in_clear,
    check_messages,
    domain_secrets,
)
from tests.participant.protocol.support import ProtocolDomain, make_test_domain
from tests.participant.protocol.support import template as template_of
from tests.participant.protocol.test_key_uniqueness import (
    account,
    account_key,
    open_account,
    responses,
    send_as_p3,
    uninformed,
    verdicts,
)


@pytest.fixture
async def d(tmp_path: Path) -> AsyncIterator[ProtocolDomain]:
    domain = await make_test_domain(tmp_path)
    yield domain
    await domain.close()


async def test_a_key_conflict_reaches_the_chain_without_template_holder_or_key_hash(
    d: ProtocolDomain,
) -> None:
    held = await open_account(d)
    tree = await send_as_p3(d, uninformed(d, account(d)))
    (signed,) = responses(d, "p3", tree)
    reject = signed.response.verdict
    assert isinstance(reject, LocalReject) and reject.code is LocalRejectCode.KEY_CONFLICT
    (result,) = [v for v in verdicts(d, "p1") if v.result.root_hash == tree.root_hash()]
    assert isinstance(result.result.verdict, Reject)

    secrets = await domain_secrets(d)
    tid, key = template_of(d, "iou", "Account"), account_key(d)
    assert {held, tid, key} <= secrets.anywhere and d.party("carol") in secrets.parties
    for public in (signed.to_bytes(), result.to_bytes()):
        for secret in (held, tid, key):
            assert secret.encode() not in public
    checked = await assert_no_ledger_data_in_clear(d)
    assert checked.local_rejects >= 1 and checked.verdicts >= 2

    # the same response with the detail as its reason is caught
    detail = next(r.detail for r in d.processors["p3"].rejections)
    assert key in detail
    for leak in (detail, f"{public_reason(reject.code, (0,))} {d.party('carol')}"):
        leaky = dataclasses.replace(
            signed.response, verdict=LocalReject(LocalRejectCode.KEY_CONFLICT, leak[:1000])
        )
        forged = SignedConfirmationResponse.sign(leaky, d.participants["p3"].signing_key)
        with pytest.raises(AssertionError):
            check_messages([(forged.to_bytes(), forged)], secrets)
