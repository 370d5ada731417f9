"""Errors of the multi-organisation demo.

::

    DemoError
    ├── DemoSetupError    the network is missing what the demo needs (organisations, packages)
    └── DemoStepError     a step of the workflow failed (which step, and why)
"""

from __future__ import annotations


class DemoError(Exception):
    """Root of every error raised by ``chaindomain.demo``."""


class DemoSetupError(DemoError):
    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(detail)


class DemoStepError(DemoError):
    def __init__(self, step: str, detail: str) -> None:
        self.step = step
        self.detail = detail
        super().__init__(f"{step}: {detail}")
