"""ACS commitments across a restart (``participant/protocol/commitments.py``): the
counter-participants shared with at the last period end come back from
``participant.sqlite``, so a participant restarted after losing every contract it shared
with ``Q`` still sends ``Q`` a commitment at the next period end, and ``Q`` finds the
mismatch. Real sqlite files; the restart reopens the store and recovers the processor."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from participant.protocol import ProcessorConfig
from participant.protocol.commitments import period_end_before
from protocol.timestamp import Timestamp
from tests.participant.protocol.support import SECOND, ProtocolDomain, make_test_domain
from tests.participant.protocol.test_protocol import create_iou

PERIOD = 5 * SECOND


@pytest.fixture
async def d(tmp_path: Path) -> AsyncIterator[ProtocolDomain]:
    domain = await make_test_domain(tmp_path, ProcessorConfig(commitment_period=PERIOD))
    yield domain
    await domain.close()


async def test_a_restarted_participant_still_tells_a_former_counter_participant(
    d: ProtocolDomain,
) -> None:
    iou = await create_iou(d)  # alice (p1) with carol (p3) as observer: shared by p1 and p3
    everyone = [d.member(n) for n in ("p1", "p2", "p3")]
    await d.ordering.tick(PERIOD + SECOND, *everyone)  # closes the first period
    await d.ordering.tick(SECOND, *everyone)  # delivers its commitments
    first_end = d.stores["p3"].commitment_period_end
    assert first_end is not None
    assert await d.stores["p3"].commitment_counterparties() == {d.member("p1")}
    assert (await d.stores["p1"].commitment_counts())["matched"] == 1

    # p3 stops, and its copy of the contract is lost from its file (a bug, or tampering).
    await d.stop_participant("p3")
    with sqlite3.connect(d.tmp / "p3.sqlite") as db:
        db.execute("UPDATE contracts SET archived_offset = 0 WHERE contract_id = ?", (iou,))
    p3 = await d.start_participant("p3")
    assert not len(p3.acs)
    assert p3.commitments.last_counterparties == {d.member("p1")}

    await d.ordering.tick(PERIOD, *everyone)  # closes the second period
    await d.ordering.tick(SECOND, *everyone)
    second_end = period_end_before(Timestamp(d.clock()), PERIOD)
    assert second_end > first_end
    sent = await d.stores["p3"].commitment_sent(d.member("p1"), second_end)
    assert sent is not None and sent[2] == ()  # an empty set's commitment, but sent
    (mismatch,) = await d.processors["p1"].mismatches()
    assert mismatch.counterparty == d.member("p3") and mismatch.to_time == second_end
    assert mismatch.contract_ids == (iou,)
    # Nothing shared any more: the period after that tells p1 nothing.
    assert await d.stores["p3"].commitment_counterparties() == frozenset()
