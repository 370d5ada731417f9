"""MemberConfig: the [domain] section of member nodes, strict and validated."""

from __future__ import annotations

from pathlib import Path

import pytest

from node_runtime.config import parse_config
from node_runtime.errors import ConfigError
from node_runtime.member import MemberConfig

DOMAIN = "d::1220" + "ab" * 32


def test_defaults_and_paths() -> None:
    config = parse_config(
        {"domain_id": DOMAIN, "genesis_file": "g.json", "sequencers": ["localhost:4101"]},
        MemberConfig,
    )
    assert config.tuning.reconnect_initial_s == 0.2
    assert config.genesis_path(Path("/etc/node")) == Path("/etc/node/g.json")
    assert config.genesis_path(None) == Path("g.json")


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"domain_id": "not a domain"}, "domain_id"),
        ({"sequencers": []}, "sequencers"),
        ({"sequencers": ["no-port"]}, "sequencers"),
        ({"sequencers": ["h:1", "h:1"]}, "sequencers"),
        ({"tuning": {"reconnect_initial_s": 0}}, "reconnect_initial_s"),
        ({"tuning": {"unknown": 1}}, "unknown"),
        ({"extra": 1}, "extra"),
    ],
)
def test_invalid_values_name_their_key(change: dict[str, object], key: str) -> None:
    raw: dict[str, object] = {
        "domain_id": DOMAIN,
        "genesis_file": "g.json",
        "sequencers": ["h:1"],
    }
    raw.update(change)
    with pytest.raises(ConfigError) as err:
        parse_config(raw, MemberConfig)
    assert key in str(err.value)
