# ruff: noqa: N802 - choice names follow Daml's convention (Transfer, Accept, ...)
"""Iou: issue, transfer via proposal/accept, split, merge; an account key per owner."""

from participant.engine.api import (
    ContractId,
    Decimal,
    Party,
    Text,
    Update,
    abort,
    choice,
    package,
    record,
    template,
)

PACKAGE = package("iou", "1.0.0", module="Iou")


@record
class AccountKey:
    owner: Party
    currency: Text


@template
class Account:
    """An owner's account for one currency; its key lets anyone find it by owner."""

    bank: Party
    owner: Party
    currency: Text

    def signatory(self) -> list[Party]:
        return [self.owner]

    def observer(self) -> list[Party]:
        return [self.bank]

    def key(self) -> AccountKey:
        return AccountKey(self.owner, self.currency)

    @staticmethod
    def maintainer(key: AccountKey) -> list[Party]:
        return [key.owner]


@template
class Iou:
    issuer: Party
    owner: Party
    amount: Decimal
    currency: Text
    observers: list[Party]

    def signatory(self) -> list[Party]:
        return [self.issuer, self.owner]

    def observer(self) -> list[Party]:
        return self.observers

    def ensure(self) -> bool:
        return self.amount > 0

    @choice(controller=lambda self, arg: [self.owner])
    def Transfer(self, ctx: Update, new_owner: Party) -> ContractId["IouTransferProposal"]:
        return ctx.create(IouTransferProposal(self, new_owner))

    @choice(controller=lambda self, arg: [self.owner])
    def Split(
        self, ctx: Update, split_amount: Decimal
    ) -> tuple[ContractId["Iou"], ContractId["Iou"]]:
        if split_amount <= 0 or split_amount >= self.amount:
            abort("split amount must be between 0 and the amount")
        first = ctx.create(
            Iou(self.issuer, self.owner, split_amount, self.currency, self.observers)
        )
        rest = self.amount - split_amount
        second = ctx.create(Iou(self.issuer, self.owner, rest, self.currency, self.observers))
        return (first, second)

    @choice(controller=lambda self, arg: [self.owner])
    def Merge(self, ctx: Update, other: ContractId["Iou"]) -> ContractId["Iou"]:
        that: Iou = ctx.fetch(other)
        if that.issuer != self.issuer or that.currency != self.currency:
            abort("can only merge Ious of the same issuer and currency")
        ctx.archive(other)
        total = self.amount + that.amount
        return ctx.create(Iou(self.issuer, self.owner, total, self.currency, self.observers))

    @choice(controller=lambda self, arg: [self.owner], consuming=False)
    def Disclose(self, ctx: Update, to: Party) -> None:
        return None


@template
class IouTransferProposal:
    iou: Iou
    new_owner: Party

    def signatory(self) -> list[Party]:
        return self.iou.signatory()

    def observer(self) -> list[Party]:
        return [self.new_owner]

    @choice(controller=lambda self, arg: [self.new_owner])
    def Accept(self, ctx: Update) -> ContractId[Iou]:
        iou = self.iou
        found = ctx.lookup_by_key(Account, AccountKey(self.new_owner, iou.currency))
        if found is None:
            abort("the new owner has no account for this currency")
        return ctx.create(Iou(iou.issuer, self.new_owner, iou.amount, iou.currency, []))

    @choice(controller=lambda self, arg: [self.new_owner])
    def Reject(self, ctx: Update) -> ContractId[Iou]:
        return ctx.create(self.iou)

    @choice(controller=lambda self, arg: [self.iou.owner])
    def Withdraw(self, ctx: Update) -> ContractId[Iou]:
        return ctx.create(self.iou)
