"""The chain reader: reads the ordering contract's events behind the head and stores what
derivation makes of them. It is the only task that writes derived data to the store.

One step (:meth:`ChainReader.step`):

1. Read the head block's header (``eth_getBlockByNumber("latest")``). If it is the very
   block (number and hash) the cursor was last found under, the chain has not changed
   since (a block hash commits to every ancestor): nothing more is asked. Otherwise check
   the stored cursor block against the chain: against the head itself (cursor at the
   head), its parent hash (cursor one below), or the cursor height's header. If its hash
   changed, the chain reorganised below the cursor: find the newest stored block the
   chain still has (the common ancestor), roll the store back to it in one transaction,
   reload the state.
2. Choose ``to = min(head - confirmations, cursor + width)``, where the width adapts to
   what the endpoint answers (below, "Range width").
3. One block (``to = cursor + 1``, the steady state): take the header of ``to`` (the head
   header already read, if it is the head), require its parent hash to be the cursor's
   hash, and read the block's ``BatchAppended`` logs by block hash (EIP-234). Logs by
   hash belong to that block whatever the chain did since, and the parent hash ties the
   block to the cursor, so nothing is read twice.
   Several blocks: read the header of ``to``, the ``BatchAppended`` logs of ``(cursor,
   to]`` and the header of every block with a log, then the header of ``to`` and of the
   cursor again. If any log is ``removed``, names a block hash other than its header's, or
   either header changed meanwhile, the chain moved under the read: nothing is stored and
   the step is retried. Otherwise the logs form one consistent history on top of the cursor.
4. Derive every event in (block, log index) order and commit the events, the counters,
   the dedup entries and the new cursor rows in one transaction.

Requests per step (``docs/sequencer.md`` §3, "Request budget"): an idle poll is one
request; a new block is two (head header, logs by hash) when the cursor follows the head
(``confirmations = 0``), three otherwise (the header of ``to`` as well).

Every call goes through the chain provider (``sequencer_chain/provider/``), once: an RPC
failure fails the step, and the step is retried with backoff (every call here is a read,
and a step stores nothing until it has read everything); a broken hash chain or a reorg
deeper than the stored blocks stops the reader with an error, loudly.

Range width (``docs/sequencer.md`` §1, "Range width"): ``eth_getLogs`` over many blocks of
full batches can exceed what the endpoint answers (response size, result count, block
range, time). A range refused for that, timed out or answered truncated
(``contract/log_range.py`` tells those from other failures) is not asked again: the width
is halved (or cut to the range the endpoint suggests) and the step retried at once. Each
successful read grows it by a quarter, up to ``max_blocks_per_step``. A single block that
still fails is :class:`BlockLogsUnreadableError`, retried with backoff, shown in
:attr:`ChainReader.unreadable_block` (metrics) and, after ``UNREADY_AFTER_ATTEMPTS``
failures in a row, in the node's readiness.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from web3 import AsyncWeb3

from protocol.crypto.signing import SignatureCache
from protocol.identifiers import DomainId, MemberId
from protocol.sequencing_time import TimeBounds
from protocol.timestamp import MICROS_PER_SECOND, Timestamp
from sequencer_chain.contract.inbox import ZERO_HASH, BatchAppended, InboxContract
from sequencer_chain.contract.log_range import AdaptiveRange, suggested_width
from sequencer_chain.errors import (
    BlockLogsUnreadableError,
    ChainConnectionError,
    DerivationError,
    LogsRangeError,
    ReorgTooDeepError,
)
from sequencer_chain.members import MemberLookup
from sequencer_chain.provider import NO_RETRY, BlockHeader, ChainProvider, RpcTimeouts
from sequencer_chain.reader.derivation import (
    DEFAULT_BOUNDS,
    DerivationState,
    derive_batch,
    purge_dedup,
)
from sequencer_chain.sequencer_topology import SequencerTopology
from sequencer_chain.store.event_store import (
    Cursor,
    DedupEntry,
    EventStore,
    StepWrite,
    StoredEvent,
)

log = logging.getLogger(__name__)

UNREADY_AFTER_ATTEMPTS = 3
"""Failed reads of one block alone after which :meth:`ChainReader.problem` reports it."""


@dataclass(frozen=True, slots=True)
class ReaderConfig:
    """How the reader follows the chain. Every node of a domain must agree on ``bounds``
    and ``start_block``; the rest is local."""

    start_block: int
    """The contract's deployment block; the first block whose logs are read."""
    confirmations: int = 2
    """Blocks that must be on top of a block before it is read (0: read the head)."""
    poll_interval_s: float = 0.5
    """Pause between looks at the head once caught up."""
    max_blocks_per_step: int = 1_000
    """Widest ``eth_getLogs`` range in one step; the reader narrows it while the endpoint
    refuses or times out wider ones (module docstring, "Range width")."""
    rpc_timeout_s: float = 10.0
    """Timeout of every RPC call."""
    retry_max_s: float = 5.0
    """Longest backoff between retries after an RPC failure."""
    keep_blocks: int = 512
    """Block rows (and acknowledged events) are kept this many blocks below the cursor:
    the deepest reorg the node can roll back."""
    dedup_retention_us: int = 600 * MICROS_PER_SECOND
    """Dedup entries are kept this long after their max sequencing time, so a rollback
    (which moves time back) never needs one that was purged."""
    prune_every_steps: int = 100
    bounds: TimeBounds = DEFAULT_BOUNDS

    def __post_init__(self) -> None:
        if self.start_block < 1:
            raise ValueError(f"start_block must be >= 1, got {self.start_block}")
        if self.confirmations < 0:
            raise ValueError(f"confirmations must be >= 0, got {self.confirmations}")
        if self.max_blocks_per_step < 1:
            raise ValueError(f"max_blocks_per_step must be >= 1, got {self.max_blocks_per_step}")


class _ChainMovedError(Exception):
    """The chain changed while a step read it; retry the step."""


class ChainReader:
    """Follows the chain and derives the event stream into an :class:`EventStore`."""

    def __init__(
        self,
        *,
        w3: AsyncWeb3[Any],
        inbox: InboxContract,
        store: EventStore,
        members: MemberLookup,
        domain_id: DomainId,
        config: ReaderConfig,
        topology: SequencerTopology | None = None,
        signatures: SignatureCache | None = None,
    ) -> None:
        self.w3 = w3
        self.chain = ChainProvider(w3, RpcTimeouts(config.rpc_timeout_s), NO_RETRY)
        """Every call once: the step is the unit of retry (:meth:`run`)."""
        self.signatures = signatures
        """Signature checks the node's API already made (``derive_batch``); may be None."""
        self.topology = topology
        """Processes topology broadcasts (derivation rule 6); usually also ``members``."""
        self.inbox = inbox
        self.store = store
        self.members = members
        self.domain_id = domain_id
        self.config = config
        self.state: DerivationState | None = None
        self.cursor: Cursor | None = None
        self.caught_up = asyncio.Event()
        """Set once a step found nothing left to read below ``head - confirmations``."""
        self.rollbacks = 0
        self.skipped_batches: list[int] = []
        self._steps = 0
        self._checked_head: BlockHeader | None = None
        """The head header under which the cursor was last found on the chain: while the
        head is this block, the chain below it is unchanged and the cursor needs no check."""
        self.log_range = AdaptiveRange(config.max_blocks_per_step)
        """The current ``eth_getLogs`` width (module docstring, "Range width")."""
        self.unreadable_block: int | None = None
        """A block whose logs the endpoint failed to give even alone, until it does."""
        self.unreadable_attempts = 0
        self.last_unreadable: BlockLogsUnreadableError | None = None

    # ------------------------------------------------------------------ rpc helpers

    async def _logs(
        self, call: Callable[[], Awaitable[list[BatchAppended]]], first: int, last: int
    ) -> list[BatchAppended]:
        """One ``eth_getLogs`` (by range or by block hash) for blocks ``first..last``: a
        failure a narrower range may avoid is a :class:`LogsRangeError`, any other a
        :class:`ChainConnectionError` like every read."""
        try:
            return await self.chain.logs(first, last, call)
        except ValueError as exc:  # a log that does not decode as BatchAppended
            raise DerivationError(f"undecodable BatchAppended log: {exc}") from exc

    def problem(self) -> str | None:
        """Why the reader cannot go on by itself, for the node's readiness; None if none."""
        error = self.last_unreadable
        if error is not None and self.unreadable_attempts >= UNREADY_AFTER_ATTEMPTS:
            return str(error)
        return None

    async def _header(self, number: int) -> BlockHeader | None:
        return await self.chain.header(number)

    # ------------------------------------------------------------------ lifecycle

    async def load(self) -> None:
        """Read the cursor and state from the store, initialising an empty store."""
        cursor = await self.store.cursor()
        if cursor is None:
            before = self.config.start_block - 1
            header = await self._header(before)
            if header is None:
                raise DerivationError(f"start block {before} is not on the chain")
            cursor = Cursor(before, header.hash, 0, ZERO_HASH, None)
            await self.store.initialize(cursor)
        self.cursor = cursor
        self._checked_head = None
        self.state = DerivationState(
            next_batch_seq=cursor.next_batch_seq,
            acc=cursor.acc,
            last_timestamp=cursor.last_timestamp,
            counters=await self.store.load_counters(),
            dedup=await self.store.load_dedup(),
        )
        if self.topology is not None:
            self.topology.reload()

    async def run(self) -> None:
        """Step forever; retry RPC failures with backoff, stop on derivation errors."""
        if self.state is None:
            await self._retrying(self.load)
        delay = self.config.poll_interval_s
        while True:
            try:
                progressed = await self.step()
                delay = self.config.poll_interval_s
            except ChainConnectionError as exc:
                log.warning("chain read failed, retrying in %.1fs: %s", delay, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.config.retry_max_s)
                continue
            except _ChainMovedError as exc:
                log.info("chain moved during a read, retrying: %s", exc)
                continue
            if not progressed:
                await asyncio.sleep(self.config.poll_interval_s)

    async def _retrying(self, fn: Any) -> None:
        delay = self.config.poll_interval_s
        while True:
            try:
                await fn()
                return
            except ChainConnectionError as exc:
                log.warning("chain read failed, retrying in %.1fs: %s", delay, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.config.retry_max_s)

    # ------------------------------------------------------------------ one step

    async def step(self) -> bool:
        """Read and derive one range of blocks; returns whether the cursor moved."""
        if self.state is None or self.cursor is None:
            await self.load()
        cursor = self.cursor
        assert cursor is not None  # set by load()
        head = await self.chain.head()
        target = head.number - self.config.confirmations
        to = min(target, cursor.block_number + self.log_range.current)
        one_block = to == cursor.block_number + 1
        if head != self._checked_head and not one_block:
            # One block is tied to the cursor by its parent hash in _read_block instead.
            if not await self._cursor_on_chain(cursor, head):
                self._checked_head = None
                await self._roll_back(cursor, head.number)
                return True
            self._checked_head = head
        if target <= cursor.block_number:
            self.caught_up.set()
            return False
        try:
            if one_block:
                read = await self._read_block(cursor, head)
                if read is None:  # the block above the cursor has another parent
                    self._checked_head = None
                    await self._roll_back(cursor, head.number)
                    return True
                batches, headers = read
            else:
                batches, headers = await self._read_range(cursor, to, head)
        except _ChainMovedError:
            self._checked_head = None  # the next step checks the cursor on its own
            raise
        except LogsRangeError as exc:
            self._range_failed(exc)
            return True  # narrower: step again at once
        self._checked_head = head
        self._logs_read(to)
        await self._derive_and_commit(cursor, to, batches, headers)
        if to == target:
            self.caught_up.set()
        self._steps += 1
        if self._steps % self.config.prune_every_steps == 0:
            deleted = await self.store.prune(to - self.config.keep_blocks)
            if deleted:
                log.info("pruned %d acknowledged events", deleted)
        return True

    def _range_failed(self, exc: LogsRangeError) -> None:
        """Narrow the width after a range failed; a single block raises, for backoff."""
        width = exc.last - exc.first + 1
        if width > 1:
            now = self.log_range.shrink(width, suggested_width(exc.range_detail))
            log.warning(
                "eth_getLogs of blocks %d..%d (%d blocks) failed (%s: %s); reading %d at a time",
                exc.first,
                exc.last,
                width,
                exc.failure,
                exc.range_detail,
                now,
            )
            return
        if self.unreadable_block == exc.first:
            self.unreadable_attempts += 1
        else:
            self.unreadable_block, self.unreadable_attempts = exc.first, 1
        error = BlockLogsUnreadableError(
            self.chain.endpoint,
            exc.first,
            exc.failure,
            exc.range_detail,
            self.unreadable_attempts,
        )
        self.last_unreadable = error
        log.error("%s", error)
        raise error from exc

    def _logs_read(self, to: int) -> None:
        """The logs up to ``to`` were read: widen again, forget a block that failed."""
        if self.unreadable_block is not None and to >= self.unreadable_block:
            log.info(
                "the logs of block %d were read after %d failed attempts",
                self.unreadable_block,
                self.unreadable_attempts,
            )
            self.unreadable_block, self.unreadable_attempts = None, 0
            self.last_unreadable = None
        self.log_range.grow()

    async def _cursor_on_chain(self, cursor: Cursor, head: BlockHeader) -> bool:
        """Whether the cursor block is on the chain whose head is ``head``: compared with
        the head or its parent hash when it is that close, otherwise read by number."""
        if cursor.block_number > head.number:
            return False
        if cursor.block_number == head.number:
            return head.hash == cursor.block_hash
        if cursor.block_number == head.number - 1:
            return head.parent_hash == cursor.block_hash
        header = await self._header(cursor.block_number)
        return header is not None and header.hash == cursor.block_hash

    async def _read_block(
        self, cursor: Cursor, head: BlockHeader
    ) -> tuple[list[BatchAppended], dict[int, BlockHeader]] | None:
        """The logs of the one block above the cursor, tied to it by the parent hash; None
        if that block's parent is not the cursor block (the chain reorganised below it)."""
        to = cursor.block_number + 1
        header = head if head.number == to else await self._header(to)
        if header is None:
            raise _ChainMovedError(f"block {to} vanished")
        if header.parent_hash != cursor.block_hash:
            return None
        batches = await self._logs(lambda: self.inbox.batches_in_block(header.hash), to, to)
        for batch in batches:
            if batch.removed or batch.block_number != to or batch.block_hash != header.hash:
                raise _ChainMovedError(
                    f"log of batch {batch.batch_seq} is not of block {to} as read "
                    f"(block {batch.block_number}, removed {batch.removed})"
                )
        return batches, {to: header}

    async def _read_range(
        self, cursor: Cursor, to: int, head: BlockHeader
    ) -> tuple[list[BatchAppended], dict[int, BlockHeader]]:
        first = head if head.number == to else await self._header(to)
        if first is None:
            raise _ChainMovedError(f"block {to} vanished")
        first_block = cursor.block_number + 1
        batches = await self._logs(lambda: self.inbox.batches(first_block, to), first_block, to)
        headers: dict[int, BlockHeader] = {to: first}
        for number in sorted({b.block_number for b in batches}):
            if number not in headers:
                header = await self._header(number)
                if header is None:
                    raise _ChainMovedError(f"block {number} vanished")
                headers[number] = header
        for batch in batches:
            if batch.removed:
                raise _ChainMovedError(f"log of batch {batch.batch_seq} was removed")
            if headers[batch.block_number].hash != batch.block_hash:
                raise _ChainMovedError(f"batch {batch.batch_seq}'s block changed during the read")
        again = await self._header(to)
        if again is None or again.hash != first.hash:
            raise _ChainMovedError(f"block {to} changed during the read")
        if not await self._cursor_on_chain(cursor, again):
            raise _ChainMovedError(f"cursor block {cursor.block_number} changed during the read")
        return batches, headers

    async def _derive_and_commit(
        self,
        cursor: Cursor,
        to: int,
        batches: list[BatchAppended],
        headers: dict[int, BlockHeader],
    ) -> None:
        state = self.state
        assert state is not None  # set by load()
        events: list[StoredEvent] = []
        dedup: list[DedupEntry] = []
        rows: list[Cursor] = []
        touched: set[MemberId] = set()
        try:
            for i, batch in enumerate(batches):
                derived = derive_batch(
                    state,
                    batch,
                    headers[batch.block_number].timestamp,
                    domain_id=self.domain_id,
                    members=self.members,
                    bounds=self.config.bounds,
                    topology=self.topology,
                    signatures=self.signatures,
                )
                if derived.skipped is not None:
                    self.skipped_batches.append(batch.batch_seq)
                events.extend(derived.events)
                dedup.extend(derived.dedup)
                touched.update(e.member for e in derived.events)
                last_in_block = i + 1 == len(batches) or batches[i + 1].block_number != (
                    batch.block_number
                )
                if last_in_block and batch.block_number != to:
                    rows.append(self._row(batch.block_number, headers[batch.block_number]))
            rows.append(self._row(to, headers[to]))
        except BaseException:
            await self.load()  # derivation state may be half-advanced
            raise
        purge_before = None
        if state.last_timestamp is not None:
            purge_before = Timestamp(max(0, state.last_timestamp - self.config.dedup_retention_us))
            purge_dedup(state, purge_before)
        step = StepWrite(
            blocks=tuple(rows),
            events=tuple(events),
            counters={m: state.counters[m] for m in touched},
            dedup=tuple(dedup),
            dedup_purge_before=purge_before,
        )
        try:
            if self.topology is not None:
                await self.topology.flush()
            await self.store.commit_step(step)
        except BaseException:
            await self.load()
            raise
        self.cursor = rows[-1]
        if events:
            log.debug(
                "blocks %d..%d: %d batches, %d events",
                cursor.block_number + 1,
                to,
                len(batches),
                len(events),
            )

    def _row(self, number: int, header: BlockHeader) -> Cursor:
        state = self.state
        assert state is not None
        return Cursor(number, header.hash, state.next_batch_seq, state.acc, state.last_timestamp)

    # ------------------------------------------------------------------ reorgs

    async def _roll_back(self, cursor: Cursor, head: int) -> None:
        """Find the newest stored block still on the chain and roll the store back to it."""
        below = min(cursor.block_number, head)
        while True:
            known = await self.store.known_blocks(below, limit=64)
            if not known:
                oldest = await self.store.known_blocks(cursor.block_number, limit=1_000_000)
                raise ReorgTooDeepError(
                    cursor.block_number, oldest[-1][0] if oldest else cursor.block_number
                )
            for number, block_hash in known:
                header = await self._header(number)
                if header is not None and header.hash == block_hash:
                    rollback = await self.store.rollback(number)
                    self.rollbacks += 1
                    log.warning(
                        "chain reorganised below block %d: rolled back to block %d, "
                        "removing events from counters %s",
                        cursor.block_number,
                        number,
                        rollback.first_removed,
                    )
                    self.caught_up.clear()
                    await self.load()
                    if self.topology is not None and self.cursor is not None:
                        undone = await self.topology.roll_back(self.cursor.last_timestamp)
                        if undone:
                            log.warning("reorg undid %d topology decisions", undone)
                    return
            below = known[-1][0] - 1
