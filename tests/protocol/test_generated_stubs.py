"""The committed protobuf stubs are exactly what scripts/gen_protos produces."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).parents[2]
GENERATED = ("sequencer_pb2.py", "sequencer_pb2.pyi", "sequencer_pb2_grpc.py")


def test_committed_stubs_match_regeneration(tmp_path: Path) -> None:
    subprocess.run([str(ROOT / "scripts" / "gen_protos"), str(tmp_path)], check=True, timeout=120)
    for name in GENERATED:
        fresh = (tmp_path / "protocol" / "v1" / name).read_bytes()
        committed = (ROOT / "protocol" / "v1" / name).read_bytes()
        assert fresh == committed, f"protocol/v1/{name} is stale: run scripts/gen_protos"


def test_stubs_import_with_package_paths() -> None:
    from protocol.v1 import sequencer_pb2, sequencer_pb2_grpc

    assert sequencer_pb2.DESCRIPTOR.package == "chaindomain.protocol.v1"
    assert hasattr(sequencer_pb2_grpc, "SequencerServiceStub")
    codes = {v.name for v in sequencer_pb2.SendAsyncError.DESCRIPTOR.values}
    assert "SEND_ASYNC_ERROR_DUPLICATE_MESSAGE_ID" in codes
    assert "SEND_ASYNC_ERROR_OVERLOADED" in codes
