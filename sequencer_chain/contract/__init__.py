"""The ordering contract from Python: compile, deploy, call, decode."""

from sequencer_chain.contract.artifact import (
    ContractArtifact,
    compile_contract,
    load_inbox_artifact,
)
from sequencer_chain.contract.deploy import DeploymentRecord, deploy_inbox, domain_id_bytes
from sequencer_chain.contract.inbox import (
    BATCH_APPENDED_TOPIC,
    ZERO_HASH,
    BatchAppended,
    InboxContract,
    decode_batch_appended,
    decode_revert,
    encode_submit,
    next_acc,
)
from sequencer_chain.contract.transact import FeePolicy, send_transaction
from sequencer_chain.provider import connect

__all__ = [
    "BATCH_APPENDED_TOPIC",
    "ZERO_HASH",
    "BatchAppended",
    "ContractArtifact",
    "DeploymentRecord",
    "FeePolicy",
    "InboxContract",
    "compile_contract",
    "connect",
    "decode_batch_appended",
    "decode_revert",
    "deploy_inbox",
    "domain_id_bytes",
    "encode_submit",
    "load_inbox_artifact",
    "next_acc",
    "send_transaction",
]
