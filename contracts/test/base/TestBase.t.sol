// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Test} from "./Test.sol";

/// @notice The test base checks itself: an assertion that should fail must revert with its
///         message, or every test built on it could pass vacuously.
contract TestBaseTest is Test {
    function assertUintExt(uint256 a, uint256 b) external pure {
        assertEq(a, b, "u");
    }

    function assertBytes32Ext(bytes32 a, bytes32 b) external pure {
        assertEq(a, b, "h");
    }

    function assertAddressExt(address a, address b) external pure {
        assertEq(a, b, "a");
    }

    function assertBoolExt(bool a, bool b) external pure {
        assertEq(a, b, "b");
    }

    function assertBytesExt(bytes memory a, bytes memory b) external pure {
        assertEq(a, b, "bs");
    }

    function assertTrueExt(bool c) external pure {
        assertTrue(c, "t");
    }

    function test_assertionsFailOnMismatch() public {
        vm.expectRevert(bytes(abi.encodeWithSignature("Error(string)", "assertion failed: u: left=1 right=2")));
        this.assertUintExt(1, 2);
        vm.expectRevert();
        this.assertBytes32Ext(bytes32(uint256(1)), bytes32(uint256(2)));
        vm.expectRevert(
            bytes(
                abi.encodeWithSignature(
                    "Error(string)",
                    "assertion failed: a: left=0x0000000000000000000000000000000000000001 right=0x0000000000000000000000000000000000000002"
                )
            )
        );
        this.assertAddressExt(address(1), address(2));
        vm.expectRevert(bytes(abi.encodeWithSignature("Error(string)", "assertion failed: b: left=true right=false")));
        this.assertBoolExt(true, false);
        vm.expectRevert();
        this.assertBytesExt(hex"01", hex"0100");
        vm.expectRevert(bytes(abi.encodeWithSignature("Error(string)", "assertion failed: t")));
        this.assertTrueExt(false);
    }

    function test_assertionsPassOnMatch() public view {
        this.assertUintExt(7, 7);
        this.assertBytes32Ext(keccak256("x"), keccak256("x"));
        this.assertAddressExt(address(this), address(this));
        this.assertBoolExt(false, false);
        this.assertBytesExt(hex"00ff", hex"00ff");
        this.assertTrueExt(true);
    }

    function testFuzz_boundStaysInRange(uint256 x, uint256 min, uint256 max) public pure {
        if (min > max) (min, max) = (max, min);
        uint256 y = bound(x, min, max);
        assertTrue(y >= min && y <= max, "bound out of range");
        if (x >= min && x <= max) assertEq(y, x, "in-range value changed");
    }
}
