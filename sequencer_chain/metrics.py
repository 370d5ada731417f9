"""Prometheus metrics of a sequencer node, served by ``node_runtime.OpsServer`` on ``[ops]``.

Values are read from the reader and the writer when ``/metrics`` is scraped (a custom
collector, so nothing is double-counted and no code path of the reader or writer has to
know about Prometheus). The one value neither holds is the chain head: a background task
samples ``eth_blockNumber`` every ``[ops] head_sample_interval_s`` (each call under the
chain's RPC timeout) so a scrape never waits on the chain.

| metric | type | meaning |
|---|---|---|
| ``sequencer_chain_head_block`` | gauge | latest block number seen on the chain |
| ``sequencer_reader_block`` | gauge | last block the reader derived |
| ``sequencer_head_lag_blocks`` | gauge | ``head - confirmations - reader block``, at least 0 |
| ``sequencer_reader_rollbacks_total`` | counter | reorg rollbacks performed by the reader |
| ``sequencer_reader_log_range_blocks`` | gauge | blocks per ``eth_getLogs`` range now |
| ``sequencer_reader_log_range_shrinks_total`` | counter | ranges that failed and were narrowed |
| ``sequencer_reader_unreadable_block`` | gauge | block whose logs fail even alone; 0 when none |
| ``sequencer_batches_written_total`` | counter | this node's batches confirmed on chain |
| ``sequencer_bytes_written_total`` | counter | batch bytes in them |
| ``sequencer_requests_written_total`` | counter | submission requests in them |
| ``sequencer_requests_accepted_total`` | counter | submission requests accepted by ``SendAsync`` |
| ``sequencer_gas_spent_total`` | counter | gas used by this node's mined transactions |
| ``sequencer_fees_spent_wei_total`` | counter | ``gasUsed × effectiveGasPrice`` over them |
| ``sequencer_transactions_sent_total`` | counter | signed transactions sent, replacements too |
| ``sequencer_resubmissions_total`` | counter | replacement transactions (same nonce, higher fees) |
| ``sequencer_fee_cap_hits_total`` | counter | times the chain needed more per gas than the cap |
| ``sequencer_pending_requests`` | gauge | accepted requests not yet in a confirmed batch |
| ``sequencer_pending_bytes`` | gauge | their payload bytes |
| ``sequencer_in_flight_batches`` | gauge | batches sent and not yet confirmed |

Counters count since the process started (Prometheus' ``rate`` handles the reset).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import aiohttp
from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from sequencer_chain.reader import ChainReader
from sequencer_chain.writer import BatchWriter

log = logging.getLogger(__name__)

_WRITER_COUNTERS: tuple[tuple[str, str, str], ...] = (
    ("batches_written", "sequencer_batches_written", "Batches of this node confirmed on chain."),
    ("bytes_written", "sequencer_bytes_written", "Batch bytes in confirmed batches."),
    ("requests_written", "sequencer_requests_written", "Requests in confirmed batches."),
    ("requests_accepted", "sequencer_requests_accepted", "Requests accepted by SendAsync."),
    ("gas_spent", "sequencer_gas_spent", "Gas used by this node's mined transactions."),
    ("fees_spent_wei", "sequencer_fees_spent_wei", "gasUsed x effectiveGasPrice, in wei."),
    ("transactions_sent", "sequencer_transactions_sent", "Signed transactions broadcast."),
    ("resubmissions", "sequencer_resubmissions", "Replacement transactions sent."),
    ("fee_cap_hits", "sequencer_fee_cap_hits", "Times the chain needed more than the fee cap."),
)
_WRITER_GAUGES: tuple[tuple[str, str, str], ...] = (
    ("pending_requests", "sequencer_pending_requests", "Accepted, not yet in a confirmed batch."),
    ("pending_bytes", "sequencer_pending_bytes", "Payload bytes of pending requests."),
    ("in_flight_batches", "sequencer_in_flight_batches", "Batches sent, not yet confirmed."),
)


class SequencerMetrics(Collector):
    """The node's metrics; register with :meth:`registry` and run :meth:`sample_head`."""

    def __init__(self, confirmations: int) -> None:
        self.confirmations = confirmations
        self.reader: ChainReader | None = None
        self.writer: BatchWriter | None = None
        self.chain_head: int | None = None
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self)

    def attach(self, reader: ChainReader, writer: BatchWriter) -> None:
        self.reader, self.writer = reader, writer

    def lag_blocks(self) -> int | None:
        """Blocks the reader is behind ``head - confirmations``; ``None`` before a sample."""
        reader_block = self._reader_block()
        if self.chain_head is None or reader_block is None:
            return None
        return max(0, self.chain_head - self.confirmations - reader_block)

    def _reader_block(self) -> int | None:
        cursor = self.reader.cursor if self.reader is not None else None
        return cursor.block_number if cursor is not None else None

    async def sample_head(self, rpc_url: str, interval_s: float, timeout_s: float) -> None:
        """Sample the chain head forever; a failed sample is logged and keeps the old value.

        Uses its own HTTP session rather than the node's web3 provider: web3 caches sessions
        per URL process-wide, and a sample cancelled mid-request at shutdown must not leave
        a session behind for whoever next talks to the same URL.
        """
        body = {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []}
        async with aiohttp.ClientSession() as session:
            while True:
                try:
                    async with asyncio.timeout(timeout_s), session.post(rpc_url, json=body) as r:
                        self.chain_head = int((await r.json())["result"], 16)
                except (aiohttp.ClientError, TimeoutError, KeyError, TypeError, ValueError) as exc:
                    log.warning("chain head sample failed: %s", exc or type(exc).__name__)
                await asyncio.sleep(interval_s)

    def collect(self) -> Iterator[Metric]:
        gauges: list[tuple[str, str, int | None]] = [
            ("sequencer_chain_head_block", "Latest block seen on the chain.", self.chain_head),
            ("sequencer_reader_block", "Last block derived by the reader.", self._reader_block()),
            ("sequencer_head_lag_blocks", "Blocks behind head - confirmations.", self.lag_blocks()),
        ]
        for name, doc, value in gauges:
            if value is not None:
                yield GaugeMetricFamily(name, doc, value=value)
        if self.reader is not None:
            reader = self.reader
            yield CounterMetricFamily(
                "sequencer_reader_rollbacks", "Reorg rollbacks.", value=reader.rollbacks
            )
            yield GaugeMetricFamily(
                "sequencer_reader_log_range_blocks",
                "Blocks per eth_getLogs range the reader uses now.",
                value=reader.log_range.current,
            )
            yield CounterMetricFamily(
                "sequencer_reader_log_range_shrinks",
                "Times an eth_getLogs range failed as too large or too slow and was narrowed.",
                value=reader.log_range.shrinks,
            )
            yield GaugeMetricFamily(
                "sequencer_reader_unreadable_block",
                "Block whose logs the endpoint fails to give even alone (0: none).",
                value=reader.unreadable_block or 0,
            )
        if self.writer is not None:
            snapshot = self.writer.metrics()
            for field, name, doc in _WRITER_COUNTERS:
                yield CounterMetricFamily(name, doc, value=getattr(snapshot, field))
            for field, name, doc in _WRITER_GAUGES:
                yield GaugeMetricFamily(name, doc, value=getattr(snapshot, field))
