"""ACS commitments of participants that close different period ends
(``participant/protocol/commitments.py``, "Comparison").

A participant closes a period only at its own next event, so two participants with
different traffic close different period ends: ``Q`` has an event just after ``E1`` and
sends its commitment for ``E1``; if that commitment is sequenced after ``E2`` and ``P``
had no event in between, ``P``'s next event closes ``(E0, E2]`` and ``P`` never computed
one for ``E1``. ``P``'s active contracts did not change after ``E1`` (no event of its own
fell there), so its commitment covering ``E1`` is the one to compare with; comparing with
the empty set's reported a mismatch for two identical sets. Real sqlite files, the real
mediator, a fake ordering whose latency the test sets.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from participant.protocol import ProcessorConfig
from protocol.timestamp import Timestamp
from tests.participant.protocol.support import SECOND, ProtocolDomain, command, make_test_domain
from tests.participant.protocol.test_protocol import create_iou, iou_create, run

PERIOD = 5 * SECOND


@pytest.fixture
async def d(tmp_path: Path) -> AsyncIterator[ProtocolDomain]:
    domain = await make_test_domain(tmp_path, ProcessorConfig(commitment_period=PERIOD))
    yield domain
    await domain.close()


async def _skewed_periods(d: ProtocolDomain) -> tuple[Timestamp, Timestamp]:
    """P3 alone learns that the first period after the Ious ended and commits to it; its
    commitment is sequenced a period later, so P1 closes the next period end only. The
    two period ends."""
    p1, p3 = d.stores["p1"], d.stores["p3"]
    start = p1.commitment_period_end
    assert start is not None and p3.commitment_period_end == start
    await d.ordering.tick(PERIOD + SECOND, d.member("p3"), delay=PERIOD)
    p3_end, p1_end = Timestamp(start + PERIOD), Timestamp(start + 2 * PERIOD)
    assert p1.commitment_period_end == p3.commitment_period_end == p1_end
    assert await p3.commitment_sent(d.member("p1"), p3_end) is not None
    assert await p1.commitment_sent(d.member("p3"), p3_end) is None  # never computed
    assert await p1.commitment_sent(d.member("p3"), p1_end) is not None
    return p3_end, p1_end


async def test_commitments_for_period_ends_the_receiver_skipped_match(
    d: ProtocolDomain,
) -> None:
    await create_iou(d)  # alice (p1) with carol (p3) as observer: shared by p1 and p3
    await _skewed_periods(d)
    for name, matched in (("p1", 2), ("p3", 1)):
        assert await d.processors[name].mismatches() == [], name
        counts = await d.stores[name].commitment_counts()
        assert counts == {"matched": matched, "mismatched": 0, "pending": 0}, (name, counts)


async def test_a_divergence_is_found_for_a_period_end_the_receiver_skipped(
    d: ProtocolDomain,
) -> None:
    first = await create_iou(d)
    await run(d, "p1", command(d, ["alice"], iou_create(d, "alice", "alice", ["carol"])))
    both = tuple(sorted(c.contract_id for c in await d.stores["p1"].active_contracts()))
    found = d.processors["p3"].acs.get(first)  # type: ignore[arg-type]
    assert found is not None  # P3's copy of the first Iou disappears (tampering, or a bug)
    d.processors["p3"].acs.archive(first)  # type: ignore[arg-type]
    d.processors["p3"].commitments.remove(*found)
    p3_end, p1_end = await _skewed_periods(d)
    at_p1 = [(m.to_time, m.contract_ids) for m in await d.processors["p1"].mismatches()]
    assert at_p1 == [(p3_end, both), (p1_end, both)]
    at_p3 = [(m.to_time, m.counterparty) for m in await d.processors["p3"].mismatches()]
    assert at_p3 == [(p1_end, d.member("p1"))]
