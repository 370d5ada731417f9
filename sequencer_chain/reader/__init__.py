"""The chain reader: follows the ordering contract behind the head and derives events."""

from sequencer_chain.reader.chain_reader import ChainReader, ReaderConfig
from sequencer_chain.reader.derivation import (
    DerivationState,
    DerivedBatch,
    check_hash_chain,
    derive_batch,
)

__all__ = [
    "ChainReader",
    "DerivationState",
    "DerivedBatch",
    "ReaderConfig",
    "check_hash_chain",
    "derive_batch",
]
