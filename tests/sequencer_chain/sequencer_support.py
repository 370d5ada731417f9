"""Helpers shared by the reader, API and multi-node tests: members with keys, signed
requests, raw batch posting, and a reader wired to a fresh store."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount

from protocol.batch_format import encode_batch
from protocol.crypto.signing import SigningPrivateKey
from protocol.identifiers import (
    DomainId,
    MemberId,
    MemberKind,
    Namespace,
    make_domain_id,
    make_member_id,
)
from protocol.sequencer_messages import (
    Batch,
    Envelope,
    MessageId,
    SignedSubmissionRequest,
    SubmissionRequest,
)
from protocol.timestamp import Timestamp, now
from sequencer_chain.contract import InboxContract, encode_submit, send_transaction
from sequencer_chain.members import MemberInfo, StaticMembers, render_members_file
from sequencer_chain.reader import ChainReader, ReaderConfig
from sequencer_chain.store import EventStore, StoreIdentity

OWNER_KEY = SigningPrivateKey.from_seed(b"\x01" * 32)
DOMAIN: DomainId = make_domain_id("test-domain", Namespace(OWNER_KEY.fingerprint))


@dataclass(frozen=True)
class Party:
    member: MemberId
    key: SigningPrivateKey


def make_party(name: str, seed: int, kind: MemberKind = MemberKind.PARTICIPANT) -> Party:
    key = SigningPrivateKey.from_seed(bytes([seed]) * 32)
    return Party(make_member_id(kind, name, Namespace(key.fingerprint)), key)


ALICE = make_party("alice", 2)
BOB = make_party("bob", 3)
CAROL = make_party("carol", 4)
MALLORY = make_party("mallory", 5)  # never listed
DORMANT = make_party("dormant", 6)  # listed, inactive
SEQ1 = make_party("seq1", 7, MemberKind.SEQUENCER)


def members_infos() -> list[MemberInfo]:
    return [
        MemberInfo(p.member, (p.key.public_key,), p is not DORMANT)
        for p in (ALICE, BOB, CAROL, DORMANT)
    ]


def static_members() -> StaticMembers:
    return StaticMembers(members_infos())


def write_members_file(path: Path) -> Path:
    path.write_text(render_members_file(members_infos()))
    return path


def signed_request(
    sender: Party,
    message_id: str,
    envelopes: Iterable[tuple[bytes, Iterable[MemberId]]],
    *,
    max_sequencing_time: int | None = None,
    domain: DomainId = DOMAIN,
    signer: SigningPrivateKey | None = None,
) -> SignedSubmissionRequest:
    mst = max_sequencing_time if max_sequencing_time is not None else now() + 600_000_000
    request = SubmissionRequest(
        domain_id=domain,
        sender=sender.member,
        message_id=MessageId(message_id),
        batch=Batch(tuple(Envelope.of(p, r) for p, r in envelopes)),
        max_sequencing_time=Timestamp(mst),
    )
    return SignedSubmissionRequest.sign(request, signer or sender.key)


def batch_of(*requests: SignedSubmissionRequest, proposed: int | None = None) -> bytes:
    return encode_batch(
        Timestamp(proposed if proposed is not None else time.time_ns() // 1000),
        [r.to_bytes() for r in requests],
    )


class Poster:
    """Posts raw batches as one writer, tracking its writerSeq."""

    def __init__(self, w3: Any, inbox: InboxContract, account: LocalAccount) -> None:
        self.w3 = w3
        self.inbox = inbox
        self.account = account
        self.seq: int | None = None

    async def post(self, batch: bytes) -> dict[str, Any]:
        if self.seq is None:
            self.seq = await self.inbox.next_writer_seq(self.account.address)
        receipt = await send_transaction(
            self.w3, self.account, to=self.inbox.address, data=encode_submit(self.seq, batch)
        )
        self.seq += 1
        return receipt


async def open_store(path: Path, inbox: InboxContract) -> EventStore:
    chain_id = await inbox.w3.eth.chain_id
    return await EventStore.open(path, StoreIdentity(chain_id, inbox.address, DOMAIN))


def make_reader(
    w3: Any, inbox: InboxContract, store: EventStore, start_block: int, **config: Any
) -> ChainReader:
    cfg = ReaderConfig(start_block=start_block, poll_interval_s=0.05, **config)
    return ChainReader(
        w3=w3, inbox=inbox, store=store, members=static_members(), domain_id=DOMAIN, config=cfg
    )


async def wait_until(
    predicate: Callable[[], Any], timeout_s: float = 15.0, what: str = "condition"
) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)
