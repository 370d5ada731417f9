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

A node's model derives from :class:`NodeConfig`: it has the ``[tls]`` section
(:class:`TlsSection`) and names its listening endpoints (:meth:`NodeConfig.listeners`).
:func:`load_config` then applies, once for every node, the exposure rule of
``docs/operations.md`` §TLS: the certificate files are read and checked
(:class:`~protocol.errors.TlsFileError` naming the file and why), and an endpoint on a
non-loopback address must speak TLS, and a user-facing API there must check tokens,
unless ``[tls] insecure = true`` says otherwise explicitly (then a warning is logged at
every start). A refused exposure is an :class:`~node_runtime.errors.InsecureConfigError`.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from node_runtime.errors import ConfigError, InsecureConfigError, SecretError
from protocol.tls import read_ca_bundle, read_key_pair

log = logging.getLogger(__name__)

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


def resolve_path(path: Path, base_dir: Path | None) -> Path:
    """``path`` made absolute against the config file's directory."""
    return path if path.is_absolute() or base_dir is None else base_dir / path


class TlsSection(StrictModel):
    """``[tls]``: transport security of every endpoint the node serves and every
    connection it opens (``docs/operations.md`` §TLS).

    .. code-block:: toml

        [tls]
        cert_file = "tls/node.crt"     # server certificate chain (PEM, leaf first)
        key_file = "tls/node.key"      # its private key (PEM, unencrypted, mode 0600)
        ca_file = "tls/ca.crt"         # trusted CA bundle for the servers this node calls
        require_client_cert = false    # mutual TLS: clients must present a certificate
                                       # signed by a CA of ca_file
        insecure = false               # allow plaintext/unauthenticated non-loopback endpoints
    """

    cert_file: Path | None = None
    """Server certificate chain (PEM, leaf first): every gRPC and HTTP endpoint of the
    node serves TLS with it. Also presented as the client certificate to servers that
    require one."""
    key_file: Path | None = None
    """Private key of ``cert_file`` (unencrypted PEM; keep it mode 0600)."""
    ca_file: Path | None = None
    """Trusted CA bundle (PEM): the node dials sequencers, the domain manager and the
    identity provider over TLS verified against it (plaintext without it); with
    ``require_client_cert`` it also verifies client certificates."""
    require_client_cert: bool = False
    """Mutual TLS: refuse clients without a certificate signed by a CA of ``ca_file``."""
    insecure: bool = False
    """Start even with a plaintext endpoint, or a Ledger API without auth, on a
    non-loopback address (a warning is logged at every start). Never in production."""

    @model_validator(mode="after")
    def _consistent(self) -> TlsSection:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("give both 'cert_file' and 'key_file', or neither")
        if self.require_client_cert and (self.cert_file is None or self.ca_file is None):
            raise ValueError("'require_client_cert' needs 'cert_file', 'key_file' and 'ca_file'")
        return self

    @property
    def enabled(self) -> bool:
        """Whether the node serves TLS."""
        return self.cert_file is not None


@dataclass(frozen=True, slots=True)
class Listener:
    """One endpoint a node listens on, as the exposure rule sees it."""

    key: str
    """The config key of its host (``api.host``, ``ledger_api.host``, ...)."""
    host: str
    tls: bool
    """Whether it serves TLS."""
    authenticated: bool | None = None
    """For an API serving users (the Ledger API): whether it checks their tokens;
    ``None`` for endpoints the rule does not ask this of."""


def is_loopback(host: str) -> bool:
    """``localhost`` and the loopback addresses; any other name or address (``0.0.0.0``
    included) may be reached from outside."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class NodeConfig(StrictModel):
    """Base of every node's config model: the ``[tls]`` section and the listeners."""

    tls: TlsSection = TlsSection()

    def listeners(self) -> tuple[Listener, ...]:
        """Every endpoint the node listens on (each node names its own)."""
        return ()


def exposure_problems(config: NodeConfig) -> list[str]:
    """What the exposure rule refuses in ``config`` (``insecure`` aside)."""
    problems: list[str] = []
    for listener in config.listeners():
        if is_loopback(listener.host):
            continue
        if not listener.tls:
            problems.append(
                f"{listener.key}: {listener.host!r} is not a loopback address and the endpoint "
                "is plaintext (give [tls] cert_file and key_file)"
            )
        if listener.authenticated is False:
            problems.append(
                f"{listener.key}: {listener.host!r} is not a loopback address and the API "
                "checks no tokens (give its [auth] section)"
            )
    return problems


def check_node_security(config: NodeConfig, path: str, base_dir: Path | None) -> None:
    """The exposure rule and the certificate files of ``config`` (see the module
    docstring); called by :func:`load_config` for every :class:`NodeConfig`."""
    tls = config.tls
    if tls.cert_file is not None and tls.key_file is not None:
        read_key_pair(
            resolve_path(tls.cert_file, base_dir),
            resolve_path(tls.key_file, base_dir),
            roles=("tls.cert_file", "tls.key_file"),
        )
    if tls.ca_file is not None:
        read_ca_bundle(resolve_path(tls.ca_file, base_dir), "tls.ca_file")
    problems = exposure_problems(config)
    if tls.insecure:
        log.warning(
            "[tls] insecure = true: endpoints on non-loopback addresses may be plaintext or "
            "unauthenticated; never use this in production",
            extra={"config": path, "exposed": problems},
        )
    elif problems:
        raise InsecureConfigError(path, problems)


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
    config = parse_config(data, model, str(path))
    if isinstance(config, NodeConfig):
        check_node_security(config, str(path), path.resolve().parent)
    return config
