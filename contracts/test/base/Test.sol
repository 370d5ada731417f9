// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Vm} from "./Vm.sol";

/// @notice A minimal test base: the cheatcode handle, assertions that revert with a message
///         naming both values, `bound`, and the hooks forge reads to pick invariant targets.
///         forge treats any revert in a test function as a failure, so no `failed()` flag is kept.
abstract contract Test {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    // ------------------------------------------------------------------ invariant targets

    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    address[] private _targetedContracts;
    address[] private _excludedContracts;
    address[] private _targetedSenders;
    address[] private _excludedSenders;
    FuzzSelector[] private _targetedSelectors;

    function IS_TEST() public pure returns (bool) {
        return true;
    }

    function targetContract(address target) internal {
        _targetedContracts.push(target);
    }

    function excludeContract(address target) internal {
        _excludedContracts.push(target);
    }

    function targetSender(address sender) internal {
        _targetedSenders.push(sender);
    }

    function excludeSender(address sender) internal {
        _excludedSenders.push(sender);
    }

    function targetSelector(FuzzSelector memory selector) internal {
        _targetedSelectors.push(selector);
    }

    function targetContracts() public view returns (address[] memory) {
        return _targetedContracts;
    }

    function excludeContracts() public view returns (address[] memory) {
        return _excludedContracts;
    }

    function targetSenders() public view returns (address[] memory) {
        return _targetedSenders;
    }

    function excludeSenders() public view returns (address[] memory) {
        return _excludedSenders;
    }

    function targetSelectors() public view returns (FuzzSelector[] memory) {
        return _targetedSelectors;
    }

    // ------------------------------------------------------------------ assertions

    function fail(string memory message) internal pure {
        revert(string.concat("assertion failed: ", message));
    }

    function assertTrue(bool condition, string memory message) internal pure {
        if (!condition) fail(message);
    }

    function assertTrue(bool condition) internal pure {
        assertTrue(condition, "expected true");
    }

    function assertFalse(bool condition, string memory message) internal pure {
        if (condition) fail(message);
    }

    function assertEq(uint256 a, uint256 b, string memory message) internal pure {
        if (a != b) {
            fail(string.concat(message, ": left=", _toString(a), " right=", _toString(b)));
        }
    }

    function assertEq(uint256 a, uint256 b) internal pure {
        assertEq(a, b, "uint256 not equal");
    }

    function assertEq(bytes32 a, bytes32 b, string memory message) internal pure {
        if (a != b) {
            fail(string.concat(message, ": left=", _toHex(abi.encodePacked(a)), " right=", _toHex(abi.encodePacked(b))));
        }
    }

    function assertEq(bytes32 a, bytes32 b) internal pure {
        assertEq(a, b, "bytes32 not equal");
    }

    function assertEq(address a, address b, string memory message) internal pure {
        if (a != b) {
            fail(string.concat(message, ": left=", _toHex(abi.encodePacked(a)), " right=", _toHex(abi.encodePacked(b))));
        }
    }

    function assertEq(address a, address b) internal pure {
        assertEq(a, b, "address not equal");
    }

    function assertEq(bool a, bool b, string memory message) internal pure {
        if (a != b) {
            fail(string.concat(message, ": left=", a ? "true" : "false", " right=", b ? "true" : "false"));
        }
    }

    function assertEq(bool a, bool b) internal pure {
        assertEq(a, b, "bool not equal");
    }

    function assertEq(bytes memory a, bytes memory b, string memory message) internal pure {
        if (keccak256(a) != keccak256(b)) {
            // Long byte strings are compared by length and hash so the message stays readable.
            fail(
                string.concat(
                    message,
                    ": left.length=",
                    _toString(a.length),
                    " right.length=",
                    _toString(b.length),
                    " left.hash=",
                    _toHex(abi.encodePacked(keccak256(a))),
                    " right.hash=",
                    _toHex(abi.encodePacked(keccak256(b)))
                )
            );
        }
    }

    function assertEq(bytes memory a, bytes memory b) internal pure {
        assertEq(a, b, "bytes not equal");
    }

    // ------------------------------------------------------------------ fuzz helpers

    /// @notice Map `x` into [min, max] without discarding runs. Values already in range are
    ///         kept, so the fuzzer's edge values (min, max) still reach the test.
    function bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        require(min <= max, "bound: min > max");
        if (x >= min && x <= max) return x;
        uint256 size = max - min + 1;
        if (size == 0) return x; // full uint256 range
        return min + (x % size);
    }

    // ------------------------------------------------------------------ formatting

    function _toString(uint256 v) internal pure returns (string memory) {
        if (v == 0) return "0";
        uint256 digits;
        for (uint256 t = v; t != 0; t /= 10) digits++;
        bytes memory out = new bytes(digits);
        for (; v != 0; v /= 10) out[--digits] = bytes1(uint8(48 + (v % 10)));
        return string(out);
    }

    function _toHex(bytes memory data) internal pure returns (string memory) {
        bytes16 symbols = "0123456789abcdef";
        bytes memory out = new bytes(2 + data.length * 2);
        out[0] = "0";
        out[1] = "x";
        for (uint256 i = 0; i < data.length; i++) {
            out[2 + i * 2] = symbols[uint8(data[i]) >> 4];
            out[3 + i * 2] = symbols[uint8(data[i]) & 0x0f];
        }
        return string(out);
    }
}
