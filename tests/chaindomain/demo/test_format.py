"""How the demo prints values (amounts, parties, contracts, the chain summary) and what it
refuses to run on; no network."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chaindomain.demo.chain import ChainSummary, show_chain_summary
from chaindomain.demo.context import open_context
from chaindomain.demo.errors import DemoSetupError
from chaindomain.demo.privacy import describe
from chaindomain.demo.workflow import amount, party_name
from chaindomain.devnet.state import DevnetState
from ledger_client import ContractId, CreatedEvent, Party


def test_amounts_and_parties() -> None:
    assert amount(Decimal("100.0000000000")) == "100.00"
    assert amount(Decimal("75.5000000000")) == "75.50"
    assert amount(Decimal("0.1250000000")) == "0.125"
    assert party_name("Alice::1220ab") == "Alice"


def test_a_contract_is_described_by_its_fields() -> None:
    event = CreatedEvent(
        offset=3,
        event_id="e",
        contract_id=ContractId("c"),
        template_id="pkg:Iou:Iou",
        arguments={
            "issuer": Party("Bank::1220aa"),
            "owner": Party("Alice::1220bb"),
            "amount": Decimal("100.0000000000"),
            "currency": "EUR",
            "observers": [Party("Bob::1220cc")],
        },
        signatories=(),
        observers=(),
        witness_parties=(),
    )
    assert describe(event) == (
        "Iou(issuer=Bank, owner=Alice, amount=100.00, currency=EUR, observers=[Bob])"
    )


def test_the_chain_summary_divides_by_ledger_transactions() -> None:
    lines: list[str] = []
    summary = ChainSummary(10, 20, 6, 6, 900_000, 24_000, 1, 4)
    show_chain_summary(summary, lines.append)
    text = "\n".join(lines)
    assert "10 .. 20" in text and "6 by 1 sequencer" in text
    assert summary.bytes_per_ledger_transaction == 6000
    assert "bytes per ledger tx         6,000" in text
    assert "gas per ledger tx           225,000" in text
    assert ChainSummary(1, 1, 0, 0, 0, 0, 0, 0).bytes_per_ledger_transaction == 0


async def test_a_network_without_what_the_demo_needs_is_refused() -> None:
    org = {"name": "Bank", "node": "participant1", "participant": "PAR::p::x",
           "ledger_api": "127.0.0.1:1", "parties": {"Bank": "Bank::x"}}  # fmt: skip
    two = DevnetState(supervisor_pid=1, extra={"organisations": [org, org], "packages": {}})
    with pytest.raises(DemoSetupError, match="three organisations; the network has 2"):
        async with open_context(two):
            pass
    no_packages = DevnetState(supervisor_pid=1, extra={"organisations": [org] * 3})
    with pytest.raises(DemoSetupError, match="not uploaded"):
        async with open_context(no_packages):
            pass
