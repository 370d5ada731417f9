// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Test} from "./base/Test.sol";
import {SequencerInbox} from "../src/SequencerInbox.sol";

/// @notice Shared set-up for the SequencerInbox tests: a deployed inbox, named accounts, and
///         an independent model of the hash chain the contract must match.
abstract contract InboxFixture is Test {
    bytes32 internal constant DOMAIN = keccak256("chaindomain test domain");

    SequencerInbox internal inbox;

    address internal owner = address(0x0A11CE);
    address internal writerA = address(0xA0);
    address internal writerB = address(0xB0);
    address internal stranger = address(0x5757);

    function setUp() public virtual {
        vm.label(owner, "owner");
        vm.label(writerA, "writerA");
        vm.label(writerB, "writerB");
        vm.label(stranger, "stranger");
        inbox = new SequencerInbox(DOMAIN, owner);
        vm.label(address(inbox), "inbox");
    }

    // ------------------------------------------------------------------ helpers

    function _addWriter(address w) internal {
        vm.prank(owner);
        inbox.addWriter(w);
    }

    function _removeWriter(address w) internal {
        vm.prank(owner);
        inbox.removeWriter(w);
    }

    function _submit(address w, uint64 seq, bytes memory batch) internal {
        vm.prank(w);
        inbox.submit(seq, batch);
    }

    /// @dev The chain step, written out here rather than copied from the contract.
    function _chain(bytes32 prev, bytes memory batch) internal pure returns (bytes32) {
        return keccak256(bytes.concat(prev, keccak256(batch)));
    }

    /// @dev `len` deterministic bytes, all nonzero-heavy, derived from `seed`.
    function _pattern(uint256 len, uint256 seed) internal pure returns (bytes memory out) {
        out = new bytes(len);
        bytes32 word = keccak256(abi.encode(seed));
        uint256 full = len / 32;
        for (uint256 i = 0; i < full; i++) {
            assembly {
                mstore(add(add(out, 32), mul(i, 32)), word)
            }
            word = keccak256(abi.encode(word));
        }
        for (uint256 j = full * 32; j < len; j++) {
            out[j] = word[j % 32];
        }
    }

    function _err(bytes4 selector) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(selector);
    }

    function _err(bytes4 selector, address a) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(selector, a);
    }

    function _errSeq(uint64 expected, uint64 got) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(SequencerInbox.BadWriterSeq.selector, expected, got);
    }
}
