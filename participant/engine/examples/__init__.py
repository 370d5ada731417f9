"""Example packages shipped with the project: Iou, delivery-versus-payment, agreement.

The files are package *sources*: they are read as text and uploaded through
``PackageStore.upload`` like any other package, never imported as Python modules.
"""

from __future__ import annotations

from importlib import resources

EXAMPLES = ("iou", "dvp", "agreement")


def example_source(name: str) -> str:
    """The source text of the example package ``name`` (one of ``EXAMPLES``)."""
    if name not in EXAMPLES:
        raise KeyError(name)
    return resources.files(__package__).joinpath(f"{name}.py").read_text(encoding="utf-8")
