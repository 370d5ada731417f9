"""scripts/bootstrap on a fresh checkout, and again: it creates the venv, installs uv from the
lock's hashes and then exactly uv.lock (`uv sync --frozen`), the chain tools from
package-lock.json, and redoes a step only when its input changed.

The script runs for real in a copy of the checkout's inputs; `python` and `npm` are stand-ins
that record how they were called (so nothing is downloaded and the shared .venv and
node_modules are not touched).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FAKE_PYTHON = """#!/bin/sh
echo "python $*" >> "$CALLS"
case "$1" in
  --version) echo "Python 3.11.99" ;;
  -c) exit 0 ;;
  -m) if [ "$2" = venv ]; then mkdir -p "$3/bin" && cp "$0" "$3/bin/python"; fi
      if [ "$2" = pip ]; then printf '#!/bin/sh\necho "uv $*" >> "$CALLS"\n' > .venv/bin/uv
        chmod +x .venv/bin/uv; fi ;;
esac
exit 0
"""

FAKE_NPM = """#!/bin/sh
echo "npm $*" >> "$CALLS"
for tool in anvil forge cast; do
  dir="node_modules/@foundry-rs/$tool-linux-amd64/bin"
  mkdir -p "$dir" node_modules/.bin
  printf '#!/bin/sh\\necho "%s Version: 1.7.1-stand-in"\\n' "$tool" > "$dir/$tool"
  chmod +x "$dir/$tool"
  ln -sf "../@foundry-rs/$tool-linux-amd64/bin/$tool" "node_modules/.bin/$tool"
done
"""

FAKE_SOLC = """#!/bin/sh
printf 'solc, the solidity compiler commandline interface\\nVersion: 0.8.28+commit.stand-in\\n'
"""


def _write_exe(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    for script in ("bootstrap", "lock_requirement"):
        shutil.copy2(ROOT / "scripts" / script, project / "scripts" / script)
    for name in ("pyproject.toml", "uv.lock", "package.json", "package-lock.json"):
        shutil.copy2(ROOT / name, project / name)
    _write_exe(project / "scripts" / "solc", FAKE_SOLC)
    _write_exe(tmp_path / "bin" / "python3.11", FAKE_PYTHON)
    _write_exe(tmp_path / "bin" / "npm", FAKE_NPM)
    return project


def _bootstrap(project: Path) -> tuple[str, list[str]]:
    calls = project.parent / "calls.log"
    calls.write_text("")
    env = {
        "PATH": f"{project.parent / 'bin'}:/usr/bin:/bin",
        "HOME": str(project.parent),
        "CALLS": str(calls),
        "PYTHON": str(project.parent / "bin" / "python3.11"),
    }
    result = subprocess.run(
        [str(project / "scripts" / "bootstrap")],
        cwd=project.parent,  # the script finds the checkout from its own path
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stderr, calls.read_text().splitlines()


def _installs(calls: list[str]) -> tuple[list[str], list[str]]:
    pip = [c for c in calls if c.startswith("uv sync")]
    npm = [c for c in calls if c.startswith("npm ")]
    return pip, npm


def test_fresh_checkout_then_nothing_to_do_until_an_input_changes(checkout: Path) -> None:
    stderr, calls = _bootstrap(checkout)
    assert any(c.startswith("python -m venv .venv") for c in calls), calls
    pip, npm = _installs(calls)
    # uv itself is installed from the lock's hashes, then exactly the lock: no resolution.
    assert any(
        c.startswith("python -m pip install") and "--require-hashes" in c.split() for c in calls
    ), calls
    assert any(c.startswith("python scripts/lock_requirement uv") for c in calls), calls
    assert len(pip) == 1 and "--frozen" in pip[0].split(), pip
    # The tools come from the committed lock file, never a fresh resolution.
    assert len(npm) == 1
    assert npm[0].split()[:2] == ["npm", "ci"]
    assert "--prefer-offline" in npm[0].split()
    assert "ready:" in stderr and "solc 0.8.28+commit.stand-in" in stderr

    # Run again: nothing is installed.
    stderr, calls = _bootstrap(checkout)
    assert _installs(calls) == ([], [])
    assert not any("venv" in c for c in calls)
    assert "installing" not in stderr
    assert "ready:" in stderr

    # A changed lock file reinstalls the tools only.
    lock = checkout / "package-lock.json"
    lock.write_text(lock.read_text() + "\n")
    _, calls = _bootstrap(checkout)
    pip, npm = _installs(calls)
    assert (len(pip), len(npm)) == (0, 1)

    # A changed pyproject.toml or uv.lock reinstalls the Python packages only.
    for name in ("pyproject.toml", "uv.lock"):
        changed = checkout / name
        changed.write_text(changed.read_text() + "\n")
        _, calls = _bootstrap(checkout)
        pip, npm = _installs(calls)
        assert (len(pip), len(npm)) == (1, 0), name

    # Tools deleted behind its back are installed again.
    shutil.rmtree(checkout / "node_modules" / "@foundry-rs")
    _, calls = _bootstrap(checkout)
    assert len(_installs(calls)[1]) == 1


def test_a_tool_missing_after_install_fails_loudly(checkout: Path) -> None:
    npm = checkout.parent / "bin" / "npm"
    npm.write_text('#!/bin/sh\necho "npm $*" >> "$CALLS"\n')  # installs nothing
    result = subprocess.run(
        [str(checkout / "scripts" / "bootstrap")],
        env={
            "PATH": f"{checkout.parent / 'bin'}:/usr/bin:/bin",
            "HOME": str(checkout.parent),
            "CALLS": os.devnull,
            "PYTHON": str(checkout.parent / "bin" / "python3.11"),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "missing node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil" in result.stderr
