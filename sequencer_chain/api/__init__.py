"""The sequencer gRPC API: service, server (with health), authentication, member client."""

from sequencer_chain.api.auth import (
    AuthenticationError,
    Authenticator,
    Token,
    decode_signature,
    encode_signature,
)
from sequencer_chain.api.client import ClientTimeouts, SendRefusedError, SequencerClient
from sequencer_chain.api.server import SERVICE_NAME, ApiServer
from sequencer_chain.api.service import RequestSink, SequencerService, message_key

__all__ = [
    "SERVICE_NAME",
    "ApiServer",
    "AuthenticationError",
    "Authenticator",
    "ClientTimeouts",
    "RequestSink",
    "SendRefusedError",
    "SequencerClient",
    "SequencerService",
    "Token",
    "decode_signature",
    "encode_signature",
    "message_key",
]
