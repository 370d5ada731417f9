"""The domain manager node: the domain's topology manager (``docs/domain-manager.md``).

It holds the domain's root namespace key, decides onboarding requests (policy ``open`` or
``permissioned``), and is the only sender of topology broadcasts; its admin API is the gRPC
service ``DomainManagerAdmin``. It imports ``protocol``, ``node_runtime`` and ``auth``,
never another node.
"""

from domain_manager.config import DomainManagerConfig, load_dm_config
from domain_manager.errors import (
    DomainManagerError,
    DomainManagerStoreError,
    DuplicateOnboardingError,
    InvalidRequestError,
    InvalidStateError,
    NotSequencedError,
    RequestRefusedError,
    SequencingRejectedError,
    TopologyRefusedError,
    UnknownMemberError,
    UnknownRequestError,
)
from domain_manager.manager import DomainManager, ManagerSettings
from domain_manager.node import DomainManagerNode
from domain_manager.service import ERROR_CODE_METADATA_KEY, DomainManagerAdminService
from domain_manager.store import DomainManagerStore
from domain_manager.types import (
    ChangeResult,
    HostingOutcome,
    HostingState,
    MemberEntry,
    OnboardingKind,
    OnboardingRequest,
    OnboardingState,
    Policy,
    RequestId,
)

__all__ = [
    "ERROR_CODE_METADATA_KEY",
    "ChangeResult",
    "DomainManager",
    "DomainManagerAdminService",
    "DomainManagerConfig",
    "DomainManagerError",
    "DomainManagerNode",
    "DomainManagerStore",
    "DomainManagerStoreError",
    "DuplicateOnboardingError",
    "HostingOutcome",
    "HostingState",
    "InvalidRequestError",
    "InvalidStateError",
    "ManagerSettings",
    "MemberEntry",
    "NotSequencedError",
    "OnboardingKind",
    "OnboardingRequest",
    "OnboardingState",
    "Policy",
    "RequestId",
    "RequestRefusedError",
    "SequencingRejectedError",
    "TopologyRefusedError",
    "UnknownMemberError",
    "UnknownRequestError",
    "load_dm_config",
]
