"""What each organisation's participant sees: the workflow's transactions it has, and the
active contracts of the run held by its parties.

A participant stores only the views addressed to parties it hosts; everything else
crossed the chain encrypted for others. Both tables are read through each participant's
own Ledger API, for the parties it hosts (``list_parties``, ``is_local``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from chaindomain.demo.context import DemoContext, Org
from chaindomain.demo.workflow import WorkflowResult, amount, party_name
from ledger_client import CreatedEvent, NotFoundError, Party

Printer = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class OrgView:
    org: str
    node: str
    parties: tuple[str, ...]
    seen: tuple[bool, ...]
    """Per workflow step: whether this participant has the transaction."""
    active: tuple[CreatedEvent, ...]
    """Active contracts created by this run, visible to its parties."""


async def local_parties(org: Org) -> tuple[str, ...]:
    return tuple(str(p.party) for p in await org.client.list_parties() if p.is_local)


async def view_of(org: Org, result: WorkflowResult, since: int) -> OrgView:
    parties = await local_parties(org)
    seen: list[bool] = []
    for step in result.steps:
        try:
            await org.client.transaction_by_id(step.update_id, parties)
            seen.append(True)
        except NotFoundError:
            seen.append(False)
    acs = await org.client.active_contracts(parties)
    active = tuple(c for c in acs.contracts if c.offset > since)
    return OrgView(org.name, org.info.node, parties, tuple(seen), active)


def _short(value: Any) -> str:
    if isinstance(value, Party) or (isinstance(value, str) and "::" in value):
        return party_name(value)
    if isinstance(value, Decimal):
        return amount(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_short(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    return str(value)


def describe(contract: CreatedEvent) -> str:
    entity = contract.template_id.rsplit(":", 1)[-1]
    fields = ", ".join(
        f"{k}={_short(v)}"
        for k, v in contract.arguments.items()
        if not (isinstance(v, str) and len(v) > 60 and "::" not in v)
    )
    return f"{entity}({fields})"


async def show_privacy(
    ctx: DemoContext, result: WorkflowResult, since: dict[str, int], out: Printer
) -> list[OrgView]:
    views = [await view_of(org, result, since[org.name]) for org in ctx.orgs]
    names = [v.org for v in views]
    out("which participant has which transaction (read from each one's Ledger API):")
    out("  " + f"{'transaction':<52}" + "".join(f"{n:>8}" for n in names))
    for index, step in enumerate(result.steps):
        marks = "".join(f"{'yes' if v.seen[index] else '-':>8}" for v in views)
        out(f"  [{index + 1}] {step.name[:47]:<48}{marks}")
    for org, view in zip(ctx.orgs, views, strict=True):
        own = set(org.info.parties.values())
        hosted = ", ".join(
            party_name(p) + ("" if p in own else " (observing)") for p in view.parties
        )
        out(f"{view.org}'s participant ({view.node}; hosts {hosted}), contracts of this run:")
        for contract in view.active:
            out(f"    {describe(contract)}")
        if not view.active:
            out("    (none)")
    return views
