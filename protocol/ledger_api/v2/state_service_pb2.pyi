from protocol.ledger_api.v2 import event_pb2 as _event_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetActiveContractsRequest(_message.Message):
    __slots__ = ("filter", "verbose", "active_at_offset")
    FILTER_FIELD_NUMBER: _ClassVar[int]
    VERBOSE_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_AT_OFFSET_FIELD_NUMBER: _ClassVar[int]
    filter: _event_pb2.TransactionFilter
    verbose: bool
    active_at_offset: int
    def __init__(self, filter: _Optional[_Union[_event_pb2.TransactionFilter, _Mapping]] = ..., verbose: _Optional[bool] = ..., active_at_offset: _Optional[int] = ...) -> None: ...

class ActiveContract(_message.Message):
    __slots__ = ("created_event", "domain_id")
    CREATED_EVENT_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_ID_FIELD_NUMBER: _ClassVar[int]
    created_event: _event_pb2.CreatedEvent
    domain_id: str
    def __init__(self, created_event: _Optional[_Union[_event_pb2.CreatedEvent, _Mapping]] = ..., domain_id: _Optional[str] = ...) -> None: ...

class GetActiveContractsResponse(_message.Message):
    __slots__ = ("offset", "active_contract")
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_CONTRACT_FIELD_NUMBER: _ClassVar[int]
    offset: int
    active_contract: ActiveContract
    def __init__(self, offset: _Optional[int] = ..., active_contract: _Optional[_Union[ActiveContract, _Mapping]] = ...) -> None: ...

class GetConnectedDomainsRequest(_message.Message):
    __slots__ = ("party",)
    PARTY_FIELD_NUMBER: _ClassVar[int]
    party: str
    def __init__(self, party: _Optional[str] = ...) -> None: ...

class GetConnectedDomainsResponse(_message.Message):
    __slots__ = ("connected_domains",)
    class ConnectedDomain(_message.Message):
        __slots__ = ("domain_alias", "domain_id", "permission")
        DOMAIN_ALIAS_FIELD_NUMBER: _ClassVar[int]
        DOMAIN_ID_FIELD_NUMBER: _ClassVar[int]
        PERMISSION_FIELD_NUMBER: _ClassVar[int]
        domain_alias: str
        domain_id: str
        permission: str
        def __init__(self, domain_alias: _Optional[str] = ..., domain_id: _Optional[str] = ..., permission: _Optional[str] = ...) -> None: ...
    CONNECTED_DOMAINS_FIELD_NUMBER: _ClassVar[int]
    connected_domains: _containers.RepeatedCompositeFieldContainer[GetConnectedDomainsResponse.ConnectedDomain]
    def __init__(self, connected_domains: _Optional[_Iterable[_Union[GetConnectedDomainsResponse.ConnectedDomain, _Mapping]]] = ...) -> None: ...

class GetLedgerEndRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetLedgerEndResponse(_message.Message):
    __slots__ = ("offset",)
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    offset: int
    def __init__(self, offset: _Optional[int] = ...) -> None: ...
