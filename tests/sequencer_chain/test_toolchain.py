"""The pinned toolchain: the solc shim behaves like native solc, the artifact cache works."""

from __future__ import annotations

import json
import subprocess

from sequencer_chain.contract.artifact import cache_dir, compile_contract, compiler_version
from sequencer_chain.toolchain import project_root, solc_path, tool_path


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
