"""Interpreting the same command in two processes gives byte-identical transactions."""

from __future__ import annotations

import os
import subprocess
import sys

from participant.engine import transaction_from_bytes

SCRIPT = r"""
import sys
from participant.engine import CreateCommand, Engine, ExerciseCommand, InMemoryLedger, PackageStore
from participant.engine.examples import example_source

store = PackageStore()
dvp = store.upload(example_source("dvp"))
tid = lambda name: f"{dvp.package_id}:Dvp:{name}"
engine, ledger = Engine(store), InMemoryLedger()
vetted = {dvp.package_id}

def run(commands, act_as, n):
    tx = engine.submit(commands, act_as=act_as, lookup=ledger, vetted=vetted,
                       seed=bytes([n]) * 32, ledger_time=1_000_000)
    ledger.commit(tx)
    return tx

asset = run([CreateCommand(tid("Asset"), {"bank": "Bank", "owner": "Seller", "name": "ACME",
                                           "quantity": 10})], ["Bank"], 1).created_contracts[0]
cash = run([CreateCommand(tid("Cash"), {"bank": "Bank", "owner": "Buyer", "amount": "250.5",
                                         "currency": "EUR"})], ["Bank"], 2).created_contracts[0]
trade = run([CreateCommand(tid("TradeProposal"), {"seller": "Seller", "buyer": "Buyer",
             "bank": "Bank", "asset": asset, "price": "250.50", "currency": "EUR"})],
            ["Seller"], 3).created_contracts[0]
tx = run([ExerciseCommand(tid("TradeProposal"), trade, "Settle", {"payment": cash})], ["Buyer"], 4)
sys.stdout.write(tx.to_bytes().hex())
"""


def _run(hash_seed: str) -> bytes:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True,
        timeout=120,
    )  # fmt: skip
    return bytes.fromhex(out.stdout)


def test_two_processes_produce_identical_bytes() -> None:
    first, second = _run("1"), _run("2")
    assert first == second
    tx = transaction_from_bytes(first)
    assert tx.to_bytes() == first
    assert len(list(tx.nodes())) == 7
