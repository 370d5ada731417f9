"""The chain edge: one provider layer for every JSON-RPC call the package makes
(transport, timeouts, retries, error mapping, typed results). See
:mod:`sequencer_chain.provider.provider`."""

from sequencer_chain.provider.policy import NO_RETRY, RetryPolicy, RpcTimeouts
from sequencer_chain.provider.provider import ChainProvider, connect
from sequencer_chain.provider.types import (
    NO_BLOCK,
    BlockHeader,
    Receipt,
    parse_header,
    parse_receipt,
    quantity,
)

__all__ = [
    "NO_BLOCK",
    "NO_RETRY",
    "BlockHeader",
    "ChainProvider",
    "Receipt",
    "RetryPolicy",
    "RpcTimeouts",
    "connect",
    "parse_header",
    "parse_receipt",
    "quantity",
]
