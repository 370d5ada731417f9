"""Fixtures shared by every suite: a real anvil, a connected web3, a deployed inbox."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from sequencer_chain.anvil import AnvilConfig, ManagedAnvil
from sequencer_chain.chain_keys import dev_account
from sequencer_chain.contract import (
    InboxContract,
    connect,
    deploy_inbox,
    domain_id_bytes,
    send_transaction,
)
from tests.support.chain import DeployedInbox


@pytest.fixture
def anvil() -> Iterator[ManagedAnvil]:
    """A fresh anvil with instant mining, stopped after the test."""
    with ManagedAnvil(AnvilConfig()) as node:
        yield node


@pytest.fixture
async def w3(anvil: ManagedAnvil) -> AsyncIterator[Any]:
    client = await connect(anvil.rpc_url)
    yield client
    await client.provider.disconnect()


@pytest.fixture
async def deployed(w3: Any) -> DeployedInbox:
    """A SequencerInbox owned by dev account 0, with dev accounts 1 and 2 as writers."""
    owner = dev_account(0, 31337)
    writers = (dev_account(1, 31337), dev_account(2, 31337))
    record = await deploy_inbox(
        w3, owner, domain_id_bytes("test-domain"), domain_name="test-domain"
    )
    inbox = InboxContract(w3, record.address)
    for writer in writers:
        data = inbox.calldata("addWriter", writer.address)
        await send_transaction(w3, owner, to=record.address, data=data)
    return DeployedInbox(record, inbox, owner, writers)
