"""The ordering contract driven from Python against a real anvil."""

from __future__ import annotations

import os
from typing import Any

import pytest
from eth_utils.crypto import keccak

from sequencer_chain.anvil import ManagedAnvil
from sequencer_chain.chain_keys import dev_account
from sequencer_chain.contract import (
    ZERO_HASH,
    DeploymentRecord,
    encode_submit,
    load_inbox_artifact,
    next_acc,
    send_transaction,
)
from sequencer_chain.errors import (
    BadWriterSeqError,
    BatchTooLargeError,
    DeploymentRecordError,
    EmptyBatchError,
    InboxRevertError,
    NotOwnerError,
    NotWriterError,
)
from tests.support.chain import DeployedInbox

pytestmark = pytest.mark.anvil

MAX_BATCH_SIZE = 120_000


async def test_deploy_records_where_and_what(w3: Any, deployed: DeployedInbox, tmp_path) -> None:
    record, inbox = deployed.record, deployed.inbox
    assert record.chain_id == 31337
    assert record.domain_id == "0x" + keccak(text="test-domain").hex()
    assert await inbox.domain_id() == keccak(text="test-domain")
    assert await inbox.version() == record.contract_version == 1
    assert await inbox.max_batch_size() == MAX_BATCH_SIZE
    assert await inbox.owner() == deployed.owner.address
    assert record.artifact_hash == load_inbox_artifact().artifact_hash
    receipt = await w3.eth.get_transaction_receipt(record.tx_hash)
    assert receipt["contractAddress"] == record.address
    assert receipt["blockNumber"] == record.deploy_block
    assert "0x" + bytes(receipt["blockHash"]).hex() == record.deploy_block_hash

    path = tmp_path / "deployment.json"
    record.save(path)
    assert DeploymentRecord.load(path) == record


def test_deployment_record_rejects_bad_files(tmp_path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    with pytest.raises(DeploymentRecordError, match="not JSON"):
        DeploymentRecord.load(path)
    path.write_text('{"chain_id": 1}')
    with pytest.raises(DeploymentRecordError, match="missing keys"):
        DeploymentRecord.load(path)
    with pytest.raises(DeploymentRecordError, match="cannot read"):
        DeploymentRecord.load(tmp_path / "absent.json")


async def test_interleaved_writers_read_back_in_order_with_matching_hash_chain(
    w3: Any, deployed: DeployedInbox
) -> None:
    first, second = deployed.writers
    address = deployed.record.address
    submitted: list[tuple[str, int, bytes]] = []
    seqs = {first.address: 0, second.address: 0}
    for i in range(8):
        writer = first if i % 3 != 2 else second
        batch = os.urandom(1 + 97 * i) + bytes([i])
        await send_transaction(
            w3, writer, to=address, data=encode_submit(seqs[writer.address], batch)
        )
        submitted.append((writer.address, seqs[writer.address], batch))
        seqs[writer.address] += 1

    events = await deployed.inbox.batches(deployed.record.deploy_block, await w3.eth.block_number)
    assert [(e.writer, e.writer_seq, e.batch) for e in events] == submitted
    assert [e.batch_seq for e in events] == list(range(len(submitted)))
    assert [e.position for e in events] == sorted(e.position for e in events)

    acc = ZERO_HASH
    for event in events:
        assert event.batch_hash == keccak(event.batch)
        acc = next_acc(acc, event.batch)
        assert event.acc == acc
    count, chain_acc = await deployed.inbox.head()
    assert (count, chain_acc) == (len(submitted), acc)
    assert await deployed.inbox.next_writer_seq(first.address) == seqs[first.address]


async def test_reverts_come_back_as_typed_errors(w3: Any, deployed: DeployedInbox) -> None:
    writer = deployed.writers[0]
    stranger = dev_account(5, 31337)
    address = deployed.record.address

    with pytest.raises(NotWriterError) as not_writer:
        await send_transaction(w3, stranger, to=address, data=encode_submit(0, b"x"))
    assert not_writer.value.caller == stranger.address
    assert "NotWriter" in str(not_writer.value)

    await send_transaction(w3, writer, to=address, data=encode_submit(0, b"first"))
    with pytest.raises(BadWriterSeqError) as replay:
        await send_transaction(w3, writer, to=address, data=encode_submit(0, b"first"))
    assert (replay.value.expected, replay.value.got) == (1, 0)
    with pytest.raises(BadWriterSeqError) as gap:
        await send_transaction(w3, writer, to=address, data=encode_submit(7, b"gap"))
    assert (gap.value.expected, gap.value.got) == (1, 7)

    with pytest.raises(BatchTooLargeError) as too_large:
        await send_transaction(
            w3, writer, to=address, data=encode_submit(1, b"\x01" * (MAX_BATCH_SIZE + 1))
        )
    assert (too_large.value.size, too_large.value.max) == (MAX_BATCH_SIZE + 1, MAX_BATCH_SIZE)

    with pytest.raises(EmptyBatchError):
        await send_transaction(w3, writer, to=address, data=encode_submit(1, b""))

    with pytest.raises(NotOwnerError) as not_owner:
        data = deployed.inbox.calldata("addWriter", stranger.address)
        await send_transaction(w3, stranger, to=address, data=data)
    assert not_owner.value.caller == stranger.address

    # None of the failures appended anything.
    assert (await deployed.inbox.head())[0] == 1


async def test_a_batch_of_exactly_the_maximum_size_is_accepted(
    w3: Any, deployed: DeployedInbox
) -> None:
    batch = os.urandom(MAX_BATCH_SIZE)
    writer = deployed.writers[1]
    await send_transaction(w3, writer, to=deployed.record.address, data=encode_submit(0, batch))
    (event,) = await deployed.inbox.batches(0, await w3.eth.block_number)
    assert event.batch == batch


def test_every_solidity_error_has_a_typed_python_error() -> None:
    from sequencer_chain.errors import INBOX_REVERT_ERRORS

    abi_errors = {item["name"] for item in load_inbox_artifact().abi if item["type"] == "error"}
    assert abi_errors == {cls.solidity_name for cls in INBOX_REVERT_ERRORS}
    assert all(issubclass(cls, InboxRevertError) for cls in INBOX_REVERT_ERRORS)


async def test_batches_of_both_writers_in_one_block_read_back_in_log_index_order(
    w3: Any, anvil: ManagedAnvil, deployed: DeployedInbox
) -> None:
    """Several batches per block, the writers interleaved within each block: the read-back
    order (block, log index) is the order they were applied, and `batchSeq` follows it."""
    first, second = deployed.writers
    address = deployed.record.address
    chain_id = await w3.eth.chain_id
    nonces = {w.address: await w3.eth.get_transaction_count(w.address) for w in (first, second)}
    seqs = {first.address: 0, second.address: 0}
    pattern = [first, second, first, first, second, second, first, second, first]
    anvil.rpc("evm_setAutomine", [False])

    submitted: list[tuple[str, int, bytes]] = []
    blocks: list[list[int]] = [[], []]
    for i, writer in enumerate(pattern):
        batch = os.urandom(50 + 31 * i) + bytes([i])
        tx = {
            "to": address,
            "data": encode_submit(seqs[writer.address], batch),
            "gas": 1_000_000,
            "nonce": nonces[writer.address],
            "chainId": chain_id,
            "maxFeePerGas": 100 * 10**9,
            # Each transaction tips less than the one sent before it, so the block holds
            # them in the order sent (anvil orders its mempool by tip, nonces respected).
            "maxPriorityFeePerGas": (50 - i) * 10**9,
            "type": 2,
        }
        tx_hash = await w3.eth.send_raw_transaction(writer.sign_transaction(tx).raw_transaction)
        blocks[0 if i < 5 else 1].append(i)
        submitted.append((writer.address, seqs[writer.address], batch))
        seqs[writer.address] += 1
        nonces[writer.address] += 1
        if i in (4, len(pattern) - 1):
            anvil.rpc("evm_mine")
    assert (await w3.eth.get_transaction_receipt(tx_hash))["status"] == 1

    events = await deployed.inbox.batches(deployed.record.deploy_block, await w3.eth.block_number)
    assert [(e.writer, e.writer_seq, e.batch) for e in events] == submitted
    assert [e.batch_seq for e in events] == list(range(len(pattern)))
    by_block: dict[int, list[int]] = {}
    for event in events:
        by_block.setdefault(event.block_number, []).append(event.log_index)
    assert [len(v) for v in by_block.values()] == [len(b) for b in blocks]
    assert all(v == sorted(v) and len(set(v)) == len(v) for v in by_block.values())

    acc = ZERO_HASH
    for event in events:
        acc = next_acc(acc, event.batch)
        assert event.acc == acc
    assert await deployed.inbox.head() == (len(pattern), acc)
