# ruff: noqa: N802 - choice names follow Daml's convention
"""A multi-party agreement that needs every party's signature: the propose/sign pattern.

The proposer creates a proposal naming all parties; each party in turn signs it (the
proposal is re-created with one more signatory); when everyone has signed, any signatory
finalizes it into an ``Agreement`` signed by all.
"""

from participant.engine.api import (
    ContractId,
    Party,
    Text,
    Update,
    abort,
    choice,
    package,
    template,
)

PACKAGE = package("agreement", "1.0.0", module="Agreement")


@template
class Agreement:
    parties: list[Party]
    terms: Text

    def signatory(self) -> list[Party]:
        return self.parties

    def ensure(self) -> bool:
        return len(self.parties) > 1


@template
class AgreementProposal:
    parties: list[Party]
    signed: list[Party]
    terms: Text

    def signatory(self) -> list[Party]:
        return self.signed

    def observer(self) -> list[Party]:
        return self.parties

    def ensure(self) -> bool:
        return len(self.signed) > 0 and all(p in self.parties for p in self.signed)

    @choice(controller=lambda self, arg: [arg.signer])
    def Sign(self, ctx: Update, signer: Party) -> ContractId["AgreementProposal"]:
        if signer not in self.parties:
            abort("the signer is not a party to the agreement")
        if signer in self.signed:
            abort("already signed")
        return ctx.create(AgreementProposal(self.parties, [*self.signed, signer], self.terms))

    @choice(controller=lambda self, arg: [arg.finalizer])
    def Finalize(self, ctx: Update, finalizer: Party) -> ContractId[Agreement]:
        if finalizer not in self.signed:
            abort("only a signatory can finalize")
        missing = [p for p in self.parties if p not in self.signed]
        if missing:
            abort(f"not signed yet by {missing}")
        return ctx.create(Agreement(self.parties, self.terms))
