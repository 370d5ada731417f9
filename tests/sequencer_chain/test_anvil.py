"""The managed anvil: starts on a free port, stops cleanly, persists state with --state."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from sequencer_chain.anvil import KEPT_STATES, AnvilConfig, ManagedAnvil, free_port
from sequencer_chain.chain_keys import dev_account
from sequencer_chain.contract import connect, deploy_inbox, domain_id_bytes
from sequencer_chain.errors import AnvilError, ChainConnectionError

pytestmark = pytest.mark.anvil


def test_start_and_stop() -> None:
    anvil = ManagedAnvil(AnvilConfig(block_time=0.5))
    with anvil:
        assert anvil.running
        assert int(anvil.rpc("eth_chainId"), 16) == 31337
        assert "--prune-history" in anvil._command()
        first = int(anvil.rpc("eth_blockNumber"), 16)
        time.sleep(1.2)
        assert int(anvil.rpc("eth_blockNumber"), 16) > first  # interval mining
    assert not anvil.running


def test_recent_states_answer_calls_at_past_blocks() -> None:
    """History is pruned (nothing on disk), but the last KEPT_STATES states stay in memory,
    so a call at a recent past block works (writers read their contract at a confirmed
    block); older ones are refused."""
    with ManagedAnvil(AnvilConfig()) as anvil:
        account = dev_account(0, 31337).address
        for _ in range(5):
            anvil.rpc("evm_mine")
        assert int(anvil.rpc("eth_getBalance", [account, "0x2"]), 16) > 0
        for _ in range(KEPT_STATES + 2):
            anvil.rpc("evm_mine")
        with pytest.raises(AnvilError, match="BlockOutOfRange"):
            anvil.rpc("eth_getBalance", [account, "0x2"])


def test_state_persists_across_restarts(tmp_path: Path) -> None:
    state = tmp_path / "state.json"

    async def deploy(url: str) -> str:
        w3 = await connect(url)
        record = await deploy_inbox(w3, dev_account(0, 31337), domain_id_bytes("persist"))
        return record.address

    with ManagedAnvil(AnvilConfig(state_path=state)) as anvil:
        address = asyncio.run(deploy(anvil.rpc_url))
    assert state.exists()
    with ManagedAnvil(AnvilConfig(state_path=state)) as anvil:
        code = anvil.rpc("eth_getCode", [address, "latest"])
        assert len(code) > 2


def test_a_temporary_log_is_removed_on_stop_and_a_given_one_kept(tmp_path: Path) -> None:
    anvil = ManagedAnvil(AnvilConfig())
    with anvil:
        log = anvil._log_path
        assert log is not None and log.is_file()
        command = anvil._command()
        assert command[command.index("--host") + 1] == "127.0.0.1"
        pid = anvil.pid
    assert not log.exists()
    assert pid is not None and not Path(f"/proc/{pid}").exists()  # exited and reaped

    kept = tmp_path / "logs" / "anvil.log"
    with ManagedAnvil(AnvilConfig(), log_path=kept) as named:
        named.rpc("eth_blockNumber")
    assert kept.is_file() and kept.stat().st_size > 0


def test_a_port_in_use_is_refused_rather_than_talking_to_another_chain() -> None:
    port = free_port()
    with ManagedAnvil(AnvilConfig(port=port)):
        second = ManagedAnvil(AnvilConfig(port=port))
        with pytest.raises(AnvilError, match=f"port {port} .* already in use"):
            second.start()
        assert not second.running


def test_an_anvil_that_cannot_start_is_reported_with_its_output() -> None:
    broken = ManagedAnvil(AnvilConfig(extra_args=("--no-such-flag",)))
    with pytest.raises(AnvilError, match="exited with code") as err:
        broken.start()
    assert "no-such-flag" in err.value.log_tail
    assert not broken.running
    assert broken._log_path is None  # the temporary log went with it


async def test_unreachable_chain_is_a_typed_error() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ChainConnectionError) as err:
        await connect(url, timeout_s=2)
    assert err.value.rpc_url == url
