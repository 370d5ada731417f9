"""The pinned toolchain: the solc shim behaves like native solc, the artifact cache works."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

from sequencer_chain.contract.artifact import (
    COMPILER_SETTINGS,
    cache_dir,
    compile_contract,
    compiler_version,
)
from sequencer_chain.toolchain import project_root, solc_path, tool_path

pytestmark = pytest.mark.anvil


def test_solc_shim_answers_version_like_native_solc() -> None:
    out = subprocess.run(
        [str(solc_path()), "--version"], capture_output=True, text=True, check=True
    ).stdout
    lines = out.splitlines()
    assert lines[-1].startswith("Version: 0.8.")
    assert "+commit." in lines[-1]
    assert compiler_version(solc_path()).startswith("0.8.")


def test_solc_shim_standard_json_output_is_clean_and_not_cut_at_64k() -> None:
    source = (project_root() / "contracts/src/SequencerInbox.sol").read_text()
    request = {
        "language": "Solidity",
        "sources": {"SequencerInbox.sol": {"content": source}},
        # Ask for a lot of output so a pipe cut at 64 KiB would corrupt the JSON.
        "settings": {"outputSelection": {"*": {"*": ["*"], "": ["ast"]}}},
    }
    result = subprocess.run(
        [str(solc_path()), "--standard-json", "--base-path", str(project_root())],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        check=True,
    )
    assert len(result.stdout) > 200_000
    output = json.loads(result.stdout)  # fails if anything but JSON is on stdout
    assert not [e for e in output.get("errors", []) if e["severity"] == "error"]
    assert "SequencerInbox" in output["contracts"]["SequencerInbox.sol"]


def test_solc_shim_rejects_unknown_flags() -> None:
    result = subprocess.run(
        [str(solc_path()), "--optimize"], capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "unsupported argument" in result.stderr


def test_artifact_is_cached_by_source_hash() -> None:
    first = compile_contract()
    cached = sorted(cache_dir().glob("SequencerInbox-*.json"))
    assert cached, "compile should have written a cache entry"
    mtimes = [p.stat().st_mtime_ns for p in cached]
    second = compile_contract()
    assert second == first
    assert [p.stat().st_mtime_ns for p in cached] == mtimes
    fresh = compile_contract(use_cache=False)
    assert fresh.bytecode == first.bytecode
    assert fresh.abi == first.abi


def test_foundry_tools_are_installed() -> None:
    for tool in ("anvil", "forge", "cast"):
        out = subprocess.run(
            [str(tool_path(tool)), "--version"], capture_output=True, text=True, check=True
        ).stdout
        assert "1.7.1" in out


def _isolated_shim(tmp_path: Path) -> Path:
    """A copy of the shim in a project of its own, with the real solcjs: its version cache
    (``<project>/node_modules/.cache``) is private to the test."""
    (tmp_path / "scripts").mkdir()
    shim = tmp_path / "scripts" / "solc"
    shutil.copy2(solc_path(), shim)
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "solc").symlink_to(project_root() / "node_modules" / "solc")
    return shim


def test_solc_shim_caches_its_version_keyed_by_the_compiler_file(tmp_path: Path) -> None:
    shim = _isolated_shim(tmp_path)
    cache = tmp_path / "node_modules" / ".cache" / "chaindomain-solc-version.json"
    real = compiler_version(shim)
    assert real.startswith("0.8.28+commit.")
    entry = json.loads(cache.read_text())
    assert entry["version"] == real

    # A cache entry under the current key is answered without loading the compiler...
    cache.write_text(json.dumps({"key": entry["key"], "version": "0.8.99+commit.cached"}))
    assert compiler_version(shim) == "0.8.99+commit.cached"
    # ...and one under another key (soljson.js replaced) is not trusted.
    cache.write_text(json.dumps({"key": "0:0", "version": "0.8.99+commit.stale"}))
    assert compiler_version(shim) == real
    assert json.loads(cache.read_text()) == entry


def test_solc_shim_resolves_imports_from_base_and_include_paths(tmp_path: Path) -> None:
    base, include = tmp_path / "base", tmp_path / "include"
    (include / "lib").mkdir(parents=True)
    base.mkdir()
    (include / "lib" / "Dep.sol").write_text(
        "// SPDX-License-Identifier: MIT\npragma solidity ^0.8.0;\n"
        "contract Dep { uint256 public x = 1; }\n"
    )
    (base / "Local.sol").write_text(
        "// SPDX-License-Identifier: MIT\npragma solidity ^0.8.0;\ncontract Local {}\n"
    )
    request = {
        "language": "Solidity",
        "sources": {
            "A.sol": {
                "content": "// SPDX-License-Identifier: MIT\npragma solidity ^0.8.0;\n"
                'import "lib/Dep.sol";\nimport "Local.sol";\ncontract A is Dep, Local {}\n'
            }
        },
        "settings": {"outputSelection": {"*": {"*": ["abi"]}}},
    }

    def compile_with(*flags: str) -> dict[str, Any]:
        result = subprocess.run(
            [str(solc_path()), "--standard-json", *flags],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            check=True,
        )
        output: dict[str, Any] = json.loads(result.stdout)
        return output

    output = compile_with(
        "--base-path", str(base), "--include-path", str(include),
        f"--allow-paths={base},{include}",
    )  # fmt: skip
    assert not [e for e in output.get("errors", []) if e["severity"] == "error"]
    assert set(output["contracts"]) == {"A.sol", "lib/Dep.sol", "Local.sol"}

    # Without the include path the import is not found, and the error says where it looked.
    missing = compile_with("--base-path", str(base), "--allow-paths", str(base))
    messages = [e["message"] for e in missing["errors"] if e["severity"] == "error"]
    assert any("lib/Dep.sol" in m and str(base) in m for m in messages), messages


def test_artifact_cache_is_keyed_by_source_and_skips_the_compiler_on_a_hit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import solcx

    from sequencer_chain.contract import artifact

    monkeypatch.setattr(artifact, "cache_dir", lambda: tmp_path / "artifacts")
    source = tmp_path / "C.sol"
    source.write_text(
        "// SPDX-License-Identifier: MIT\npragma solidity 0.8.28;\n"
        "contract C { function f() external pure returns (uint256) { return 1; } }\n"
    )
    first = compile_contract(source, "C")
    assert first.source_hash == hashlib.sha256(source.read_bytes()).hexdigest()
    assert len(list((tmp_path / "artifacts").glob("C-*.json"))) == 1

    real_compile = solcx.compile_standard

    def no_compiler(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the compiler ran although the source did not change")

    monkeypatch.setattr(solcx, "compile_standard", no_compiler)
    assert compile_contract(source, "C") == first

    # A changed source is a new key: compiled again, a second cache entry.
    source.write_text(source.read_text().replace("return 1;", "return 2;"))
    with pytest.raises(AssertionError, match="the compiler ran"):
        compile_contract(source, "C")
    monkeypatch.setattr(solcx, "compile_standard", real_compile)
    second = compile_contract(source, "C")
    assert second.source_hash != first.source_hash
    assert second.bytecode != first.bytecode
    assert second.artifact_hash != first.artifact_hash
    assert len(list((tmp_path / "artifacts").glob("C-*.json"))) == 2


def test_foundry_is_configured_offline_with_the_shim_and_a_deep_profile() -> None:
    config = tomllib.loads((project_root() / "foundry.toml").read_text())["profile"]
    for name in ("default", "deep"):
        profile = config[name]
        assert profile["offline"] is True, name
        assert profile["auto_detect_solc"] is False, name
        assert (project_root() / profile["solc"]).resolve() == solc_path().resolve(), name
        assert profile["libs"] == [], name
    default, deep = config["default"], config["deep"]
    assert deep["fuzz"]["runs"] >= 10_000
    assert deep["fuzz"]["runs"] > default["fuzz"]["runs"]
    assert deep["invariant"]["depth"] > default["invariant"]["depth"]
    assert deep["invariant"]["runs"] >= default["invariant"]["runs"]
    # The Python compile must produce the bytecode forge tests: same compiler settings.
    assert default["optimizer"] is True
    assert default["optimizer_runs"] == COMPILER_SETTINGS["optimizer"]["runs"]
    assert default["evm_version"] == COMPILER_SETTINGS["evmVersion"]
    makefile = (project_root() / "Makefile").read_text()
    assert "FOUNDRY_PROFILE=deep" in makefile
