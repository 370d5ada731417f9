"""Values shared by chain tests."""

from __future__ import annotations

from dataclasses import dataclass

from eth_account.signers.local import LocalAccount

from sequencer_chain.contract import DeploymentRecord, InboxContract


@dataclass(frozen=True)
class DeployedInbox:
    """A deployed inbox with its owner and two allowed writers."""

    record: DeploymentRecord
    inbox: InboxContract
    owner: LocalAccount
    writers: tuple[LocalAccount, ...]
