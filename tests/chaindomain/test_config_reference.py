"""docs/configuration.md is generated from the node config models and must not be stale."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_committed_configuration_reference_is_current() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_config_reference"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_reference_names_every_sequencer_key_with_its_default() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text()
    assert "### `[chain.account]`" in text
    assert "| `confirmations` | integer | `2` | ≥ 0 |" in text
    assert "| `head_sample_interval_s` | number | `2.0` | > 0 |" in text
