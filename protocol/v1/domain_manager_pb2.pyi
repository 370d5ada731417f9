from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OnboardingKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ONBOARDING_KIND_UNSPECIFIED: _ClassVar[OnboardingKind]
    ONBOARDING_KIND_PARTICIPANT: _ClassVar[OnboardingKind]
    ONBOARDING_KIND_MEDIATOR: _ClassVar[OnboardingKind]

class OnboardingState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ONBOARDING_STATE_UNSPECIFIED: _ClassVar[OnboardingState]
    ONBOARDING_STATE_PENDING: _ClassVar[OnboardingState]
    ONBOARDING_STATE_APPROVED: _ClassVar[OnboardingState]
    ONBOARDING_STATE_REJECTED: _ClassVar[OnboardingState]
    ONBOARDING_STATE_ONBOARDED: _ClassVar[OnboardingState]

class HostingState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HOSTING_STATE_UNSPECIFIED: _ClassVar[HostingState]
    HOSTING_STATE_PROPOSED: _ClassVar[HostingState]
    HOSTING_STATE_EFFECTIVE: _ClassVar[HostingState]
ONBOARDING_KIND_UNSPECIFIED: OnboardingKind
ONBOARDING_KIND_PARTICIPANT: OnboardingKind
ONBOARDING_KIND_MEDIATOR: OnboardingKind
ONBOARDING_STATE_UNSPECIFIED: OnboardingState
ONBOARDING_STATE_PENDING: OnboardingState
ONBOARDING_STATE_APPROVED: OnboardingState
ONBOARDING_STATE_REJECTED: OnboardingState
ONBOARDING_STATE_ONBOARDED: OnboardingState
HOSTING_STATE_UNSPECIFIED: HostingState
HOSTING_STATE_PROPOSED: HostingState
HOSTING_STATE_EFFECTIVE: HostingState

class RequestOnboardingRequest(_message.Message):
    __slots__ = ("kind", "transactions", "permission")
    KIND_FIELD_NUMBER: _ClassVar[int]
    TRANSACTIONS_FIELD_NUMBER: _ClassVar[int]
    PERMISSION_FIELD_NUMBER: _ClassVar[int]
    kind: OnboardingKind
    transactions: _containers.RepeatedScalarFieldContainer[bytes]
    permission: int
    def __init__(self, kind: _Optional[_Union[OnboardingKind, str]] = ..., transactions: _Optional[_Iterable[bytes]] = ..., permission: _Optional[int] = ...) -> None: ...

class OnboardingStatus(_message.Message):
    __slots__ = ("request_id", "member", "kind", "state", "sequenced_at", "effective_at", "reason", "created_at")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SEQUENCED_AT_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_AT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    member: str
    kind: OnboardingKind
    state: OnboardingState
    sequenced_at: int
    effective_at: int
    reason: str
    created_at: int
    def __init__(self, request_id: _Optional[str] = ..., member: _Optional[str] = ..., kind: _Optional[_Union[OnboardingKind, str]] = ..., state: _Optional[_Union[OnboardingState, str]] = ..., sequenced_at: _Optional[int] = ..., effective_at: _Optional[int] = ..., reason: _Optional[str] = ..., created_at: _Optional[int] = ...) -> None: ...

class GetOnboardingStatusRequest(_message.Message):
    __slots__ = ("request_id",)
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    def __init__(self, request_id: _Optional[str] = ...) -> None: ...

class ListPendingRequestsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListPendingRequestsResponse(_message.Message):
    __slots__ = ("requests",)
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    requests: _containers.RepeatedCompositeFieldContainer[OnboardingStatus]
    def __init__(self, requests: _Optional[_Iterable[_Union[OnboardingStatus, _Mapping]]] = ...) -> None: ...

class DecideOnboardingRequest(_message.Message):
    __slots__ = ("request_id", "reason")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    reason: str
    def __init__(self, request_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ListMembersRequest(_message.Message):
    __slots__ = ("at",)
    AT_FIELD_NUMBER: _ClassVar[int]
    at: int
    def __init__(self, at: _Optional[int] = ...) -> None: ...

class MemberInfo(_message.Message):
    __slots__ = ("member", "kind", "state", "permission", "signing_key_fingerprint", "encryption_key_fingerprint", "parties")
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PERMISSION_FIELD_NUMBER: _ClassVar[int]
    SIGNING_KEY_FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    ENCRYPTION_KEY_FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    PARTIES_FIELD_NUMBER: _ClassVar[int]
    member: str
    kind: str
    state: str
    permission: str
    signing_key_fingerprint: str
    encryption_key_fingerprint: str
    parties: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, member: _Optional[str] = ..., kind: _Optional[str] = ..., state: _Optional[str] = ..., permission: _Optional[str] = ..., signing_key_fingerprint: _Optional[str] = ..., encryption_key_fingerprint: _Optional[str] = ..., parties: _Optional[_Iterable[str]] = ...) -> None: ...

class ListMembersResponse(_message.Message):
    __slots__ = ("at", "members")
    AT_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    at: int
    members: _containers.RepeatedCompositeFieldContainer[MemberInfo]
    def __init__(self, at: _Optional[int] = ..., members: _Optional[_Iterable[_Union[MemberInfo, _Mapping]]] = ...) -> None: ...

class RevokeParticipantRequest(_message.Message):
    __slots__ = ("participant", "reason")
    PARTICIPANT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    participant: str
    reason: str
    def __init__(self, participant: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class TopologyChangeResult(_message.Message):
    __slots__ = ("transaction_hash", "sequenced_at", "effective_at", "serial")
    TRANSACTION_HASH_FIELD_NUMBER: _ClassVar[int]
    SEQUENCED_AT_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_AT_FIELD_NUMBER: _ClassVar[int]
    SERIAL_FIELD_NUMBER: _ClassVar[int]
    transaction_hash: str
    sequenced_at: int
    effective_at: int
    serial: int
    def __init__(self, transaction_hash: _Optional[str] = ..., sequenced_at: _Optional[int] = ..., effective_at: _Optional[int] = ..., serial: _Optional[int] = ...) -> None: ...

class SetDomainParametersRequest(_message.Message):
    __slots__ = ("participant_response_timeout_us", "mediator_reaction_timeout_us", "ledger_time_record_time_tolerance_us", "topology_change_delay_us", "max_request_size", "confirmation_depth")
    PARTICIPANT_RESPONSE_TIMEOUT_US_FIELD_NUMBER: _ClassVar[int]
    MEDIATOR_REACTION_TIMEOUT_US_FIELD_NUMBER: _ClassVar[int]
    LEDGER_TIME_RECORD_TIME_TOLERANCE_US_FIELD_NUMBER: _ClassVar[int]
    TOPOLOGY_CHANGE_DELAY_US_FIELD_NUMBER: _ClassVar[int]
    MAX_REQUEST_SIZE_FIELD_NUMBER: _ClassVar[int]
    CONFIRMATION_DEPTH_FIELD_NUMBER: _ClassVar[int]
    participant_response_timeout_us: int
    mediator_reaction_timeout_us: int
    ledger_time_record_time_tolerance_us: int
    topology_change_delay_us: int
    max_request_size: int
    confirmation_depth: int
    def __init__(self, participant_response_timeout_us: _Optional[int] = ..., mediator_reaction_timeout_us: _Optional[int] = ..., ledger_time_record_time_tolerance_us: _Optional[int] = ..., topology_change_delay_us: _Optional[int] = ..., max_request_size: _Optional[int] = ..., confirmation_depth: _Optional[int] = ...) -> None: ...

class RequestPartyHostingRequest(_message.Message):
    __slots__ = ("transactions",)
    TRANSACTIONS_FIELD_NUMBER: _ClassVar[int]
    transactions: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, transactions: _Optional[_Iterable[bytes]] = ...) -> None: ...

class RequestVettingRequest(_message.Message):
    __slots__ = ("transaction",)
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    transaction: bytes
    def __init__(self, transaction: _Optional[bytes] = ...) -> None: ...

class PartyHostingOutcome(_message.Message):
    __slots__ = ("party", "transaction_hash", "state", "missing", "sequenced_at", "effective_at")
    PARTY_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_HASH_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    MISSING_FIELD_NUMBER: _ClassVar[int]
    SEQUENCED_AT_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_AT_FIELD_NUMBER: _ClassVar[int]
    party: str
    transaction_hash: str
    state: HostingState
    missing: _containers.RepeatedScalarFieldContainer[str]
    sequenced_at: int
    effective_at: int
    def __init__(self, party: _Optional[str] = ..., transaction_hash: _Optional[str] = ..., state: _Optional[_Union[HostingState, str]] = ..., missing: _Optional[_Iterable[str]] = ..., sequenced_at: _Optional[int] = ..., effective_at: _Optional[int] = ...) -> None: ...

class PartyHostingResult(_message.Message):
    __slots__ = ("outcomes",)
    OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    outcomes: _containers.RepeatedCompositeFieldContainer[PartyHostingOutcome]
    def __init__(self, outcomes: _Optional[_Iterable[_Union[PartyHostingOutcome, _Mapping]]] = ...) -> None: ...

class GetTopologySnapshotRequest(_message.Message):
    __slots__ = ("at",)
    AT_FIELD_NUMBER: _ClassVar[int]
    at: int
    def __init__(self, at: _Optional[int] = ...) -> None: ...

class GetTopologySnapshotResponse(_message.Message):
    __slots__ = ("at", "digest", "transactions", "active_members", "revoked_participants", "parties", "last_sequenced_at")
    AT_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    TRANSACTIONS_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_MEMBERS_FIELD_NUMBER: _ClassVar[int]
    REVOKED_PARTICIPANTS_FIELD_NUMBER: _ClassVar[int]
    PARTIES_FIELD_NUMBER: _ClassVar[int]
    LAST_SEQUENCED_AT_FIELD_NUMBER: _ClassVar[int]
    at: int
    digest: str
    transactions: int
    active_members: _containers.RepeatedScalarFieldContainer[str]
    revoked_participants: _containers.RepeatedScalarFieldContainer[str]
    parties: _containers.RepeatedScalarFieldContainer[str]
    last_sequenced_at: int
    def __init__(self, at: _Optional[int] = ..., digest: _Optional[str] = ..., transactions: _Optional[int] = ..., active_members: _Optional[_Iterable[str]] = ..., revoked_participants: _Optional[_Iterable[str]] = ..., parties: _Optional[_Iterable[str]] = ..., last_sequenced_at: _Optional[int] = ...) -> None: ...
