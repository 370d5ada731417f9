"""Every setting of the writer and the reader is reachable from a node's TOML file, and none
can be left out of the mapping (``sequencer_chain/chain_settings.py``)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from node_runtime.errors import ConfigError
from sequencer_chain.chain_settings import (
    FeeSection,
    ReaderSection,
    WriterSection,
    build_exactly,
    reader_config,
    writer_config,
)
from sequencer_chain.config import load_node_config
from sequencer_chain.errors import ConfigMappingError
from sequencer_chain.reader import ReaderConfig
from sequencer_chain.writer import FeeConfig, WriterConfig

NOT_SETTINGS = {"start_block", "bounds"}
"""ReaderConfig fields that are not node settings: the deployment record's block and the
protocol's time bounds (every node of a domain must share them)."""


def other_than(value: Any) -> Any:
    """A valid value of the same kind that differs from ``value``."""
    if isinstance(value, bool):
        return not value
    if value is None:
        return 4_321
    if isinstance(value, int):
        return value * 2 + 11
    if isinstance(value, float):
        return value * 2 + 0.25
    raise AssertionError(f"no other value for {value!r}")


def toml_value(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else repr(value)


def non_default_table(section: type[BaseModel], **given: str) -> list[str]:
    """``key = value`` lines setting every scalar key of ``section`` to a non-default, or
    to the TOML text in ``given``."""
    lines = [f"{key} = {value}" for key, value in given.items()]
    for name, info in section.model_fields.items():
        if isinstance(info.default, BaseModel) or name in given:
            continue
        lines.append(f"{name} = {toml_value(other_than(info.default))}")
    return lines


def write_config(
    tmp_path: Path, fees: dict[str, str] | None = None, reader: dict[str, str] | None = None
) -> Path:
    path = tmp_path / "seq.toml"
    path.write_text(
        "\n".join(
            [
                "[node]",
                'sequencer_id = "SEQ::seq1::1220' + "ab" * 32 + '"',
                'data_dir = "seq1"',
                "[domain]",
                'domain_id = "d::1220' + "cd" * 32 + '"',
                'members_file = "members.toml"',
                "[chain]",
                'rpc_url = "http://127.0.0.1:1"',
                'deployment = "inbox.json"',
                "confirmations = 7",
                "poll_interval_s = 0.75",
                "rpc_timeout_s = 3.5",
                "max_blocks_per_step = 77",
                "linger_s = 0.125",
                "[chain.account]",
                "dev_key_index = 1",
                "[chain.writer]",
                *non_default_table(WriterSection),
                "[chain.writer.fees]",
                *non_default_table(FeeSection, **(fees or {})),
                "[chain.reader]",
                *non_default_table(ReaderSection, **(reader or {})),
            ]
        )
    )
    return path


def defaults_of(cls: type[Any]) -> dict[str, Any]:
    out = {}
    for field in dataclasses.fields(cls):
        if field.default is not dataclasses.MISSING:
            out[field.name] = field.default
        elif field.default_factory is not dataclasses.MISSING:
            out[field.name] = field.default_factory()
    return out


def test_every_writer_and_reader_field_is_set_from_the_node_config(tmp_path: Path) -> None:
    """Each key set to a non-default value in TOML arrives in the built object: no field of
    WriterConfig, FeeConfig or ReaderConfig keeps its dataclass default."""
    chain = load_node_config(write_config(tmp_path)).chain
    writer = writer_config(chain)
    reader = reader_config(chain, start_block=5)
    for built, cls in ((writer, WriterConfig), (writer.fees, FeeConfig), (reader, ReaderConfig)):
        defaults = defaults_of(cls)
        still_default = [
            f.name
            for f in dataclasses.fields(cls)
            if f.name not in NOT_SETTINGS
            and f.name in defaults
            and getattr(built, f.name) == defaults[f.name]
        ]
        assert still_default == [], f"{cls.__name__} fields not reachable from the node config"
    # The shared keys reach both, the issue's own case first.
    assert writer.confirmations == reader.confirmations == 7
    assert writer.rpc_timeout_s == reader.rpc_timeout_s == 3.5
    assert writer.linger_s == 0.125
    assert (reader.poll_interval_s, reader.max_blocks_per_step) == (0.75, 77)
    assert writer.fees.max_fee_per_gas_cap == other_than(FeeSection().max_fee_per_gas_cap)
    assert reader.dedup_retention_us == round(other_than(600.0) * 1_000_000)
    assert reader.start_block == 5


def test_an_empty_writer_and_reader_table_gives_the_dataclass_defaults_but_confirmations(
    tmp_path: Path,
) -> None:
    path = tmp_path / "seq.toml"
    text = write_config(tmp_path).read_text().split("[chain.writer]")[0]
    path.write_text(text)
    chain = load_node_config(path).chain
    writer = writer_config(chain)
    assert writer == dataclasses.replace(
        WriterConfig(), linger_s=0.125, confirmations=7, rpc_timeout_s=3.5
    )
    assert reader_config(chain, 5) == dataclasses.replace(
        ReaderConfig(start_block=5),
        confirmations=7,
        poll_interval_s=0.75,
        rpc_timeout_s=3.5,
        max_blocks_per_step=77,
    )


def test_a_field_left_out_of_the_mapping_is_refused() -> None:
    values = dataclasses.asdict(FeeConfig())
    assert build_exactly(FeeConfig, values) == FeeConfig()
    with pytest.raises(ConfigMappingError) as missing:
        build_exactly(FeeConfig, {k: v for k, v in values.items() if k != "bump_percent"})
    assert missing.value.missing == ("bump_percent",) and missing.value.unexpected == ()
    with pytest.raises(ConfigMappingError) as unexpected:
        build_exactly(FeeConfig, {**values, "tip": 1})
    assert unexpected.value.unexpected == ("tip",)


def test_writer_and_reader_settings_are_validated_with_their_keys(tmp_path: Path) -> None:
    path = write_config(
        tmp_path, fees={"bump_percent": "5"}, reader={"keep_blocks": "0", "typo": "1"}
    )
    with pytest.raises(ConfigError) as err:
        load_node_config(path)
    text = str(err.value)
    assert "chain.writer.fees.bump_percent" in text
    assert "chain.reader.keep_blocks" in text
    assert "chain.reader.typo: unknown key" in text
