"""The demo's business workflow across three organisations, through their Ledger APIs.

| step | who (participant) | ledger transaction |
|---|---|---|
| accounts | Alice, Bob | each creates its ``Iou.Account`` for EUR (once per ledger: reused later) |
| issue | Bank | ``Iou`` s issued by the bank, held by the bank |
| propose | Bank | ``Iou.Transfer`` to Alice: an ``IouTransferProposal`` |
| accept | Alice | ``IouTransferProposal.Accept``: a new ``Iou`` owned by Alice |
| dvp issue | Bank (Custodian) | ``Dvp.Asset`` for Alice and ``Dvp.Cash`` for Bob |
| dvp propose | Alice | ``Dvp.TradeProposal``: Alice sells the asset to Bob |
| dvp settle | Bob | ``TradeProposal.Settle``: asset to Bob and cash to Alice, atomically |

Every step waits until the next actor's participant has the transaction (a verdict
reaches the participants one by one). The ``reduced`` workflow issues one Iou instead of
three; it runs every kind of step.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from chaindomain.demo.context import DemoContext, Org
from chaindomain.demo.errors import DemoStepError
from ledger_client import (
    ContractId,
    CreateCommand,
    CreatedEvent,
    ExerciseCommand,
    LedgerClientError,
    Party,
    Transaction,
)

Printer = Callable[[str], None]
CURRENCY = "EUR"
IOU_AMOUNTS = (Decimal("100.00"), Decimal("250.00"), Decimal("75.50"))
ASSET = "ACME Corp shares"
ASSET_QUANTITY = 10
PRICE = Decimal("1000.00")


@dataclass(frozen=True, slots=True)
class StepRecord:
    name: str
    org: str
    update_id: str
    seconds: float


@dataclass(slots=True)
class WorkflowResult:
    steps: list[StepRecord] = field(default_factory=list)
    run_id: str = ""

    @property
    def transactions(self) -> int:
        """Ledger transactions committed by the workflow."""
        return len(self.steps)


class Workflow:
    def __init__(self, ctx: DemoContext, out: Printer, *, reduced: bool = False) -> None:
        self.ctx = ctx
        self.out = out
        self.reduced = reduced
        self.result = WorkflowResult(run_id=uuid.uuid4().hex[:8])

    async def _submit(
        self,
        step: str,
        org: Org,
        commands: Sequence[CreateCommand | ExerciseCommand],
        *,
        act_as: Sequence[str],
        read_as: Sequence[str] = (),
        then_visible_to: Sequence[tuple[Org, str]] = (),
    ) -> Transaction:
        started = time.monotonic()
        try:
            tx = await org.client.submit_and_wait_for_transaction(
                commands,
                act_as=act_as,
                read_as=read_as,
                workflow_id=f"demo-{self.result.run_id}",
            )
            for other, party in then_visible_to:
                await other.await_update(tx.update_id, [party])
        except (LedgerClientError, TimeoutError) as exc:
            detail = str(exc) or type(exc).__name__
            raise DemoStepError(step, f"{org.name}'s participant: {detail}") from None
        seconds = time.monotonic() - started
        self.result.steps.append(StepRecord(step, org.name, tx.update_id, seconds))
        self.out(f"  [{len(self.result.steps)}] {step:<50} {seconds:5.2f}s  offset {tx.offset}")
        return tx

    async def _account(self, org: Org) -> None:
        """The owner's EUR account (the Iou's ``Accept`` looks it up by key)."""
        ctx = self.ctx
        template = ctx.template("iou", "Account")
        owner = org.party()
        acs = await org.client.active_contracts([owner], templates=[template])
        if any(c.arguments.get("currency") == CURRENCY for c in acs.contracts):
            self.out(f"  [-] {org.name} already has a {CURRENCY} account (earlier run)")
            return
        account = {"bank": ctx.bank.party(), "owner": owner, "currency": CURRENCY}
        await self._submit(
            f"{org.name} opens a {CURRENCY} account",
            org,
            [CreateCommand(template, account)],
            act_as=[owner],
        )

    async def run(self) -> WorkflowResult:
        """The steps, in order: accounts, Ious, a transfer, delivery versus payment."""
        _, alice, bob = self.ctx.orgs
        self.out("accounts")
        await self._account(alice)
        await self._account(bob)
        issued = await self._issue_ious()
        await self._transfer(issued.created[0])
        await self._delivery_versus_payment()
        return self.result

    async def _issue_ious(self) -> Transaction:
        bank = self.ctx.orgs[0]
        iou = self.ctx.template("iou", "Iou")
        self.out("a bank issues Ious")
        amounts = IOU_AMOUNTS[:1] if self.reduced else IOU_AMOUNTS
        return await self._submit(
            f"Bank issues Ious of {', '.join(amount(a) for a in amounts)} {CURRENCY}",
            bank,
            [
                CreateCommand(
                    iou,
                    {
                        "issuer": bank.party(),
                        "owner": bank.party(),
                        "amount": amount,
                        "currency": CURRENCY,
                        "observers": [],
                    },
                )
                for amount in amounts
            ],
            act_as=[bank.party()],
        )

    async def _transfer(self, first: CreatedEvent) -> None:
        ctx = self.ctx
        bank, alice, _ = ctx.orgs
        iou = ctx.template("iou", "Iou")
        self.out("a transfer via propose/accept")
        proposed = await self._submit(
            f"Bank proposes its {amount(first.arguments['amount'])} {CURRENCY} Iou to Alice",
            bank,
            [ExerciseCommand(iou, first.contract_id, "Transfer", {"new_owner": alice.party()})],
            act_as=[bank.party()],
            then_visible_to=[(alice, alice.party())],
        )
        proposal = _created(proposed, "IouTransferProposal", "propose")
        await self._submit(
            "Alice accepts the transfer",
            alice,
            [ExerciseCommand(ctx.template("iou", "IouTransferProposal"), proposal, "Accept", {})],
            act_as=[alice.party()],
        )

    async def _delivery_versus_payment(self) -> None:
        ctx = self.ctx
        bank, alice, bob = ctx.orgs
        self.out("delivery versus payment across three organisations")
        custodian = bank.party("Custodian")
        asset_t, cash_t = ctx.template("dvp", "Asset"), ctx.template("dvp", "Cash")
        dvp = await self._submit(
            "Custodian issues shares to Alice, cash to Bob",
            bank,
            [
                CreateCommand(
                    asset_t,
                    {
                        "bank": custodian,
                        "owner": alice.party(),
                        "name": ASSET,
                        "quantity": ASSET_QUANTITY,
                    },
                ),
                CreateCommand(
                    cash_t,
                    {
                        "bank": custodian,
                        "owner": bob.party(),
                        "amount": PRICE,
                        "currency": CURRENCY,
                    },
                ),
            ],
            act_as=[custodian],
            then_visible_to=[(alice, alice.party()), (bob, bob.party())],
        )
        asset = _created(dvp, "Asset", "dvp issue")
        cash = _created(dvp, "Cash", "dvp issue")
        trade = await self._submit(
            f"Alice offers the shares to Bob for {amount(PRICE)} {CURRENCY}",
            alice,
            [
                CreateCommand(
                    ctx.template("dvp", "TradeProposal"),
                    {
                        "seller": alice.party(),
                        "buyer": bob.party(),
                        "bank": custodian,
                        "asset": asset,
                        "price": PRICE,
                        "currency": CURRENCY,
                    },
                )
            ],
            act_as=[alice.party()],
            then_visible_to=[(bob, bob.party())],
        )
        proposal = _created(trade, "TradeProposal", "dvp propose")
        await self._submit(
            "Bob settles: shares and cash swap atomically",
            bob,
            [
                ExerciseCommand(
                    ctx.template("dvp", "TradeProposal"), proposal, "Settle", {"payment": cash}
                )
            ],
            act_as=[bob.party()],
            read_as=[custodian],
            then_visible_to=[(alice, alice.party()), (bank, custodian)],
        )


def _created(tx: Transaction, entity: str, step: str) -> ContractId:
    for event in tx.created:
        if event.template_id.rsplit(":", 1)[-1] == entity:
            return ContractId(event.contract_id)
    raise DemoStepError(step, f"the transaction {tx.update_id} created no {entity}")


def amount(value: Decimal) -> str:
    """``100.0000000000`` → ``100.00``; other digits kept."""
    cents = value.quantize(Decimal("0.01"))
    return f"{cents:f}" if cents == value else f"{value.normalize():f}"


def party_name(party: str) -> str:
    """``Alice::1220…`` → ``Alice``."""
    return Party(party).split("::", 1)[0]
