"""``chaindomain demo`` end to end: the network, the workflow, privacy, the chain summary."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp
from web3.exceptions import Web3Exception

from chaindomain.demo.chain import ChainSummary, chain_summary, head_block, show_chain_summary
from chaindomain.demo.context import open_context
from chaindomain.demo.errors import DemoSetupError
from chaindomain.demo.network import DemoNetwork, NetworkOptions, ensure_network
from chaindomain.demo.privacy import OrgView, show_privacy
from chaindomain.demo.workflow import Workflow, WorkflowResult
from ledger_client import LedgerClientError

Printer = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class DemoOptions:
    network: NetworkOptions
    reduced: bool = False
    """One Iou instead of three (every kind of step still runs): the CI variant."""
    keep_running: bool = False
    """Leave a network the demo started running at the end."""


@dataclass(frozen=True, slots=True)
class DemoReport:
    workflow: WorkflowResult
    views: tuple[OrgView, ...]
    chain: ChainSummary
    network_seconds: float
    workflow_seconds: float
    started_network: bool


async def run_demo(options: DemoOptions, out: Printer) -> DemoReport:
    """Run the demo; ``DemoError`` if the network cannot be used or a step fails."""
    try:
        return await _run(options, out)
    except LedgerClientError as exc:  # outside a step: reading views, ledger ends
        raise DemoSetupError(f"a participant's Ledger API: {exc}") from None
    except (OSError, aiohttp.ClientError, Web3Exception) as exc:
        raise DemoSetupError(f"the chain: {exc or type(exc).__name__}") from None


async def _run(options: DemoOptions, out: Printer) -> DemoReport:
    began = time.monotonic()
    network: DemoNetwork = await ensure_network(options.network, out)
    network_seconds = time.monotonic() - began
    try:
        state = network.state
        rpc_url = str(state.chain.get("rpc_url", ""))
        contract = str(state.chain.get("contract", ""))
        if not rpc_url or not contract:
            raise DemoSetupError("the state file names no chain or contract")
        async with open_context(state) as ctx:
            since = {org.name: await org.client.ledger_end() for org in ctx.orgs}
            first_block = await head_block(rpc_url) + 1
            out("")
            out("workflow (each line: one ledger transaction, committed on every participant)")
            started = time.monotonic()
            result = await Workflow(ctx, out, reduced=options.reduced).run()
            workflow_seconds = time.monotonic() - started
            last_block = await head_block(rpc_url)
            out("")
            views = await show_privacy(ctx, result, since, out)
        out("")
        summary = await chain_summary(
            rpc_url, contract, first_block, last_block, result.transactions
        )
        show_chain_summary(summary, out)
        out("")
        how = (
            f"network started in {network_seconds:.1f}s"
            if network.started
            else "on the running network"
        )
        done = f"{result.transactions} ledger transactions in {workflow_seconds:.1f}s"
        out(f"demo done: {done} ({how})")
    finally:
        if not options.keep_running:
            network.stop(out)
    return DemoReport(
        result, tuple(views), summary, network_seconds, workflow_seconds, network.started
    )
