"""The batch writer against a real anvil and real sqlite files.

Every request handed to ``enqueue`` must land on chain exactly once, whatever happens in
between: concurrency, a lost transaction, a SIGKILL, a second outbox on the same account, a
fee spike above the cap.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from sequencer_chain.anvil import ManagedAnvil
from sequencer_chain.errors import (
    DuplicateRequestError,
    FeeCapTooLowError,
    RequestTooLargeError,
    WriterOverloadedError,
    WriterStoppedError,
)
from sequencer_chain.writer import Fees, WriterConfig, WriterState
from sequencer_chain.writer.fees import GWEI, FeeConfig, min_replacement
from sequencer_chain.writer.packer import unpack_length_prefixed
from tests.sequencer_chain.writer.support import (
    FAST,
    landed,
    make_writer,
    pool_txs,
    requests_of,
    wait_until,
)
from tests.support.chain import DeployedInbox

REPO = Path(__file__).resolve().parents[3]
PROC = Path(__file__).with_name("writer_proc.py")


async def test_concurrent_callers_land_exactly_once_in_bounded_batches(
    w3: Any, deployed: DeployedInbox, tmp_path: Path
) -> None:
    account = deployed.writers[0]
    config = WriterConfig(linger_s=0.05, poll_interval_s=0.02, max_batch_size=20_000)
    writer = make_writer(w3, deployed.inbox, account, tmp_path / "outbox.db", config)
    await writer.start()
    assert writer.max_batch_size == 20_000
    sizes = [1 + (i * 797) % 3_000 for i in range(400)]
    sent: list[bytes] = []

    async def caller(k: int) -> None:
        for i in range(k, len(sizes), 20):
            request = i.to_bytes(4, "big") + os.urandom(sizes[i])
            await writer.enqueue(request, b"key-%d" % i)
            sent.append(request)

    async with asyncio.TaskGroup() as group:
        for k in range(20):
            group.create_task(caller(k))
    await writer.stop(drain=True, timeout_s=20)
    events = await landed(deployed.inbox, account.address)
    assert requests_of(events) == {r: 1 for r in sent}
    assert [e.writer_seq for e in events] == list(range(len(events)))
    assert all(len(e.batch) <= 20_000 for e in events)
    assert len(events) >= sum(sizes) // 20_000  # really split by size
    for event in events:
        receipt = await w3.eth.get_transaction_receipt(event.tx_hash)
        assert receipt["status"] == 1
    m = writer.metrics()
    assert (m.requests_written, m.pending_requests, m.batches_written) == (400, 0, len(events))
    assert m.bytes_written == sum(len(e.batch) for e in events)
    assert m.gas_spent > 0 and m.resubmissions == 0


async def test_the_contract_max_is_used_and_large_batches_fill_it(
    w3: Any, deployed: DeployedInbox, tmp_path: Path
) -> None:
    account = deployed.writers[0]
    writer = make_writer(w3, deployed.inbox, account, tmp_path / "outbox.db")
    await writer.start()
    assert writer.max_batch_size == 120_000  # read from the contract
    sent = [os.urandom(10_000) for _ in range(30)]
    await asyncio.gather(*(writer.enqueue(r, b"%d" % i) for i, r in enumerate(sent)))
    await writer.stop(drain=True)
    events = await landed(deployed.inbox, account.address)
    assert requests_of(events) == {r: 1 for r in sent}
    assert max(len(e.batch) for e in events) > 100_000
    assert all(len(e.batch) <= 120_000 for e in events)


async def test_a_lone_request_lingers_then_goes_out(
    w3: Any, deployed: DeployedInbox, tmp_path: Path
) -> None:
    account = deployed.writers[0]
    config = WriterConfig(linger_s=0.3, poll_interval_s=0.02)
    writer = make_writer(w3, deployed.inbox, account, tmp_path / "outbox.db", config)
    await writer.start()
    accepted_us = time.time_ns() // 1000
    await writer.enqueue(b"alone", b"k")
    await wait_until(lambda: writer.metrics().requests_written == 1, 5, "the request to land")
    landed_after_s = time.time_ns() / 1e9 - accepted_us / 1e6
    await writer.stop()
    (event,) = await landed(deployed.inbox, account.address)
    proposed_us, requests = unpack_length_prefixed(event.batch)
    assert requests == [b"alone"]
    assert proposed_us - accepted_us >= 0.3 * 1e6 * 0.95  # waited for company
    assert landed_after_s < 0.3 + 1.5  # but not much longer


async def test_a_lost_transaction_is_replaced_with_higher_fees_and_appends_once(
    anvil: ManagedAnvil, w3: Any, deployed: DeployedInbox, tmp_path: Path
) -> None:
    account = deployed.writers[0]
    anvil.rpc("evm_setAutomine", [False])
    writer = make_writer(w3, deployed.inbox, account, tmp_path / "outbox.db")
    await writer.start()
    await writer.enqueue(b"only once", b"k")
    await wait_until(lambda: pool_txs(anvil, account.address), 5, "the first tx in the pool")
    (first,) = pool_txs(anvil, account.address)
    anvil.rpc("anvil_dropTransaction", [first["hash"]])  # lost, as if a node forgot it
    for _ in range(FAST.resubmit_after_blocks):
        anvil.rpc("evm_mine")
    await wait_until(lambda: pool_txs(anvil, account.address), 5, "a replacement in the pool")
    (second,) = pool_txs(anvil, account.address)
    assert second["hash"] != first["hash"]
    assert second["nonce"] == first["nonce"] and second["input"] == first["input"]
    need = min_replacement(
        Fees(int(first["maxFeePerGas"], 16), int(first["maxPriorityFeePerGas"], 16))
    )
    assert int(second["maxFeePerGas"], 16) >= need.max_fee_per_gas
    assert int(second["maxPriorityFeePerGas"], 16) >= need.max_priority_fee_per_gas
    anvil.rpc("evm_mine")
    await wait_until(lambda: writer.metrics().batches_written == 1, 5, "confirmation")
    for _ in range(3):  # nothing more is sent once it landed
        anvil.rpc("evm_mine")
    await asyncio.sleep(0.2)
    await writer.stop()
    events = await landed(deployed.inbox, account.address)
    assert [(e.writer_seq, e.tx_hash.hex()) for e in events] == [
        (0, second["hash"].removeprefix("0x"))
    ]
    assert requests_of(events) == {b"only once": 1}
    assert writer.metrics().resubmissions == 1
    assert await w3.eth.get_transaction_count(account.address) == int(first["nonce"], 16) + 1


async def _run_and_kill(anvil: ManagedAnvil, deployed: DeployedInbox, outbox: Path, n: int) -> None:
    """Start a writer process, wait until it acked n requests and has txs pending, SIGKILL it."""
    account = deployed.writers[0]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(PROC), anvil.rpc_url, deployed.record.address, str(outbox), str(n),
        "3000",
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert proc.stdout is not None and proc.stderr is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 20)
        if line.strip() != b"ACKED":
            proc.kill()
            raise AssertionError((await proc.stderr.read()).decode(errors="replace"))
        await wait_until(lambda: len(pool_txs(anvil, account.address)) >= 3, 10, "txs in flight")
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGKILL)
        await proc.wait()


@pytest.mark.parametrize(
    "chain_after_kill", ["some mined, one lost", "none mined", "pool forgot them all"]
)
async def test_a_writer_killed_between_send_and_mining_resumes_without_loss_or_duplicate(
    anvil: ManagedAnvil, w3: Any, deployed: DeployedInbox, tmp_path: Path, chain_after_kill: str
) -> None:
    from tests.sequencer_chain.writer.writer_proc import request

    account = deployed.writers[0]
    outbox = tmp_path / "outbox.db"
    n = 60  # ~400 bytes each, 3000-byte batches, at most 4 in flight: most are unbatched
    anvil.rpc("evm_setAutomine", [False])
    await _run_and_kill(anvil, deployed, outbox, n)
    in_pool = pool_txs(anvil, account.address)
    assert 3 <= len(in_pool) <= 4  # pipelined, bounded by max_in_flight
    assert await landed(deployed.inbox, account.address) == []
    if chain_after_kill == "some mined, one lost":
        anvil.rpc("anvil_dropTransaction", [in_pool[-1]["hash"]])
        anvil.rpc("evm_mine")
        assert 0 < len(await landed(deployed.inbox, account.address)) < len(in_pool)
    if chain_after_kill == "pool forgot them all":
        for tx in in_pool:
            anvil.rpc("anvil_dropTransaction", [tx["hash"]])
    anvil.rpc("evm_setAutomine", [True])

    config = WriterConfig(linger_s=0.02, poll_interval_s=0.02, max_batch_size=3000)
    writer = make_writer(w3, deployed.inbox, account, outbox, config)
    await writer.start()
    if chain_after_kill == "none mined":
        anvil.rpc("evm_mine")  # the old txs are still in the pool: mine them
    await writer.stop(drain=True, timeout_s=20)
    assert writer.metrics().pending_requests == 0
    # The stored signed bytes went out again as they were: no replacement was needed.
    assert writer.metrics().resubmissions == 0
    events = await landed(deployed.inbox, account.address)
    assert {"0x" + e.tx_hash.hex() for e in events} >= {tx["hash"] for tx in in_pool}
    events = await landed(deployed.inbox, account.address)
    assert requests_of(events) == {request(i): 1 for i in range(n)}
    assert [e.writer_seq for e in events] == list(range(len(events)))


async def test_restart_takes_writer_seq_from_chain_and_a_taken_seq_is_never_sent_again(
    anvil: ManagedAnvil, w3: Any, deployed: DeployedInbox, tmp_path: Path
) -> None:
    account = deployed.writers[0]
    # Writer A appends two batches, then one more that is persisted and sent but lost.
    a = make_writer(w3, deployed.inbox, account, tmp_path / "a.db")
    await a.start()
    await a.enqueue(b"a1", b"a1")
    await wait_until(lambda: a.metrics().batches_written == 1, 5, "a1")
    await a.enqueue(b"a2", b"a2")
    await wait_until(lambda: a.metrics().batches_written == 2, 5, "a2")
    anvil.rpc("evm_setAutomine", [False])
    await a.enqueue(b"a3", b"a3")
    await wait_until(lambda: pool_txs(anvil, account.address), 5, "a3 sent")
    await a.stop()
    (lost,) = pool_txs(anvil, account.address)
    anvil.rpc("anvil_dropTransaction", [lost["hash"]])
    anvil.rpc("evm_setAutomine", [True])

    # Writer B, same account, empty outbox: takes writerSeq 2 from the chain, not 0.
    b = make_writer(w3, deployed.inbox, account, tmp_path / "b.db")
    await b.start()
    await b.enqueue(b"b1", b"b1")
    await b.stop(drain=True)
    assert [e.writer_seq for e in await landed(deployed.inbox, account.address)] == [0, 1, 2]

    # A again: its batch for writerSeq 2 lost the seat to B's; a3 goes out as writerSeq 3.
    a = make_writer(w3, deployed.inbox, account, tmp_path / "a.db")
    await a.start()
    await a.stop(drain=True)
    events = await landed(deployed.inbox, account.address)
    assert [(e.writer_seq, unpack_length_prefixed(e.batch)[1]) for e in events] == [
        (0, [b"a1"]), (1, [b"a2"]), (2, [b"b1"]), (3, [b"a3"]),
    ]  # fmt: skip
    # No transaction of the account ever reverted: no stale writerSeq reached the chain.
    head = await w3.eth.block_number
    for number in range(head + 1):
        block = await w3.eth.get_block(number, full_transactions=True)
        for tx in block["transactions"]:
            if tx["from"] == account.address:
                receipt = await w3.eth.get_transaction_receipt(tx["hash"])
                assert receipt["status"] == 1, tx


async def test_the_fee_cap_is_honoured_and_reported(
    anvil: ManagedAnvil, w3: Any, deployed: DeployedInbox, tmp_path: Path
) -> None:
    account = deployed.writers[0]
    cap = 3 * GWEI
    config = WriterConfig(
        linger_s=0.02, poll_interval_s=0.02, fees=FeeConfig(max_fee_per_gas_cap=cap)
    )
    anvil.rpc("anvil_setNextBlockBaseFeePerGas", [hex(10 * GWEI)])
    anvil.rpc("evm_mine")
    writer = make_writer(w3, deployed.inbox, account, tmp_path / "outbox.db", config)
    await writer.start()
    await writer.enqueue(b"expensive times", b"k")
    await wait_until(lambda: writer.fee_cap_error is not None, 5, "the fee cap error")
    error = writer.fee_cap_error
    assert isinstance(error, FeeCapTooLowError)
    assert error.cap_wei == cap and error.needed_wei > cap
    assert writer.state is WriterState.RUNNING  # waits, does not give up
    assert await landed(deployed.inbox, account.address) == []
    anvil.rpc("anvil_setNextBlockBaseFeePerGas", [hex(GWEI)])
    anvil.rpc("evm_mine")
    await writer.stop(drain=True, timeout_s=10)
    (event,) = await landed(deployed.inbox, account.address)
    tx = await w3.eth.get_transaction(event.tx_hash)
    assert tx["maxFeePerGas"] <= cap
    assert writer.fee_cap_error is None
    assert writer.metrics().fee_cap_hits > 0


async def test_overload_stop_duplicates_and_oversize_are_typed_errors(
    anvil: ManagedAnvil, w3: Any, deployed: DeployedInbox, tmp_path: Path
) -> None:
    account = deployed.writers[0]
    anvil.rpc("evm_setAutomine", [False])  # nothing confirms: requests stay pending
    config = WriterConfig(linger_s=0.02, poll_interval_s=0.02, max_pending_requests=5)
    writer = make_writer(w3, deployed.inbox, account, tmp_path / "outbox.db", config)
    with pytest.raises(WriterStoppedError, match="new"):
        await writer.enqueue(b"early", b"early")
    await writer.start()
    for i in range(4):
        await writer.enqueue(b"r%d" % i, b"k%d" % i)
    with pytest.raises(DuplicateRequestError):
        await writer.enqueue(b"again", b"k0")
    await writer.enqueue(b"r4", b"k4")
    with pytest.raises(WriterOverloadedError) as overloaded:
        await writer.enqueue(b"one too many", b"k5")
    assert overloaded.value.pending_requests == 5
    with pytest.raises(RequestTooLargeError) as too_large:
        await writer.enqueue(b"x" * 120_000, b"big")
    assert too_large.value.max_batch_size == 120_000
    await writer.stop()
    with pytest.raises(WriterStoppedError, match="stopped"):
        await writer.enqueue(b"late", b"late")
    anvil.rpc("evm_setAutomine", [True])
    anvil.rpc("evm_mine")
    again = make_writer(w3, deployed.inbox, account, tmp_path / "outbox.db", config)
    await again.start()
    await again.stop(drain=True)
    events = await landed(deployed.inbox, account.address)
    assert requests_of(events) == {b"r%d" % i: 1 for i in range(5)}


async def test_an_account_that_is_not_a_writer_is_refused_at_start(
    w3: Any, deployed: DeployedInbox, tmp_path: Path
) -> None:
    from sequencer_chain.chain_keys import dev_account
    from sequencer_chain.errors import NotWriterError

    stranger = dev_account(5, 31337)
    writer = make_writer(w3, deployed.inbox, stranger, tmp_path / "outbox.db")
    with pytest.raises(NotWriterError):
        await writer.start()
    assert writer.state is WriterState.FAILED
    with pytest.raises(WriterStoppedError, match="failed"):
        await writer.enqueue(b"x", b"x")


async def test_a_writer_starts_when_its_confirmation_depth_reaches_before_the_deployment(
    w3: Any, deployed: DeployedInbox, tmp_path: Path
) -> None:
    """On a young chain the confirmed block can precede the contract's deployment, where
    the contract has no code: no writerSeq is confirmed there, rather than a failed call."""
    assert await w3.eth.block_number < 10
    writer = make_writer(
        w3, deployed.inbox, deployed.writers[0], tmp_path / "w.db", replace(FAST, confirmations=10)
    )
    await writer.start()
    await writer.enqueue(b"r1", b"r1")
    account = deployed.writers[0].address
    await wait_until(lambda: landed(deployed.inbox, account), 10, "the batch on chain")
    events = await landed(deployed.inbox, account)
    assert [unpack_length_prefixed(e.batch)[1] for e in events] == [[b"r1"]]
    await writer.stop()
