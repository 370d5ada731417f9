from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SendAsyncError(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SEND_ASYNC_ERROR_UNSPECIFIED: _ClassVar[SendAsyncError]
    SEND_ASYNC_ERROR_MALFORMED: _ClassVar[SendAsyncError]
    SEND_ASYNC_ERROR_BAD_SIGNATURE: _ClassVar[SendAsyncError]
    SEND_ASYNC_ERROR_UNKNOWN_SENDER: _ClassVar[SendAsyncError]
    SEND_ASYNC_ERROR_UNKNOWN_RECIPIENT: _ClassVar[SendAsyncError]
    SEND_ASYNC_ERROR_TOO_LARGE: _ClassVar[SendAsyncError]
    SEND_ASYNC_ERROR_MAX_SEQUENCING_TIME_PAST: _ClassVar[SendAsyncError]
    SEND_ASYNC_ERROR_DUPLICATE_MESSAGE_ID: _ClassVar[SendAsyncError]
    SEND_ASYNC_ERROR_OVERLOADED: _ClassVar[SendAsyncError]
    SEND_ASYNC_ERROR_WRONG_DOMAIN: _ClassVar[SendAsyncError]
SEND_ASYNC_ERROR_UNSPECIFIED: SendAsyncError
SEND_ASYNC_ERROR_MALFORMED: SendAsyncError
SEND_ASYNC_ERROR_BAD_SIGNATURE: SendAsyncError
SEND_ASYNC_ERROR_UNKNOWN_SENDER: SendAsyncError
SEND_ASYNC_ERROR_UNKNOWN_RECIPIENT: SendAsyncError
SEND_ASYNC_ERROR_TOO_LARGE: SendAsyncError
SEND_ASYNC_ERROR_MAX_SEQUENCING_TIME_PAST: SendAsyncError
SEND_ASYNC_ERROR_DUPLICATE_MESSAGE_ID: SendAsyncError
SEND_ASYNC_ERROR_OVERLOADED: SendAsyncError
SEND_ASYNC_ERROR_WRONG_DOMAIN: SendAsyncError

class GetChallengeRequest(_message.Message):
    __slots__ = ("member",)
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    member: str
    def __init__(self, member: _Optional[str] = ...) -> None: ...

class GetChallengeResponse(_message.Message):
    __slots__ = ("challenge",)
    CHALLENGE_FIELD_NUMBER: _ClassVar[int]
    challenge: bytes
    def __init__(self, challenge: _Optional[bytes] = ...) -> None: ...

class AuthenticateRequest(_message.Message):
    __slots__ = ("challenge", "signature")
    CHALLENGE_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    challenge: bytes
    signature: bytes
    def __init__(self, challenge: _Optional[bytes] = ..., signature: _Optional[bytes] = ...) -> None: ...

class AuthenticateResponse(_message.Message):
    __slots__ = ("token", "expires_at")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    token: str
    expires_at: int
    def __init__(self, token: _Optional[str] = ..., expires_at: _Optional[int] = ...) -> None: ...

class SendAsyncRequest(_message.Message):
    __slots__ = ("signed_submission_request",)
    SIGNED_SUBMISSION_REQUEST_FIELD_NUMBER: _ClassVar[int]
    signed_submission_request: bytes
    def __init__(self, signed_submission_request: _Optional[bytes] = ...) -> None: ...

class SendAsyncResponse(_message.Message):
    __slots__ = ("error", "message")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    error: SendAsyncError
    message: str
    def __init__(self, error: _Optional[_Union[SendAsyncError, str]] = ..., message: _Optional[str] = ...) -> None: ...

class SubscribeRequest(_message.Message):
    __slots__ = ("member", "from_counter")
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    FROM_COUNTER_FIELD_NUMBER: _ClassVar[int]
    member: str
    from_counter: int
    def __init__(self, member: _Optional[str] = ..., from_counter: _Optional[int] = ...) -> None: ...

class SubscribeResponse(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: bytes
    def __init__(self, event: _Optional[bytes] = ...) -> None: ...

class AcknowledgeRequest(_message.Message):
    __slots__ = ("member", "counter")
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    COUNTER_FIELD_NUMBER: _ClassVar[int]
    member: str
    counter: int
    def __init__(self, member: _Optional[str] = ..., counter: _Optional[int] = ...) -> None: ...

class AcknowledgeResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetTimeRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetTimeResponse(_message.Message):
    __slots__ = ("timestamp",)
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    timestamp: int
    def __init__(self, timestamp: _Optional[int] = ...) -> None: ...

class GetTopologyHistoryRequest(_message.Message):
    __slots__ = ("up_to", "from_position", "max_entries", "from_proposal")
    UP_TO_FIELD_NUMBER: _ClassVar[int]
    FROM_POSITION_FIELD_NUMBER: _ClassVar[int]
    MAX_ENTRIES_FIELD_NUMBER: _ClassVar[int]
    FROM_PROPOSAL_FIELD_NUMBER: _ClassVar[int]
    up_to: int
    from_position: int
    max_entries: int
    from_proposal: int
    def __init__(self, up_to: _Optional[int] = ..., from_position: _Optional[int] = ..., max_entries: _Optional[int] = ..., from_proposal: _Optional[int] = ...) -> None: ...

class GetTopologyHistoryResponse(_message.Message):
    __slots__ = ("transactions", "watermark", "more", "proposals")
    TRANSACTIONS_FIELD_NUMBER: _ClassVar[int]
    WATERMARK_FIELD_NUMBER: _ClassVar[int]
    MORE_FIELD_NUMBER: _ClassVar[int]
    PROPOSALS_FIELD_NUMBER: _ClassVar[int]
    transactions: _containers.RepeatedScalarFieldContainer[bytes]
    watermark: int
    more: bool
    proposals: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, transactions: _Optional[_Iterable[bytes]] = ..., watermark: _Optional[int] = ..., more: _Optional[bool] = ..., proposals: _Optional[_Iterable[bytes]] = ...) -> None: ...
