"""The confirmation protocol's shared message layer: transaction trees with salted Merkle
blinding, the mediator's informee tree, the request, response and verdict messages, ACS
commitments, and who receives what. Specified in ``docs/transaction-protocol.md``.

Participants and the mediator use only the names exported here. Modules:

=====================  ================================================================
module                 owns
=====================  ================================================================
``merkle``             leaf/branch hashing, salts, blinding, root verification
``types``              contract ids, view positions, request ids, root/view hashes
``views``              the typed tree (metadata, views), its encoding and construction
``view_tree``          the full tree, the light per-view trees, reassembly
``informee_tree``      the mediator's projection
``messages``           encrypted view, informee and root hash messages
``verdicts``           confirmation responses, verdicts, reject codes
``commitments``        ACS commitments (LtHash16) and their message
``privacy``            recipients of views, a participant's views, the request envelopes
``wire``               decoding any envelope payload by its tag
``errors``             the error tree
=====================  ================================================================
"""

from protocol.transaction.commitments import (
    AcsCommitment,
    AcsCommitmentBuilder,
    SignedAcsCommitment,
    compute_commitment,
)
from protocol.transaction.errors import (
    InvalidTreeError,
    MalformedTransactionMessageError,
    MessageSignatureError,
    MissingEncryptionKeyError,
    RecipientError,
    RootHashMismatchError,
    TransactionError,
    UnhostedInformeeError,
    ViewDecryptionError,
    ViewMismatchError,
)
from protocol.transaction.informee_tree import InformeeTree, InformeeView
from protocol.transaction.merkle import (
    BlindedNode,
    MerkleBranch,
    MerkleLeaf,
    MerkleNode,
    blind,
    blind_where,
    derive_salt,
    node_hash,
    verify_root,
)
from protocol.transaction.messages import (
    EncryptedViewMessage,
    InformeeMessage,
    RootHashMessage,
    view_associated_data,
)
from protocol.transaction.privacy import (
    RequestEnvelope,
    TopologyLookup,
    build_confirmation_request,
    confirming_parties,
    informee_participants,
    view_recipients,
    views_for_participant,
)
from protocol.transaction.types import (
    ContractId,
    RequestId,
    RequestType,
    RootHash,
    ViewHash,
    ViewPosition,
    parse_contract_id,
)
from protocol.transaction.verdicts import (
    Approve,
    ConfirmationResponse,
    ConfirmationResult,
    LocalApprove,
    LocalReject,
    LocalRejectCode,
    LocalVerdict,
    MediatorReject,
    MediatorRejectCode,
    Reject,
    RejectReason,
    SignedConfirmationResponse,
    SignedConfirmationResult,
    Timeout,
    Verdict,
)
from protocol.transaction.view_tree import FullTransactionTree, TransactionViewTree, merge_trees
from protocol.transaction.views import (
    CommonMetadata,
    Informee,
    InputContract,
    ParticipantMetadata,
    SubmitterMetadata,
    TransactionTree,
    TransactionView,
    ViewCommonData,
    ViewParticipantData,
    ViewSpec,
    build_transaction_tree,
)
from protocol.transaction.wire import ProtocolMessage, decode_protocol_message

__all__ = [
    "AcsCommitment",
    "AcsCommitmentBuilder",
    "Approve",
    "BlindedNode",
    "CommonMetadata",
    "ConfirmationResponse",
    "ConfirmationResult",
    "ContractId",
    "EncryptedViewMessage",
    "FullTransactionTree",
    "Informee",
    "InformeeMessage",
    "InformeeTree",
    "InformeeView",
    "InputContract",
    "InvalidTreeError",
    "LocalApprove",
    "LocalReject",
    "LocalRejectCode",
    "LocalVerdict",
    "MalformedTransactionMessageError",
    "MediatorReject",
    "MediatorRejectCode",
    "MerkleBranch",
    "MerkleLeaf",
    "MerkleNode",
    "MessageSignatureError",
    "MissingEncryptionKeyError",
    "ParticipantMetadata",
    "ProtocolMessage",
    "RecipientError",
    "Reject",
    "RejectReason",
    "RequestEnvelope",
    "RequestId",
    "RequestType",
    "RootHash",
    "RootHashMessage",
    "RootHashMismatchError",
    "SignedAcsCommitment",
    "SignedConfirmationResponse",
    "SignedConfirmationResult",
    "SubmitterMetadata",
    "Timeout",
    "TopologyLookup",
    "TransactionError",
    "TransactionTree",
    "TransactionView",
    "TransactionViewTree",
    "UnhostedInformeeError",
    "Verdict",
    "ViewCommonData",
    "ViewDecryptionError",
    "ViewHash",
    "ViewMismatchError",
    "ViewParticipantData",
    "ViewPosition",
    "ViewSpec",
    "blind",
    "blind_where",
    "build_confirmation_request",
    "build_transaction_tree",
    "compute_commitment",
    "confirming_parties",
    "decode_protocol_message",
    "derive_salt",
    "informee_participants",
    "merge_trees",
    "node_hash",
    "parse_contract_id",
    "verify_root",
    "view_associated_data",
    "view_recipients",
    "views_for_participant",
]
