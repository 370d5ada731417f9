"""Errors of the sequencer node and its chain boundary.

web3 and aiohttp errors are translated into these at the chain boundary
(:mod:`sequencer_chain.provider.mapping`), eth-account and solc errors in
:mod:`sequencer_chain.chain_keys`, :mod:`sequencer_chain.contract.artifact` and
:mod:`sequencer_chain.anvil`, and nowhere else, so callers never catch a library's exception type.

::

    SequencerChainError
    ├── ToolchainError                      a pinned tool (anvil, forge, solc) is missing
    │   └── ToolNotFoundError
    ├── CompileError                        the Solidity compiler reported errors
    ├── KeystoreError        (ValueError)   a chain key could not be loaded
    │   ├── KeystoreFormatError             the file is not a valid encrypted keystore
    │   ├── KeystorePasswordError           the password does not decrypt it
    │   └── DevKeyNotAllowedError           a well-known anvil key used on a non-anvil chain
    ├── ChainError                          talking to the chain failed
    │   ├── ChainConnectionError            the RPC endpoint is unreachable or times out
    │   │   ├── ChainResponseError          it answered with an error or a malformed result
    │   │   ├── LogsRangeError              eth_getLogs refused or timed out for its range
    │   │   └── BlockLogsUnreadableError    eth_getLogs of one block fails even alone
    │   ├── TransactionFailedError          a mined transaction reverted without decodable reason
    │   ├── TransactionTimeoutError         not mined in time
    │   └── InboxRevertError                the ordering contract reverted with a custom error
    │       ├── NotOwnerError
    │       ├── NotPendingOwnerError
    │       ├── ZeroAddressError
    │       ├── WriterAlreadyAllowedError
    │       ├── WriterNotAllowedError
    │       ├── NotWriterError
    │       ├── BadWriterSeqError
    │       ├── BatchTooLargeError
    │       └── EmptyBatchError
    ├── DeploymentRecordError (ValueError)  a deployment record file is missing or invalid
    ├── AnvilError                          a managed anvil failed to start or stopped unexpectedly
    ├── AuthenticationError                 the API refused a challenge, signature or token
    ├── MembersFileError     (ValueError)  the static members file is missing or invalid
    ├── ConfigMappingError   (TypeError)   a writer or reader setting has no node config key
    ├── EventStoreError                     the event store database is unusable
    │   └── EventStoreMismatchError         it was made for another chain, contract or domain
    ├── DerivationError                     the chain cannot be derived into events
    │   ├── HashChainMismatchError          a batch does not extend the stored hash chain
    │   └── ReorgTooDeepError               no common ancestor within the stored blocks
    └── WriterError                         the batch writer refused a request or cannot go on
        ├── WriterOverloadedError           too many accepted-but-unwritten requests; retry later
        ├── WriterStoppedError              the writer is not running (see ``cause`` if it failed)
        ├── RequestTooLargeError (ValueError)  a request cannot fit in any batch
        ├── DuplicateRequestError (ValueError) a request with this message key is still pending
        ├── FeeCapTooLowError               the chain needs more per gas than the configured cap
        └── OutboxError                     the outbox database is unusable
            └── OutboxMismatchError         it belongs to another chain, contract or account,
                                            or disagrees with the chain beyond repair
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar


class SequencerChainError(Exception):
    """Root of every error raised by the ``sequencer_chain`` package."""


class ToolchainError(SequencerChainError):
    """A pinned tool is missing or does not work."""


class ToolNotFoundError(ToolchainError):
    """A tool binary is not where the bootstrap puts it."""

    def __init__(self, tool: str, path: Path) -> None:
        self.tool = tool
        self.path = path
        super().__init__(
            f"{tool} not found at {path}; run scripts/bootstrap to install the toolchain"
        )


class CompileError(SequencerChainError):
    """solc reported one or more errors."""

    def __init__(self, source: str, messages: list[str]) -> None:
        self.source = source
        self.messages = messages
        super().__init__(f"compiling {source} failed:\n" + "\n".join(messages))


class KeystoreError(SequencerChainError, ValueError):
    """A chain key could not be loaded."""

    def __init__(self, path: Path | None, detail: str) -> None:
        self.path = path
        self.detail = detail
        where = f"keystore {path}" if path is not None else "keystore"
        super().__init__(f"{where}: {detail}")


class KeystoreFormatError(KeystoreError):
    """The file is not a valid eth-account encrypted keystore (V3 JSON)."""


class KeystorePasswordError(KeystoreError):
    """The password does not decrypt the keystore (MAC mismatch)."""


class DevKeyNotAllowedError(KeystoreError):
    """A publicly known anvil development key was offered for a chain that is not anvil's."""

    def __init__(self, chain_id: int, expected: int) -> None:
        self.chain_id = chain_id
        self.expected = expected
        super().__init__(
            None,
            f"anvil's well-known development keys are allowed only on chain id {expected}, "
            f"this chain is {chain_id}; use an encrypted keystore (--keystore)",
        )


class ChainError(SequencerChainError):
    """Talking to the chain failed."""


class ChainConnectionError(ChainError):
    """The RPC endpoint did not answer."""

    def __init__(self, rpc_url: str, detail: str) -> None:
        self.rpc_url = rpc_url
        self.detail = detail
        super().__init__(f"cannot reach chain at {rpc_url}: {detail}")


class ChainResponseError(ChainConnectionError):
    """The endpoint answered, but not with a valid result: an error object or a malformed
    value. A subclass of :class:`ChainConnectionError` so that readers retry it."""

    def __init__(self, rpc_url: str, method: str, detail: str) -> None:
        self.method = method
        super().__init__(rpc_url, f"{method}: {detail}")


class LogsRangeError(ChainConnectionError):
    """``eth_getLogs`` of blocks ``first..last`` failed in a way a narrower range may avoid:
    the endpoint refused the range or the size of the answer, or timed out or cut it off
    (``failure``: ``too_large`` or ``timeout``, ``sequencer_chain/contract/log_range.py``)."""

    def __init__(self, rpc_url: str, first: int, last: int, failure: str, detail: str) -> None:
        self.first = first
        self.last = last
        self.failure = failure
        self.range_detail = detail
        super().__init__(rpc_url, f"eth_getLogs of blocks {first}..{last}: {failure}: {detail}")


class BlockLogsUnreadableError(ChainConnectionError):
    """The endpoint refuses or times out ``eth_getLogs`` of a single block, the narrowest
    range there is (``sequencer_chain/contract/log_range.py``). The reader retries it with
    backoff and reports it in its metrics and readiness; the endpoint's limits (response
    size, timeout) must be raised for the block's batches to be read."""

    def __init__(
        self, rpc_url: str, block_number: int, failure: str, detail: str, attempts: int
    ) -> None:
        self.block_number = block_number
        self.failure = failure
        self.attempts = attempts
        super().__init__(
            rpc_url,
            f"eth_getLogs of block {block_number} alone failed ({failure}, attempt {attempts}): "
            f"{detail}; raise the endpoint's response size or time limit",
        )


class TransactionFailedError(ChainError):
    """A transaction reverted or failed without a decodable contract error."""

    def __init__(self, tx_hash: str | None, detail: str) -> None:
        self.tx_hash = tx_hash
        self.detail = detail
        where = f"transaction {tx_hash}" if tx_hash else "transaction"
        super().__init__(f"{where} failed: {detail}")


class TransactionTimeoutError(ChainError):
    """A transaction was not mined within the allowed time."""

    def __init__(self, tx_hash: str, timeout_s: float) -> None:
        self.tx_hash = tx_hash
        self.timeout_s = timeout_s
        super().__init__(f"transaction {tx_hash} not mined within {timeout_s:.1f}s")


class InboxRevertError(ChainError):
    """The ordering contract reverted with one of its custom errors.

    Subclasses are named after the Solidity error (``NotWriter`` → :class:`NotWriterError`)
    and carry its arguments as fields.
    """

    solidity_name: ClassVar[str] = ""

    def __init__(self, **args: object) -> None:
        self.args_by_name = args
        for name, value in args.items():
            setattr(self, name, value)
        rendered = ", ".join(f"{k}={v}" for k, v in args.items())
        super().__init__(f"SequencerInbox reverted: {self.solidity_name}({rendered})")


class NotOwnerError(InboxRevertError):
    solidity_name = "NotOwner"
    caller: str


class NotPendingOwnerError(InboxRevertError):
    solidity_name = "NotPendingOwner"
    caller: str


class ZeroAddressError(InboxRevertError):
    solidity_name = "ZeroAddress"


class WriterAlreadyAllowedError(InboxRevertError):
    solidity_name = "WriterAlreadyAllowed"
    writer: str


class WriterNotAllowedError(InboxRevertError):
    solidity_name = "WriterNotAllowed"
    writer: str


class NotWriterError(InboxRevertError):
    solidity_name = "NotWriter"
    caller: str


class BadWriterSeqError(InboxRevertError):
    solidity_name = "BadWriterSeq"
    expected: int
    got: int


class BatchTooLargeError(InboxRevertError):
    solidity_name = "BatchTooLarge"
    size: int
    max: int


class EmptyBatchError(InboxRevertError):
    solidity_name = "EmptyBatch"


INBOX_REVERT_ERRORS: tuple[type[InboxRevertError], ...] = (
    NotOwnerError,
    NotPendingOwnerError,
    ZeroAddressError,
    WriterAlreadyAllowedError,
    WriterNotAllowedError,
    NotWriterError,
    BadWriterSeqError,
    BatchTooLargeError,
    EmptyBatchError,
)


class DeploymentRecordError(SequencerChainError, ValueError):
    """A deployment record file is missing or malformed."""

    def __init__(self, path: Path, detail: str) -> None:
        self.path = path
        self.detail = detail
        super().__init__(f"deployment record {path}: {detail}")


class AnvilError(SequencerChainError):
    """A managed anvil did not start, or died."""

    def __init__(self, detail: str, log_tail: str = "") -> None:
        self.detail = detail
        self.log_tail = log_tail
        suffix = f"\n--- anvil output ---\n{log_tail}" if log_tail else ""
        super().__init__(f"anvil: {detail}{suffix}")


class AuthenticationError(SequencerChainError):
    """The sequencer API refused a challenge, signature or token; ``reason`` is safe to
    show to the caller."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class WriterError(SequencerChainError):
    """The batch writer refused a request, or cannot go on."""


class WriterOverloadedError(WriterError):
    """Accepting the request would exceed the writer's bound on unwritten requests."""

    def __init__(self, pending_requests: int, pending_bytes: int, limit: str) -> None:
        self.pending_requests = pending_requests
        self.pending_bytes = pending_bytes
        self.limit = limit
        super().__init__(
            f"writer overloaded: {pending_requests} requests ({pending_bytes} bytes) "
            f"await writing, limit {limit}; retry later"
        )


class WriterStoppedError(WriterError):
    """The writer is not running: not started, stopping, stopped, or failed."""

    def __init__(self, state: str, cause: BaseException | None = None) -> None:
        self.state = state
        self.cause = cause
        suffix = f": {cause}" if cause is not None else ""
        super().__init__(f"writer is {state}{suffix}")


class RequestTooLargeError(WriterError, ValueError):
    """A request is larger than any batch could carry."""

    def __init__(self, size: int, max_batch_size: int) -> None:
        self.size = size
        self.max_batch_size = max_batch_size
        super().__init__(
            f"request of {size} bytes does not fit a batch of at most {max_batch_size} bytes"
        )


class DuplicateRequestError(WriterError, ValueError):
    """A request with the same message key is accepted and not yet written."""

    def __init__(self, message_key: bytes) -> None:
        self.message_key = message_key
        super().__init__(f"a request with message key 0x{message_key.hex()} is already pending")


class FeeCapTooLowError(WriterError):
    """The chain's current fees exceed ``max_fee_per_gas_cap``: batches wait until they fall."""

    def __init__(self, cap_wei: int, needed_wei: int, base_fee_wei: int) -> None:
        self.cap_wei = cap_wei
        self.needed_wei = needed_wei
        self.base_fee_wei = base_fee_wei
        super().__init__(
            f"fee cap {cap_wei} wei/gas is below the {needed_wei} wei/gas the chain needs "
            f"(base fee {base_fee_wei}); batches wait until fees fall or the cap is raised"
        )


class OutboxError(WriterError):
    """The outbox database cannot be used."""

    def __init__(self, path: Path, detail: str) -> None:
        self.path = path
        self.detail = detail
        super().__init__(f"outbox {path}: {detail}")


class OutboxMismatchError(OutboxError):
    """The outbox was made for another chain, contract or account, or contradicts the chain."""


class ConfigMappingError(SequencerChainError, TypeError):
    """A writer or reader configuration object was built without a value for each of its
    fields (``sequencer_chain.chain_settings``): a setting with no node config key, or a
    key with no setting. A programming error, found when any node config is loaded."""

    def __init__(
        self,
        target: str,
        missing: tuple[str, ...] | list[str],
        unexpected: tuple[str, ...] | list[str],
        detail: str = "",
    ) -> None:
        self.target = target
        self.missing = tuple(missing)
        self.unexpected = tuple(unexpected)
        self.detail = detail
        super().__init__(
            f"{target} built from the node config: missing {list(self.missing)}, "
            f"unexpected {list(self.unexpected)}{'; ' + detail if detail else ''}"
        )


class MembersFileError(SequencerChainError, ValueError):
    """The static members file cannot be read or breaks its format (docs/sequencer.md)."""

    def __init__(self, path: Path, detail: str) -> None:
        self.path = path
        self.detail = detail
        super().__init__(f"members file {path}: {detail}")


class EventStoreError(SequencerChainError):
    """The sequencer's event store cannot be used."""

    def __init__(self, path: Path, detail: str) -> None:
        self.path = path
        self.detail = detail
        super().__init__(f"event store {path}: {detail}")


class EventStoreMismatchError(EventStoreError):
    """The event store was derived from another chain, contract or domain."""


class DerivationError(SequencerChainError):
    """The chain cannot be turned into sequenced events; the reader stops."""


class HashChainMismatchError(DerivationError):
    """A ``BatchAppended`` event does not extend the stored hash chain.

    Either the contract is not the one this store was derived from, or the node read a
    history it must not trust; deriving past it could deliver a wrong history.
    """

    def __init__(
        self,
        *,
        batch_seq: int,
        block_number: int,
        expected_seq: int,
        expected_acc: bytes,
        got_acc: bytes,
        detail: str,
    ) -> None:
        self.batch_seq = batch_seq
        self.block_number = block_number
        self.expected_seq = expected_seq
        self.expected_acc = expected_acc
        self.got_acc = got_acc
        self.detail = detail
        super().__init__(
            f"hash chain broken at batch {batch_seq} (block {block_number}): {detail}; "
            f"expected batch {expected_seq} on acc 0x{expected_acc.hex()}, "
            f"event carries acc 0x{got_acc.hex()}"
        )


class ReorgTooDeepError(DerivationError):
    """A reorg reaches below every block the store remembers: no common ancestor."""

    def __init__(self, cursor_block: int, oldest_known_block: int) -> None:
        self.cursor_block = cursor_block
        self.oldest_known_block = oldest_known_block
        super().__init__(
            f"reorg at or below block {oldest_known_block}, the oldest block kept "
            f"(cursor {cursor_block}); re-derive from an empty store"
        )


class TopologyRollbackError(DerivationError):
    """A reorg removed topology broadcasts the sequencer's topology store already processed,
    and the store cannot undo them (a file written before inputs were kept), so the node
    stops (re-derive from empty stores)."""

    def __init__(self, processed_until: int, rolled_back_to: int | None) -> None:
        self.processed_until = processed_until
        self.rolled_back_to = rolled_back_to
        super().__init__(
            f"topology processed until {processed_until}, but the chain was rolled back to "
            f"sequencing time {rolled_back_to}; re-derive from empty stores"
        )
