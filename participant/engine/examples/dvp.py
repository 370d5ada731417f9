# ruff: noqa: N802 - choice names follow Daml's convention
"""Delivery versus payment across three parties: a seller's asset against a buyer's cash.

The bank issues both the cash and the asset. The seller proposes a trade; the buyer
accepts it and settles atomically: the asset moves to the buyer and the cash to the
seller in one transaction, each leg authorized by the parties of the trade.
"""

from participant.engine.api import (
    ContractId,
    Decimal,
    Party,
    Text,
    Update,
    abort,
    choice,
    package,
    template,
)

PACKAGE = package("dvp", "1.0.0", module="Dvp")


@template
class Cash:
    bank: Party
    owner: Party
    amount: Decimal
    currency: Text

    def signatory(self) -> list[Party]:
        return [self.bank]

    def observer(self) -> list[Party]:
        return [self.owner]

    def ensure(self) -> bool:
        return self.amount > 0

    @choice(controller=lambda self, arg: [self.owner])
    def TransferCash(self, ctx: Update, new_owner: Party) -> ContractId["Cash"]:
        return ctx.create(Cash(self.bank, new_owner, self.amount, self.currency))


@template
class Asset:
    bank: Party
    owner: Party
    name: Text
    quantity: int

    def signatory(self) -> list[Party]:
        return [self.bank]

    def observer(self) -> list[Party]:
        return [self.owner]

    @choice(controller=lambda self, arg: [self.owner])
    def TransferAsset(self, ctx: Update, new_owner: Party) -> ContractId["Asset"]:
        return ctx.create(Asset(self.bank, new_owner, self.name, self.quantity))


@template
class TradeProposal:
    seller: Party
    buyer: Party
    bank: Party
    asset: ContractId[Asset]
    price: Decimal
    currency: Text

    def signatory(self) -> list[Party]:
        return [self.seller]

    def observer(self) -> list[Party]:
        return [self.buyer]

    @choice(controller=lambda self, arg: [self.buyer])
    def Settle(
        self, ctx: Update, payment: ContractId[Cash]
    ) -> tuple[ContractId[Asset], ContractId[Cash]]:
        cash: Cash = ctx.fetch(payment)
        if cash.bank != self.bank or cash.currency != self.currency:
            abort("payment is not in the agreed currency of the agreed bank")
        if cash.amount != self.price:
            abort("payment amount differs from the price")
        asset: Asset = ctx.fetch(self.asset)
        if asset.owner != self.seller or asset.bank != self.bank:
            abort("the seller does not own the asset at this bank")
        new_asset: ContractId[Asset] = ctx.exercise(
            self.asset, "TransferAsset", new_owner=self.buyer
        )
        new_cash: ContractId[Cash] = ctx.exercise(payment, "TransferCash", new_owner=self.seller)
        return (new_asset, new_cash)

    @choice(controller=lambda self, arg: [self.buyer])
    def RejectTrade(self, ctx: Update) -> None:
        return None
