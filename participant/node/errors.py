"""Errors of the participant node's wiring (under :class:`participant.errors.ParticipantError`)::

ParticipantError
└── ParticipantNodeError            the node could not start or an admin step failed
    ├── ParticipantConfigError          a config value that cannot be used (key, detail)
    ├── OnboardingError                 not onboarded (state: REJECTED, TIMEOUT, REFUSED)
    ├── TopologyRequestError            a party hosting request that did not take effect
    └── VettingError                    a VettedPackages change refused or not effective
"""

from __future__ import annotations

from participant.errors import ParticipantError


class ParticipantNodeError(ParticipantError):
    """Root of the node's own errors."""


class ParticipantConfigError(ParticipantNodeError):
    """A configuration value the node cannot use (the process exits with code 2)."""

    def __init__(self, key: str, detail: str) -> None:
        self.key = key
        self.detail = detail
        super().__init__(f"{key}: {detail}")


class OnboardingError(ParticipantNodeError):
    """The domain manager did not onboard the participant."""

    def __init__(self, state: str, detail: str) -> None:
        self.state = state
        self.detail = detail
        super().__init__(f"onboarding {state}: {detail}")


class TopologyRequestError(ParticipantNodeError):
    """A party hosting request that was refused, or did not become effective in time."""

    def __init__(self, party: str, code: str, detail: str) -> None:
        self.party = party
        self.code = code
        self.detail = detail
        super().__init__(f"hosting of {party} {code}: {detail}")


class VettingError(ParticipantNodeError):
    """Vetting packages through the domain manager was refused (``code``: its refusal
    code, ``NO_DOMAIN_MANAGER``) or did not become effective in time (``TIMEOUT``)."""

    def __init__(self, participant: str, code: str, detail: str) -> None:
        self.participant = participant
        self.code = code
        self.detail = detail
        super().__init__(f"vetting by {participant} {code}: {detail}")
