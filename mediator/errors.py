"""Errors of the mediator.

Every error derives from :class:`MediatorError`. Problems *of a request or a response*
are never errors here: they are decisions (a ``MediatorReject`` verdict, an ignored
response with its reason recorded). Errors are for the node itself::

    MediatorError
    ├── MediatorStoreError       mediator.sqlite cannot be opened, or is another node's
    ├── MediatorStateError       the store and the event stream disagree (a bug or tampering)
    ├── MediatorConfigError      a configuration value the config model cannot check
    └── MediatorOnboardingError  onboarding through the domain manager failed
"""

from __future__ import annotations

from pathlib import Path


class MediatorError(Exception):
    """Root of every mediator error."""


class MediatorStoreError(MediatorError):
    """The mediator's sqlite store cannot be used."""

    def __init__(self, path: Path | None, detail: str) -> None:
        self.path = path
        self.detail = detail
        super().__init__(f"{path}: {detail}" if path is not None else detail)


class MediatorStateError(MediatorError):
    """Persisted state contradicts what the stream delivers (``what`` names it)."""

    def __init__(self, what: str, expected: object, actual: object) -> None:
        self.what = what
        self.expected = expected
        self.actual = actual
        super().__init__(f"{what}: expected {expected!r}, got {actual!r}")


class MediatorConfigError(MediatorError):
    """A configuration value that is well typed but unusable (``key`` names it)."""

    def __init__(self, key: str, detail: str) -> None:
        self.key = key
        self.detail = detail
        super().__init__(f"{key}: {detail}")


class MediatorOnboardingError(MediatorError):
    """The domain manager refused or did not complete the mediator's onboarding."""

    def __init__(self, state: str, detail: str) -> None:
        self.state = state
        self.detail = detail
        super().__init__(f"onboarding {state}: {detail}")
