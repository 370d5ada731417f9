"""Typed results of chain calls, parsed from raw JSON-RPC answers.

The reader asks for a header on every poll and the writer for the latest block on every
tick; web3's ``get_block`` formats every field of the answer (about 150 µs of CPU per call
on the benchmark machine), so both ask the provider directly and check the fields they
use here. A malformed value is a ``ValueError``; the provider turns it into a
:class:`~sequencer_chain.errors.ChainResponseError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

HASH_SIZE = 32


@dataclass(frozen=True, slots=True)
class BlockHeader:
    """The fields of a block header the reader and the writer use."""

    number: int
    hash: bytes
    parent_hash: bytes
    """Links the block to its parent: a block whose parent hash is the cursor's hash
    extends the cursor, whatever happened to the chain since."""
    timestamp: int
    base_fee: int = 0
    """``baseFeePerGas`` (0 before EIP-1559)."""
    gas_limit: int = 0
    """The block's gas limit (0: not known)."""
    gas_used: int = 0


NO_BLOCK = BlockHeader(-1, b"", b"", 0)
"""Stands for "no block seen yet"."""


@dataclass(frozen=True, slots=True)
class Receipt:
    """The fields of a mined transaction's receipt the writer uses."""

    tx_hash: bytes
    status: int
    block_number: int
    block_hash: bytes
    gas_used: int
    effective_gas_price: int


def quantity(value: object, name: str = "value") -> int:
    """A JSON-RPC hex quantity (``"0x1a"``); ``ValueError`` if it is not one."""
    if not isinstance(value, str) or not value.startswith("0x") or len(value) < 3:
        raise ValueError(f"{name} is not a hex quantity: {value!r}")
    return int(value, 16)


def _hash(raw: dict[str, Any], name: str) -> bytes:
    value = raw.get(name)
    if not isinstance(value, str) or not value.startswith("0x"):
        raise ValueError(f"{name} is not hex data: {value!r}")
    data = bytes.fromhex(value[2:])
    if len(data) != HASH_SIZE:
        raise ValueError(f"{name} has {len(data)} bytes, not {HASH_SIZE}")
    return data


def parse_header(raw: object) -> BlockHeader:
    """The header in an ``eth_getBlockByNumber`` result; ``ValueError`` if malformed.

    Number, hash, parent hash and timestamp must be there; the fee fields may be missing
    (a chain before EIP-1559) and then read as 0."""
    if not isinstance(raw, dict):
        raise ValueError(f"block is not an object: {type(raw).__name__}")
    return BlockHeader(
        number=quantity(raw.get("number"), "number"),
        hash=_hash(raw, "hash"),
        parent_hash=_hash(raw, "parentHash"),
        timestamp=quantity(raw.get("timestamp"), "timestamp"),
        base_fee=quantity(raw.get("baseFeePerGas", "0x0"), "baseFeePerGas"),
        gas_limit=quantity(raw.get("gasLimit", "0x0"), "gasLimit"),
        gas_used=quantity(raw.get("gasUsed", "0x0"), "gasUsed"),
    )


def parse_receipt(tx_hash: bytes, raw: object) -> Receipt | None:
    """A raw ``eth_getTransactionReceipt`` result; None if not mined. ValueError if malformed."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ValueError(f"receipt is not an object: {type(raw).__name__}")
    if raw.get("blockNumber") is None:
        return None
    return Receipt(
        tx_hash=tx_hash,
        status=quantity(raw.get("status"), "status"),
        block_number=quantity(raw["blockNumber"], "blockNumber"),
        block_hash=_hash(raw, "blockHash"),
        gas_used=quantity(raw.get("gasUsed"), "gasUsed"),
        effective_gas_price=quantity(raw.get("effectiveGasPrice", "0x0"), "effectiveGasPrice"),
    )
