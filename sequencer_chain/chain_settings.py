"""The ``[chain.writer]`` and ``[chain.reader]`` tables of a sequencer node's configuration,
and the one mapping from the node's ``[chain]`` table to the writer's and the reader's
configuration objects.

Every field of :class:`~sequencer_chain.writer.WriterConfig` (with its
:class:`~sequencer_chain.writer.FeeConfig`) and of :class:`~sequencer_chain.reader.ReaderConfig`
is set from the node's configuration here, through :func:`build_exactly`, which refuses to
build a configuration object unless it is given a value for *every* field: a field added to
one of those dataclasses without a node setting (or an explicit value here, saying why it is
not a setting) makes every node config fail to load, instead of silently taking the
dataclass default. That is how a node's writer once ran with ``confirmations = 0`` whatever
``[chain] confirmations`` said.

Shared settings stay in ``[chain]``: ``confirmations`` and ``rpc_timeout_s`` apply to both
the reader and the writer; ``poll_interval_s`` and ``max_blocks_per_step`` are the
reader's, ``linger_s`` the writer's (kept there for the config files that already set them).
Defaults are the dataclasses' own, read from them, so there is one source for each.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import Field

from node_runtime.config import StrictModel
from protocol.timestamp import MICROS_PER_SECOND
from sequencer_chain.errors import ConfigMappingError
from sequencer_chain.reader.chain_reader import ReaderConfig
from sequencer_chain.reader.derivation import DEFAULT_BOUNDS
from sequencer_chain.writer.fees import FeeConfig
from sequencer_chain.writer.types import WriterConfig

if TYPE_CHECKING:
    from sequencer_chain.config import ChainSection

C = TypeVar("C")


def _default(cls: type[Any], name: str) -> Any:
    """The default of dataclass field ``name`` (the one source of the node's default)."""
    field = cls.__dataclass_fields__[name]
    if field.default is not dataclasses.MISSING:
        return field.default
    raise ConfigMappingError(cls.__name__, (), (), f"{name} has no default")


def build_exactly(cls: type[C], values: Mapping[str, Any]) -> C:
    """``cls(**values)``, but only if ``values`` names every field of the dataclass ``cls``
    and nothing else; a default is never taken silently."""
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    missing = sorted(names - values.keys())
    unexpected = sorted(values.keys() - names)
    if missing or unexpected:
        raise ConfigMappingError(cls.__name__, missing=missing, unexpected=unexpected)
    return cls(**values)


class FeeSection(StrictModel):
    """The writer's fee policy (docs/sequencer-writer.md, "Fees and gas"), in wei per gas."""

    max_fee_per_gas_cap: int = Field(default=_default(FeeConfig, "max_fee_per_gas_cap"), ge=1)
    """Never offer more than this per gas (wei), fresh or replacement; when the chain needs
    more, batches wait and the writer reports it (`sequencer_fee_cap_hits_total`)."""
    base_fee_multiplier: int = Field(default=_default(FeeConfig, "base_fee_multiplier"), ge=1)
    """maxFeePerGas of a fresh transaction = this × the latest base fee + tip."""
    min_priority_fee_per_gas: int = Field(
        default=_default(FeeConfig, "min_priority_fee_per_gas"), ge=0
    )
    """Least tip offered (wei per gas), whatever `eth_maxPriorityFeePerGas` suggests."""
    bump_percent: int = Field(default=_default(FeeConfig, "bump_percent"), ge=10)
    """Raise of both fees per replacement, percent; at least 10 (geth refuses less)."""


class WriterSection(StrictModel):
    """How the batch writer batches, resubmits and bounds itself (docs/sequencer-writer.md);
    `linger_s`, `confirmations` and `rpc_timeout_s` are in `[chain]`."""

    max_batch_size: int | None = Field(default=_default(WriterConfig, "max_batch_size"), ge=1)
    """Bytes per batch; unset takes the contract's `MAX_BATCH_SIZE` (a larger value is cut)."""
    max_in_flight: int = Field(default=_default(WriterConfig, "max_in_flight"), ge=1)
    """Batches written but not yet confirmed; the batcher waits when this many are open."""
    congested_linger_s: float = Field(default=_default(WriterConfig, "congested_linger_s"), ge=0)
    """Replaces `linger_s` while the chain is congested: requests wait up to this long for a
    full batch."""
    fill_blocks: bool = _default(WriterConfig, "fill_blocks")
    """Size batches so that a whole number of them fills a block."""
    max_pending_requests: int = Field(default=_default(WriterConfig, "max_pending_requests"), ge=1)
    """Accepted-but-unwritten requests beyond which a send is refused as `OVERLOADED`."""
    max_pending_bytes: int = Field(default=_default(WriterConfig, "max_pending_bytes"), ge=1)
    """The same bound in request bytes."""
    resubmit_after_blocks: int = Field(
        default=_default(WriterConfig, "resubmit_after_blocks"), ge=1
    )
    """A transaction not mined after this many new blocks is replaced with higher fees."""
    poll_interval_s: float = Field(default=_default(WriterConfig, "poll_interval_s"), gt=0)
    """How often the writer's transaction manager looks at the chain head."""
    rpc_read_retries: int = Field(default=_default(WriterConfig, "rpc_read_retries"), ge=0)
    """Retries of the writer's reads and of re-sending an already signed transaction."""
    log_search_window: int = Field(default=_default(WriterConfig, "log_search_window"), ge=1)
    """Widest `eth_getLogs` range when recovery looks for a batch's event (narrowed while
    the endpoint refuses wider ones, like the reader's)."""
    fees: FeeSection = FeeSection()


class ReaderSection(StrictModel):
    """How the chain reader retries, prunes and keeps history (docs/sequencer.md §1, §3);
    `confirmations`, `poll_interval_s`, `rpc_timeout_s`, `max_blocks_per_step` are in `[chain]`."""

    retry_max_s: float = Field(default=_default(ReaderConfig, "retry_max_s"), gt=0)
    """Longest backoff between retries after a failed chain read."""
    keep_blocks: int = Field(default=_default(ReaderConfig, "keep_blocks"), ge=1)
    """Block rows (and acknowledged events) are kept this many blocks below the cursor: the
    deepest reorg the node can roll back."""
    dedup_retention_s: float = Field(
        default=_default(ReaderConfig, "dedup_retention_us") / MICROS_PER_SECOND, ge=0
    )
    """Dedup entries are kept this long after their max sequencing time, so that a rollback
    never needs one that was purged."""
    prune_every_steps: int = Field(default=_default(ReaderConfig, "prune_every_steps"), ge=1)
    """Acknowledged events and old block rows are pruned every this many reader steps."""


def fee_config(fees: FeeSection) -> FeeConfig:
    return build_exactly(FeeConfig, fees.model_dump())


def writer_config(chain: ChainSection) -> WriterConfig:
    """The writer's configuration: every field from the node's ``[chain]`` table."""
    section = chain.writer
    return build_exactly(
        WriterConfig,
        {
            **section.model_dump(exclude={"fees"}),
            "fees": fee_config(section.fees),
            "linger_s": chain.linger_s,
            "confirmations": chain.confirmations,
            "rpc_timeout_s": chain.rpc_timeout_s,
        },
    )


def reader_config(chain: ChainSection, start_block: int) -> ReaderConfig:
    """The reader's configuration: every field from the node's ``[chain]`` table, but the
    start block (the deployment record's) and the time bounds (a protocol constant every
    node of a domain must share, so not a node setting)."""
    section = chain.reader
    return build_exactly(
        ReaderConfig,
        {
            **section.model_dump(exclude={"dedup_retention_s"}),
            "dedup_retention_us": round(section.dedup_retention_s * MICROS_PER_SECOND),
            "start_block": start_block,
            "confirmations": chain.confirmations,
            "poll_interval_s": chain.poll_interval_s,
            "max_blocks_per_step": chain.max_blocks_per_step,
            "rpc_timeout_s": chain.rpc_timeout_s,
            "bounds": DEFAULT_BOUNDS,
        },
    )
