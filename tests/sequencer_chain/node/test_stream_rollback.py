"""A subscriber never sees two histories: if a rollback removes events already streamed,
the stream ends with ABORTED; and the members file is strict."""

from __future__ import annotations

import asyncio
from pathlib import Path

import grpc
import pytest

from node_runtime.member import SequencerClient
from protocol.identifiers import MemberId
from protocol.timestamp import Timestamp
from sequencer_chain.api import ApiServer, Authenticator, SequencerService
from sequencer_chain.contract import ZERO_HASH
from sequencer_chain.errors import MembersFileError
from sequencer_chain.members import StaticMembers
from sequencer_chain.store import Cursor, EventStore, StepWrite, StoredEvent, StoreIdentity
from tests.sequencer_chain.sequencer_support import BOB, DOMAIN, SEQ1, static_members


class NullSink:
    async def enqueue(self, request: bytes, message_key: bytes) -> object:
        return None


def event(member: MemberId, counter: int, block: int) -> StoredEvent:
    return StoredEvent(
        member, counter, Timestamp(1_000 + counter), block, counter, b"ev%d" % counter
    )


async def test_rollback_of_streamed_events_aborts_the_stream(tmp_path: Path) -> None:
    store = await EventStore.open(
        tmp_path / "events.sqlite", StoreIdentity(31337, "0x" + "00" * 20, DOMAIN)
    )
    await store.initialize(Cursor(1, b"\x01" * 32, 0, ZERO_HASH, None))

    async def commit(block: int, counter: int) -> None:
        await store.commit_step(
            StepWrite(
                blocks=(Cursor(block, bytes([block]) * 32, counter + 1, ZERO_HASH, None),),
                events=(event(BOB.member, counter, block),),
                counters={BOB.member: counter + 1},
                dedup=(),
            )
        )

    await commit(2, 0)
    await commit(3, 1)
    members = static_members()
    service = SequencerService(
        domain_id=DOMAIN,
        store=store,
        sink=NullSink(),
        members=members,
        auth=Authenticator(domain_id=DOMAIN, sequencer=SEQ1.member, members=members),
    )
    server = ApiServer(service)
    await server.start()
    client = SequencerClient(f"127.0.0.1:{server.port}", BOB.member, BOB.key)
    await client.authenticate()
    received: list[bytes] = []

    async def follow() -> None:
        async for data in client.subscribe_raw(0):
            received.append(data)
            if len(received) == 2:
                rollback = await store.rollback(2)  # removes counter 1, already sent
                assert rollback.first_removed == {BOB.member: 1}
                await commit(3, 1)  # a different history would now be at counter 1

    with pytest.raises(grpc.aio.AioRpcError) as err:
        await asyncio.wait_for(follow(), 10)
    assert err.value.code() == grpc.StatusCode.ABORTED
    assert received == [b"ev0", b"ev1"]
    assert await store.next_counter(BOB.member) == 2
    await client.close()
    await server.stop()
    await store.close()


def test_members_file_is_strict(tmp_path: Path) -> None:
    path = tmp_path / "members.toml"
    path.write_text('[[member]]\nid = "PAR::x::1220' + "ab" * 32 + '"\npublic_keys = ["zz"]\n')
    with pytest.raises(MembersFileError, match=r"member\[0\]\.public_keys\[0\]"):
        StaticMembers.load(path)
    path.write_text('[[member]]\nid = "nope"\npublic_keys = []\n')
    with pytest.raises(MembersFileError, match=r"member\[0\]\.id"):
        StaticMembers.load(path)
    path.write_text(
        '[[member]]\nid = "PAR::x::1220'
        + "ab" * 32
        + '"\npublic_keys = ["'
        + "00" * 32
        + '"]\ncolour = 1\n'
    )
    with pytest.raises(MembersFileError, match="unknown keys"):
        StaticMembers.load(path)
