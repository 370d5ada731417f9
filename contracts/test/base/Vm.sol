// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @notice The subset of Foundry's cheatcode interface these tests use. Each signature must
///         match Foundry's exactly: the cheatcode handler dispatches on the selector, and an
///         unknown selector fails the test at run time.
interface Vm {
    struct Log {
        bytes32[] topics;
        bytes data;
        address emitter;
    }

    // caller control
    function prank(address msgSender) external;
    function startPrank(address msgSender) external;
    function stopPrank() external;
    function deal(address account, uint256 newBalance) external;

    // raw storage (for states no sequence of calls can reach in a test, e.g. counters at 2**64-1)
    function load(address target, bytes32 slot) external view returns (bytes32 data);
    function store(address target, bytes32 slot, bytes32 value) external;

    // gas metering (keeps test setup out of the gas snapshot)
    function pauseGasMetering() external;
    function resumeGasMetering() external;

    // expectations
    function expectRevert() external;
    function expectRevert(bytes calldata revertData) external;
    function expectEmit(bool checkTopic1, bool checkTopic2, bool checkTopic3, bool checkData) external;
    function expectEmit(bool checkTopic1, bool checkTopic2, bool checkTopic3, bool checkData, address emitter)
        external;

    // fuzzing
    function assume(bool condition) external pure;

    // logs
    function recordLogs() external;
    function getRecordedLogs() external returns (Log[] memory logs);

    // accounts
    function addr(uint256 privateKey) external pure returns (address keyAddr);
    function label(address account, string calldata newLabel) external;
}
