"""The command line stays on top: ``chaindomain/commands/`` parses arguments and calls
library packages, and nothing but ``chaindomain/cli.py`` (and the commands themselves)
imports it. Read from the source by walking every module's AST, so an import of
``chaindomain.commands`` anywhere else in the repository fails here, not in review."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = "chaindomain.commands"
SKIPPED = {".venv", "node_modules", "build", "dist", "__pycache__"}
LONGEST_FUNCTION = 100


def modules(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        if not any(p in SKIPPED or p.startswith(".") for p in parts):
            yield path


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path, root: Path) -> Iterator[tuple[int, str]]:
    """Every module ``path`` (under the source root ``root``) imports: ``from a import b``
    yields ``a`` and ``a.b``; relative imports are resolved against ``path``'s package."""
    package = module_name(path, root).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield node.lineno, base
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"


def is_commands(name: str) -> bool:
    return name == COMMANDS or name.startswith(COMMANDS + ".")


def may_import_commands(path: Path, root: Path) -> bool:
    relative = path.relative_to(root)
    return relative == Path("chaindomain/cli.py") or relative.parts[:2] == (
        "chaindomain",
        "commands",
    )


def commands_importers(root: Path) -> list[str]:
    """``path:line imports name`` for every import of the commands where none may be."""
    return [
        f"{path.relative_to(root)}:{line} imports {name}"
        for path in modules(root)
        if not may_import_commands(path, root)
        for line, name in imported(path, root)
        if is_commands(name)
    ]


def test_only_the_cli_imports_the_commands() -> None:
    assert commands_importers(ROOT) == []


def test_the_rule_sees_every_form_of_import(tmp_path: Path) -> None:
    for package in ("chaindomain", "chaindomain/commands", "chaindomain/devnet"):
        (tmp_path / package).mkdir(exist_ok=True)
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "chaindomain" / "cli.py").write_text("from chaindomain.commands import domain\n")
    (tmp_path / "chaindomain" / "commands" / "contract.py").write_text("from . import signer\n")
    (tmp_path / "chaindomain" / "devnet" / "probe.py").write_text(
        "import chaindomain.commands.domain\n"
        "from chaindomain import commands\n"
        "from chaindomain.commands.signer import resolve_signer\n"
        "from ..commands import devnet\n"
        "from .. import commands as c\n"
        "from chaindomain import domain\n"
        "from . import commands_like\n"
    )
    found = commands_importers(tmp_path)
    assert {line.split(" ")[0] for line in found} == {
        f"chaindomain/devnet/probe.py:{n}" for n in (1, 2, 3, 4, 5)
    }


def test_no_function_in_chaindomain_runs_over_a_hundred_lines() -> None:
    long = [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.name} "
        f"({node.end_lineno - node.lineno + 1} lines)"
        for path in modules(ROOT / "chaindomain")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > LONGEST_FUNCTION
    ]
    assert long == []
