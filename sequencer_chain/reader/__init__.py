"""The chain reader: follows the ordering contract behind the head and derives events."""

from sequencer_chain.reader.derivation import (
    DerivationState,
    DerivedBatch,
    check_hash_chain,
    derive_batch,
)
from sequencer_chain.reader.follower import ChainReader, ReaderConfig

__all__ = [
    "ChainReader",
    "DerivationState",
    "DerivedBatch",
    "ReaderConfig",
    "check_hash_chain",
    "derive_batch",
]
