"""The participant node's configuration (the model lives in ``participant.node.config``)."""

from participant.node.config import (
    DomainManagerSection,
    KeysSection,
    NodeSection,
    OpsSection,
    PackagesSection,
    ParticipantConfig,
    ProtocolSection,
    load_participant_config,
)

__all__ = [
    "DomainManagerSection",
    "KeysSection",
    "NodeSection",
    "OpsSection",
    "PackagesSection",
    "ParticipantConfig",
    "ProtocolSection",
    "load_participant_config",
]
