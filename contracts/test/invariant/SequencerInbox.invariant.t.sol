// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Test} from "../base/Test.sol";
import {SequencerInbox} from "../../src/SequencerInbox.sol";
import {InboxHandler} from "./InboxHandler.sol";

/// @notice Invariants over random call sequences made by InboxHandler.
contract SequencerInboxInvariantTest is Test {
    SequencerInbox internal inbox;
    InboxHandler internal handler;

    function setUp() public {
        address owner = address(0x0A11CE);
        inbox = new SequencerInbox(keccak256("chaindomain invariant domain"), owner);
        address[] memory writers = new address[](4);
        writers[0] = address(0xA0);
        writers[1] = address(0xB0);
        writers[2] = address(0xC0);
        writers[3] = address(0xD0);
        handler = new InboxHandler(inbox, owner, writers, 2);

        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](5);
        selectors[0] = InboxHandler.submit.selector;
        selectors[1] = InboxHandler.submitValid.selector;
        selectors[2] = InboxHandler.addWriter.selector;
        selectors[3] = InboxHandler.removeWriter.selector;
        selectors[4] = InboxHandler.changeOwner.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    /// The counter rises by exactly one per accepted batch and never otherwise.
    function invariant_counterIsAcceptedBatches() public view {
        assertEq(uint256(inbox.batchCount()), handler.ghostAccepted(), "batchCount != accepted batches");
        assertEq(handler.ghostCounterJumps(), 0, "batchCount moved by other than one per accepted batch");
    }

    /// The test's own hash chain equals the contract's, read both ways.
    function invariant_hashChainMatches() public view {
        assertEq(inbox.acc(), handler.ghostAcc(), "acc != test's hash chain");
        (uint64 count, bytes32 accumulator) = inbox.head();
        assertEq(uint256(count), handler.ghostAccepted(), "head.count");
        assertEq(accumulator, handler.ghostAcc(), "head.acc");
    }

    /// No account the model does not allow ever appends.
    function invariant_noNonWriterAppends() public view {
        assertEq(handler.ghostAppendsByNonWriters(), 0, "a non-writer appended");
    }

    /// Each writer's seq is the number of its accepted batches, and the allowlist is the model's.
    function invariant_writerSeqs() public view {
        uint256 n = handler.poolSize();
        uint256 sum;
        for (uint256 i = 0; i < n; i++) {
            address w = handler.poolAt(i);
            uint64 accepted = handler.ghostWriterCount(w);
            sum += accepted;
            assertEq(uint256(inbox.nextWriterSeq(w)), uint256(accepted), "nextWriterSeq != accepted batches");
            assertEq(inbox.isWriter(w), handler.modelAllowed(w), "isWriter != model");
        }
        assertTrue(sum <= handler.ghostAccepted(), "writers' batches exceed the total");
    }

    /// Every call ended as the model predicted: same success, same error data, same logs.
    function invariant_outcomesAsPredicted() public view {
        if (handler.ghostMismatches() != 0) fail(handler.firstMismatch());
        assertEq(inbox.owner(), handler.modelOwner(), "owner");
        assertEq(inbox.pendingOwner(), handler.modelPending(), "pendingOwner");
    }
}
