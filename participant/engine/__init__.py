"""Business-logic engine: Daml's contract model in Python templates.

Packages (``PackageStore.upload``) are validated Python source written against
``participant.engine.api``; :class:`Engine` interprets commands into
:class:`Transaction` trees and re-interprets views for model conformance. Values and
transactions have one canonical encoding (``values.py``, ``transaction.py``). See
``docs/engine.md``.
"""

from participant.engine.budget import DEFAULT_MAX_STEPS, DEFAULT_MAX_VALUE_SIZE
from participant.engine.commands import (
    Command,
    ContractLookup,
    CreateAndExerciseCommand,
    CreateCommand,
    ExerciseByKeyCommand,
    ExerciseCommand,
)
from participant.engine.conformance import View, view_of
from participant.engine.engine import Engine
from participant.engine.errors import (
    ArithmeticOverflowError,
    AuthorizationError,
    BudgetExceededError,
    ConformanceError,
    ContractNotActiveError,
    ContractNotFoundError,
    DuplicateKeyError,
    EngineError,
    EnsureFailedError,
    InterpretationError,
    KeyNotFoundError,
    PackageBudgetExceededError,
    PackageError,
    PackageNotFoundError,
    PackageNotVettedError,
    PackageValidationError,
    TypeMismatchError,
    UnknownTemplateError,
    UserAbortError,
    UserCodeError,
)
from participant.engine.ledger import InMemoryLedger
from participant.engine.package import Package, TemplateDef, canonical_source, package_id_of
from participant.engine.package_store import PackageInfo, PackageStore
from participant.engine.transaction import (
    ContractInstance,
    CreateNode,
    ExerciseNode,
    FetchNode,
    GlobalKey,
    KeyWithMaintainers,
    LookupByKeyNode,
    Node,
    Transaction,
    node_bytes,
    transaction_from_bytes,
)
from participant.engine.types import ContractId, NodeId, PackageId, PartyId, TemplateId
from participant.engine.values import Value, value_bytes, value_from_bytes

__all__ = [
    "DEFAULT_MAX_STEPS",
    "DEFAULT_MAX_VALUE_SIZE",
    "ArithmeticOverflowError",
    "AuthorizationError",
    "BudgetExceededError",
    "Command",
    "ConformanceError",
    "ContractId",
    "ContractInstance",
    "ContractLookup",
    "ContractNotActiveError",
    "ContractNotFoundError",
    "CreateAndExerciseCommand",
    "CreateCommand",
    "CreateNode",
    "DuplicateKeyError",
    "Engine",
    "EngineError",
    "EnsureFailedError",
    "ExerciseByKeyCommand",
    "ExerciseCommand",
    "ExerciseNode",
    "FetchNode",
    "GlobalKey",
    "InMemoryLedger",
    "InterpretationError",
    "KeyNotFoundError",
    "KeyWithMaintainers",
    "LookupByKeyNode",
    "Node",
    "NodeId",
    "Package",
    "PackageBudgetExceededError",
    "PackageError",
    "PackageId",
    "PackageInfo",
    "PackageNotFoundError",
    "PackageNotVettedError",
    "PackageStore",
    "PackageValidationError",
    "PartyId",
    "TemplateDef",
    "TemplateId",
    "Transaction",
    "TypeMismatchError",
    "UnknownTemplateError",
    "UserAbortError",
    "UserCodeError",
    "Value",
    "View",
    "canonical_source",
    "node_bytes",
    "package_id_of",
    "transaction_from_bytes",
    "value_bytes",
    "value_from_bytes",
    "view_of",
]
