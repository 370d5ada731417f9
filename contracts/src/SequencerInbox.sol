// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title SequencerInbox
/// @notice The ordering contract of a chaindomain domain. Allowlisted sequencer accounts
///         append opaque, encrypted envelope batches; the order of `BatchAppended` events
///         (block, log index) is the total order every domain member derives its stream from.
/// @dev The contract never interprets a batch. It guarantees three things a reader relies on:
///      1. `batchSeq` rises by exactly one per appended batch, starting at 0;
///      2. `acc` is the hash chain keccak256(abi.encodePacked(acc, keccak256(batch))) over all
///         batches in order, starting from bytes32(0), so a reader can prove it saw every batch;
///      3. each writer's batches carry writerSeq 0, 1, 2, ... with no gap or repeat, so a
///         resubmitted or fee-replaced transaction can never append the same batch twice.
///      The batch bytes travel in the event data: under the EIP-7623 calldata floor a
///      calldata-heavy transaction pays the floor anyway, so the log costs nothing extra and
///      readers need only eth_getLogs.
contract SequencerInbox {
    /// @notice Version of the contract and of the event layout readers decode.
    uint256 public constant VERSION = 1;

    /// @notice Largest batch accepted, in bytes. Fits one transaction under the common
    ///         128 KiB transaction-size limit of execution clients' mempools, with room for
    ///         the ABI envelope.
    uint256 public constant MAX_BATCH_SIZE = 120_000;

    /// @notice The domain this inbox orders; fixed for the contract's lifetime.
    bytes32 public immutable domainId;

    /// @notice The domain owner: manages the writer allowlist.
    address public owner;

    /// @notice The account offered ownership by `transferOwnership`, until it accepts.
    address public pendingOwner;

    /// @notice Number of batches appended so far; the next batch gets this `batchSeq`.
    uint64 public batchCount;

    /// @notice Running hash chain over every appended batch.
    bytes32 public acc;

    struct Writer {
        bool allowed;
        uint64 nextSeq;
    }

    mapping(address => Writer) private _writers;

    event BatchAppended(
        uint64 indexed batchSeq,
        address indexed writer,
        uint64 writerSeq,
        bytes32 batchHash,
        bytes32 acc,
        bytes batch
    );
    event WriterAdded(address indexed writer);
    event WriterRemoved(address indexed writer);
    event OwnershipTransferStarted(address indexed previousOwner, address indexed newOwner);
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    error NotOwner(address caller);
    error NotPendingOwner(address caller);
    error ZeroAddress();
    error WriterAlreadyAllowed(address writer);
    error WriterNotAllowed(address writer);
    error NotWriter(address caller);
    error BadWriterSeq(uint64 expected, uint64 got);
    error BatchTooLarge(uint256 size, uint256 max);
    error EmptyBatch();

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    constructor(bytes32 domainId_, address owner_) {
        if (owner_ == address(0)) revert ZeroAddress();
        domainId = domainId_;
        owner = owner_;
        emit OwnershipTransferred(address(0), owner_);
    }

    // ------------------------------------------------------------------ ownership

    /// @notice Offer ownership to `newOwner`; it takes effect when they call `acceptOwnership`.
    ///         Offering to address(0) cancels a pending offer.
    function transferOwnership(address newOwner) external onlyOwner {
        pendingOwner = newOwner;
        emit OwnershipTransferStarted(owner, newOwner);
    }

    function acceptOwnership() external {
        if (msg.sender != pendingOwner) revert NotPendingOwner(msg.sender);
        emit OwnershipTransferred(owner, msg.sender);
        owner = msg.sender;
        pendingOwner = address(0);
    }

    // ------------------------------------------------------------------ writers

    /// @notice Allow `writer` to append. A re-added writer keeps its sequence number, so
    ///         transactions it signed before removal cannot replay.
    function addWriter(address writer) external onlyOwner {
        if (writer == address(0)) revert ZeroAddress();
        if (_writers[writer].allowed) revert WriterAlreadyAllowed(writer);
        _writers[writer].allowed = true;
        emit WriterAdded(writer);
    }

    function removeWriter(address writer) external onlyOwner {
        if (!_writers[writer].allowed) revert WriterNotAllowed(writer);
        _writers[writer].allowed = false;
        emit WriterRemoved(writer);
    }

    function isWriter(address account) external view returns (bool) {
        return _writers[account].allowed;
    }

    /// @notice The `writerSeq` that `account`'s next `submit` must carry.
    function nextWriterSeq(address account) external view returns (uint64) {
        return _writers[account].nextSeq;
    }

    /// @notice Batch counter and accumulator read together, for readers checking their copy.
    function head() external view returns (uint64 count, bytes32 accumulator) {
        return (batchCount, acc);
    }

    // ------------------------------------------------------------------ appending

    /// @notice Append `batch` as the writer's batch number `writerSeq`.
    function submit(uint64 writerSeq, bytes calldata batch) external {
        Writer storage w = _writers[msg.sender];
        if (!w.allowed) revert NotWriter(msg.sender);
        uint64 expected = w.nextSeq;
        if (writerSeq != expected) revert BadWriterSeq(expected, writerSeq);
        uint256 size = batch.length;
        if (size == 0) revert EmptyBatch();
        if (size > MAX_BATCH_SIZE) revert BatchTooLarge(size, MAX_BATCH_SIZE);

        w.nextSeq = expected + 1;
        bytes32 batchHash = keccak256(batch);
        bytes32 newAcc = keccak256(abi.encodePacked(acc, batchHash));
        acc = newAcc;
        uint64 seq = batchCount;
        batchCount = seq + 1;
        emit BatchAppended(seq, msg.sender, writerSeq, batchHash, newAcc, batch);
    }
}
