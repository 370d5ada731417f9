"""The writer's public face: accept requests durably, batch them, hand batches to the chain.

:class:`BatchWriter` runs three tasks in one ``TaskGroup``:

* *ingest* groups concurrent :meth:`BatchWriter.enqueue` calls into one outbox transaction
  (one WAL sync for many requests) and only then acknowledges them;
* *batcher* waits until a batch is full or its oldest request has lingered ``linger_s``,
  and while fewer than ``max_in_flight`` batches are open packs a prefix of the pending
  requests with the :class:`~.packer.BatchPacker`;
* the :class:`~.tx_manager.TxManager`, the only owner of the account's nonce and writerSeq.

If any of them fails, the writer is FAILED: ``enqueue`` raises WriterStoppedError with the
cause, and everything accepted stays in the outbox for the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import AsyncWeb3

from sequencer_chain.errors import (
    DuplicateRequestError,
    FeeCapTooLowError,
    NotWriterError,
    RequestTooLargeError,
    WriterOverloadedError,
    WriterStoppedError,
)
from sequencer_chain.provider import connect
from sequencer_chain.writer.fees import block_filling_size, full_batch_gas
from sequencer_chain.writer.outbox import Outbox, OutboxIdentity, PendingRequest
from sequencer_chain.writer.packer import BatchPacker
from sequencer_chain.writer.rpc import ChainRpc
from sequencer_chain.writer.tx_manager import Counters, NewBatch, TxManager
from sequencer_chain.writer.types import RequestId, WriterConfig, WriterMetrics, WriterState

log = logging.getLogger(__name__)

INGEST_GROUP_MAX = 2_000
"""Most requests committed in one outbox transaction."""
PACK_INPUT_FACTOR = 8
"""Offer the packer at most this many times the batch size in raw request bytes (it may
compress); more could not fit anyway."""
DRAIN_POLL_S = 0.05

_Ingest = tuple[bytes, bytes, "asyncio.Future[RequestId]"]


class BatchWriter:
    """Turns accepted submission requests into ``submit(writerSeq, batch)`` transactions.

    Usage::

        writer = BatchWriter(rpc_url=..., inbox_address=..., account=..., outbox_path=...,
                             packer=...)
        await writer.start()
        request_id = await writer.enqueue(request_bytes, message_key)  # durable on return
        ...
        await writer.stop()
    """

    def __init__(
        self,
        *,
        inbox_address: str,
        account: LocalAccount,
        outbox_path: Path,
        packer: BatchPacker,
        rpc_url: str | None = None,
        w3: AsyncWeb3[Any] | None = None,
        config: WriterConfig | None = None,
        clock_us: Callable[[], int] | None = None,
    ) -> None:
        if (rpc_url is None) == (w3 is None):
            raise ValueError("give exactly one of rpc_url and w3")
        self.config = config or WriterConfig()
        self.account = account
        self.inbox_address = inbox_address
        self.outbox_path = outbox_path
        self._packer = packer
        self._rpc_url = rpc_url
        self._w3 = w3
        self._owns_w3 = w3 is None
        self._clock_us = clock_us or (lambda: time.time_ns() // 1_000)
        self._state = WriterState.NEW
        self._failure: BaseException | None = None
        self._counters = Counters()
        self._outbox: Outbox | None = None
        self._manager: TxManager | None = None
        self._main: asyncio.Task[None] | None = None
        self._ingest: asyncio.Queue[_Ingest] = asyncio.Queue()
        self._pending: deque[tuple[float, PendingRequest]] = deque()
        self._pending_raw = 0
        self._wake = asyncio.Event()
        self._base_count = 0
        self._base_bytes = 0
        self._accepted_bytes = 0
        self._reserved_count = 0
        self._reserved_bytes = 0
        self.max_batch_size = 0
        """Bytes per batch in use: the contract's maximum, or less if configured."""
        self._last_cut = float("-inf")
        """Loop time at which the batcher last handed a batch over."""
        self._expansion = 1.0
        """Request bytes per batch byte in the last batch of at least half the size
        (compression makes it > 1): how many pending request bytes make a full batch."""

    # ------------------------------------------------------------------ lifecycle

    @property
    def state(self) -> WriterState:
        return self._state

    @property
    def failure(self) -> BaseException | None:
        """Why the writer is FAILED, if it is."""
        return self._failure

    @property
    def fee_cap_error(self) -> FeeCapTooLowError | None:
        """Set while the chain needs more per gas than ``max_fee_per_gas_cap``."""
        return self._manager.last_fee_error if self._manager is not None else None

    async def start(self) -> None:
        """Connect, check the account may write, open the outbox and recover from the chain.

        Returns once recovery is done and requests are being written.
        """
        if self._state is not WriterState.NEW:
            raise WriterStoppedError(self._state.value, self._failure)
        try:
            await self._open()
        except BaseException as exc:
            self._state, self._failure = WriterState.FAILED, exc
            if self._main is not None and not self._main.done():
                self._main.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._main
            await self._close()
            raise
        if self.state is not WriterState.RUNNING:  # recovery failed: _supervise closed all
            raise WriterStoppedError(self._state.value, self._failure)

    async def _open(self) -> None:
        if self._w3 is None:
            assert self._rpc_url is not None  # checked in __init__
            self._w3 = await connect(self._rpc_url, self.config.rpc_timeout_s)
        rpc = ChainRpc(
            self._w3,
            self.inbox_address,
            timeout_s=self.config.rpc_timeout_s,
            read_retries=self.config.rpc_read_retries,
        )
        chain_id = await rpc.chain_id()
        if not await rpc.is_writer(self.account.address):
            raise NotWriterError(caller=self.account.address)
        contract_max = await rpc.max_batch_size()
        configured = self.config.max_batch_size
        self.max_batch_size = min(contract_max, configured) if configured else contract_max
        self._outbox = await Outbox.open(
            self.outbox_path,
            OutboxIdentity(chain_id, rpc.inbox.address, self.account.address),
        )
        for request in await self._outbox.unbatched():
            self._push_pending(request, arrived=float("-inf"))
        self._base_count, self._base_bytes = await self._outbox.totals()
        self._manager = TxManager(
            rpc,
            self.account,
            chain_id=chain_id,
            outbox=self._outbox,
            config=self.config,
            counters=self._counters,
            on_requeued=self._requeued,
        )
        self._state = WriterState.RUNNING
        self._main = asyncio.create_task(self._supervise(), name="batch-writer")
        ready = asyncio.create_task(self._manager.ready.wait())
        await asyncio.wait({ready, self._main}, return_when=asyncio.FIRST_COMPLETED)
        if not ready.done():
            ready.cancel()

    async def stop(self, *, drain: bool = False, timeout_s: float = 30.0) -> None:
        """Stop the tasks and close the outbox.

        With ``drain``, first wait (up to ``timeout_s``) until every accepted request is in a
        confirmed batch. Without it, whatever is not yet confirmed stays in the outbox and
        is finished by the next start: stopping never loses a request.
        """
        if self._state is WriterState.RUNNING and drain:
            deadline = time.monotonic() + timeout_s
            while self._state is WriterState.RUNNING and time.monotonic() < deadline:
                if self.metrics().pending_requests == 0 and self._ingest.empty():
                    break
                await asyncio.sleep(DRAIN_POLL_S)
            else:
                left = self.metrics()
                log.warning(
                    "stopping with %d requests (%d bytes) not yet confirmed; the next start "
                    "writes them",
                    left.pending_requests,
                    left.pending_bytes,
                )
        if self._state in (WriterState.RUNNING, WriterState.NEW):
            self._state = WriterState.STOPPING
        if self._main is not None and not self._main.done():
            self._main.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._main
        await self._close()

    async def _close(self) -> None:
        self._fail_waiting(WriterStoppedError(self._state.value, self._failure))
        if self._outbox is not None:
            await self._outbox.close()
            self._outbox = None
        if self._owns_w3 and self._w3 is not None:
            await self._w3.provider.disconnect()
            self._w3 = None
        if self._state is not WriterState.FAILED:
            self._state = WriterState.STOPPED

    async def __aenter__(self) -> BatchWriter:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _supervise(self) -> None:
        assert self._manager is not None  # set by start()
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._manager.run(), name="tx-manager")
                group.create_task(self._ingest_loop(), name="writer-ingest")
                group.create_task(self._batch_loop(), name="writer-batcher")
        except Exception as exc:
            cause = exc.exceptions[0] if isinstance(exc, BaseExceptionGroup) else exc
            log.error("batch writer failed: %s", cause, exc_info=cause)
            self._failure = cause
            self._state = WriterState.FAILED
            await self._close()  # everything accepted is in the outbox for the next start

    def _fail_waiting(self, error: WriterStoppedError) -> None:
        while not self._ingest.empty():
            _, _, future = self._ingest.get_nowait()
            if not future.done():
                future.set_exception(error)

    # ------------------------------------------------------------------ accepting

    async def enqueue(self, request: bytes, message_key: bytes) -> RequestId:
        """Accept one request; returns once it is durably in the outbox.

        Raises WriterStoppedError (not running), WriterOverloadedError (bounds reached: retry
        later), RequestTooLargeError (can never fit a batch) or DuplicateRequestError (a request
        with this key is accepted and not yet confirmed). On any of these nothing is stored.
        """
        if self._state is not WriterState.RUNNING:
            raise WriterStoppedError(self._state.value, self._failure)
        if not request:
            raise RequestTooLargeError(0, self.max_batch_size) from ValueError("empty request")
        fits = self._packer.fits_alone(len(request), self.max_batch_size)
        if not fits and self._packer.pack([request], self.max_batch_size, 0).count == 0:
            raise RequestTooLargeError(len(request), self.max_batch_size)
        metrics = self.metrics()
        if metrics.pending_requests + 1 > self.config.max_pending_requests:
            raise WriterOverloadedError(
                metrics.pending_requests,
                metrics.pending_bytes,
                f"{self.config.max_pending_requests} requests",
            )
        if metrics.pending_bytes + len(request) > self.config.max_pending_bytes:
            raise WriterOverloadedError(
                metrics.pending_requests,
                metrics.pending_bytes,
                f"{self.config.max_pending_bytes} bytes",
            )
        future: asyncio.Future[RequestId] = asyncio.get_running_loop().create_future()
        self._reserved_count += 1
        self._reserved_bytes += len(request)
        try:
            self._ingest.put_nowait((request, message_key, future))
            return await future
        finally:
            self._reserved_count -= 1
            self._reserved_bytes -= len(request)

    async def _ingest_loop(self) -> None:
        assert self._outbox is not None  # set by start()
        while True:
            group = [await self._ingest.get()]
            while not self._ingest.empty() and len(group) < INGEST_GROUP_MAX:
                group.append(self._ingest.get_nowait())
            try:
                results = await self._outbox.add_requests(
                    [(payload, key) for payload, key, _ in group], self._clock_us()
                )
            except BaseException as exc:
                error = WriterStoppedError("failed", exc)
                for _, _, future in group:
                    if not future.done():
                        future.set_exception(error)
                raise
            arrived = asyncio.get_running_loop().time()
            for (payload, key, future), result in zip(group, results, strict=True):
                if isinstance(result, DuplicateRequestError):
                    if not future.done():
                        future.set_exception(result)
                    continue
                self._counters.requests_accepted += 1
                self._accepted_bytes += len(payload)
                self._push_pending(PendingRequest(result, key, payload), arrived)
                if not future.done():
                    future.set_result(result)
            self._wake.set()

    def _push_pending(self, request: PendingRequest, arrived: float) -> None:
        self._pending.append((arrived, request))
        self._pending_raw += len(request.payload)

    async def _requeued(self, requests: list[PendingRequest]) -> None:
        """Requests whose batch can never land: back to the front of the pool."""
        merged = sorted(
            [(float("-inf"), r) for r in requests] + list(self._pending), key=lambda e: e[1].id
        )
        self._pending = deque(merged)
        self._pending_raw = sum(len(r.payload) for _, r in merged)
        self._wake.set()

    # ------------------------------------------------------------------ batching

    async def _batch_loop(self) -> None:
        assert self._manager is not None  # set by start()
        manager = self._manager
        loop = asyncio.get_running_loop()
        await manager.ready.wait()
        while True:
            while not self._pending:
                self._wake.clear()
                await self._wake.wait()
            target = self._target_size()
            while self._pending_raw < target * self._expansion:
                linger = self.config.linger_s
                if manager.congested(full_batch_gas(target)):
                    linger = max(linger, self.config.congested_linger_s)
                # A request waits for company from when the batcher could first take it:
                # what is left after a batch was cut from a backlog is not due at once.
                deadline = max(self._pending[0][0], self._last_cut) + linger
                if loop.time() >= deadline:
                    break
                self._wake.clear()
                # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancellation.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(deadline - loop.time()):
                        await self._wake.wait()
            await manager.wait_for_space()
            if not self._pending:
                continue
            offered: list[PendingRequest] = []
            raw = 0
            for _, request in self._pending:
                if offered and raw + len(request.payload) > PACK_INPUT_FACTOR * self.max_batch_size:
                    break
                offered.append(request)
                raw += len(request.payload)
            payloads = [r.payload for r in offered]
            clock = self._clock_us()
            packed = await asyncio.to_thread(self._packer.pack, payloads, target, clock)
            if packed.count == 0 and target < self.max_batch_size:  # a large request, alone
                packed = await asyncio.to_thread(
                    self._packer.pack, payloads, self.max_batch_size, clock
                )
            if packed.count == 0 or len(packed.batch) > self.max_batch_size:
                raise RequestTooLargeError(len(offered[0].payload), self.max_batch_size)
            taken = offered[: packed.count]
            raw_taken = sum(len(r.payload) for r in taken)
            if 2 * raw_taken >= target:  # enough bytes to say how well requests pack
                self._expansion = max(1.0, raw_taken / len(packed.batch))
            for _ in taken:
                _, request = self._pending.popleft()
                self._pending_raw -= len(request.payload)
            manager.hand_over(NewBatch(packed.batch, tuple(taken)))
            self._last_cut = loop.time()

    def _target_size(self) -> int:
        """Bytes to fill a batch to: ``max_batch_size``, or with ``fill_blocks`` the size
        at which a whole number of batches fills the latest block (once one was seen)."""
        assert self._manager is not None  # set by start()
        gas_limit = self._manager.block_gas_limit
        if not self.config.fill_blocks or gas_limit <= 0:
            return self.max_batch_size
        return block_filling_size(gas_limit, self.max_batch_size)

    # ------------------------------------------------------------------ metrics

    def metrics(self) -> WriterMetrics:
        c = self._counters
        pending = self._base_count + c.requests_accepted - c.requests_written
        pending_bytes = self._base_bytes + self._accepted_bytes - c.payload_bytes_written
        return WriterMetrics(
            requests_accepted=c.requests_accepted,
            requests_written=c.requests_written,
            batches_written=c.batches_written,
            bytes_written=c.bytes_written,
            gas_spent=c.gas_spent,
            fees_spent_wei=c.fees_spent_wei,
            transactions_sent=c.transactions_sent,
            resubmissions=c.resubmissions,
            fee_cap_hits=c.fee_cap_hits,
            pending_requests=pending + self._reserved_count,
            pending_bytes=pending_bytes + self._reserved_bytes,
            in_flight_batches=self._manager.open_count if self._manager is not None else 0,
        )
