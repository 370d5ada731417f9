// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Vm} from "../base/Vm.sol";
import {SequencerInbox} from "../../src/SequencerInbox.sol";

/// @notice Drives a SequencerInbox through random sequences of submits (right and wrong seqs,
///         writers and non-writers, empty, normal, maximal and oversize batches), writer
///         additions and removals, and ownership changes.
///
///         It keeps its own model of the allowlist, the owner and every writer's seq, predicts
///         the outcome of each call before making it (success, or the exact error data), and
///         keeps ghost variables the invariants compare with the contract:
///         - ghostAccepted: batches accepted, and ghostAcc: the hash chain over them;
///         - ghostWriterCount[w]: batches accepted from w;
///         - ghostAppendsByNonWriters: BatchAppended logs whose writer the model does not allow;
///         - ghostCounterJumps: calls after which batchCount moved by other than 1 (accepted)
///           or 0 (rejected);
///         - ghostMismatches: calls whose outcome or logs differ from the prediction.
///         The handler never reverts on a finding (the invariant run ignores reverts); it
///         records it, and the invariant functions fail on it.
contract InboxHandler {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    uint256 internal constant MAX = 120_000;
    uint256 internal constant POOL_CAP = 16;
    bytes32 internal constant BATCH_APPENDED =
        keccak256("BatchAppended(uint64,address,uint64,bytes32,bytes32,bytes)");

    SequencerInbox public immutable inbox;

    // ------------------------------------------------------------------ model
    address public modelOwner;
    address public modelPending;
    mapping(address => bool) public modelAllowed;
    /// Accounts that are or were writers: the fixed set plus any other account ever added.
    address[] internal _pool;
    mapping(address => bool) internal _inPool;

    // ------------------------------------------------------------------ ghosts
    uint256 public ghostAccepted;
    bytes32 public ghostAcc;
    mapping(address => uint64) public ghostWriterCount;
    uint256 public ghostAppendsByNonWriters;
    uint256 public ghostCounterJumps;
    uint256 public ghostMismatches;
    string public firstMismatch;

    // ------------------------------------------------------------------ call statistics
    uint256 public callsAccepted;
    uint256 public callsRejected;

    constructor(SequencerInbox inbox_, address owner_, address[] memory writers, uint256 initiallyAllowed) {
        inbox = inbox_;
        modelOwner = owner_;
        for (uint256 i = 0; i < writers.length; i++) {
            _addToPool(writers[i]);
            if (i < initiallyAllowed) {
                vm.prank(owner_);
                inbox_.addWriter(writers[i]);
                modelAllowed[writers[i]] = true;
            }
        }
    }

    function poolSize() external view returns (uint256) {
        return _pool.length;
    }

    function poolAt(uint256 i) external view returns (address) {
        return _pool[i];
    }

    // ================================================================== actions

    /// Any account (pool member, owner or a fresh one), any seq mode, any batch shape.
    function submit(uint256 actorSeed, uint8 seqMode, uint8 sizeMode, bytes calldata input) external {
        address caller = _pickSubmitter(actorSeed);
        uint64 expected = ghostWriterCount[caller];
        uint64 seq = _pickSeq(expected, seqMode, actorSeed);
        bytes memory batch = _pickBatch(sizeMode, input, actorSeed);
        _submitAndCheck(caller, seq, batch);
    }

    /// The common, valid case: an allowed writer with its next seq and a normal batch.
    function submitValid(uint256 actorSeed, bytes calldata input) external {
        address caller = _pickAllowed(actorSeed);
        if (caller == address(0)) return; // nobody is allowed right now
        bytes memory batch = input.length == 0 ? abi.encodePacked(actorSeed) : input;
        if (batch.length > MAX) batch = abi.encodePacked(keccak256(batch));
        _submitAndCheck(caller, ghostWriterCount[caller], batch);
    }

    function addWriter(uint256 targetSeed, uint256 callerSeed, bool byOwner) external {
        address target = _pickWriterTarget(targetSeed);
        address caller = byOwner ? modelOwner : _freshAccount(callerSeed);
        bytes memory expectedErr;
        if (caller != modelOwner) {
            expectedErr = abi.encodeWithSelector(SequencerInbox.NotOwner.selector, caller);
        } else if (target == address(0)) {
            expectedErr = abi.encodeWithSelector(SequencerInbox.ZeroAddress.selector);
        } else if (modelAllowed[target]) {
            expectedErr = abi.encodeWithSelector(SequencerInbox.WriterAlreadyAllowed.selector, target);
        }
        vm.recordLogs();
        vm.prank(caller);
        try inbox.addWriter(target) {
            Vm.Log[] memory logs = vm.getRecordedLogs();
            if (expectedErr.length != 0) return _mismatch("addWriter accepted a call the model rejects");
            if (logs.length != 1 || logs[0].topics[0] != SequencerInbox.WriterAdded.selector
                    || logs[0].topics[1] != bytes32(uint256(uint160(target)))) {
                return _mismatch("addWriter: wrong WriterAdded log");
            }
            modelAllowed[target] = true;
            _addToPool(target);
        } catch (bytes memory err) {
            vm.getRecordedLogs();
            _checkRejection("addWriter", err, expectedErr);
        }
    }

    function removeWriter(uint256 targetSeed, uint256 callerSeed, bool byOwner) external {
        address target = _pickWriterTarget(targetSeed);
        address caller = byOwner ? modelOwner : _freshAccount(callerSeed);
        bytes memory expectedErr;
        if (caller != modelOwner) {
            expectedErr = abi.encodeWithSelector(SequencerInbox.NotOwner.selector, caller);
        } else if (!modelAllowed[target]) {
            expectedErr = abi.encodeWithSelector(SequencerInbox.WriterNotAllowed.selector, target);
        }
        vm.recordLogs();
        vm.prank(caller);
        try inbox.removeWriter(target) {
            Vm.Log[] memory logs = vm.getRecordedLogs();
            if (expectedErr.length != 0) return _mismatch("removeWriter accepted a call the model rejects");
            if (logs.length != 1 || logs[0].topics[0] != SequencerInbox.WriterRemoved.selector
                    || logs[0].topics[1] != bytes32(uint256(uint160(target)))) {
                return _mismatch("removeWriter: wrong WriterRemoved log");
            }
            modelAllowed[target] = false;
        } catch (bytes memory err) {
            vm.getRecordedLogs();
            _checkRejection("removeWriter", err, expectedErr);
        }
    }

    /// Mode 0: the owner offers ownership; 1: a non-owner tries to; 2: the pending owner
    /// accepts; 3: someone else tries to accept.
    function changeOwner(uint256 seed, uint8 mode) external {
        mode %= 4;
        if (mode <= 1) {
            address caller = mode == 0 ? modelOwner : _freshAccount(seed);
            address offered = _pickWriterTarget(seed >> 128);
            bytes memory expectedErr;
            if (caller != modelOwner) expectedErr = abi.encodeWithSelector(SequencerInbox.NotOwner.selector, caller);
            vm.prank(caller);
            try inbox.transferOwnership(offered) {
                if (expectedErr.length != 0) return _mismatch("transferOwnership accepted a non-owner");
                modelPending = offered;
            } catch (bytes memory err) {
                _checkRejection("transferOwnership", err, expectedErr);
            }
        } else {
            address caller = mode == 2 ? modelPending : _freshAccount(seed);
            // msg.sender is never address(0) on a real chain; with nothing pending, ask a
            // fresh account instead.
            if (caller == address(0)) caller = _freshAccount(seed);
            bytes memory expectedErr;
            if (caller != modelPending) {
                expectedErr = abi.encodeWithSelector(SequencerInbox.NotPendingOwner.selector, caller);
            }
            vm.prank(caller);
            try inbox.acceptOwnership() {
                if (expectedErr.length != 0) return _mismatch("acceptOwnership accepted a non-pending account");
                modelOwner = caller;
                modelPending = address(0);
            } catch (bytes memory err) {
                _checkRejection("acceptOwnership", err, expectedErr);
            }
        }
        if (inbox.owner() != modelOwner || inbox.pendingOwner() != modelPending) {
            _mismatch("owner or pendingOwner differs from the model");
        }
    }

    // ================================================================== the check

    function _submitAndCheck(address caller, uint64 seq, bytes memory batch) internal {
        uint64 expected = ghostWriterCount[caller];
        bytes memory expectedErr;
        if (!modelAllowed[caller]) {
            expectedErr = abi.encodeWithSelector(SequencerInbox.NotWriter.selector, caller);
        } else if (seq != expected) {
            expectedErr = abi.encodeWithSelector(SequencerInbox.BadWriterSeq.selector, expected, seq);
        } else if (batch.length == 0) {
            expectedErr = abi.encodeWithSelector(SequencerInbox.EmptyBatch.selector);
        } else if (batch.length > MAX) {
            expectedErr = abi.encodeWithSelector(SequencerInbox.BatchTooLarge.selector, batch.length, MAX);
        }

        uint64 countBefore = inbox.batchCount();
        vm.recordLogs();
        vm.prank(caller);
        bool ok;
        bytes memory err;
        try inbox.submit(seq, batch) {
            ok = true;
        } catch (bytes memory e) {
            err = e;
        }
        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint64 countAfter = inbox.batchCount();

        // Whatever the prediction, any BatchAppended by an account the model does not allow
        // is an append by a non-writer.
        for (uint256 i = 0; i < logs.length; i++) {
            if (logs[i].emitter == address(inbox) && logs[i].topics[0] == BATCH_APPENDED) {
                address w = address(uint160(uint256(logs[i].topics[2])));
                if (!modelAllowed[w]) ghostAppendsByNonWriters++;
            }
        }

        if (ok) {
            callsAccepted++;
            if (countAfter != countBefore + 1) ghostCounterJumps++;
            if (expectedErr.length != 0) return _mismatch("submit accepted a call the model rejects");
            if (!_logMatches(logs, caller, seq, batch)) return;
            ghostAcc = keccak256(abi.encodePacked(ghostAcc, keccak256(batch)));
            ghostAccepted++;
            ghostWriterCount[caller] = expected + 1;
        } else {
            callsRejected++;
            if (countAfter != countBefore) ghostCounterJumps++;
            if (logs.length != 0) _mismatch("submit: a rejected call logged");
            _checkRejection("submit", err, expectedErr);
        }
    }

    /// The one BatchAppended log of an accepted submit, field by field against the model.
    function _logMatches(Vm.Log[] memory logs, address caller, uint64 seq, bytes memory batch)
        internal
        returns (bool)
    {
        if (logs.length != 1) return _fail("submit: not exactly one log");
        Vm.Log memory l = logs[0];
        if (l.emitter != address(inbox)) return _fail("submit: log from another contract");
        if (l.topics.length != 3 || l.topics[0] != BATCH_APPENDED) return _fail("submit: wrong event");
        if (uint256(l.topics[1]) != ghostAccepted) return _fail("submit: batchSeq is not the count");
        if (l.topics[2] != bytes32(uint256(uint160(caller)))) return _fail("submit: wrong writer");
        bytes32 batchHash = keccak256(batch);
        (uint64 ws, bytes32 h, bytes32 a, bytes memory data) = abi.decode(l.data, (uint64, bytes32, bytes32, bytes));
        if (ws != seq) return _fail("submit: wrong writerSeq in event");
        if (h != batchHash) return _fail("submit: wrong batchHash in event");
        if (a != keccak256(abi.encodePacked(ghostAcc, batchHash))) return _fail("submit: wrong acc in event");
        if (data.length != batch.length || keccak256(data) != batchHash) {
            return _fail("submit: wrong batch bytes in event");
        }
        return true;
    }

    function _fail(string memory why) internal returns (bool) {
        _mismatch(why);
        return false;
    }

    function _checkRejection(string memory what, bytes memory err, bytes memory expectedErr) internal {
        if (expectedErr.length == 0) {
            _mismatch(string.concat(what, " rejected a call the model accepts"));
        } else if (keccak256(err) != keccak256(expectedErr)) {
            _mismatch(string.concat(what, " rejected with the wrong error data"));
        }
    }

    function _mismatch(string memory why) internal {
        if (ghostMismatches == 0) firstMismatch = why;
        ghostMismatches++;
    }

    // ================================================================== choices

    function _pickSubmitter(uint256 seed) internal view returns (address) {
        uint256 r = seed % 10;
        if (r < 7) return _pool[(seed >> 8) % _pool.length];
        if (r == 7) return modelOwner;
        return _freshAccount(seed);
    }

    function _pickAllowed(uint256 seed) internal view returns (address) {
        uint256 n = _pool.length;
        uint256 start = seed % n;
        for (uint256 i = 0; i < n; i++) {
            address a = _pool[(start + i) % n];
            if (modelAllowed[a]) return a;
        }
        return address(0);
    }

    /// Pool members most of the time, sometimes the owner, a fresh account or address(0).
    function _pickWriterTarget(uint256 seed) internal view returns (address) {
        uint256 r = seed % 16;
        if (r < 12) return _pool[(seed >> 8) % _pool.length];
        if (r == 12) return modelOwner;
        if (r == 13) return address(0);
        if (_pool.length >= POOL_CAP) return _pool[(seed >> 8) % _pool.length];
        return _freshAccount(seed);
    }

    function _pickSeq(uint64 expected, uint8 mode, uint256 seed) internal pure returns (uint64) {
        uint256 m = mode % 10;
        if (m < 6) return expected;
        if (m == 6) return expected == 0 ? 1 : expected - 1; // a replay
        if (m == 7) return expected + 1; // a gap
        if (m == 8) return type(uint64).max;
        return uint64(seed >> 64);
    }

    function _pickBatch(uint8 mode, bytes calldata input, uint256 seed) internal pure returns (bytes memory) {
        uint256 m = mode % 32;
        if (m == 0) return "";
        if (m == 1) return new bytes(MAX + 1);
        if (m == 2) {
            bytes memory big = new bytes(MAX);
            big[0] = bytes1(uint8(seed));
            big[MAX - 1] = bytes1(uint8(seed >> 8));
            return big;
        }
        if (input.length > MAX) return input[:MAX];
        return input;
    }

    /// A pseudo-random account that is never address(0) (no real transaction comes from it).
    function _freshAccount(uint256 seed) internal pure returns (address a) {
        a = address(uint160(uint256(keccak256(abi.encode("fresh", seed)))));
        if (a == address(0)) a = address(1);
    }

    function _addToPool(address a) internal {
        if (_inPool[a] || _pool.length >= POOL_CAP) return;
        _inPool[a] = true;
        _pool.push(a);
    }
}
