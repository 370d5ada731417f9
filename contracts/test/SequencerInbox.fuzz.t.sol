// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {InboxFixture} from "./InboxFixture.sol";
import {SequencerInbox} from "../src/SequencerInbox.sol";
import {Vm} from "./base/Vm.sol";

/// @notice Fuzz tests on batch contents, batch lengths, writer seqs and writer sets.
contract SequencerInboxFuzzTest is InboxFixture {
    uint256 internal constant MAX = 120_000;

    function setUp() public override {
        super.setUp();
        _addWriter(writerA);
    }

    // ------------------------------------------------------------------ batch contents

    /// Arbitrary bytes: accepted iff 1..MAX bytes; the event carries them and their hash.
    function testFuzz_batchContents(bytes calldata batch) public {
        if (batch.length == 0) {
            vm.expectRevert(_err(SequencerInbox.EmptyBatch.selector));
            _submit(writerA, 0, batch);
            return;
        }
        vm.assume(batch.length <= MAX);
        bytes32 h = keccak256(batch);
        bytes32 expectedAcc = _chain(bytes32(0), batch);

        vm.expectEmit(true, true, true, true, address(inbox));
        emit SequencerInbox.BatchAppended(0, writerA, 0, h, expectedAcc, batch);
        _submit(writerA, 0, batch);

        assertEq(inbox.acc(), expectedAcc, "acc");
        assertEq(uint256(inbox.batchCount()), 1, "count");
    }

    /// Fuzzed lengths over the whole accepted range (the fuzzer's own bytes stay short).
    function testFuzz_batchLength(uint256 len, uint256 seed, bytes32 prevAcc) public {
        len = bound(len, 1, MAX);
        bytes memory batch = _pattern(len, seed);

        // Start the chain from a prior state, so the step is checked from any acc, not only 0.
        bytes memory first = abi.encodePacked(prevAcc);
        _submit(writerA, 0, first);
        bytes32 acc1 = _chain(bytes32(0), first);

        vm.recordLogs();
        _submit(writerA, 1, batch);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 1, "one log");
        assertEq(uint256(logs[0].topics[1]), 1, "batchSeq");
        assertEq(address(uint160(uint256(logs[0].topics[2]))), writerA, "writer");
        (uint64 writerSeq, bytes32 batchHash, bytes32 newAcc, bytes memory data) =
            abi.decode(logs[0].data, (uint64, bytes32, bytes32, bytes));
        assertEq(uint256(writerSeq), 1, "writerSeq");
        assertEq(batchHash, keccak256(batch), "batchHash");
        assertEq(newAcc, keccak256(abi.encodePacked(acc1, keccak256(batch))), "acc in event");
        assertEq(inbox.acc(), newAcc, "acc in storage");
        assertEq(data.length, len, "length");
        assertEq(data, batch, "bytes");
    }

    function testFuzz_oversizeRejected(uint256 len) public {
        len = bound(len, MAX + 1, 2 * MAX);
        bytes memory batch = new bytes(len);
        vm.expectRevert(abi.encodeWithSelector(SequencerInbox.BatchTooLarge.selector, len, MAX));
        _submit(writerA, 0, batch);
        assertEq(uint256(inbox.nextWriterSeq(writerA)), 0, "seq not consumed");
    }

    /// A run of batches, some empty: the empty ones fail and consume nothing; the chain, the
    /// counter and the writer seq follow exactly the accepted ones.
    function testFuzz_batchSequence(bytes[] calldata batches) public {
        bytes32 expected;
        uint64 accepted;
        uint256 n = batches.length < 24 ? batches.length : 24;
        for (uint256 i = 0; i < n; i++) {
            bytes calldata b = batches[i];
            if (b.length == 0) {
                vm.expectRevert(_err(SequencerInbox.EmptyBatch.selector));
                _submit(writerA, accepted, b);
                continue;
            }
            expected = _chain(expected, b);
            vm.expectEmit(true, true, true, true, address(inbox));
            emit SequencerInbox.BatchAppended(accepted, writerA, accepted, keccak256(b), expected, b);
            _submit(writerA, accepted, b);
            accepted++;
        }
        (uint64 count, bytes32 accumulator) = inbox.head();
        assertEq(uint256(count), uint256(accepted), "count");
        assertEq(accumulator, expected, "acc");
        assertEq(uint256(inbox.nextWriterSeq(writerA)), uint256(accepted), "writer seq");
    }

    // ------------------------------------------------------------------ writer seqs

    /// After `k` accepted batches, every seq but `k` fails with BadWriterSeq(k, got).
    function testFuzz_wrongSeqRejected(uint8 k, uint64 got) public {
        uint64 done = uint64(bound(k, 0, 20));
        for (uint64 i = 0; i < done; i++) {
            _submit(writerA, i, abi.encodePacked(i));
        }
        if (got == done) {
            _submit(writerA, got, hex"01");
            assertEq(uint256(inbox.nextWriterSeq(writerA)), uint256(done) + 1, "accepted");
        } else {
            vm.expectRevert(_errSeq(done, got));
            _submit(writerA, got, hex"01");
            assertEq(uint256(inbox.nextWriterSeq(writerA)), uint256(done), "unchanged");
        }
    }

    function testFuzz_nonWriterRejected(address caller, uint64 seq, bytes calldata batch) public {
        vm.assume(caller != writerA);
        vm.expectRevert(_err(SequencerInbox.NotWriter.selector, caller));
        _submit(caller, seq, batch);
        assertEq(uint256(inbox.batchCount()), 0, "nothing appended");
    }

    // ------------------------------------------------------------------ writer sets

    /// A fuzzed list of accounts is added (duplicates and address(0) fail with their errors),
    /// a fuzzed subset removed; afterwards exactly the allowed ones can submit.
    function testFuzz_writerSet(address[] calldata candidates, uint256 removeMask, address outsider) public {
        // The fixture's writer is part of the set under test; start from nothing.
        _removeWriter(writerA);

        uint256 n = candidates.length < 16 ? candidates.length : 16;
        address[] memory added = new address[](n);
        uint256 nAdded;
        for (uint256 i = 0; i < n; i++) {
            address c = candidates[i];
            if (c == address(0)) {
                vm.expectRevert(_err(SequencerInbox.ZeroAddress.selector));
            } else if (_contains(added, nAdded, c)) {
                vm.expectRevert(_err(SequencerInbox.WriterAlreadyAllowed.selector, c));
            } else {
                vm.expectEmit(true, true, true, true, address(inbox));
                emit SequencerInbox.WriterAdded(c);
                added[nAdded++] = c;
            }
            vm.prank(owner);
            inbox.addWriter(c);
        }

        // Remove the subset picked by the mask (bit i for the i-th added account).
        bool[] memory removed = new bool[](nAdded);
        for (uint256 i = 0; i < nAdded; i++) {
            if ((removeMask >> i) & 1 == 1) {
                vm.expectEmit(true, true, true, true, address(inbox));
                emit SequencerInbox.WriterRemoved(added[i]);
                _removeWriter(added[i]);
                removed[i] = true;
                // A second removal of the same account fails.
                vm.expectRevert(_err(SequencerInbox.WriterNotAllowed.selector, added[i]));
                vm.prank(owner);
                inbox.removeWriter(added[i]);
            }
        }

        // Exactly the allowed accounts can append.
        uint64 count;
        for (uint256 i = 0; i < nAdded; i++) {
            bool allowed = !removed[i];
            assertEq(inbox.isWriter(added[i]), allowed, "isWriter");
            if (allowed) {
                _submit(added[i], 0, abi.encodePacked(i));
                count++;
                assertEq(uint256(inbox.nextWriterSeq(added[i])), 1, "writer seq");
            } else {
                vm.expectRevert(_err(SequencerInbox.NotWriter.selector, added[i]));
                _submit(added[i], 0, abi.encodePacked(i));
                assertEq(uint256(inbox.nextWriterSeq(added[i])), 0, "removed writer seq");
            }
        }
        // Anyone never added (writerA included: it was removed above) cannot append.
        if (!_contains(added, nAdded, outsider)) {
            vm.expectRevert(_err(SequencerInbox.NotWriter.selector, outsider));
            _submit(outsider, 0, hex"01");
        }
        assertEq(uint256(inbox.batchCount()), uint256(count), "one batch per allowed writer");
    }

    function testFuzz_ownershipTransfer(address newOwner, address other) public {
        vm.assume(newOwner != address(0) && other != newOwner);
        vm.prank(owner);
        inbox.transferOwnership(newOwner);
        vm.expectRevert(_err(SequencerInbox.NotPendingOwner.selector, other));
        vm.prank(other);
        inbox.acceptOwnership();
        vm.prank(newOwner);
        inbox.acceptOwnership();
        assertEq(inbox.owner(), newOwner, "owner");
        assertEq(inbox.pendingOwner(), address(0), "pending cleared");
        vm.expectRevert(_err(SequencerInbox.NotOwner.selector, other));
        vm.prank(other);
        inbox.addWriter(writerB);
    }

    function _contains(address[] memory xs, uint256 n, address x) internal pure returns (bool) {
        for (uint256 i = 0; i < n; i++) {
            if (xs[i] == x) return true;
        }
        return false;
    }
}
