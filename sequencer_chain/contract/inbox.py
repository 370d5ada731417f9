"""Typed access to a deployed ``SequencerInbox``: views, calldata, revert and event decoding.

This module is the only place that knows the contract's ABI layout. Reverts come back
as :class:`~sequencer_chain.errors.InboxRevertError` subclasses carrying the custom
error's arguments; logs come back as :class:`BatchAppended` values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode
from eth_utils.abi import function_signature_to_4byte_selector
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3 import AsyncWeb3

from sequencer_chain.contract.artifact import ContractArtifact, load_inbox_artifact
from sequencer_chain.errors import INBOX_REVERT_ERRORS, InboxRevertError

BATCH_APPENDED_SIGNATURE = "BatchAppended(uint64,address,uint64,bytes32,bytes32,bytes)"
BATCH_APPENDED_TOPIC = "0x" + keccak(text=BATCH_APPENDED_SIGNATURE).hex()
SUBMIT_SELECTOR = function_signature_to_4byte_selector("submit(uint64,bytes)")
ZERO_HASH = b"\x00" * 32


def next_acc(acc: bytes, batch: bytes) -> bytes:
    """The contract's hash chain step: ``keccak256(abi.encodePacked(acc, keccak256(batch)))``."""
    return keccak(acc + keccak(batch))


def _abi_error_signatures(
    abi: list[dict[str, Any]],
) -> dict[bytes, tuple[str, list[str], list[str]]]:
    table: dict[bytes, tuple[str, list[str], list[str]]] = {}
    for item in abi:
        if item.get("type") != "error":
            continue
        types = [i["type"] for i in item["inputs"]]
        names = [i["name"] for i in item["inputs"]]
        selector = function_signature_to_4byte_selector(f"{item['name']}({','.join(types)})")
        table[selector] = (item["name"], types, names)
    return table


_ERROR_CLASSES = {cls.solidity_name: cls for cls in INBOX_REVERT_ERRORS}


def decode_revert(data: bytes, abi: list[dict[str, Any]] | None = None) -> InboxRevertError | None:
    """Decode revert ``data`` into the matching typed error, or ``None`` if it is not one."""
    if len(data) < 4:
        return None
    table = _abi_error_signatures(abi if abi is not None else load_inbox_artifact().abi)
    entry = table.get(data[:4])
    if entry is None:
        return None
    name, types, names = entry
    try:
        values = abi_decode(types, data[4:])
    except Exception:
        return None
    rendered = {
        n: (to_checksum_address(v) if t == "address" else v)
        for n, t, v in zip(names, types, values, strict=True)
    }
    return _ERROR_CLASSES[name](**rendered)


def encode_submit(writer_seq: int, batch: bytes) -> bytes:
    """Calldata of ``submit(writerSeq, batch)``, without going through a web3 contract object."""
    return SUBMIT_SELECTOR + abi_encode(["uint64", "bytes"], [writer_seq, batch])


@dataclass(frozen=True, slots=True)
class BatchAppended:
    """One ``BatchAppended`` event, with where it sits in the chain."""

    batch_seq: int
    """Global position of the batch, from 0."""
    writer: str
    """Checksummed address of the sequencer account that appended it."""
    writer_seq: int
    """The writer's own batch number."""
    batch_hash: bytes
    """``keccak256(batch)`` as the contract computed it."""
    acc: bytes
    """The hash chain after this batch."""
    batch: bytes
    """The batch bytes."""
    block_number: int
    block_hash: bytes
    log_index: int
    tx_hash: bytes
    removed: bool = False
    """Set by the node when the log was dropped by a reorg."""

    @property
    def position(self) -> tuple[int, int]:
        """The total order key: (block number, log index)."""
        return (self.block_number, self.log_index)


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str):
        return bytes.fromhex(value.removeprefix("0x"))
    return bytes(value)


def decode_batch_appended(log: Any) -> BatchAppended:
    """Decode a raw ``eth_getLogs`` entry (dict-like) of a ``BatchAppended`` event."""
    topics = [_as_bytes(t) for t in log["topics"]]
    if len(topics) != 3 or "0x" + topics[0].hex() != BATCH_APPENDED_TOPIC:
        raise ValueError(f"not a BatchAppended log: topics {[t.hex() for t in topics]}")
    batch_seq = int.from_bytes(topics[1], "big")
    writer = to_checksum_address(topics[2][12:])
    writer_seq, batch_hash, acc, batch = abi_decode(
        ["uint64", "bytes32", "bytes32", "bytes"], _as_bytes(log["data"])
    )
    return BatchAppended(
        batch_seq=batch_seq,
        writer=writer,
        writer_seq=writer_seq,
        batch_hash=bytes(batch_hash),
        acc=bytes(acc),
        batch=bytes(batch),
        block_number=int(log["blockNumber"]),
        block_hash=_as_bytes(log["blockHash"]),
        log_index=int(log["logIndex"]),
        tx_hash=_as_bytes(log["transactionHash"]),
        removed=bool(log.get("removed", False)),
    )


class InboxContract:
    """Views and event queries on one deployed inbox."""

    def __init__(
        self, w3: AsyncWeb3[Any], address: str, artifact: ContractArtifact | None = None
    ) -> None:
        self.w3 = w3
        self.address = to_checksum_address(address)
        self.artifact = artifact or load_inbox_artifact()
        self._contract = w3.eth.contract(address=self.address, abi=self.artifact.abi)

    @property
    def functions(self) -> Any:
        return self._contract.functions

    async def _view(self, name: str, *args: Any, block: int | str = "latest") -> Any:
        fn = getattr(self._contract.functions, name)(*args)
        return await fn.call(block_identifier=block)

    async def domain_id(self) -> bytes:
        return bytes(await self._view("domainId"))

    async def version(self) -> int:
        return int(await self._view("VERSION"))

    async def max_batch_size(self) -> int:
        return int(await self._view("MAX_BATCH_SIZE"))

    async def owner(self) -> str:
        return cast(str, await self._view("owner"))

    async def is_writer(self, account: str) -> bool:
        return bool(await self._view("isWriter", to_checksum_address(account)))

    async def next_writer_seq(self, account: str, block: int | str = "latest") -> int:
        return int(await self._view("nextWriterSeq", to_checksum_address(account), block=block))

    async def head(self, block: int | str = "latest") -> tuple[int, bytes]:
        """(batch count, accumulator), read atomically at ``block``."""
        count, acc = await self._view("head", block=block)
        return int(count), bytes(acc)

    def calldata(self, function: str, *args: Any) -> bytes:
        fn = getattr(self._contract.functions, function)(*args)
        return bytes.fromhex(fn._encode_transaction_data().removeprefix("0x"))

    async def batches(self, from_block: int, to_block: int) -> list[BatchAppended]:
        """``BatchAppended`` events in ``[from_block, to_block]``, in (block, log index) order."""
        logs = await self.w3.eth.get_logs(
            {
                "address": self.address,
                "topics": [BATCH_APPENDED_TOPIC],
                "fromBlock": from_block,
                "toBlock": to_block,
            }
        )
        events = [decode_batch_appended(log) for log in logs]
        events.sort(key=lambda e: e.position)
        return events

    async def batches_in_block(self, block_hash: bytes) -> list[BatchAppended]:
        """``BatchAppended`` events of the block with this hash, in log index order.

        The query names the block by hash (EIP-234), so the answer is that block's logs
        whether or not it is still canonical; a node that does not know the block answers
        with an error (geth, reth and anvil: ``unknown block``), never with an empty list.
        """
        logs = await self.w3.eth.get_logs(
            {
                "address": self.address,
                "topics": [BATCH_APPENDED_TOPIC],
                "blockHash": "0x" + block_hash.hex(),  # type: ignore[typeddict-item]
            }
        )
        events = [decode_batch_appended(log) for log in logs]
        events.sort(key=lambda e: e.position)
        return events
