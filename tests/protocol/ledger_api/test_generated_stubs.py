"""The committed Ledger API stubs are exactly what scripts/gen_protos produces."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).parents[3]
STUBS = ROOT / "protocol" / "ledger_api" / "v2"


def test_committed_ledger_api_stubs_match_regeneration(tmp_path: Path) -> None:
    subprocess.run([str(ROOT / "scripts" / "gen_protos"), str(tmp_path)], check=True, timeout=120)
    committed = sorted(p for p in STUBS.rglob("*_pb2*.py*"))
    assert len(committed) >= 13 * 3
    for path in committed:
        relative = path.relative_to(ROOT)
        fresh = (tmp_path / relative).read_bytes()
        assert fresh == path.read_bytes(), f"{relative} is stale: run scripts/gen_protos"


def test_ledger_api_stubs_use_daml_package_names() -> None:
    from protocol.ledger_api.v2 import command_service_pb2, value_pb2
    from protocol.ledger_api.v2.admin import user_management_service_pb2

    assert value_pb2.DESCRIPTOR.package == "com.daml.ledger.api.v2"
    assert user_management_service_pb2.DESCRIPTOR.package == "com.daml.ledger.api.v2.admin"
    service = command_service_pb2.DESCRIPTOR.services_by_name["CommandService"]
    assert "SubmitAndWaitForTransaction" in service.methods_by_name
