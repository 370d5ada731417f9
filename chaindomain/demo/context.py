"""What the demo works with: each organisation's Ledger API client, its parties, the
example packages' template ids — all read from a running devnet's state file. Each
client dials its participant over TLS (the devnet's CA) with its organisation's token
from the devnet's identity provider, as a production application would."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from auth import TokenRequestError
from chaindomain.demo.errors import DemoSetupError
from chaindomain.devnet.access import DevnetAccess, user_id
from chaindomain.devnet.participants import Organisation
from chaindomain.devnet.state import DevnetState
from ledger_client import LedgerClient, LedgerClientError, NotFoundError, Party, Timeout

CLIENT_TIMEOUT = Timeout(call=15.0, submit_and_wait=60.0, connect=15.0)
VISIBLE_TIMEOUT_S = 30.0
MODULES = {"iou": "Iou", "dvp": "Dvp"}


@dataclass(frozen=True, slots=True)
class Org:
    """One organisation in the demo: its participant's client and its parties."""

    info: Organisation
    client: LedgerClient

    @property
    def name(self) -> str:
        return self.info.name

    def party(self, hint: str | None = None) -> Party:
        return Party(self.info.parties[hint or self.info.name])

    async def await_update(self, update_id: str, parties: list[str]) -> None:
        """Until this organisation's participant has the transaction ``update_id``.

        Each participant commits a confirmed transaction when it receives the mediator's
        verdict; the submitter's ``submit_and_wait`` returns at its own commit, which may
        come before another participant's.
        """
        async with asyncio.timeout(VISIBLE_TIMEOUT_S):
            while True:
                try:
                    await self.client.transaction_by_id(update_id, parties)
                    return
                except NotFoundError:
                    await asyncio.sleep(0.05)


@dataclass(frozen=True, slots=True)
class DemoContext:
    bank: Org
    alice: Org
    bob: Org
    packages: dict[str, str]
    """Package ids by example name (``iou``, ``dvp``)."""

    @property
    def orgs(self) -> tuple[Org, Org, Org]:
        return (self.bank, self.alice, self.bob)

    def template(self, package: str, entity: str) -> str:
        return f"{self.packages[package]}:{MODULES[package]}:{entity}"


def organisations(state: DevnetState) -> list[Organisation]:
    try:
        return [Organisation.from_json(o) for o in state.extra.get("organisations", [])]
    except (KeyError, TypeError) as exc:
        raise DemoSetupError(f"the state file's organisations are unreadable: {exc}") from None


@contextlib.asynccontextmanager
async def open_context(state: DevnetState) -> AsyncIterator[DemoContext]:
    """Clients to the first three organisations' participants (Bank, Alice, Bob)."""
    orgs = organisations(state)
    if len(orgs) < 3:
        raise DemoSetupError(
            f"the demo needs three organisations; the network has {len(orgs)} "
            "(start it with --participants 3 or more)"
        )
    packages = dict(state.extra.get("packages", {}))
    missing = [p for p in MODULES if p not in packages]
    if missing:
        raise DemoSetupError(f"packages {missing} are not uploaded on the network")
    try:
        access = DevnetAccess.from_state_extra(state.extra)
    except (KeyError, TypeError) as exc:
        raise DemoSetupError(f"the state file names no CA and identity provider: {exc}") from None
    async with contextlib.AsyncExitStack() as stack:
        clients = []
        for org in orgs[:3]:
            try:
                # A user token fixes the application id (the user id): commands carry none.
                client = await access.ledger_client(
                    org.ledger_api, user_id(org.name), timeout=CLIENT_TIMEOUT
                )
            except (LedgerClientError, TokenRequestError, OSError) as exc:
                raise DemoSetupError(
                    f"{org.name}'s participant ({org.node}) at {org.ledger_api}: {exc} "
                    "(is it running? `chaindomain devnet status`)"
                ) from None
            stack.push_async_callback(client.aclose)
            clients.append(Org(org, client))
        yield DemoContext(clients[0], clients[1], clients[2], packages)
