"""The crash-point test hook (``node_runtime.crash_points``): off unless the process
environment names a point; then the process dies by SIGKILL exactly there; an unknown
name stops a node program at start with exit code 2."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from node_runtime import crash_points
from node_runtime.crash_points import ENVIRONMENT_VARIABLE, CrashPoint

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import sys
from node_runtime import crash_points
from node_runtime.crash_points import CrashPoint
crash_points.check_environment()
for time in range(1, int(sys.argv[2]) + 1):
    crash_points.reached(CrashPoint(sys.argv[1]))
    print("survived", time, flush=True)
"""


def _run(
    reached: CrashPoint, armed: str | None, times: int = 1
) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin"}
    if armed is not None:
        env[ENVIRONMENT_VARIABLE] = armed
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, reached.value, str(times)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_unarmed_points_do_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENVIRONMENT_VARIABLE, raising=False)
    assert crash_points.check_environment() is None
    for point in CrashPoint:
        crash_points.reached(point)  # still here
    result = _run(CrashPoint.MEDIATOR_RESPONSE_COUNTED, None)
    assert result.returncode == 0 and "survived" in result.stdout, result


def test_the_armed_point_kills_the_process_and_no_other_does() -> None:
    armed = CrashPoint.PARTICIPANT_RESPONSE_SENT
    killed = _run(armed, armed.value)
    assert killed.returncode == -signal.SIGKILL, killed
    assert "survived" not in killed.stdout
    other = _run(CrashPoint.PARTICIPANT_REQUEST_SENT, armed.value)
    assert other.returncode == 0 and "survived" in other.stdout, other


def test_a_count_kills_at_that_time_only() -> None:
    armed = CrashPoint.MEDIATOR_RESPONSE_COUNTED
    killed = _run(armed, f"{armed.value}@3", times=5)
    assert killed.returncode == -signal.SIGKILL, killed
    assert killed.stdout.split("\n")[:2] == ["survived 1", "survived 2"], killed.stdout
    assert "survived 3" not in killed.stdout


@pytest.mark.parametrize("value", ["mediator.typo", "mediator.response-counted@0", "x@y"])
def test_an_unknown_point_or_count_refuses_to_start_a_node(tmp_path: Path, value: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mediator", "--config", str(tmp_path / "absent.toml")],
        cwd=ROOT, env={"PATH": "/usr/bin:/bin", ENVIRONMENT_VARIABLE: value},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2, result
    assert ENVIRONMENT_VARIABLE in result.stderr and value in result.stderr
