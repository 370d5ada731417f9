"""Compile the ordering contract with py-solc-x through the solc shim, cached by source hash.

The artifact (ABI, creation and runtime bytecode) is cached under
``build/artifacts/<Contract>-<key>.json`` where ``key`` covers the source bytes, the
compiler version and the settings, so an edit to the source or a compiler change always
recompiles and nothing else does. The compiler settings match ``foundry.toml`` so that
the bytecode deployed from Python is the bytecode ``forge test`` exercised.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import solcx
from solcx.exceptions import SolcError

from sequencer_chain.errors import CompileError, ToolchainError
from sequencer_chain.toolchain import project_root, solc_path

INBOX_SOURCE = Path("contracts/src/SequencerInbox.sol")
INBOX_CONTRACT = "SequencerInbox"

#: Must agree with foundry.toml.
COMPILER_SETTINGS: dict[str, Any] = {
    "optimizer": {"enabled": True, "runs": 10_000},
    "evmVersion": "cancun",
    "outputSelection": {
        "*": {
            "*": [
                "abi",
                "evm.bytecode.object",
                "evm.deployedBytecode.object",
                "evm.deployedBytecode.immutableReferences",
            ]
        },
    },
}


@dataclass(frozen=True, slots=True)
class ContractArtifact:
    """A compiled contract, as deployed and called from Python."""

    contract_name: str
    """Solidity contract name."""
    source_path: str
    """Source file, relative to the project root."""
    abi: list[dict[str, Any]]
    """The JSON ABI (plain dicts: this is the web3 boundary)."""
    bytecode: bytes
    """Creation bytecode, without constructor arguments."""
    deployed_bytecode: bytes
    """Runtime bytecode, to check what is on chain."""
    source_hash: str
    """sha256 hex of the source file."""
    compiler_version: str
    """What the compiler reported in ``--version``."""
    immutable_ranges: tuple[tuple[int, int], ...]
    """(start, length) of each immutable in the runtime code, filled in at deployment."""
    artifact_hash: str
    """sha256 hex of the canonical JSON of this artifact; recorded at deployment."""

    def to_json(self) -> dict[str, Any]:
        return {
            "contractName": self.contract_name,
            "sourcePath": self.source_path,
            "abi": self.abi,
            "bytecode": "0x" + self.bytecode.hex(),
            "deployedBytecode": "0x" + self.deployed_bytecode.hex(),
            "sourceHash": self.source_hash,
            "compilerVersion": self.compiler_version,
            "immutableRanges": [list(r) for r in self.immutable_ranges],
        }

    def runtime_code_matches(self, code: bytes) -> bool:
        """Whether on-chain ``code`` is this artifact's runtime code, immutables aside."""
        if len(code) != len(self.deployed_bytecode):
            return False
        expected, actual = bytearray(self.deployed_bytecode), bytearray(code)
        for start, length in self.immutable_ranges:
            expected[start : start + length] = actual[start : start + length]
        return bytes(expected) == bytes(actual)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ContractArtifact:
        return cls(
            contract_name=data["contractName"],
            source_path=data["sourcePath"],
            abi=data["abi"],
            bytecode=bytes.fromhex(data["bytecode"].removeprefix("0x")),
            deployed_bytecode=bytes.fromhex(data["deployedBytecode"].removeprefix("0x")),
            source_hash=data["sourceHash"],
            compiler_version=data["compilerVersion"],
            immutable_ranges=tuple((int(a), int(b)) for a, b in data["immutableRanges"]),
            artifact_hash=_hash_json(data),
        )


def _hash_json(data: dict[str, Any]) -> str:
    return hashlib.sha256(
        json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()


def compiler_version(solc: Path) -> str:
    """The ``Version:`` line of ``solc --version`` (the shim caches it)."""
    try:
        out = subprocess.run(
            [str(solc), "--version"], capture_output=True, text=True, check=True, timeout=60
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise ToolchainError(f"{solc} --version failed: {exc}") from exc
    for line in out.splitlines():
        if line.startswith("Version:"):
            return line.removeprefix("Version:").strip()
    raise ToolchainError(f"{solc} --version printed no 'Version:' line: {out!r}")


def cache_dir() -> Path:
    return project_root() / "build" / "artifacts"


def compile_contract(
    source: Path = INBOX_SOURCE, contract: str = INBOX_CONTRACT, *, use_cache: bool = True
) -> ContractArtifact:
    """Compile ``contract`` from ``source`` (relative to the project root), using the cache."""
    root = project_root()
    text = (root / source).read_bytes()
    solc = solc_path()
    version = compiler_version(solc)
    source_hash = hashlib.sha256(text).hexdigest()
    settings_json = json.dumps(COMPILER_SETTINGS, sort_keys=True)
    key = hashlib.sha256(f"{source_hash}|{version}|{settings_json}".encode()).hexdigest()[:16]
    cached = cache_dir() / f"{contract}-{key}.json"
    if use_cache and cached.is_file():
        return ContractArtifact.from_json(json.loads(cached.read_text()))

    standard_input = {
        "language": "Solidity",
        "sources": {source.as_posix(): {"content": text.decode()}},
        "settings": COMPILER_SETTINGS,
    }
    try:
        output = solcx.compile_standard(
            standard_input, base_path=str(root), solc_binary=str(solc), allow_empty=False
        )
    except SolcError as exc:
        raise CompileError(source.as_posix(), [str(exc)]) from exc
    errors = [
        e.get("formattedMessage", e.get("message", "?"))
        for e in output.get("errors", [])
        if e.get("severity") == "error"
    ]
    if errors:
        raise CompileError(source.as_posix(), errors)
    try:
        compiled = output["contracts"][source.as_posix()][contract]
    except KeyError as exc:
        raise CompileError(source.as_posix(), [f"no contract {contract} in output"]) from exc
    data = {
        "contractName": contract,
        "sourcePath": source.as_posix(),
        "abi": compiled["abi"],
        "bytecode": "0x" + compiled["evm"]["bytecode"]["object"],
        "deployedBytecode": "0x" + compiled["evm"]["deployedBytecode"]["object"],
        "sourceHash": source_hash,
        "compilerVersion": version,
        "immutableRanges": sorted(
            [ref["start"], ref["length"]]
            for refs in compiled["evm"]["deployedBytecode"].get("immutableReferences", {}).values()
            for ref in refs
        ),
    }
    cached.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename, so a concurrent reader never sees half a file.
    fd, tmp = tempfile.mkstemp(dir=cached.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=1, sort_keys=True)
    os.replace(tmp, cached)
    return ContractArtifact.from_json(data)


def load_inbox_artifact() -> ContractArtifact:
    """The compiled ``SequencerInbox``."""
    return compile_contract(INBOX_SOURCE, INBOX_CONTRACT)
