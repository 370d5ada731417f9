"""The sequencer gRPC API: service, server (with health), authentication. The members' client
of this API is :class:`node_runtime.member.SequencerClient`."""

from sequencer_chain.api.auth import (
    Authenticator,
    Token,
    decode_signature,
    encode_signature,
)
from sequencer_chain.api.server import SERVICE_NAME, ApiServer
from sequencer_chain.api.service import RequestSink, SequencerService, message_key

__all__ = [
    "SERVICE_NAME",
    "ApiServer",
    "Authenticator",
    "RequestSink",
    "SequencerService",
    "Token",
    "decode_signature",
    "encode_signature",
    "message_key",
]
