"""The Python dependencies are exactly uv.lock: the lock matches pyproject.toml, the venv the
bootstrap made holds exactly the locked versions, and the committed gRPC stubs were generated
by the locked grpcio-tools (so a regeneration on a fresh machine is byte-identical)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UV = Path(sys.executable).parent / "uv"


def _locked_version(name: str) -> str:
    with (ROOT / "uv.lock").open("rb") as handle:
        lock = tomllib.load(handle)
    return next(p["version"] for p in lock["package"] if p["name"] == name)


def _uv(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(UV), *args],
        cwd=ROOT,
        env={**os.environ, "UV_PYTHON_DOWNLOADS": "never", "UV_OFFLINE": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_lock_is_current_with_pyproject() -> None:
    result = _uv("lock", "--check")
    assert result.returncode == 0, f"uv.lock is stale: run `make lock-upgrade`\n{result.stderr}"


def test_venv_holds_exactly_the_lock() -> None:
    result = _uv("sync", "--frozen", "--extra", "dev", "--check", "--python", sys.executable)
    assert result.returncode == 0, result.stderr


def test_every_locked_package_has_hashes() -> None:
    with (ROOT / "uv.lock").open("rb") as handle:
        lock = tomllib.load(handle)
    for package in lock["package"]:
        if package.get("source", {}).get("editable"):
            continue  # the project itself
        files = [*package.get("wheels", []), package.get("sdist", {})]
        assert any(f.get("hash", "").startswith("sha256:") for f in files), package["name"]


def test_committed_stubs_come_from_the_locked_grpcio_tools() -> None:
    locked = _locked_version("grpcio-tools")
    stubs = [
        *ROOT.glob("protocol/v1/*_pb2_grpc.py"),
        *ROOT.glob("protocol/ledger_api/**/*_pb2_grpc.py"),
    ]
    assert stubs
    for stub in stubs:
        match = re.search(r"GRPC_GENERATED_VERSION = '([^']+)'", stub.read_text())
        assert match, stub
        assert match.group(1) == locked, f"{stub} from grpcio-tools {match.group(1)}, lock {locked}"


def test_lock_requirement_pins_uv_with_hashes() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "lock_requirement"), "uv"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout.split()
    assert out[0] == f"uv=={_locked_version('uv')}"
    assert len(out) > 2 and all(h.startswith("--hash=sha256:") for h in out[1:])


def test_lock_requirement_refuses_an_unknown_package() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "lock_requirement"), "no-such-package"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode != 0 and "does not name no-such-package" in result.stderr
