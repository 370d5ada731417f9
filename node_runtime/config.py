"""Node configuration: one TOML file per node, validated by a pydantic model.

A node declares its configuration as pydantic models (``extra="forbid"``, so a typo in a
key is an error, not a silently ignored setting) and loads it with :func:`load_config`.
Every problem is reported at once, each naming the file, the dotted key, what was
expected and what came::

    participant1.toml: ledger_api.port: Input should be a valid integer (got 'abc')

Secrets (keystore passwords, signing keys for tokens) never sit in the file: a
:class:`Secret` names a file or an environment variable holding the value, written
``{ file = "secrets/pw" }`` or ``{ env = "P1_KEY_PASSWORD" }``. A relative secret
file is resolved against the directory of the config file.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from node_runtime.errors import ConfigError, SecretError

M = TypeVar("M", bound=BaseModel)


class StrictModel(BaseModel):
    """Base for config sections: immutable, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Secret(StrictModel):
    """Where a secret value comes from: exactly one of ``file`` or ``env``."""

    file: Path | None = None
    env: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Secret:
        if (self.file is None) == (self.env is None):
            raise ValueError("give exactly one of 'file' or 'env'")
        return self

    def resolve(self, base_dir: Path | None = None) -> str:
        """Read the secret now; a missing file or variable is a :class:`SecretError`."""
        if self.env is not None:
            value = os.environ.get(self.env)
            if value is None:
                raise SecretError(f"environment variable {self.env}", "is not set")
            return value
        if self.file is None:
            raise SecretError("config", "neither 'file' nor 'env' given")
        path = self.file if self.file.is_absolute() or base_dir is None else base_dir / self.file
        try:
            return path.read_text().rstrip("\r\n")
        except OSError as exc:
            raise SecretError(f"file {path}", exc.strerror or str(exc)) from None


def _render_location(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + item)
    return "".join(parts) or "(top level)"


def validation_problems(exc: ValidationError) -> list[str]:
    problems = []
    for error in exc.errors():
        where = _render_location(tuple(error["loc"]))
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        elif error["type"] == "missing":
            message = "required key is missing"
        elif "input" in error and not isinstance(error["input"], dict):
            message += f" (got {error['input']!r})"
        problems.append(f"{where}: {message}")
    return problems


def parse_config(data: dict[str, Any], model: type[M], path: str = "<config>") -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(path, validation_problems(exc)) from None


def load_config(path: Path, model: type[M]) -> M:
    """Read ``path`` as TOML and validate it against ``model``."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(str(path), [f"cannot read: {exc.strerror}"]) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), [f"not valid TOML: {exc}"]) from None
    return parse_config(data, model, str(path))
