"""Topology broadcasts reach every member and are processed by the member runtime before
the event reaches the protocol processor, which must skip them quietly: they are not
protocol messages, and warning about each one buried real malformed input in noise."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from protocol.identifiers import MemberKind
from protocol.sequencer_messages import Batch, Deliver, Envelope, SequencerCounter
from protocol.timestamp import Timestamp
from protocol.topology import TOPOLOGY_PAYLOAD_PREFIX
from tests.participant.protocol.support import make_test_domain
from tests.support.domain import make_identity


async def test_topology_envelopes_are_skipped_and_garbage_is_still_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    d = await make_test_domain(tmp_path)
    try:
        p1 = await d.start_participant("p1")
        dm = make_identity(MemberKind.DOMAIN_MANAGER, "dm")
        me = d.member("p1")
        topology_like = Envelope.of(TOPOLOGY_PAYLOAD_PREFIX + b"\x00", [dm.member])
        garbage = Envelope.of(b"\xffnot a protocol message", [me])
        at = Timestamp(d.ordering.now + 1)
        event = Deliver(
            counter=SequencerCounter(0),
            timestamp=at,
            sender=dm.member,
            message_id=None,
            batch=Batch((topology_like, garbage)),
        )
        with caplog.at_level(logging.WARNING, logger="participant.protocol"):
            await p1.handle(event)
        malformed = [r for r in caplog.records if "malformed envelope" in r.getMessage()]
        assert len(malformed) == 1  # the garbage, not the topology broadcast
    finally:
        await d.close()
