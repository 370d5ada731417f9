"""Every committed diagram is rendered from its committed source: an SVG records the sha256
of the .dot it came from (scripts/render_diagrams), so editing a source without
re-rendering fails here."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

DIAGRAMS = Path(__file__).resolve().parents[2] / "docs" / "diagrams"
SOURCES = sorted(DIAGRAMS.glob("*.dot"))


def test_there_is_an_architecture_diagram() -> None:
    assert DIAGRAMS / "architecture.dot" in SOURCES


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_svg_is_rendered_from_the_committed_source(source: Path) -> None:
    svg = source.with_suffix(".svg")
    assert svg.exists(), f"{svg.name} missing: run scripts/render_diagrams"
    recorded = re.search(r"<!-- source sha256: ([0-9a-f]{64}) -->", svg.read_text())
    assert recorded, f"{svg.name} has no source digest: run scripts/render_diagrams"
    actual = hashlib.sha256(source.read_bytes()).hexdigest()
    assert recorded.group(1) == actual, f"{svg.name} is stale: run scripts/render_diagrams"
