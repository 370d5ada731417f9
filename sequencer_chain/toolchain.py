"""Where the pinned chain tools live.

``scripts/bootstrap`` installs anvil, forge, cast and solcjs from the npm registry into
``<project>/node_modules`` (the "tools folder"); ``scripts/solc`` makes solcjs answer like
native solc. ``CHAINDOMAIN_TOOLS_DIR`` points elsewhere (a shared tools folder);
``CHAINDOMAIN_SOLC`` overrides the compiler path.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from sequencer_chain.errors import ToolNotFoundError

FOUNDRY_TOOLS = ("anvil", "forge", "cast")


@cache
def project_root() -> Path:
    """The checkout this package runs from (the folder holding ``foundry.toml``)."""
    here = Path(__file__).resolve()
    for candidate in here.parents:
        if (candidate / "foundry.toml").is_file() and (candidate / "package.json").is_file():
            return candidate
    # Installed outside a checkout: fall back to the working directory.
    return Path.cwd()


def tools_dir() -> Path:
    override = os.environ.get("CHAINDOMAIN_TOOLS_DIR")
    return Path(override) if override else project_root() / "node_modules"


def tool_path(tool: str) -> Path:
    """Absolute path of ``anvil``, ``forge`` or ``cast``; raises if not installed."""
    if tool not in FOUNDRY_TOOLS:
        raise ValueError(f"unknown tool {tool!r}; expected one of {FOUNDRY_TOOLS}")
    path = tools_dir() / "@foundry-rs" / f"{tool}-linux-amd64" / "bin" / tool
    if not os.access(path, os.X_OK):
        raise ToolNotFoundError(tool, path)
    return path


def solc_path() -> Path:
    """The solc executable: the project's solcjs shim unless ``CHAINDOMAIN_SOLC`` says otherwise."""
    override = os.environ.get("CHAINDOMAIN_SOLC")
    path = Path(override) if override else project_root() / "scripts" / "solc"
    if not os.access(path, os.X_OK):
        raise ToolNotFoundError("solc", path)
    if not override and not (tools_dir() / "solc" / "soljson.js").is_file():
        raise ToolNotFoundError("solcjs", tools_dir() / "solc" / "soljson.js")
    return path
