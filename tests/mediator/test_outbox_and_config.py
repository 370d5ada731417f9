"""The verdict outbox against a fake sender (refusals, retries, marking), and the node's
configuration and exit codes."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from mediator import (
    MediatorProcessor,
    MediatorStore,
    OutboxState,
    VerdictOutbox,
    load_mediator_config,
)
from node_runtime import ConfigError
from node_runtime.member import NoSequencerAvailableError, SendRefusedError
from protocol.sequencer_messages import Envelope, MessageId
from protocol.timestamp import Timestamp
from protocol.transaction import RequestId
from protocol.v1 import sequencer_pb2 as pb
from tests.mediator.support import RESPONSE_TIMEOUT, T0, ScriptedDomain

ROOT = Path(__file__).resolve().parents[2]


class FakeSender:
    def __init__(self, failures: list[Exception]) -> None:
        self.failures = failures
        self.sent: list[tuple[list[Envelope], Timestamp | None, str | None]] = []

    async def send(
        self,
        envelopes: Sequence[Envelope],
        *,
        max_sequencing_time: Timestamp | None = None,
        message_id: str | None = None,
    ) -> MessageId:
        self.sent.append((list(envelopes), max_sequencing_time, message_id))
        if self.failures:
            raise self.failures.pop(0)
        return MessageId(message_id or "x")


async def test_outbox_retries_until_accepted_and_marks_the_verdict_sent(
    domain: ScriptedDomain, processor: MediatorProcessor, store: MediatorStore
) -> None:
    await processor.handle(domain.request(T0)[0])
    (decided,) = await processor.handle(domain.tick(T0 + RESPONSE_TIMEOUT + 1))
    sender = FakeSender(
        [NoSequencerAvailableError("send", {}), SendRefusedError(pb.SEND_ASYNC_ERROR_MALFORMED, "")]
    )
    outbox = VerdictOutbox(sender, store, processor.metrics, retry_initial_s=0.01)
    outbox.submit([decided])
    async with asyncio.TaskGroup() as group:
        task = group.create_task(outbox.run())
        await outbox.idle()
        task.cancel()
    assert len(sender.sent) == 3
    envelopes, max_time, message_id = sender.sent[-1]
    assert message_id == decided.message_id and max_time == decided.max_sequencing_time
    assert envelopes[0].payload == decided.result.to_bytes()
    assert envelopes[0].recipients == decided.recipients
    stored = await store.verdict(RequestId(T0))
    assert stored is not None and stored.state is OutboxState.SENT


async def test_outbox_gives_up_when_the_sequencer_says_it_is_too_late(
    domain: ScriptedDomain, processor: MediatorProcessor, store: MediatorStore
) -> None:
    await processor.handle(domain.request(T0)[0])
    (decided,) = await processor.handle(domain.tick(T0 + RESPONSE_TIMEOUT + 1))
    sender = FakeSender([SendRefusedError(pb.SEND_ASYNC_ERROR_MAX_SEQUENCING_TIME_PAST, "")])
    outbox = VerdictOutbox(sender, store, processor.metrics, retry_initial_s=0.01)
    outbox.submit([decided])
    async with asyncio.TaskGroup() as group:
        task = group.create_task(outbox.run())
        await outbox.idle()
        task.cancel()
    stored = await store.verdict(RequestId(T0))
    assert stored is not None and stored.state is OutboxState.EXPIRED
    assert await store.outbox() == []


BASE = """
[node]
member_id = "{member}"
data_dir = "state"

[domain]
domain_id = "{domain}"
genesis_file = "genesis.json"
sequencers = ["127.0.0.1:1"]

[keys]
{keys}
password = {{ env = "MEDIATOR_TEST_PW" }}
"""


def write(tmp_path: Path, domain: ScriptedDomain, keys: str, member: str | None = None) -> Path:
    path = tmp_path / "mediator.toml"
    path.write_text(
        BASE.format(member=member or domain.mediator.member, domain=domain.domain, keys=keys)
    )
    return path


def test_config_accepts_either_name_of_the_signing_keystore(
    tmp_path: Path, domain: ScriptedDomain
) -> None:
    a = load_mediator_config(write(tmp_path, domain, 'keystore = "k.json"'))
    assert a.keys.signing == Path("k.json") and a.base_dir == tmp_path
    b = load_mediator_config(write(tmp_path, domain, 'signing_keystore = "s.json"'))
    assert b.keys.signing == Path("s.json")


@pytest.mark.parametrize(
    ("keys", "member", "needle"),
    [
        ("", None, "keystore"),
        ('keystore = "a"\nsigning_keystore = "b"', None, "exactly one"),
        ('keystore = "a"', "PAR::p1::1220" + "ab" * 32, "not a mediator id"),
    ],
)
def test_bad_configs_name_the_problem(
    tmp_path: Path, domain: ScriptedDomain, keys: str, member: str | None, needle: str
) -> None:
    with pytest.raises(ConfigError) as err:
        load_mediator_config(write(tmp_path, domain, keys, member))
    assert needle in str(err.value)


def test_process_exits_2_on_a_configuration_error(tmp_path: Path, domain: ScriptedDomain) -> None:
    config = write(tmp_path, domain, "")
    done = subprocess.run(
        [sys.executable, "-m", "mediator", "--config", str(config)],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "configuration error" in done.stderr and "keys" in done.stderr
