"""The chain edge: one provider layer for every JSON-RPC call the package makes
(transport, timeouts, retries, error mapping, typed results). See
:mod:`sequencer_chain.provider.provider`."""

from sequencer_chain.provider.mapping import map_error, revert_error, rpc_error_message
from sequencer_chain.provider.policy import NO_RETRY, RetryPolicy, RpcTimeouts
from sequencer_chain.provider.provider import ChainProvider, connect, endpoint_of
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
    "endpoint_of",
    "map_error",
    "parse_header",
    "parse_receipt",
    "quantity",
    "revert_error",
    "rpc_error_message",
]
