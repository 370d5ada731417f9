"""Deploy the ordering contract and record where it is.

The deployment record is JSON in the spirit of Foundry's broadcast files: everything a
node or an auditor needs to find the contract and check it is the one that was built
(chain id, address, deploy block and its hash, transaction, domain id, artifact hash).
Readers start scanning logs at ``deploy_block``.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eth_abi.abi import encode as abi_encode
from eth_account.signers.local import LocalAccount
from eth_utils.address import is_checksum_address, to_checksum_address
from eth_utils.crypto import keccak
from web3 import AsyncWeb3

from sequencer_chain.contract.artifact import ContractArtifact, load_inbox_artifact
from sequencer_chain.contract.transact import send_transaction
from sequencer_chain.errors import DeploymentRecordError, TransactionFailedError

RECORD_FORMAT = 1


def domain_id_bytes(domain: str) -> bytes:
    """The contract's ``bytes32`` domain id: ``0x`` + 64 hex taken as is, else keccak256(utf-8)."""
    if domain.startswith("0x") and len(domain) == 66:
        try:
            return bytes.fromhex(domain[2:])
        except ValueError:
            pass
    if not domain:
        raise ValueError("domain id must not be empty")
    return keccak(text=domain)


@dataclass(frozen=True, slots=True)
class DeploymentRecord:
    """Where an ordering contract lives, and what was deployed."""

    contract_name: str
    chain_id: int
    address: str
    """Checksummed contract address."""
    deploy_block: int
    """Block that holds the creation transaction; log scans start here."""
    deploy_block_hash: str
    tx_hash: str
    domain_id: str
    """The ``bytes32`` domain id, 0x-hex."""
    domain_name: str | None
    """The human domain id it was derived from, if any."""
    contract_version: int
    artifact_hash: str
    source_hash: str
    compiler_version: str
    deployer: str
    owner: str
    deployed_at: str
    """ISO-8601 UTC time the record was written."""
    format: int = RECORD_FORMAT

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any, path: Path) -> DeploymentRecord:
        if not isinstance(data, dict):
            raise DeploymentRecordError(path, "expected a JSON object")
        expected = {f.name for f in fields(cls)}
        missing = sorted(expected - set(data) - {"format", "domain_name"})
        if missing:
            raise DeploymentRecordError(path, f"missing keys {missing}")
        unknown = sorted(set(data) - expected)
        if unknown:
            raise DeploymentRecordError(path, f"unknown keys {unknown}")
        if data.get("format", RECORD_FORMAT) != RECORD_FORMAT:
            raise DeploymentRecordError(path, f"format {data['format']}, expected {RECORD_FORMAT}")
        for key in ("chain_id", "deploy_block", "contract_version"):
            if not isinstance(data[key], int) or data[key] < 0:
                raise DeploymentRecordError(path, f"{key} must be a non-negative integer")
        if not is_checksum_address(data["address"]):
            raise DeploymentRecordError(path, f"address {data['address']!r} is not checksummed")
        return cls(**data)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w") as fh:
            json.dump(self.to_json(), fh, indent=2)
            fh.write("\n")
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> DeploymentRecord:
        try:
            data = json.loads(path.read_text())
        except OSError as exc:
            raise DeploymentRecordError(path, f"cannot read: {exc.strerror}") from None
        except json.JSONDecodeError as exc:
            raise DeploymentRecordError(path, f"not JSON: {exc.msg}") from None
        return cls.from_json(data, path)


async def deploy_inbox(
    w3: AsyncWeb3[Any],
    deployer: LocalAccount,
    domain_id: bytes,
    *,
    owner: str | None = None,
    domain_name: str | None = None,
    artifact: ContractArtifact | None = None,
) -> DeploymentRecord:
    """Deploy ``SequencerInbox(domain_id, owner)`` and return its record."""
    if len(domain_id) != 32:
        raise ValueError(f"domain id must be 32 bytes, got {len(domain_id)}")
    artifact = artifact or load_inbox_artifact()
    owner = to_checksum_address(owner or deployer.address)
    data = artifact.bytecode + abi_encode(["bytes32", "address"], [domain_id, owner])
    receipt = await send_transaction(w3, deployer, to=None, data=data)
    address = receipt.get("contractAddress")
    if not address:
        raise TransactionFailedError(receipt["transactionHash"].hex(), "no contract address")
    code = bytes(await w3.eth.get_code(address))
    if not artifact.runtime_code_matches(code):
        raise TransactionFailedError(
            receipt["transactionHash"].hex(), "deployed code differs from the artifact's"
        )
    version = await w3.eth.contract(address=address, abi=artifact.abi).functions.VERSION().call()
    return DeploymentRecord(
        contract_name=artifact.contract_name,
        chain_id=await w3.eth.chain_id,
        address=to_checksum_address(address),
        deploy_block=int(receipt["blockNumber"]),
        deploy_block_hash="0x" + bytes(receipt["blockHash"]).hex(),
        tx_hash="0x" + bytes(receipt["transactionHash"]).hex(),
        domain_id="0x" + domain_id.hex(),
        domain_name=domain_name,
        contract_version=int(version),
        artifact_hash=artifact.artifact_hash,
        source_hash=artifact.source_hash,
        compiler_version=artifact.compiler_version,
        deployer=deployer.address,
        owner=owner,
        deployed_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
