"""The chain's side of the demo, read from the chain itself: the ordering contract's
``BatchAppended`` events in the demo's block range and the receipts of their transactions.

Everything the domain sequenced in that range counts — the workflow's confirmation
requests, responses and verdicts, and the time proofs and acknowledgements around them —
so *bytes per ledger transaction* is the chain cost of one committed transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from eth_utils.address import to_checksum_address

from sequencer_chain.contract import InboxContract, connect

Printer = Callable[[str], None]
RPC_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class ChainSummary:
    first_block: int
    last_block: int
    batches: int
    chain_transactions: int
    """Chain transactions that carried the batches (one batch each)."""
    gas_used: int
    batch_bytes: int
    writers: int
    """Distinct sequencer accounts that wrote batches in the range."""
    ledger_transactions: int

    @property
    def bytes_per_ledger_transaction(self) -> float:
        return self.batch_bytes / self.ledger_transactions if self.ledger_transactions else 0.0

    @property
    def gas_per_ledger_transaction(self) -> float:
        return self.gas_used / self.ledger_transactions if self.ledger_transactions else 0.0


async def head_block(rpc_url: str) -> int:
    w3 = await connect(rpc_url, RPC_TIMEOUT_S)
    try:
        return int(await w3.eth.block_number)
    finally:
        await w3.provider.disconnect()


async def chain_summary(
    rpc_url: str, contract: str, first_block: int, last_block: int, ledger_transactions: int
) -> ChainSummary:
    """Batches written in ``[first_block, last_block]`` and what they cost."""
    w3 = await connect(rpc_url, RPC_TIMEOUT_S)
    try:
        inbox = InboxContract(w3, to_checksum_address(contract))
        batches = await inbox.batches(first_block, last_block)
        tx_hashes = {b.tx_hash for b in batches}
        gas = 0
        for tx_hash in tx_hashes:
            receipt = await w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
            gas += int(receipt["gasUsed"])
    finally:
        await w3.provider.disconnect()
    return ChainSummary(
        first_block=first_block,
        last_block=last_block,
        batches=len(batches),
        chain_transactions=len(tx_hashes),
        gas_used=gas,
        batch_bytes=sum(len(b.batch) for b in batches),
        writers=len({b.writer for b in batches}),
        ledger_transactions=ledger_transactions,
    )


def show_chain_summary(summary: ChainSummary, out: Printer) -> None:
    s = summary
    out("chain summary (read from the ordering contract's events):")
    out(f"  blocks                      {s.first_block} .. {s.last_block}")
    out(f"  batches written             {s.batches} by {s.writers} sequencer account(s)")
    out(f"  gas spent                   {s.gas_used:,}")
    out(f"  batch bytes                 {s.batch_bytes:,}")
    out(f"  ledger transactions         {s.ledger_transactions}")
    out(f"  bytes per ledger tx         {s.bytes_per_ledger_transaction:,.0f}")
    out(f"  gas per ledger tx           {s.gas_per_ledger_transaction:,.0f}")
