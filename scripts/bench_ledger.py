#!/usr/bin/env python3
"""Benchmark the Ledger API: N concurrent clients doing Iou transfers (propose, accept).

Setup, through the Ledger API only: upload the ``iou`` example package, allocate a bank
and one sender per client on the first participant and one receiver per client on the
last, give every receiver an ``Account``, and issue each sender enough ``Iou``s. Then
each client runs ``--transfers`` transfers: the sender exercises ``Transfer`` (an
``IouTransferProposal``), the receiver exercises ``Accept``. A transfer's latency is the
sum of its two submit→completion times (``SubmitAndWait``); throughput is committed
transfers over the wall time of the measured phase. Median of ``--runs`` runs.

Modes:

* ``--targets host:port,host:port[,…]``: running participants (e.g. from
  ``chaindomain devnet up``; 2 or 3 of them). ``--rpc-url`` adds gas per committed
  transaction: the gas of the chain's blocks during the phase over the transactions
  committed. ``--token`` (or ``LEDGER_API_TOKEN``) is sent with every call.
* ``--in-process``: one Ledger API server over the in-memory test backend (no domain):
  the cost of the API layer itself; ``gas_per_tx=0``.

``--profile`` runs the in-process phase under cProfile and prints the top functions.
The last line is ``RESULT tps=<n> p50_ms=<n> p99_ms=<n> gas_per_tx=<n> block_time_s=<n>``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from web3 import AsyncHTTPProvider, AsyncWeb3

from ledger_client import CreateCommand, ExerciseCommand, LedgerClient, Party, Timeout
from participant.engine.examples import example_source
from participant.ledger_api import LedgerApiConfig, LedgerApiServer
from tests.support.ledger_backend import FakeLedgerBackend


@dataclass
class RunResult:
    transfers: int
    seconds: float
    latencies_ms: list[float]
    gas: int

    @property
    def tps(self) -> float:
        return self.transfers / self.seconds if self.seconds else 0.0


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def setup(
    sender_api: LedgerClient, receiver_api: LedgerClient, clients: int, transfers: int, run: int
) -> tuple[str, str, list[tuple[str, str, list[str]]]]:
    package = await sender_api.upload_package(example_source("iou"))
    if receiver_api is not sender_api:
        await receiver_api.upload_package(example_source("iou"))
    pkg = package.package_id
    bank = (await sender_api.allocate_party(f"bank{run}")).party
    pairs: list[tuple[str, str, list[str]]] = []
    for i in range(clients):
        sender = (await sender_api.allocate_party(f"s{run}x{i}")).party
        receiver = (await receiver_api.allocate_party(f"r{run}x{i}")).party
        await receiver_api.submit_and_wait(
            [CreateCommand(f"{pkg}:Iou:Account",
                           {"bank": Party(bank), "owner": Party(receiver), "currency": "EUR"})],
            act_as=[receiver],
        )  # fmt: skip
        ious = []
        for _ in range(transfers):
            tx = await sender_api.submit_and_wait_for_transaction(
                [CreateCommand(f"{pkg}:Iou:Iou", {
                    "issuer": Party(bank), "owner": Party(sender), "amount": Decimal(10),
                    "currency": "EUR", "observers": []})],
                act_as=[bank, sender],
            )  # fmt: skip
            ious.append(tx.created[0].contract_id)
        pairs.append((sender, receiver, ious))
    return pkg, bank, pairs


async def transfer_loop(
    sender_api: LedgerClient,
    receiver_api: LedgerClient,
    *,
    pkg: str,
    sender: str,
    receiver: str,
    ious: list[str],
    latencies: list[float],
) -> None:
    for cid in ious:
        start = time.perf_counter()
        tree = await sender_api.submit_and_wait_for_transaction(
            [ExerciseCommand(f"{pkg}:Iou:Iou", cid, "Transfer", {"new_owner": Party(receiver)})],
            act_as=[sender],
        )
        proposal = tree.created[0].contract_id
        await receiver_api.submit_and_wait(
            [ExerciseCommand(f"{pkg}:Iou:IouTransferProposal", proposal, "Accept")],
            act_as=[receiver],
        )
        latencies.append((time.perf_counter() - start) * 1000)


async def chain_gas(rpc_url: str | None, first_block: int | None) -> tuple[int, int]:
    """(current block number, gas used in blocks after ``first_block``)."""
    if rpc_url is None:
        return 0, 0
    w3 = AsyncWeb3(AsyncHTTPProvider(rpc_url))
    head = await w3.eth.block_number
    if first_block is None:
        return head, 0
    gas = 0
    for number in range(first_block + 1, head + 1):
        gas += (await w3.eth.get_block(number))["gasUsed"]
    return head, gas


async def one_run(
    targets: list[str], args: argparse.Namespace, run: int, profiler: cProfile.Profile | None
) -> RunResult:
    timeout = Timeout(call=30, submit_and_wait=120)
    token = args.token or os.environ.get("LEDGER_API_TOKEN")
    apis = [LedgerClient(t, token=token, timeout=timeout, application_id="bench") for t in targets]
    try:
        sender_api, receiver_api = apis[0], apis[-1]
        pkg, _bank, pairs = await setup(sender_api, receiver_api, args.clients, args.transfers, run)
        latencies: list[float] = []
        block, _ = await chain_gas(args.rpc_url, None)
        if profiler is not None:
            profiler.enable()
        start = time.perf_counter()
        async with asyncio.TaskGroup() as tg:
            for sender, receiver, ious in pairs:
                tg.create_task(
                    transfer_loop(
                        sender_api,
                        receiver_api,
                        pkg=pkg,
                        sender=sender,
                        receiver=receiver,
                        ious=ious,
                        latencies=latencies,
                    )
                )
        elapsed = time.perf_counter() - start
        if profiler is not None:
            profiler.disable()
        _, gas = await chain_gas(args.rpc_url, block)
        return RunResult(len(latencies), elapsed, latencies, gas)
    finally:
        for api in apis:
            await api.aclose()


async def in_process_targets(stack: list[object]) -> list[str]:
    data_dir = Path(tempfile.mkdtemp(prefix="bench-ledger-"))
    server = LedgerApiServer(LedgerApiConfig(), FakeLedgerBackend(), data_dir=data_dir)
    await server.start()
    stack.append(server)
    return [f"127.0.0.1:{server.port}"]


async def main(args: argparse.Namespace) -> None:
    results: list[RunResult] = []
    profiler = cProfile.Profile() if args.profile else None
    for run in range(args.runs):
        stack: list[object] = []
        targets = await in_process_targets(stack) if args.in_process else args.targets.split(",")
        try:
            result = await one_run(targets, args, run, profiler)
        finally:
            for server in stack:
                await server.stop(0)  # type: ignore[attr-defined]
        results.append(result)
        print(
            f"run {run + 1}: {result.transfers} transfers in {result.seconds:.2f}s = "
            f"{result.tps:.1f}/s, p50 {percentile(result.latencies_ms, 0.5):.1f} ms, "
            f"p99 {percentile(result.latencies_ms, 0.99):.1f} ms",
            flush=True,
        )
    tps = statistics.median(r.tps for r in results)
    p50 = statistics.median(percentile(r.latencies_ms, 0.5) for r in results)
    p99 = statistics.median(percentile(r.latencies_ms, 0.99) for r in results)
    committed_txs = sum(2 * r.transfers for r in results)
    gas_per_tx = sum(r.gas for r in results) // committed_txs if committed_txs else 0
    if profiler is not None:
        print("profile of the measured phases (cumulative):")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(15)
    print(
        f"RESULT tps={tps:.1f} p50_ms={p50:.0f} p99_ms={p99:.0f} gas_per_tx={gas_per_tx} "
        f"block_time_s={args.block_time_s:g}"
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--targets", help="Ledger API addresses: sender side first")
    mode.add_argument("--in-process", action="store_true", help="API layer over a fake backend")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--transfers", type=int, default=25, help="per client and run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rpc-url", help="chain RPC, for gas per committed transaction")
    parser.add_argument("--block-time-s", type=float, default=0.0, help="reported as given")
    parser.add_argument("--token", help="bearer token (default: $LEDGER_API_TOKEN)")
    parser.add_argument("--profile", action="store_true")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_args()))
