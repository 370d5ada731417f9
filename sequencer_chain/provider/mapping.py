"""web3 and aiohttp errors into the package's own (``sequencer_chain/errors.py``): the one
place where a library's exception type is looked at.

================================================  =========================================
what failed                                        raised as
================================================  =========================================
transport: unreachable, refused, timed out,        :class:`ChainConnectionError`
cut off (``OSError``, ``aiohttp.ClientError``,     (retried where the call is safe to repeat)
``TimeoutError``, a body that is not JSON)
``eth_getLogs`` refused or timed out for its       :class:`LogsRangeError`
range or size (``contract/log_range.py``)          (not retried at the same range)
a revert of ``eth_call`` / ``eth_estimateGas``     the inbox's :class:`InboxRevertError`, or
                                                   :class:`TransactionFailedError`
any other JSON-RPC error answer                    :class:`ChainResponseError`
================================================  =========================================
"""

from __future__ import annotations

import json

import aiohttp
from web3.exceptions import ContractLogicError, Web3Exception, Web3RPCError

from sequencer_chain.errors import (
    ChainConnectionError,
    ChainError,
    ChainResponseError,
    LogsRangeError,
    TransactionFailedError,
)

TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    aiohttp.ClientError,
    TimeoutError,
    json.JSONDecodeError,  # a truncated or broken body
)
"""Failures of the exchange itself: the same request may succeed when asked again."""
CAUGHT: tuple[type[BaseException], ...] = (*TRANSPORT_ERRORS, Web3Exception)
"""Everything :func:`map_error` translates."""
REVERTING_METHODS = frozenset({"eth_call", "eth_estimateGas"})
"""Methods whose error answer is the contract's refusal: decoded as a revert."""


def rpc_error_message(exc: BaseException) -> str:
    """The endpoint's error message of a JSON-RPC error, or the exception's text."""
    if isinstance(exc, Web3RPCError) and isinstance(exc.rpc_response, dict):
        error = exc.rpc_response.get("error")
        if isinstance(error, dict):
            return f"{error.get('message', '')} {error.get('data', '') or ''}".strip()
    return str(exc) or type(exc).__name__


def _revert_data(exc: BaseException) -> bytes | None:
    data = getattr(exc, "data", None)
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x"):
        try:
            return bytes.fromhex(data[2:])
        except ValueError:
            return None
    return None


def revert_error(exc: BaseException, tx_hash: str | None = None) -> ChainError:
    """The typed inbox error of a revert, or a :class:`TransactionFailedError`."""
    # Imported here: the contract package itself calls the chain through this provider.
    from sequencer_chain.contract.inbox import decode_revert  # noqa: PLC0415

    data = _revert_data(exc)
    if data is not None:
        typed = decode_revert(data)
        if typed is not None:
            return typed
    return TransactionFailedError(tx_hash, str(exc))


def is_transport(exc: BaseException) -> bool:
    """Whether ``exc`` is a failure of the exchange (worth a retry), not an answer."""
    return isinstance(exc, TRANSPORT_ERRORS)


def map_error(exc: BaseException, endpoint: str, method: str) -> ChainError:
    """The package's error for ``exc``, raised by a call of ``method`` on ``endpoint``."""
    if is_transport(exc):
        return ChainConnectionError(endpoint, f"{method}: {rpc_error_message(exc)}")
    if isinstance(exc, ContractLogicError) or (
        method in REVERTING_METHODS and isinstance(exc, Web3Exception)
    ):
        return revert_error(exc)
    return ChainResponseError(endpoint, method, rpc_error_message(exc))


def map_logs_error(exc: BaseException, endpoint: str, first: int, last: int) -> ChainError:
    """The package's error for a failed ``eth_getLogs`` of blocks ``first..last``: a
    :class:`LogsRangeError` when a narrower range may succeed
    (:func:`~sequencer_chain.contract.log_range.classify_logs_failure`)."""
    from sequencer_chain.contract.log_range import classify_logs_failure  # noqa: PLC0415

    detail = rpc_error_message(exc)
    failure = classify_logs_failure(exc)
    if failure is not None:
        return LogsRangeError(endpoint, first, last, failure.value, detail)
    return ChainConnectionError(endpoint, f"eth_getLogs of blocks {first}..{last}: {detail}")
