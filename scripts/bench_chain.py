#!/usr/bin/env python3
"""Benchmark the ordering contract on anvil: gas per payload byte and byte throughput.

For each batch size (1 KiB, 16 KiB, 100 KiB by default) it starts a fresh anvil with
interval mining (``--block-time 1``), deploys ``SequencerInbox``, and has several writer
accounts keep the mempool full of ``submit`` transactions carrying random (incompressible,
almost all nonzero) bytes, which is what encrypted envelopes look like. It then reads the
blocks back and reports, per size:

* gas per payload byte, against the EIP-7623 floor of 40 gas per nonzero calldata byte
  (a calldata-heavy transaction pays ``21000 + 10 * tokens``, tokens = 4 per nonzero byte,
  so the event that carries the batch costs nothing extra);
* payload bytes per second over full blocks, against the chain's capacity
  ``block gas limit / floor / block time``.

Each size is run ``--runs`` times and the median is reported. The last line is
``RESULT gas_per_byte=<x> floor=40 ratio=<x/40> bytes_per_s=<n> capacity_bytes_per_s=<n>``
for the largest size.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes

from sequencer_chain.anvil import AnvilConfig, ManagedAnvil
from sequencer_chain.chain_keys import dev_account
from sequencer_chain.contract import (
    InboxContract,
    connect,
    deploy_inbox,
    domain_id_bytes,
    encode_submit,
    send_transaction,
)
from sequencer_chain.writer.fees import calldata_floor_gas

FLOOR_GAS_PER_NONZERO_BYTE = 40
GWEI = 10**9
WRITERS = 4


@dataclass(frozen=True, slots=True)
class RunResult:
    size: int
    gas_per_byte: float
    bytes_per_s: float
    capacity_bytes_per_s: float
    blocks_measured: int
    batches: int


async def one_run(size: int, blocks: int, block_time: float) -> RunResult:
    with ManagedAnvil(AnvilConfig(block_time=block_time)) as anvil:
        w3 = await connect(anvil.rpc_url)
        owner = dev_account(0, 31337)
        writers: list[LocalAccount] = [dev_account(i, 31337) for i in range(1, WRITERS + 1)]
        record = await deploy_inbox(w3, owner, domain_id_bytes("bench"))
        inbox = InboxContract(w3, record.address)
        for writer in writers:
            data = inbox.calldata("addWriter", writer.address)
            await send_transaction(w3, owner, to=record.address, data=data)

        latest = await w3.eth.get_block("latest")
        gas_limit = int(latest["gasLimit"])
        capacity = gas_limit / FLOOR_GAS_PER_NONZERO_BYTE / block_time
        sample = encode_submit(0, os.urandom(size))
        per_block = max(1, gas_limit // calldata_floor_gas(sample))
        # Enough transactions for every measured block plus a margin, split across writers.
        total = per_block * (blocks + 3)
        chain_id = await w3.eth.chain_id
        raw: dict[str, list[bytes]] = {}
        for index, writer in enumerate(writers):
            nonce = await w3.eth.get_transaction_count(writer.address)
            count = total // WRITERS + (1 if index < total % WRITERS else 0)
            raw[writer.address] = []
            for seq in range(count):
                calldata = encode_submit(seq, os.urandom(size))
                tx: dict[str, Any] = {
                    "to": record.address,
                    "data": calldata,
                    "gas": calldata_floor_gas(calldata) + 200_000,
                    "nonce": nonce + seq,
                    "chainId": chain_id,
                    "maxFeePerGas": 100 * GWEI,
                    "maxPriorityFeePerGas": 1 * GWEI,
                    "type": 2,
                }
                raw[writer.address].append(bytes(writer.sign_transaction(tx).raw_transaction))
        final_nonces = {
            w.address: await w3.eth.get_transaction_count(w.address) + len(raw[w.address])
            for w in writers
        }

        first_block = await w3.eth.block_number

        async def feed(address: str) -> None:
            for payload in raw[address]:  # nonce order per sender
                await w3.eth.send_raw_transaction(payload)

        await asyncio.gather(*(feed(w.address) for w in writers))
        # Wait until every transaction is mined.
        deadline = time.monotonic() + (blocks + 20) * block_time + 30
        while time.monotonic() < deadline:
            nonces = [await w3.eth.get_transaction_count(w.address) for w in writers]
            if nonces == [final_nonces[w.address] for w in writers]:
                break
            await asyncio.sleep(block_time / 2)
        last_block = await w3.eth.block_number

        events = await inbox.batches(first_block + 1, last_block)
        by_block: dict[int, int] = {}
        for event in events:
            by_block[event.block_number] = by_block.get(event.block_number, 0) + len(event.batch)
        gas_used = 0
        payload = 0
        for event in events:
            receipt = await w3.eth.get_transaction_receipt(HexBytes(event.tx_hash))
            gas_used += int(receipt["gasUsed"])
            payload += len(event.batch)
        # Throughput over the full blocks only: the first and last block with batches are
        # partial (the feed starts and ends mid-block).
        full = sorted(by_block)[1:-1]
        measured = full[:blocks]
        if len(measured) < 2:
            raise SystemExit(f"not enough full blocks for size {size}: {sorted(by_block)}")
        t0 = int((await w3.eth.get_block(measured[0] - 1))["timestamp"])
        t1 = int((await w3.eth.get_block(measured[-1]))["timestamp"])
        span = max(t1 - t0, len(measured) * block_time)
        bytes_per_s = sum(by_block[b] for b in measured) / span
        await w3.provider.disconnect()
        return RunResult(
            size=size,
            gas_per_byte=gas_used / payload,
            bytes_per_s=bytes_per_s,
            capacity_bytes_per_s=capacity,
            blocks_measured=len(measured),
            batches=len(events),
        )


def parse_size(text: str) -> int:
    text = text.strip().lower()
    if text.endswith("k"):
        return int(text[:-1]) * 1024
    return int(text)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1k,16k,100k", help="comma-separated batch sizes")
    parser.add_argument("--runs", type=int, default=3, help="runs per size; the median is shown")
    parser.add_argument("--blocks", type=int, default=6, help="full blocks measured per run")
    parser.add_argument("--block-time", type=float, default=1.0)
    args = parser.parse_args()
    sizes = [parse_size(s) for s in args.sizes.split(",")]

    header = ("size", "gas/byte", "ratio", "bytes/s", "capacity", "of cap")
    print("{:>8} {:>9} {:>6} {:>10} {:>10} {:>7}".format(*header))
    final: RunResult | None = None
    for size in sizes:
        runs = [await one_run(size, args.blocks, args.block_time) for _ in range(args.runs)]
        gas_per_byte = statistics.median(r.gas_per_byte for r in runs)
        bytes_per_s = statistics.median(r.bytes_per_s for r in runs)
        capacity = runs[0].capacity_bytes_per_s
        print(
            f"{size:>8} {gas_per_byte:>9.3f} {gas_per_byte / FLOOR_GAS_PER_NONZERO_BYTE:>6.3f} "
            f"{bytes_per_s:>10.0f} {capacity:>10.0f} {bytes_per_s / capacity:>7.1%}",
            flush=True,
        )
        if final is None or size >= final.size:  # RESULT is for the largest size
            final = RunResult(size, gas_per_byte, bytes_per_s, capacity, 0, 0)
    if final is None:
        raise SystemExit("no batch sizes given")
    print(
        f"RESULT gas_per_byte={final.gas_per_byte:.3f} floor={FLOOR_GAS_PER_NONZERO_BYTE} "
        f"ratio={final.gas_per_byte / FLOOR_GAS_PER_NONZERO_BYTE:.4f} "
        f"bytes_per_s={final.bytes_per_s:.0f} capacity_bytes_per_s={final.capacity_bytes_per_s:.0f}"
    )


if __name__ == "__main__":
    asyncio.run(main())
