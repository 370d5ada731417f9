// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {InboxFixture} from "./InboxFixture.sol";
import {SequencerInbox} from "../src/SequencerInbox.sol";
import {Vm} from "./base/Vm.sol";

/// @notice Unit tests: every revert path with its exact error data, every event with its
///         exact arguments, and the guarantees readers rely on (counter, chain, writer seqs).
contract SequencerInboxTest is InboxFixture {
    // Storage slots, from `forge inspect SequencerInbox storageLayout`. Used only to reach
    // counter values no test could reach by calling (2**64 - 1).
    uint256 internal constant SLOT_PENDING_OWNER_AND_BATCH_COUNT = 1;
    uint256 internal constant SLOT_WRITERS = 3;

    // ================================================================== deployment

    function test_constants() public view {
        assertEq(inbox.VERSION(), 1, "VERSION");
        assertEq(inbox.MAX_BATCH_SIZE(), 120_000, "MAX_BATCH_SIZE");
        assertEq(inbox.domainId(), DOMAIN, "domainId");
    }

    function test_initialState() public view {
        assertEq(inbox.owner(), owner, "owner");
        assertEq(inbox.pendingOwner(), address(0), "pendingOwner");
        assertEq(uint256(inbox.batchCount()), 0, "batchCount");
        assertEq(inbox.acc(), bytes32(0), "acc");
        (uint64 count, bytes32 accumulator) = inbox.head();
        assertEq(uint256(count), 0, "head.count");
        assertEq(accumulator, bytes32(0), "head.acc");
        assertFalse(inbox.isWriter(owner), "owner is not a writer by default");
        assertEq(uint256(inbox.nextWriterSeq(writerA)), 0, "nextWriterSeq of a stranger");
    }

    function test_constructor_emitsOwnershipTransferred() public {
        vm.expectEmit(true, true, true, true);
        emit SequencerInbox.OwnershipTransferred(address(0), stranger);
        SequencerInbox other = new SequencerInbox(bytes32(uint256(42)), stranger);
        assertEq(other.owner(), stranger, "owner");
        assertEq(other.domainId(), bytes32(uint256(42)), "domainId");
    }

    function test_constructor_revertsOnZeroOwner() public {
        vm.expectRevert(_err(SequencerInbox.ZeroAddress.selector));
        new SequencerInbox(DOMAIN, address(0));
    }

    function test_domainIdIsPerDeployment() public {
        SequencerInbox a = new SequencerInbox(keccak256("a"), owner);
        SequencerInbox b = new SequencerInbox(keccak256("b"), owner);
        assertEq(a.domainId(), keccak256("a"), "a.domainId");
        assertEq(b.domainId(), keccak256("b"), "b.domainId");
    }

    // ================================================================== ownership

    function test_transferOwnership_revertsForNonOwner() public {
        vm.expectRevert(_err(SequencerInbox.NotOwner.selector, stranger));
        vm.prank(stranger);
        inbox.transferOwnership(stranger);
    }

    function test_transferOwnership_startsTransferOnly() public {
        vm.expectEmit(true, true, true, true, address(inbox));
        emit SequencerInbox.OwnershipTransferStarted(owner, writerA);
        vm.prank(owner);
        inbox.transferOwnership(writerA);
        assertEq(inbox.pendingOwner(), writerA, "pendingOwner");
        assertEq(inbox.owner(), owner, "owner unchanged until accepted");
        // The old owner still governs until acceptance.
        _addWriter(writerB);
        assertTrue(inbox.isWriter(writerB), "old owner still manages writers");
    }

    function test_acceptOwnership_revertsForNonPending() public {
        vm.prank(owner);
        inbox.transferOwnership(writerA);
        vm.expectRevert(_err(SequencerInbox.NotPendingOwner.selector, stranger));
        vm.prank(stranger);
        inbox.acceptOwnership();
        // Not even the current owner can accept on the new owner's behalf.
        vm.expectRevert(_err(SequencerInbox.NotPendingOwner.selector, owner));
        vm.prank(owner);
        inbox.acceptOwnership();
    }

    function test_acceptOwnership_revertsWithNothingPending() public {
        vm.expectRevert(_err(SequencerInbox.NotPendingOwner.selector, stranger));
        vm.prank(stranger);
        inbox.acceptOwnership();
    }

    function test_twoStepOwnership() public {
        vm.prank(owner);
        inbox.transferOwnership(writerA);

        vm.expectEmit(true, true, true, true, address(inbox));
        emit SequencerInbox.OwnershipTransferred(owner, writerA);
        vm.prank(writerA);
        inbox.acceptOwnership();

        assertEq(inbox.owner(), writerA, "new owner");
        assertEq(inbox.pendingOwner(), address(0), "pending cleared");

        // The old owner lost every owner power.
        vm.expectRevert(_err(SequencerInbox.NotOwner.selector, owner));
        vm.prank(owner);
        inbox.addWriter(writerB);
        vm.expectRevert(_err(SequencerInbox.NotOwner.selector, owner));
        vm.prank(owner);
        inbox.transferOwnership(owner);

        // The new owner has them.
        vm.prank(writerA);
        inbox.addWriter(writerB);
        assertTrue(inbox.isWriter(writerB), "new owner manages writers");

        // Accepting twice is impossible: the offer is consumed.
        vm.expectRevert(_err(SequencerInbox.NotPendingOwner.selector, writerA));
        vm.prank(writerA);
        inbox.acceptOwnership();
    }

    function test_transferOwnership_toZeroCancelsOffer() public {
        vm.prank(owner);
        inbox.transferOwnership(writerA);

        vm.expectEmit(true, true, true, true, address(inbox));
        emit SequencerInbox.OwnershipTransferStarted(owner, address(0));
        vm.prank(owner);
        inbox.transferOwnership(address(0));
        assertEq(inbox.pendingOwner(), address(0), "offer cancelled");

        vm.expectRevert(_err(SequencerInbox.NotPendingOwner.selector, writerA));
        vm.prank(writerA);
        inbox.acceptOwnership();
        assertEq(inbox.owner(), owner, "owner unchanged");
    }

    function test_transferOwnership_newOfferReplacesOld() public {
        vm.startPrank(owner);
        inbox.transferOwnership(writerA);
        inbox.transferOwnership(writerB);
        vm.stopPrank();
        vm.expectRevert(_err(SequencerInbox.NotPendingOwner.selector, writerA));
        vm.prank(writerA);
        inbox.acceptOwnership();
        vm.prank(writerB);
        inbox.acceptOwnership();
        assertEq(inbox.owner(), writerB, "latest offer wins");
    }

    /// pendingOwner and batchCount share a storage slot; writing one must not disturb the other.
    function test_ownershipTransferKeepsBatchCount() public {
        _addWriter(writerA);
        _submit(writerA, 0, hex"01");
        _submit(writerA, 1, hex"02");
        vm.prank(owner);
        inbox.transferOwnership(stranger);
        _submit(writerA, 2, hex"03");
        assertEq(inbox.pendingOwner(), stranger, "pendingOwner survives submit");
        assertEq(uint256(inbox.batchCount()), 3, "batchCount survives transferOwnership");
        vm.prank(stranger);
        inbox.acceptOwnership();
        assertEq(uint256(inbox.batchCount()), 3, "batchCount survives acceptOwnership");
        assertEq(inbox.pendingOwner(), address(0), "pending cleared");
    }

    // ================================================================== writers

    function test_addWriter_revertsForNonOwner() public {
        vm.expectRevert(_err(SequencerInbox.NotOwner.selector, writerA));
        vm.prank(writerA);
        inbox.addWriter(writerA);
    }

    function test_addWriter_revertsOnZeroAddress() public {
        vm.expectRevert(_err(SequencerInbox.ZeroAddress.selector));
        vm.prank(owner);
        inbox.addWriter(address(0));
    }

    function test_addWriter_revertsIfAlreadyAllowed() public {
        _addWriter(writerA);
        vm.expectRevert(_err(SequencerInbox.WriterAlreadyAllowed.selector, writerA));
        vm.prank(owner);
        inbox.addWriter(writerA);
    }

    function test_addWriter_emitsAndAllows() public {
        vm.expectEmit(true, true, true, true, address(inbox));
        emit SequencerInbox.WriterAdded(writerA);
        _addWriter(writerA);
        assertTrue(inbox.isWriter(writerA), "writerA allowed");
        assertFalse(inbox.isWriter(writerB), "writerB untouched");
    }

    function test_removeWriter_revertsForNonOwner() public {
        _addWriter(writerA);
        vm.expectRevert(_err(SequencerInbox.NotOwner.selector, writerA));
        vm.prank(writerA);
        inbox.removeWriter(writerA);
        assertTrue(inbox.isWriter(writerA), "still allowed");
    }

    function test_removeWriter_revertsIfNotAllowed() public {
        vm.expectRevert(_err(SequencerInbox.WriterNotAllowed.selector, writerA));
        vm.prank(owner);
        inbox.removeWriter(writerA);
        // Removing twice fails the second time.
        _addWriter(writerA);
        _removeWriter(writerA);
        vm.expectRevert(_err(SequencerInbox.WriterNotAllowed.selector, writerA));
        vm.prank(owner);
        inbox.removeWriter(writerA);
        // address(0) can never be added, so removing it reports "not allowed".
        vm.expectRevert(_err(SequencerInbox.WriterNotAllowed.selector, address(0)));
        vm.prank(owner);
        inbox.removeWriter(address(0));
    }

    function test_removeWriter_emitsAndDisallows() public {
        _addWriter(writerA);
        vm.expectEmit(true, true, true, true, address(inbox));
        emit SequencerInbox.WriterRemoved(writerA);
        _removeWriter(writerA);
        assertFalse(inbox.isWriter(writerA), "writerA removed");
        vm.expectRevert(_err(SequencerInbox.NotWriter.selector, writerA));
        _submit(writerA, 0, hex"aa");
    }

    function test_removedThenReAddedWriterKeepsItsSequence() public {
        _addWriter(writerA);
        _submit(writerA, 0, hex"aa");
        _submit(writerA, 1, hex"bb");
        _removeWriter(writerA);
        assertEq(uint256(inbox.nextWriterSeq(writerA)), 2, "seq kept while removed");
        _addWriter(writerA);
        assertEq(uint256(inbox.nextWriterSeq(writerA)), 2, "seq kept after re-add");

        // Transactions signed before the removal cannot replay.
        vm.expectRevert(_errSeq(2, 0));
        _submit(writerA, 0, hex"aa");
        vm.expectRevert(_errSeq(2, 1));
        _submit(writerA, 1, hex"bb");

        _submit(writerA, 2, hex"cc");
        assertEq(uint256(inbox.nextWriterSeq(writerA)), 3, "continues at 3");
        assertEq(uint256(inbox.batchCount()), 3, "three batches");
    }

    // ================================================================== submit: reverts

    function test_submit_revertsForNonWriter() public {
        vm.expectRevert(_err(SequencerInbox.NotWriter.selector, stranger));
        _submit(stranger, 0, hex"01");
        // The owner is not implicitly a writer.
        vm.expectRevert(_err(SequencerInbox.NotWriter.selector, owner));
        _submit(owner, 0, hex"01");
    }

    function test_submit_revertsOnSeqTooHigh() public {
        _addWriter(writerA);
        vm.expectRevert(_errSeq(0, 1));
        _submit(writerA, 1, hex"01");
        vm.expectRevert(_errSeq(0, type(uint64).max));
        _submit(writerA, type(uint64).max, hex"01");
        _submit(writerA, 0, hex"01");
        vm.expectRevert(_errSeq(1, 2));
        _submit(writerA, 2, hex"02");
    }

    function test_submit_revertsOnSeqTooLow() public {
        _addWriter(writerA);
        _submit(writerA, 0, hex"01");
        _submit(writerA, 1, hex"02");
        // The exact same call again: a resubmitted or fee-replaced transaction.
        vm.expectRevert(_errSeq(2, 1));
        _submit(writerA, 1, hex"02");
        vm.expectRevert(_errSeq(2, 0));
        _submit(writerA, 0, hex"01");
        assertEq(uint256(inbox.batchCount()), 2, "nothing appended twice");
    }

    function test_submit_revertsOnEmptyBatch() public {
        _addWriter(writerA);
        vm.expectRevert(_err(SequencerInbox.EmptyBatch.selector));
        _submit(writerA, 0, "");
        assertEq(uint256(inbox.nextWriterSeq(writerA)), 0, "failed submit consumes no seq");
    }

    function test_submit_revertsOnBatchTooLarge() public {
        _addWriter(writerA);
        uint256 max = inbox.MAX_BATCH_SIZE();
        bytes memory tooBig = new bytes(max + 1);
        vm.expectRevert(abi.encodeWithSelector(SequencerInbox.BatchTooLarge.selector, max + 1, max));
        _submit(writerA, 0, tooBig);
        assertEq(uint256(inbox.nextWriterSeq(writerA)), 0, "failed submit consumes no seq");
        assertEq(uint256(inbox.batchCount()), 0, "nothing appended");
    }

    function test_submit_acceptsMaxBatchSize() public {
        _addWriter(writerA);
        bytes memory maxBatch = _pattern(inbox.MAX_BATCH_SIZE(), 1);
        _submit(writerA, 0, maxBatch);
        assertEq(uint256(inbox.batchCount()), 1, "accepted");
        assertEq(inbox.acc(), _chain(bytes32(0), maxBatch), "acc");
    }

    function test_submit_acceptsOneByteBatch() public {
        _addWriter(writerA);
        _submit(writerA, 0, hex"00");
        assertEq(inbox.acc(), _chain(bytes32(0), hex"00"), "acc");
    }

    /// The checks run in a fixed order: who, then which seq, then what.
    function test_submit_checkOrder() public {
        // A non-writer with a wrong seq and an empty batch hears only that it is not a writer.
        vm.expectRevert(_err(SequencerInbox.NotWriter.selector, stranger));
        _submit(stranger, 5, "");
        _addWriter(writerA);
        // A writer with a wrong seq and an empty or oversize batch hears about the seq.
        vm.expectRevert(_errSeq(0, 5));
        _submit(writerA, 5, "");
        bytes memory tooBig = new bytes(inbox.MAX_BATCH_SIZE() + 1);
        vm.expectRevert(_errSeq(0, 5));
        _submit(writerA, 5, tooBig);
    }

    function test_submit_failuresDoNotMoveState() public {
        _addWriter(writerA);
        _submit(writerA, 0, hex"01");
        (uint64 c0, bytes32 a0) = inbox.head();
        vm.expectRevert(_errSeq(1, 0));
        _submit(writerA, 0, hex"02");
        vm.expectRevert(_err(SequencerInbox.EmptyBatch.selector));
        _submit(writerA, 1, "");
        vm.expectRevert(_err(SequencerInbox.NotWriter.selector, writerB));
        _submit(writerB, 0, hex"02");
        (uint64 c1, bytes32 a1) = inbox.head();
        assertEq(uint256(c1), uint256(c0), "count");
        assertEq(a1, a0, "acc");
        assertEq(uint256(inbox.nextWriterSeq(writerA)), 1, "writer seq");
    }

    // ================================================================== submit: effects

    function test_submit_emitsBatchAppended() public {
        _addWriter(writerA);
        bytes memory batch = hex"deadbeef00ff";
        bytes32 h = keccak256(batch);
        bytes32 acc1 = keccak256(abi.encodePacked(bytes32(0), h));

        vm.expectEmit(true, true, true, true, address(inbox));
        emit SequencerInbox.BatchAppended(0, writerA, 0, h, acc1, batch);
        _submit(writerA, 0, batch);

        bytes memory batch2 = hex"0102";
        bytes32 h2 = keccak256(batch2);
        bytes32 acc2 = keccak256(abi.encodePacked(acc1, h2));
        vm.expectEmit(true, true, true, true, address(inbox));
        emit SequencerInbox.BatchAppended(1, writerA, 1, h2, acc2, batch2);
        _submit(writerA, 1, batch2);
    }

    /// The same check, from the raw log: topics, emitter and ABI-decoded data, one log only.
    function test_submit_logLayout() public {
        _addWriter(writerB);
        _addWriter(writerA);
        _submit(writerB, 0, hex"11");
        bytes memory batch = _pattern(77, 9);

        vm.recordLogs();
        _submit(writerA, 0, batch);
        Vm.Log[] memory logs = vm.getRecordedLogs();

        assertEq(logs.length, 1, "exactly one log per batch");
        assertEq(logs[0].emitter, address(inbox), "emitter");
        assertEq(logs[0].topics.length, 3, "two indexed fields");
        assertEq(
            logs[0].topics[0],
            keccak256("BatchAppended(uint64,address,uint64,bytes32,bytes32,bytes)"),
            "event signature"
        );
        assertEq(logs[0].topics[0], SequencerInbox.BatchAppended.selector, "selector");
        assertEq(uint256(logs[0].topics[1]), 1, "batchSeq topic");
        assertEq(address(uint160(uint256(logs[0].topics[2]))), writerA, "writer topic");
        (uint64 writerSeq, bytes32 batchHash, bytes32 newAcc, bytes memory data) =
            abi.decode(logs[0].data, (uint64, bytes32, bytes32, bytes));
        assertEq(uint256(writerSeq), 0, "writerSeq");
        assertEq(batchHash, keccak256(batch), "batchHash");
        assertEq(newAcc, inbox.acc(), "acc");
        assertEq(newAcc, _chain(_chain(bytes32(0), hex"11"), batch), "acc recomputed");
        assertEq(data, batch, "batch bytes");
    }

    function test_writerEventsLayout() public {
        vm.recordLogs();
        _addWriter(writerA);
        _removeWriter(writerA);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 2, "two logs");
        assertEq(logs[0].topics[0], keccak256("WriterAdded(address)"), "WriterAdded signature");
        assertEq(logs[1].topics[0], keccak256("WriterRemoved(address)"), "WriterRemoved signature");
        assertEq(address(uint160(uint256(logs[0].topics[1]))), writerA, "added writer");
        assertEq(address(uint160(uint256(logs[1].topics[1]))), writerA, "removed writer");
        assertEq(logs[0].data.length, 0, "no data");
    }

    function test_headAndAccAfterManyBatches() public {
        _addWriter(writerA);
        _addWriter(writerB);
        bytes32 expected;
        uint64 seqA;
        uint64 seqB;
        uint256 n = 25;
        for (uint256 i = 0; i < n; i++) {
            bytes memory batch = _pattern(1 + (i * 37) % 300, i);
            // Interleave the two writers unevenly.
            if (i % 3 == 0) {
                _submit(writerB, seqB++, batch);
            } else {
                _submit(writerA, seqA++, batch);
            }
            expected = _chain(expected, batch);
            (uint64 count, bytes32 accumulator) = inbox.head();
            assertEq(uint256(count), i + 1, "count after batch");
            assertEq(accumulator, expected, "acc after batch");
            assertEq(uint256(inbox.batchCount()), uint256(count), "head.count == batchCount");
            assertEq(inbox.acc(), accumulator, "head.acc == acc");
        }
        assertEq(uint256(inbox.nextWriterSeq(writerA)), uint256(seqA), "writerA seq");
        assertEq(uint256(inbox.nextWriterSeq(writerB)), uint256(seqB), "writerB seq");
        assertEq(uint256(seqA) + uint256(seqB), n, "seqs add up to the count");
    }

    /// The contract orders, it does not deduplicate: equal bytes under successive seqs are two
    /// batches, and the chain still moves.
    function test_sameBytesTwiceAreTwoBatches() public {
        _addWriter(writerA);
        _submit(writerA, 0, hex"abcd");
        bytes32 afterOne = inbox.acc();
        _submit(writerA, 1, hex"abcd");
        assertEq(uint256(inbox.batchCount()), 2, "two batches");
        assertEq(inbox.acc(), _chain(afterOne, hex"abcd"), "acc moved");
        assertTrue(inbox.acc() != afterOne, "acc changed");
    }

    function test_writerSeqsAreIndependent() public {
        _addWriter(writerA);
        _addWriter(writerB);
        _submit(writerA, 0, hex"01");
        _submit(writerA, 1, hex"02");
        _submit(writerB, 0, hex"03");
        assertEq(uint256(inbox.nextWriterSeq(writerA)), 2, "A");
        assertEq(uint256(inbox.nextWriterSeq(writerB)), 1, "B");
        vm.expectRevert(_errSeq(1, 2));
        _submit(writerB, 2, hex"04");
    }

    // ================================================================== no payable entry

    function test_submitWithValueReverts() public {
        _addWriter(writerA);
        vm.deal(writerA, 1 ether);
        vm.prank(writerA);
        (bool ok, bytes memory ret) =
            address(inbox).call{value: 1 wei}(abi.encodeCall(SequencerInbox.submit, (uint64(0), hex"01")));
        assertFalse(ok, "submit with value must fail");
        assertEq(ret.length, 0, "non-payable check reverts without data");
        assertEq(uint256(inbox.batchCount()), 0, "nothing appended");
        assertEq(address(inbox).balance, 0, "no ether held");
        assertEq(writerA.balance, 1 ether, "value returned");

        // The same call without value succeeds, so the value was the only reason.
        vm.prank(writerA);
        (ok,) = address(inbox).call(abi.encodeCall(SequencerInbox.submit, (uint64(0), hex"01")));
        assertTrue(ok, "submit without value");
    }

    function test_noEntryPointAcceptsEther() public {
        vm.deal(owner, 10 ether);
        vm.startPrank(owner);
        bool ok;
        (ok,) = address(inbox).call{value: 1}("");
        assertFalse(ok, "plain transfer");
        (ok,) = address(inbox).call{value: 1}(hex"12345678");
        assertFalse(ok, "unknown selector");
        (ok,) = address(inbox).call{value: 1}(abi.encodeCall(SequencerInbox.addWriter, (writerA)));
        assertFalse(ok, "addWriter");
        (ok,) = address(inbox).call{value: 1}(abi.encodeCall(SequencerInbox.removeWriter, (writerA)));
        assertFalse(ok, "removeWriter");
        (ok,) = address(inbox).call{value: 1}(abi.encodeCall(SequencerInbox.transferOwnership, (writerA)));
        assertFalse(ok, "transferOwnership");
        vm.stopPrank();
        assertEq(address(inbox).balance, 0, "no ether held");
    }

    function test_unknownSelectorReverts() public {
        (bool ok,) = address(inbox).call(hex"deadbeef");
        assertFalse(ok, "no fallback");
    }

    // ================================================================== counters never wrap

    function _writerSlot(address w) internal pure returns (bytes32) {
        return keccak256(abi.encode(w, SLOT_WRITERS));
    }

    function test_storageSlotsMatchLayout() public {
        // Guards the slot constants below: they must read what the getters read.
        _addWriter(writerA);
        _submit(writerA, 0, hex"01");
        _submit(writerA, 1, hex"02");
        vm.prank(owner);
        inbox.transferOwnership(stranger);
        uint256 w = uint256(vm.load(address(inbox), _writerSlot(writerA)));
        assertEq(w & 0xff, 1, "allowed flag");
        assertEq((w >> 8) & type(uint64).max, 2, "nextSeq");
        uint256 s1 = uint256(vm.load(address(inbox), bytes32(SLOT_PENDING_OWNER_AND_BATCH_COUNT)));
        assertEq(address(uint160(s1)), stranger, "pendingOwner");
        assertEq((s1 >> 160) & type(uint64).max, 2, "batchCount");
    }

    function test_writerSeqAtMaxCannotWrap() public {
        _addWriter(writerA);
        uint64 max = type(uint64).max;
        vm.store(address(inbox), _writerSlot(writerA), bytes32((uint256(max) << 8) | 1));
        assertEq(uint256(inbox.nextWriterSeq(writerA)), uint256(max), "seq set");
        vm.expectRevert(abi.encodeWithSignature("Panic(uint256)", 0x11));
        _submit(writerA, max, hex"01");
    }

    function test_batchCountAtMaxCannotWrap() public {
        _addWriter(writerA);
        vm.store(address(inbox), bytes32(SLOT_PENDING_OWNER_AND_BATCH_COUNT), bytes32(uint256(type(uint64).max) << 160));
        assertEq(uint256(inbox.batchCount()), uint256(type(uint64).max), "count set");
        vm.expectRevert(abi.encodeWithSignature("Panic(uint256)", 0x11));
        _submit(writerA, 0, hex"01");
    }
}
