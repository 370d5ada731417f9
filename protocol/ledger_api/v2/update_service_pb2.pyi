from protocol.ledger_api.v2 import event_pb2 as _event_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetUpdatesRequest(_message.Message):
    __slots__ = ("begin_exclusive", "end_inclusive", "filter", "verbose")
    BEGIN_EXCLUSIVE_FIELD_NUMBER: _ClassVar[int]
    END_INCLUSIVE_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    VERBOSE_FIELD_NUMBER: _ClassVar[int]
    begin_exclusive: int
    end_inclusive: int
    filter: _event_pb2.TransactionFilter
    verbose: bool
    def __init__(self, begin_exclusive: _Optional[int] = ..., end_inclusive: _Optional[int] = ..., filter: _Optional[_Union[_event_pb2.TransactionFilter, _Mapping]] = ..., verbose: _Optional[bool] = ...) -> None: ...

class GetUpdatesResponse(_message.Message):
    __slots__ = ("transaction",)
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    transaction: _event_pb2.Transaction
    def __init__(self, transaction: _Optional[_Union[_event_pb2.Transaction, _Mapping]] = ...) -> None: ...

class GetUpdateTreesResponse(_message.Message):
    __slots__ = ("transaction_tree",)
    TRANSACTION_TREE_FIELD_NUMBER: _ClassVar[int]
    transaction_tree: _event_pb2.TransactionTree
    def __init__(self, transaction_tree: _Optional[_Union[_event_pb2.TransactionTree, _Mapping]] = ...) -> None: ...

class GetTransactionByIdRequest(_message.Message):
    __slots__ = ("update_id", "requesting_parties")
    UPDATE_ID_FIELD_NUMBER: _ClassVar[int]
    REQUESTING_PARTIES_FIELD_NUMBER: _ClassVar[int]
    update_id: str
    requesting_parties: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, update_id: _Optional[str] = ..., requesting_parties: _Optional[_Iterable[str]] = ...) -> None: ...

class GetTransactionByOffsetRequest(_message.Message):
    __slots__ = ("offset", "requesting_parties")
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    REQUESTING_PARTIES_FIELD_NUMBER: _ClassVar[int]
    offset: int
    requesting_parties: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, offset: _Optional[int] = ..., requesting_parties: _Optional[_Iterable[str]] = ...) -> None: ...

class GetTransactionResponse(_message.Message):
    __slots__ = ("transaction",)
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    transaction: _event_pb2.Transaction
    def __init__(self, transaction: _Optional[_Union[_event_pb2.Transaction, _Mapping]] = ...) -> None: ...

class GetTransactionTreeResponse(_message.Message):
    __slots__ = ("transaction",)
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    transaction: _event_pb2.TransactionTree
    def __init__(self, transaction: _Optional[_Union[_event_pb2.TransactionTree, _Mapping]] = ...) -> None: ...
