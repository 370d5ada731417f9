"""Shared fixtures: a package store with the examples and a semantics test package."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pytest

from participant.engine import (
    Command,
    Engine,
    InMemoryLedger,
    Package,
    PackageStore,
    Transaction,
)
from participant.engine.examples import EXAMPLES, example_source

SEMANTICS_SOURCE = """
from participant.engine.api import ContractId, Party, Text, Update, choice, package, template

PACKAGE = package("semantics", "1.0.0", module="Sem")


@template
class Token:
    issuer: Party
    owner: Party
    label: Text

    def signatory(self) -> list[Party]:
        return [self.issuer]

    def observer(self) -> list[Party]:
        return [self.owner]

    def key(self) -> tuple[Party, Text]:
        return (self.issuer, self.label)

    @staticmethod
    def maintainer(key: tuple[Party, Text]) -> list[Party]:
        return [key[0]]

    @choice(controller=lambda self, arg: [self.owner])
    def Consume(self, ctx: Update) -> None:
        return None

    @choice(controller=lambda self, arg: [self.owner], consuming=False)
    def Peek(self, ctx: Update) -> Text:
        return self.label

    @choice(controller=lambda self, arg: [self.owner], observer=lambda self, arg: [arg.watcher])
    def Give(self, ctx: Update, new_owner: Party, watcher: Party) -> ContractId["Token"]:
        return ctx.create(Token(self.issuer, new_owner, self.label))


@template
class Runner:
    operator: Party
    user: Party

    def signatory(self) -> list[Party]:
        return [self.operator]

    def observer(self) -> list[Party]:
        return [self.user]

    @choice(controller=lambda self, arg: [self.user], consuming=False)
    def ConsumeTwice(self, ctx: Update, token: ContractId[Token]) -> None:
        ctx.exercise(token, "Consume")
        ctx.exercise(token, "Consume")

    @choice(controller=lambda self, arg: [self.user], consuming=False)
    def CreateTwice(self, ctx: Update, label: Text) -> None:
        ctx.create(Token(self.operator, self.user, label))
        ctx.create(Token(self.operator, self.user, label))

    @choice(controller=lambda self, arg: [self.user], consuming=False)
    def Recycle(self, ctx: Update, token: ContractId[Token]) -> ContractId[Token]:
        old: Token = ctx.fetch(token)
        ctx.exercise(token, "Consume")
        return ctx.create(Token(self.operator, self.user, old.label))

    @choice(controller=lambda self, arg: [self.user], consuming=False)
    def FetchToken(self, ctx: Update, token: ContractId[Token]) -> Text:
        seen: Token = ctx.fetch(token)
        return seen.label

    @choice(controller=lambda self, arg: [self.user], consuming=False)
    def Nest(
        self, ctx: Update, token: ContractId[Token], new_owner: Party, watcher: Party
    ) -> ContractId[Token]:
        given: ContractId[Token] = ctx.exercise(
            token, "Give", new_owner=new_owner, watcher=watcher
        )
        return given

    @choice(controller=lambda self, arg: [self.user], consuming=False)
    def Lookup(self, ctx: Update, label: Text) -> ContractId[Token] | None:
        return ctx.lookup_by_key(Token, (self.operator, label))

    @choice(controller=lambda self, arg: [self.user], consuming=False)
    def Spin(self, ctx: Update) -> None:
        while True:
            pass

    @choice(controller=lambda self, arg: [self.user], consuming=False)
    def Square(self, ctx: Update, x: int) -> int:
        return x * x
"""

SEED = bytes(range(32))
TIME = 1_700_000_000_000_000


@dataclass
class Harness:
    """An engine, an in-memory ledger and the ids of the loaded packages."""

    store: PackageStore
    engine: Engine
    ledger: InMemoryLedger
    packages: dict[str, Package]
    counter: int = 0

    def tid(self, package: str, template: str) -> str:
        p = self.packages[package]
        return f"{p.package_id}:{p.module}:{template}"

    @property
    def vetted(self) -> set[str]:
        return {p.package_id for p in self.packages.values()}

    def interpret(self, commands: Sequence[Command], act_as: Sequence[str]) -> Transaction:
        self.counter += 1
        return self.engine.submit(
            commands,
            act_as=act_as,
            lookup=self.ledger,
            vetted=self.vetted,
            seed=self.counter.to_bytes(32, "big"),
            ledger_time=TIME,
        )

    def submit(self, commands: Sequence[Command], act_as: Sequence[str]) -> Transaction:
        tx = self.interpret(commands, act_as)
        self.ledger.commit(tx)
        return tx


@pytest.fixture
def harness() -> Harness:
    store = PackageStore()
    packages = {name: store.upload(example_source(name), f"{name}.py") for name in EXAMPLES}
    packages["semantics"] = store.upload(SEMANTICS_SOURCE, "semantics.py")
    return Harness(store, Engine(store, max_steps=20_000), InMemoryLedger(), packages)


HarnessFactory = Callable[[], Harness]
