#!/usr/bin/env python3
"""Benchmark sequencer nodes end to end: members -> gRPC -> writer -> chain -> reader -> members.

For each envelope size (1 KiB and 16 KiB by default) and for one and then two sequencer
nodes (each its own writer account on the same ``SequencerInbox``), it starts a fresh anvil
with interval mining (``--block-time 1``), deploys the contract, starts the nodes as their
own processes (``python -m sequencer_chain --config ...``), and has K members (default 8)
each send single-envelope requests of random (incompressible) bytes to the next member,
spread over the nodes. Requests are signed before the clock starts; a send is the
``SendAsync`` call. Two phases:

* saturation: the members together offer ``--overload`` x the chain's byte capacity for
  ``--seconds``; delivered envelopes/s and payload bytes/s are measured at the recipients
  over whole blocks (bursts of deliveries) after a warm-up;
* half load: half the rate delivered at saturation, for ``--half-seconds``; the latency of
  each envelope is from its ``SendAsync`` call to the event arriving on the recipient's
  subscription (p50/p99).

Gas per payload byte is the gas of every batch transaction (from the receipts) over the
envelope payload bytes those batches carry. Capacity is ``block gas limit / 40 / block
time`` (40 gas per nonzero calldata byte, the EIP-7623 floor). The CPU share of each node
process and of this process during saturation is shown; ``--profile`` runs the first node
under cProfile and prints where its time goes.

After each configuration the figures are checked against the targets (payload bytes/s >=
90 % of capacity, p50 <= 1.5 block times, gas per payload byte <= 1.05 x the floor). When
the throughput target is missed, the benchmark names the limit: the chain if the
saturation phase's blocks were full (batch gas >= 90 % of the block gas limit), otherwise
Python, with the node's busy time by stage from a profiled run (the run itself under
``--profile``, or one more run of the configuration with node seq1 under cProfile).
Every missed target is a ``TARGET MISSED:`` line; a missed gas target also prints the
floor that the requests' 64-byte signatures alone set, and the batch bytes per request
beyond the payload as measured on chain.

The last line is ``RESULT envelopes_per_s=<n> payload_bytes_per_s=<n> capacity_bytes_per_s=<n>
p50_ms=<n> p99_ms=<n> gas_per_byte=<x>`` for the largest size with two nodes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import pstats
import signal
import statistics
import struct
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hexbytes import HexBytes

from chaindomain.devnet.certs import DevnetCa, NodeCertificate
from node_runtime.member import SequencerClient
from protocol.batch_format import decode_batch
from protocol.crypto.signing import SigningPrivateKey
from protocol.identifiers import MemberId, MemberKind, Namespace, make_domain_id, make_member_id
from protocol.sequencer_messages import (
    Batch,
    Deliver,
    Envelope,
    MessageId,
    SignedSubmissionRequest,
    SubmissionRequest,
)
from protocol.timestamp import Timestamp, now
from protocol.tls import ClientTls
from sequencer_chain.anvil import AnvilConfig, ManagedAnvil
from sequencer_chain.chain_keys import dev_account
from sequencer_chain.contract import (
    InboxContract,
    connect,
    deploy_inbox,
    domain_id_bytes,
    send_transaction,
)
from sequencer_chain.members import MemberInfo, render_members_file

ROOT = Path(__file__).resolve().parents[1]
FLOOR_GAS_PER_NONZERO_BYTE = 40
OWNER_KEY = SigningPrivateKey.from_seed(b"\x01" * 32)
DOMAIN = make_domain_id("bench-domain", Namespace(OWNER_KEY.fingerprint))
TAG = struct.Struct(">BHI")  # phase, sender index, sequence number: the payload's prefix
SATURATION, HALF = 1, 2
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Member:
    index: int
    member: MemberId
    key: SigningPrivateKey


@dataclass
class Tracker:
    sent: dict[tuple[int, int, int], float] = field(default_factory=dict)
    arrived: dict[tuple[int, int, int], float] = field(default_factory=dict)
    refused: int = 0
    failed: int = 0

    def arrivals(self, phase: int) -> list[float]:
        return sorted(t for k, t in self.arrived.items() if k[0] == phase)

    def pending(self, phase: int) -> int:
        return sum(1 for k in self.sent if k[0] == phase and k not in self.arrived)


@dataclass(frozen=True)
class RunResult:
    size: int
    nodes: int
    envelopes_per_s: float
    payload_bytes_per_s: float
    capacity_bytes_per_s: float
    offered_per_s: float
    half_rate: float
    p50_ms: float
    p99_ms: float
    gas_per_byte: float
    refused: int
    cpu: str
    batches: str
    block_fill: float = float("nan")
    """Batch gas over block gas limit, over the blocks of the measured saturation phase."""
    stages: tuple[tuple[str, float], ...] = ()
    """Node seq1's busy time by stage (share of busy time), when it ran under cProfile."""
    overhead_per_request: float = float("nan")
    """Batch bytes per request beyond its payload, over every batch (compressed)."""


CAPACITY_TARGET = 0.90
FULL_BLOCKS = 0.90
P50_TARGET_BLOCK_TIMES = 1.5
GAS_TARGET_OF_FLOOR = 1.05


def missed_targets(r: RunResult, block_time: float) -> list[str]:
    """The issue's targets this result misses, each as a short text."""
    missed = []
    share = r.payload_bytes_per_s / r.capacity_bytes_per_s
    if not share >= CAPACITY_TARGET:
        missed.append(f"throughput {share:.1%} of capacity < {CAPACITY_TARGET:.0%}")
    if not r.p50_ms <= P50_TARGET_BLOCK_TIMES * block_time * 1000:
        missed.append(f"p50 {r.p50_ms:.0f} ms > {P50_TARGET_BLOCK_TIMES} block times")
    floor = FLOOR_GAS_PER_NONZERO_BYTE
    if not r.gas_per_byte <= GAS_TARGET_OF_FLOOR * floor:
        missed.append(f"gas/byte {r.gas_per_byte:.2f} > {GAS_TARGET_OF_FLOOR} x {floor}")
    return missed


SIGNATURE_BYTES = 64
"""An Ed25519 signature: in every request, incompressible, checked by every reader."""


def gas_floor_per_byte(size: int) -> float:
    """The least gas per payload byte for single-envelope requests of ``size`` bytes: the
    payload and the request's signature at the calldata floor, everything else free."""
    return FLOOR_GAS_PER_NONZERO_BYTE * (size + SIGNATURE_BYTES) / size


def limit_verdict(r: RunResult) -> str:
    """What limits a run that missed the throughput target: the chain when its blocks were
    full, otherwise Python, naming the node's largest stages from the profile."""
    if r.block_fill >= FULL_BLOCKS:
        ceiling = FLOOR_GAS_PER_NONZERO_BYTE / r.gas_per_byte
        return (
            f"limit: the chain (blocks {r.block_fill:.0%} full of batches; at "
            f"{r.gas_per_byte:.2f} gas per payload byte full blocks carry at most "
            f"{ceiling:.1%} of capacity, so the target needs blocks "
            f"{CAPACITY_TARGET / ceiling:.1%} full)"
        )
    head = f"limit: Python, not the chain (blocks only {r.block_fill:.0%} full of batches)"
    if not r.stages:
        return head + "; stages not profiled"
    ranked = sorted(r.stages, key=lambda kv: -kv[1])
    named = "; ".join(f"{name} {share:.0%}" for name, share in ranked[:3])
    return (
        f"{head}; CPU at saturation {r.cpu}; node seq1's largest stages of its busy time: {named}"
    )


def make_member(index: int) -> Member:
    key = SigningPrivateKey.from_seed(struct.pack(">I", index + 100) * 8)
    member = make_member_id(MemberKind.PARTICIPANT, f"m{index}", Namespace(key.fingerprint))
    return Member(index, member, key)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def write_config(  # noqa: PLR0917
    workdir: Path,
    rpc_url: str,
    name: str,
    dev_key_index: int,
    confirmations: int,
    linger_s: float,
    cert: NodeCertificate | None = None,
) -> Path:
    key = SigningPrivateKey.from_seed(bytes([50 + dev_key_index]) * 32)
    seq_id = make_member_id(MemberKind.SEQUENCER, name, Namespace(key.fingerprint))
    path = workdir / f"{name}.toml"
    path.write_text(
        f"""
[node]
sequencer_id = "{seq_id}"
data_dir = "{name}"

[domain]
domain_id = "{DOMAIN}"
members_file = "members.toml"

[chain]
rpc_url = "{rpc_url}"
deployment = "inbox.json"
confirmations = {confirmations}
poll_interval_s = 0.1
linger_s = {linger_s}

[chain.account]
dev_key_index = {dev_key_index}

[api]
host = "127.0.0.1"
port = 0
"""
        + (
            f"""
[tls]
cert_file = "{cert.cert_file}"
key_file = "{cert.key_file}"
"""
            if cert is not None
            else ""
        )
    )
    return path


async def start_node(
    config: Path, profile_to: Path | None
) -> tuple[asyncio.subprocess.Process, str]:
    cmd = [sys.executable]
    if profile_to is not None:
        cmd += ["-m", "cProfile", "-o", str(profile_to)]
    cmd += ["-m", "sequencer_chain", "--config", str(config), "--log-level", "WARNING"]
    log_path = config.parent / f"{config.stem}.log"
    with open(log_path, "wb") as log:  # noqa: ASYNC230 (a local file, opened once)
        proc = await asyncio.create_subprocess_exec(
            *cmd, stdout=asyncio.subprocess.PIPE, stderr=log, cwd=ROOT
        )
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 60)
    if not line.startswith(b"READY "):
        proc.kill()
        raise SystemExit(f"node {config.stem} did not start: {line!r}; see {log_path}")
    return proc, json.loads(line.removeprefix(b"READY "))["grpc"]


async def stop_node(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), 30)
        except TimeoutError:
            proc.kill()
            await proc.wait()


def presign(
    members: list[Member], phase: int, per_member: int, size: int
) -> list[list[tuple[int, bytes]]]:
    mst = Timestamp(now() + 1_800_000_000)
    out: list[list[tuple[int, bytes]]] = []
    for m in members:
        recipient = members[(m.index + 1) % len(members)].member
        reqs = []
        for seq in range(per_member):
            payload = TAG.pack(phase, m.index, seq) + os.urandom(size - TAG.size)
            request = SubmissionRequest(
                domain_id=DOMAIN,
                sender=m.member,
                message_id=MessageId(f"p{phase}-{m.index}-{seq}"),
                batch=Batch((Envelope.of(payload, [recipient]),)),
                max_sequencing_time=mst,
            )
            reqs.append((seq, SignedSubmissionRequest.sign(request, m.key).to_bytes()))
        out.append(reqs)
    return out


async def offer(  # noqa: PLR0917
    clients: list[SequencerClient],
    members: list[Member],
    requests: list[list[tuple[int, bytes]]],
    phase: int,
    rate_per_member: float,
    tracker: Tracker,
) -> None:
    """Open-loop load: each member sends at its rate whatever the replies take."""
    tasks: set[asyncio.Task[None]] = set()

    async def one(client: SequencerClient, key: tuple[int, int, int], data: bytes) -> None:
        tracker.sent[key] = time.monotonic()
        try:
            reply = await client.send_raw(data)
        except Exception:  # a failed send is counted, not fatal
            tracker.failed += 1
            del tracker.sent[key]
            return
        if reply.error:
            tracker.refused += 1
            del tracker.sent[key]

    async def member_loop(m: Member) -> None:
        start = time.monotonic()
        for seq, data in requests[m.index]:
            delay = start + seq / rate_per_member - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(one(clients[m.index], (phase, m.index, seq), data))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    await asyncio.gather(*(member_loop(m) for m in members))
    if tasks:
        await asyncio.gather(*tasks)


async def subscribe(client: SequencerClient, tracker: Tracker) -> None:
    async for event in client.subscribe(0):
        t = time.monotonic()
        if isinstance(event, Deliver):
            for envelope in event.batch.envelopes:
                tracker.arrived[TAG.unpack_from(envelope.payload)] = t


STAGES = (
    ("SendAsync: decode, verify, dedup, enqueue", "api/service.py", ("SendAsync",)),
    ("Subscribe: store reads, stream out", "api/service.py", ("Subscribe",)),
    ("reader: fetch logs, derive, commit", "reader/chain_reader.py", ("step",)),
    ("writer: ingest, pack", "writer/batch_writer.py", ("_ingest_loop", "_batch_loop")),
    ("writer: tx manager (sign, send, follow)", "writer/tx_manager.py", ("run",)),
)


OTHER_STAGE = "other: gRPC/asyncio machinery"


def stage_times(stats: pstats.Stats) -> tuple[list[tuple[str, float]], float, float]:
    """Main-thread time of the node by stage (cumulative time of each stage's entry
    points, the rest as ``OTHER_STAGE``), the total profiled and the idle time in epoll."""
    raw = stats.stats  # type: ignore[attr-defined]
    total = stats.total_tt  # type: ignore[attr-defined]
    idle = sum(v[3] for k, v in raw.items() if k[2] == "<method 'poll' of 'select.epoll' objects>")
    busy = total - idle
    out = []
    for name, path, functions in STAGES:
        t = sum(v[3] for k, v in raw.items() if k[0].endswith(path) and k[2] in functions)
        out.append((name, t))
    out.append((OTHER_STAGE, busy - sum(t for _, t in out)))
    return out, total, idle


def print_stages(stats: pstats.Stats) -> tuple[tuple[str, float], ...]:
    """Print the node's time by stage; returns each stage's share of the busy time."""
    times, total, idle = stage_times(stats)
    print(f"--- node seq1 main thread: {total:.1f}s profiled, {idle:.1f}s idle in epoll")
    busy = max(total - idle, 1e-9)
    for name, t in times:
        print(f"  {name:<44} {t:6.1f}s {t / busy:6.1%} of busy")
    return tuple((name, t / busy) for name, t in times)


def burst_rate(arrivals: list[float], start: float, end: float, gap: float) -> float:
    """Deliveries per second over whole bursts (one per block) starting in [start, end]."""
    bursts: list[list[float]] = []
    for t in arrivals:
        if bursts and t - bursts[-1][-1] <= gap:
            bursts[-1].append(t)
        else:
            bursts.append([t])
    inside = [b for b in bursts if start <= b[0] <= end]
    if len(inside) >= 3:
        return sum(len(b) for b in inside[1:]) / (inside[-1][0] - inside[0][0])
    window = [t for t in arrivals if start <= t <= end]
    return len(window) / max(end - start, 1e-9)


async def wait_drained(tracker: Tracker, phase: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while tracker.pending(phase) and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.2)


async def chain_figures(
    rpc_url: str, inbox_address: str, from_block: int, window: tuple[float, float]
) -> tuple[float, str, float, float]:
    """Gas per payload byte over every batch, how the batches filled the blocks, the
    share of the block gas limit that batches used in the blocks stamped within ``window``
    (wall-clock seconds: the measured part of the saturation phase), and the batch bytes
    per request beyond its payload."""
    w3 = await connect(rpc_url)
    inbox = InboxContract(w3, inbox_address)
    head = await w3.eth.block_number
    gas = payload = requests = 0
    events = await inbox.batches(from_block, head)
    per_block: dict[int, int] = {}
    gas_in_block: dict[int, int] = {}
    for event in events:
        receipt = await w3.eth.get_transaction_receipt(HexBytes(event.tx_hash))
        gas += int(receipt["gasUsed"])
        per_block[event.block_number] = per_block.get(event.block_number, 0) + 1
        gas_in_block[event.block_number] = gas_in_block.get(event.block_number, 0) + int(
            receipt["gasUsed"]
        )
        for signed in decode_batch(event.batch).requests:
            payload += sum(len(e.payload) for e in signed.request.batch.envelopes)
            requests += 1
    fill_used = fill_limit = 0
    for number in range(from_block, head + 1):
        block = await w3.eth.get_block(number)
        if window[0] <= int(block["timestamp"]) <= window[1]:
            fill_used += gas_in_block.get(number, 0)
            fill_limit += int(block["gasLimit"])
    await w3.provider.disconnect()
    mean_size = statistics.mean(len(e.batch) for e in events) if events else 0
    shape = (
        f"{len(events)} batches, mean {mean_size / 1000:.1f} kB, "
        f"at most {max(per_block.values(), default=0)} per block"
    )
    fill = fill_used / fill_limit if fill_limit else float("nan")
    batch_bytes = sum(len(e.batch) for e in events)
    overhead = (batch_bytes - payload) / requests if requests else float("nan")
    return (gas / payload if payload else float("nan")), shape, fill, overhead


async def one_run(size: int, nodes: int, args: argparse.Namespace) -> RunResult:
    members = [make_member(i) for i in range(args.members)]
    block_time = args.block_time
    with (
        tempfile.TemporaryDirectory(prefix="bench-seq-") as tmp,
        ManagedAnvil(AnvilConfig(block_time=block_time)) as anvil,
    ):
        workdir = Path(tmp)
        w3 = await connect(anvil.rpc_url)
        owner = dev_account(0, 31337)
        record = await deploy_inbox(w3, owner, domain_id_bytes(DOMAIN), domain_name=str(DOMAIN))
        inbox = InboxContract(w3, record.address)
        for i in range(1, nodes + 1):
            data = inbox.calldata("addWriter", dev_account(i, 31337).address)
            await send_transaction(w3, owner, to=record.address, data=data)
        gas_limit = int((await w3.eth.get_block("latest"))["gasLimit"])
        await w3.provider.disconnect()
        capacity = gas_limit / FLOOR_GAS_PER_NONZERO_BYTE / block_time
        record.save(workdir / "inbox.json")
        infos = [MemberInfo(m.member, (m.key.public_key,), True) for m in members]
        (workdir / "members.toml").write_text(render_members_file(infos))

        procs: list[asyncio.subprocess.Process] = []
        targets: list[str] = []
        profile_to = workdir / "node1.prof" if args.profile else None
        ca = DevnetCa(workdir / "tls") if args.tls else None
        tls = ClientTls(ca.ca_file) if ca is not None else None
        try:
            for i in range(1, nodes + 1):
                config = write_config(
                    workdir,
                    anvil.rpc_url,
                    f"seq{i}",
                    i,
                    args.confirmations,
                    args.linger,
                    ca.node(f"seq{i}") if ca is not None else None,
                )
                proc, target = await start_node(config, profile_to if i == 1 else None)
                procs.append(proc)
                targets.append(target)
            clients = [
                SequencerClient(targets[m.index % nodes], m.member, m.key, tls=tls) for m in members
            ]
            for c in clients:
                await c.authenticate()
            tracker = Tracker()
            subs = [asyncio.create_task(subscribe(c, tracker)) for c in clients]

            # Saturation: offered load above capacity.
            offered = args.overload * capacity / size
            per_member = offered / len(members)
            count = max(1, round(per_member * args.seconds))
            requests = presign(members, SATURATION, count, size)
            cpu0 = [cpu_seconds(p.pid) for p in procs]
            own0, wall0 = time.process_time(), time.monotonic()
            t0 = time.monotonic()
            t0_wall = time.time()
            await offer(clients, members, requests, SATURATION, per_member, tracker)
            t1 = time.monotonic()
            t1_wall = time.time()
            wall = t1 - wall0
            cpu = [(cpu_seconds(p.pid) - c) / wall for p, c in zip(procs, cpu0, strict=True)]
            own = (time.process_time() - own0) / wall
            await wait_drained(tracker, SATURATION, args.drain_timeout)
            rate = burst_rate(tracker.arrivals(SATURATION), t0 + args.warmup, t1, 0.25 * block_time)

            # Half load: half of what saturation delivered.
            half = rate / 2
            count = max(1, round(half / len(members) * args.half_seconds))
            requests = presign(members, HALF, count, size)
            h0 = time.monotonic()
            await offer(clients, members, requests, HALF, half / len(members), tracker)
            await wait_drained(tracker, HALF, args.drain_timeout)
            latencies = sorted(
                (tracker.arrived[k] - t) * 1000
                for k, t in tracker.sent.items()
                if k[0] == HALF and k in tracker.arrived and t >= h0 + 1.0
            )
            lost = tracker.pending(SATURATION) + tracker.pending(HALF)
            for task in subs:
                task.cancel()
            for c in clients:
                await c.close()
            gas_per_byte, shape, fill, overhead = await chain_figures(
                anvil.rpc_url, record.address, record.deploy_block, (t0_wall + args.warmup, t1_wall)
            )
        finally:
            for proc in procs:
                await stop_node(proc)
        stages: tuple[tuple[str, float], ...] = ()
        if args.profile and profile_to is not None and profile_to.exists():
            print(f"--- cProfile of node seq1 ({size} B, {nodes} node(s)), top by own time")
            stats = pstats.Stats(str(profile_to))
            stats.sort_stats("tottime").print_stats(args.profile_lines)
            stats.sort_stats("cumulative").print_stats(r"sequencer_chain", args.profile_lines)
            stages = print_stages(stats)
        if lost:
            print(f"warning: {lost} accepted envelopes not delivered", file=sys.stderr)
        p50 = statistics.median(latencies) if latencies else float("nan")
        p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] if latencies else 0
        cpu_text = " ".join(f"seq{i + 1}={c:.0%}" for i, c in enumerate(cpu)) + f" bench={own:.0%}"
        return RunResult(
            size=size,
            nodes=nodes,
            envelopes_per_s=rate,
            payload_bytes_per_s=rate * size,
            capacity_bytes_per_s=capacity,
            offered_per_s=offered,
            half_rate=half,
            p50_ms=p50,
            p99_ms=float(p99),
            gas_per_byte=gas_per_byte,
            refused=tracker.refused + tracker.failed,
            cpu=cpu_text,
            batches=shape,
            block_fill=fill,
            stages=stages,
            overhead_per_request=overhead,
        )


def parse_size(text: str) -> int:
    text = text.strip().lower()
    if text.endswith("k"):
        return int(text[:-1]) * 1024
    return int(text)


def median_result(runs: list[RunResult]) -> RunResult:
    def med(attr: str) -> float:
        return float(statistics.median(getattr(r, attr) for r in runs))

    first = runs[0]
    return RunResult(
        size=first.size,
        nodes=first.nodes,
        envelopes_per_s=med("envelopes_per_s"),
        payload_bytes_per_s=med("payload_bytes_per_s"),
        capacity_bytes_per_s=first.capacity_bytes_per_s,
        offered_per_s=first.offered_per_s,
        half_rate=med("half_rate"),
        p50_ms=med("p50_ms"),
        p99_ms=med("p99_ms"),
        gas_per_byte=med("gas_per_byte"),
        refused=max(r.refused for r in runs),
        cpu=first.cpu,
        batches=first.batches,
        block_fill=med("block_fill"),
        overhead_per_request=med("overhead_per_request"),
        stages=next((r.stages for r in runs if r.stages), ()),
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1k,16k", help="comma-separated envelope sizes")
    parser.add_argument("--nodes", default="1,2", help="node counts to run, in order")
    parser.add_argument("--members", type=int, default=8, help="K sending members")
    parser.add_argument("--runs", type=int, default=1, help="runs per configuration (median)")
    parser.add_argument("--seconds", type=float, default=10.0, help="saturation phase length")
    parser.add_argument("--overload", type=float, default=1.3, help="offered load / capacity")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds not measured")
    parser.add_argument("--half-seconds", type=float, default=6.0, help="half-load phase length")
    parser.add_argument("--drain-timeout", type=float, default=30.0)
    parser.add_argument("--block-time", type=float, default=1.0)
    parser.add_argument("--confirmations", type=int, default=0, help="node confirmation depth")
    parser.add_argument("--linger", type=float, default=0.05, help="writer linger_s")
    parser.add_argument("--profile", action="store_true", help="cProfile node seq1")
    parser.add_argument(
        "--tls", action="store_true", help="nodes and members over TLS (a throwaway CA)"
    )
    parser.add_argument("--profile-lines", type=int, default=15)
    args = parser.parse_args()
    sizes = [parse_size(s) for s in args.sizes.split(",")]
    node_counts = [int(n) for n in args.nodes.split(",")]
    print(
        f"K={args.members} members, anvil --block-time {args.block_time:g}, "
        f"confirmations={args.confirmations}, linger={args.linger:g}s, "
        f"saturation {args.seconds:g}s at {args.overload:g}x capacity",
        flush=True,
    )
    final: RunResult | None = None
    for nodes in node_counts:
        for size in sizes:
            r = median_result([await one_run(size, nodes, args) for _ in range(args.runs)])
            cap = r.capacity_bytes_per_s
            print(f"== {nodes} node(s), envelope {size} B", flush=True)
            rows = [
                ("offered (env/s)", f"{r.offered_per_s:.0f}"),
                ("delivered (env/s)", f"{r.envelopes_per_s:.1f}"),
                ("payload bytes/s", f"{r.payload_bytes_per_s:.0f}"),
                ("capacity bytes/s", f"{cap:.0f}"),
                ("of capacity", f"{r.payload_bytes_per_s / cap:.1%}  (target >= 90%)"),
                ("half load (env/s)", f"{r.half_rate:.1f}"),
                (
                    "p50 / p99 latency",
                    f"{r.p50_ms:.0f} / {r.p99_ms:.0f} ms  (target p50 <= "
                    f"{1500 * args.block_time:.0f})",
                ),
                (
                    "gas / payload byte",
                    f"{r.gas_per_byte:.2f}  (target <= {1.05 * FLOOR_GAS_PER_NONZERO_BYTE:.0f})",
                ),
                ("batches on chain", r.batches),
                (
                    "bytes per request",
                    f"payload {size} + {r.overhead_per_request:.1f} on chain (compressed; "
                    f"{SIGNATURE_BYTES} of it the signature)",
                ),
                ("refused/failed sends", str(r.refused)),
                ("CPU at saturation", r.cpu),
                ("blocks full", f"{r.block_fill:.0%} (batch gas / block gas limit)"),
            ]
            for name, value in rows:
                print(f"  {name:<22} {value}", flush=True)
            missed = missed_targets(r, args.block_time)
            if not missed:
                print("  targets: all met", flush=True)
            for target in missed:
                print(f"TARGET MISSED: {target}", flush=True)
                if target.startswith("gas/byte"):
                    print(
                        f"  gas floor: {SIGNATURE_BYTES}-byte signature per {size}-byte "
                        f"payload alone costs {gas_floor_per_byte(size):.2f} gas per payload "
                        f"byte (40 x ({size} + {SIGNATURE_BYTES}) / {size}); measured "
                        f"{FLOOR_GAS_PER_NONZERO_BYTE * (size + r.overhead_per_request) / size:.2f}"
                        f" from the bytes on chain, {r.gas_per_byte:.2f} with each "
                        "transaction's base cost",
                        flush=True,
                    )
            if missed and missed[0].startswith("throughput"):
                if r.block_fill < FULL_BLOCKS and not r.stages:
                    print("  profiling one more run of node seq1 to name the limit", flush=True)
                    profile_args = argparse.Namespace(**{**vars(args), "profile": True})
                    profiled = await one_run(size, nodes, profile_args)
                    r = dataclasses.replace(r, stages=profiled.stages)
                print(f"  {limit_verdict(r)}", flush=True)
            final = r
    assert final is not None
    print(
        f"RESULT envelopes_per_s={final.envelopes_per_s:.1f} "
        f"payload_bytes_per_s={final.payload_bytes_per_s:.0f} "
        f"capacity_bytes_per_s={final.capacity_bytes_per_s:.0f} "
        f"p50_ms={final.p50_ms:.0f} p99_ms={final.p99_ms:.0f} "
        f"gas_per_byte={final.gas_per_byte:.2f}"
    )


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
