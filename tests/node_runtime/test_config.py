"""Config files: validation errors name the file, the key and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from node_runtime.config import Secret, StrictModel, load_config
from node_runtime.errors import ConfigError, SecretError


class Api(StrictModel):
    host: str = "127.0.0.1"
    port: int


class NodeConfig(StrictModel):
    name: str
    api: Api
    password: Secret | None = None


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "node.toml"
    path.write_text(text)
    return path


def test_valid_config_with_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, 'name = "p1"\n[api]\nport = 5001\n'), NodeConfig)
    assert config == NodeConfig(name="p1", api=Api(port=5001))


def test_every_problem_is_reported_with_file_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, '[api]\nport = "abc"\nprot = 1\n')
    with pytest.raises(ConfigError) as err:
        load_config(path, NodeConfig)
    message = str(err.value)
    assert message.startswith(f"{path}: ")
    assert "name: required key is missing" in message
    assert "api.port: Input should be a valid integer" in message and "(got 'abc')" in message
    assert "api.prot: unknown key" in message
    assert len(err.value.problems) == 3


def test_unreadable_and_invalid_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "absent.toml", NodeConfig)
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "name = \n"), NodeConfig)


def test_secrets_from_file_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pw").write_text("hunter2\n")
    config = load_config(
        write(tmp_path, 'name = "p"\npassword = { file = "pw" }\n[api]\nport = 1\n'), NodeConfig
    )
    assert config.password is not None
    assert config.password.resolve(tmp_path) == "hunter2"

    monkeypatch.setenv("NODE_PW", "from-env")
    assert Secret(env="NODE_PW").resolve() == "from-env"
    with pytest.raises(SecretError, match="NODE_PW_MISSING: is not set"):
        Secret(env="NODE_PW_MISSING").resolve()
    with pytest.raises(SecretError, match="file"):
        Secret(file=tmp_path / "nope").resolve()


def test_a_secret_needs_exactly_one_source(tmp_path: Path) -> None:
    path = write(tmp_path, 'name = "p"\npassword = { file = "a", env = "B" }\n[api]\nport = 1\n')
    with pytest.raises(ConfigError, match="password: Value error, give exactly one"):
        load_config(path, NodeConfig)
