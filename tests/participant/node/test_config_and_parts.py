"""Unit tests of the participant node's parts that need no domain: the config model, the
process's exit code on a bad config, completion status mapping and the time proof clock."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from node_runtime import ConfigError
from participant.node import TimeProofClock, completion_status, load_participant_config
from participant.protocol import VettingMode
from participant.store import CompletionCode, CompletionStatus
from protocol.timestamp import Timestamp

ROOT = Path(__file__).resolve().parents[3]
PID = "PAR::p1::1220" + "ab" * 32
DOMAIN = "dom::1220" + "cd" * 32

GOOD = f"""
[node]
participant_id = "{PID}"
data_dir = "state"

[keys]
namespace_keystore = "keys/ns.json"
signing_keystore = "keys/sig.json"
encryption_keystore = "keys/enc.json"
password = {{ env = "P1_PASSWORD" }}

[domain]
domain_id = "{DOMAIN}"
genesis_file = "genesis.json"
sequencers = ["127.0.0.1:4001"]

[protocol]
commitment_period_s = 2.5
vetting = "topology"
"""


def test_a_config_loads_with_defaults_and_resolves_paths(tmp_path: Path) -> None:
    path = tmp_path / "p1.toml"
    path.write_text(GOOD)
    config = load_participant_config(path)
    assert config.path(config.node.data_dir) == tmp_path / "state"
    assert config.display_name == "p1"
    assert config.domain_manager is None
    assert config.ledger_api.port == 0
    processor = config.protocol.processor_config()
    assert processor.commitment_period == 2_500_000
    assert processor.vetting is VettingMode.TOPOLOGY
    assert config.packages.examples == ["iou", "dvp", "agreement"]


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (("PAR::p1", "MED::p1"), "participant_id"),
        (('vetting = "topology"', 'vetting = "anything"'), "vetting"),
        (("commitment_period_s = 2.5", "commitment_period_s = 0"), "commitment_period_s"),
        (('data_dir = "state"', 'data_dir = "state"\nunknown = 1'), "unknown"),
    ],
)
def test_a_bad_config_names_its_key(tmp_path: Path, change: tuple[str, str], key: str) -> None:
    path = tmp_path / "p1.toml"
    path.write_text(GOOD.replace(*change))
    with pytest.raises(ConfigError) as err:
        load_participant_config(path)
    assert key in str(err.value)


def test_an_unknown_example_package_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p1.toml"
    path.write_text(GOOD + '\n[packages]\nexamples = ["nope"]\n')
    with pytest.raises(ConfigError, match="nope"):
        load_participant_config(path)


def test_the_process_exits_2_on_a_configuration_error(tmp_path: Path) -> None:
    path = tmp_path / "p1.toml"
    path.write_text(GOOD.replace("PAR::p1", "MED::p1"))
    done = subprocess.run(
        [sys.executable, "-m", "participant", "--config", str(path)],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "participant_id" in done.stderr
    assert "READY" not in done.stdout


def test_completion_codes_map_to_ledger_api_codes() -> None:
    assert completion_status(CompletionStatus()).ok
    known = completion_status(CompletionStatus(CompletionCode.INCONSISTENT_CONTRACTS, "gone"))
    assert known.code == "INCONSISTENT_CONTRACTS" and known.context == ()
    locked = completion_status(CompletionStatus(CompletionCode.LOCKED_CONTRACTS, "locked"))
    assert locked.code == "LOCAL_VERDICT_REJECTED"
    assert dict(locked.context)["participant_code"] == "LOCAL_VERDICT_LOCKED_CONTRACTS"
    timed_out = completion_status(CompletionStatus(CompletionCode.NOT_SEQUENCED, "late"))
    assert timed_out.code == "REQUEST_TIMED_OUT"


class _Source:
    def __init__(self) -> None:
        self.calls = 0

    async def time_proof(self, timeout_s: float = 30.0) -> Timestamp:
        self.calls += 1
        return Timestamp(0)


def test_the_clock_asks_only_near_a_deadline_after_silence() -> None:
    deadline: list[Timestamp | None] = [None]
    wall = [Timestamp(1_000_000_000)]
    clock = TimeProofClock(
        _Source(), lambda: deadline[0], idle_s=0.0, clock_tolerance_s=1.0,
        wall_clock=lambda: wall[0],
    )  # fmt: skip
    assert not clock.due()  # nothing in flight
    deadline[0] = Timestamp(wall[0] + 5_000_000)
    assert not clock.due()  # far away
    wall[0] = Timestamp(deadline[0] - 500_000)
    assert clock.due()  # within the tolerance
    clock.idle_s = 60.0
    clock.observed()
    assert not clock.due()  # the stream is not silent
