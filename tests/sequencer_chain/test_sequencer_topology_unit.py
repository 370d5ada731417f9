"""``SequencerTopology`` without a chain: lookups from the genesis, the broadcast marker,
replay after a restart, rollback after a reorg, and the config's choice of member source."""

from __future__ import annotations

from pathlib import Path

import pytest

from node_runtime import ConfigError
from protocol.timestamp import Timestamp, now
from protocol.topology import Admission
from sequencer_chain.config import load_node_config
from sequencer_chain.errors import TopologyRollbackError
from sequencer_chain.sequencer_topology import SequencerTopology
from tests.sequencer_chain.node.test_sequencer_topology import (
    DM,
    NEWBIE,
    identity,
    make_genesis,
    permission,
)
from tests.sequencer_chain.sequencer_support import ALICE, BOB, DORMANT, MALLORY, signed_request


async def test_lookup_marker_replay_and_rollback_guard(tmp_path: Path) -> None:
    genesis = make_genesis()
    path = tmp_path / "topology.sqlite"
    members = await SequencerTopology.open(path, genesis)
    t0 = Timestamp(now())
    alice = members.member(ALICE.member, t0)
    assert alice is not None and alice.active and alice.keys == (ALICE.key.public_key,)
    dormant = members.member(DORMANT.member, t0)
    assert dormant is not None and not dormant.active
    assert members.member(MALLORY.member, t0) is None
    assert {m.member for m in members.members(t0)} >= {ALICE.member, BOB.member, DM.member}

    onboard = [*identity(NEWBIE), permission(NEWBIE, Admission.ADMITTED, 1)]
    payloads = [(t.encode(), [BOB.member]) for t in onboard]
    # Not from the domain manager: ignored. Plain payloads from it: ignored.
    members.observe(signed_request(ALICE, "a", payloads).request, t0)
    members.observe(signed_request(DM, "plain", [(b"hello", [BOB.member])]).request, t0)
    await members.flush()
    assert members.store.history() == genesis_history(members)
    request = signed_request(DM, "onboard", payloads).request
    s = Timestamp(t0 + 10)
    members.observe(request, s)
    assert members.member(NEWBIE.member, s) is None  # not before the delay
    await members.flush()
    effective = Timestamp(s + 3_000_000)
    digest = members.snapshot_at(effective).digest()
    info = members.member(NEWBIE.member, effective)
    assert info is not None and info.active
    await members.close()

    # Restart: the same request at the same time again (the event store was behind) and an
    # older one (already processed) change nothing.
    again = await SequencerTopology.open(path, genesis)
    again.observe(signed_request(DM, "old", payloads).request, Timestamp(s - 1))
    again.observe(request, s)
    await again.flush()
    assert again.snapshot_at(effective).digest() == digest
    assert await again.roll_back(s) == 0  # rolled back to the broadcast's time: nothing to undo

    # A reorg removes the onboarding broadcast: its decisions are undone, on disk too, and
    # the same broadcast sequenced again later is decided again.
    # (each was processed twice: before the restart, and again after it as a duplicate)
    assert await again.roll_back(Timestamp(s - 1)) == 2 * len(onboard)
    assert again.member(NEWBIE.member, effective) is None
    assert again.store.history() == genesis_history(again)
    await again.close()
    reopened = await SequencerTopology.open(path, genesis)
    assert reopened.member(NEWBIE.member, effective) is None
    later = Timestamp(s + 5)
    reopened.observe(request, later)
    await reopened.flush()
    info = reopened.member(NEWBIE.member, Timestamp(later + 3_000_000))
    assert info is not None and info.active
    await reopened.close()


async def test_rollback_of_a_store_without_recorded_inputs_stops_the_reader(
    tmp_path: Path,
) -> None:
    """Files written before inputs were kept cannot be rolled back: a typed error."""
    genesis = make_genesis()
    path = tmp_path / "topology.sqlite"
    members = await SequencerTopology.open(path, genesis)
    t0 = Timestamp(now())
    onboard = [*identity(NEWBIE), permission(NEWBIE, Admission.ADMITTED, 1)]
    request = signed_request(DM, "onboard", [(t.encode(), [BOB.member]) for t in onboard]).request
    members.observe(request, Timestamp(t0 + 10))
    await members.flush()
    await members.store._db.execute("DELETE FROM inputs")
    with pytest.raises(TopologyRollbackError):
        await members.roll_back(t0)
    await members.close()


def genesis_history(members: SequencerTopology) -> tuple[object, ...]:
    return members.store.history(members.genesis.timestamp)


@pytest.mark.parametrize("domain", ["", 'members_file = "m.toml"\ngenesis_file = "g.json"'])
def test_config_needs_exactly_one_member_source(tmp_path: Path, domain: str) -> None:
    config = tmp_path / "seq.toml"
    config.write_text(
        f"""
[node]
sequencer_id = "SEQ::seq1::1220{"ab" * 32}"
data_dir = "d"

[domain]
domain_id = "dom::1220{"ab" * 32}"
{domain}

[chain]
rpc_url = "http://127.0.0.1:1"
deployment = "inbox.json"

[chain.account]
dev_key_index = 1
"""
    )
    with pytest.raises(ConfigError) as err:
        load_node_config(config)
    assert "exactly one of 'members_file' or 'genesis_file'" in str(err.value)
