"""Errors of the business-logic engine.

::

    EngineError
    ├── PackageError
    │   ├── PackageValidationError    (ValueError)  source refused (line and rule)
    │   │   └── PackageBudgetExceededError          its module body ran out of budget
    │   │                                           (also a BudgetExceededError)
    │   ├── PackageNotFoundError      (LookupError) no package with that id is stored
    │   ├── PackageNotVettedError                   interpretation needs a package not vetted
    │   └── TypeDeclError             (ValueError)  a declaration that is not a ledger type
    │                                               (``typesys``; the loader reports it as
    │                                               a PackageValidationError)
    ├── InterpretationError                         a command could not be interpreted
    │   ├── AuthorizationError                      required authorizers ⊄ authorizers in scope
    │   ├── EnsureFailedError                       a template's precondition is false
    │   ├── ContractNotFoundError     (LookupError) no such contract (or not visible)
    │   ├── ContractNotActiveError                  archived, or consumed earlier in this tx
    │   ├── DuplicateKeyError                       a contract key that is already taken
    │   ├── KeyNotFoundError          (LookupError) fetch/exercise by a key with no contract
    │   ├── TypeMismatchError         (TypeError)   a value that does not have its declared type
    │   ├── UnknownTemplateError      (LookupError) no template / choice of that name
    │   ├── ArithmeticOverflowError                 Int outside 64 bits, Decimal outside Numeric 10
    │   ├── UserAbortError                          ``abort(...)`` called by package code
    │   ├── UserCodeError                           any other exception raised by package code
    │   └── BudgetExceededError                     the step or value-size budget ran out
    └── ConformanceError                            a re-interpreted view differs from the view

Every error carries the offending values as fields so callers (the transaction protocol,
the Ledger API) can report a precise rejection reason.
"""

from __future__ import annotations

from collections.abc import Collection


def _parties(parties: Collection[str]) -> str:
    return "{" + ", ".join(sorted(parties)) + "}"


class EngineError(Exception):
    """Root of every error raised by ``participant.engine``."""


class PackageError(EngineError):
    """A problem with a package as a whole."""


class PackageValidationError(PackageError, ValueError):
    """The package source was refused: by the static checks before any of it ran, or
    while its module body ran under the budget, or when what the body left behind was
    checked (see ``docs/package-threat-model.md``). Nothing of a refused package is kept.

    ``rule`` names the rule that refused it (one of ``sandbox.RULES``); ``line`` is the
    source line (1-based; 0 when the source could not be parsed at all).
    """

    def __init__(self, file: str, line: int, reason: str, rule: str) -> None:
        self.file = file
        self.line = line
        self.reason = reason
        self.rule = rule
        super().__init__(f"{file}:{line}: [{rule}] {reason}")


class PackageNotFoundError(PackageError, LookupError):
    """No package with this id is stored."""

    def __init__(self, package_id: str) -> None:
        self.package_id = package_id
        super().__init__(f"package {package_id} is not stored")


class PackageNotVettedError(PackageError):
    """Interpretation needs a package that is not in the vetted set."""

    def __init__(self, package_id: str, template_id: str) -> None:
        self.package_id = package_id
        self.template_id = template_id
        super().__init__(f"package {package_id} (for {template_id}) is not vetted")


class InterpretationError(EngineError):
    """A command could not be interpreted into a transaction."""


class AuthorizationError(InterpretationError):
    """A node needs authorizers that are not in scope."""

    def __init__(
        self,
        node: str,
        required: frozenset[str],
        authorizers: frozenset[str],
        detail: str = "",
    ) -> None:
        self.node = node
        self.required = required
        self.authorizers = authorizers
        self.missing = required - authorizers
        self.detail = detail
        extra = f" ({detail})" if detail else ""
        super().__init__(
            f"{node}: requires {_parties(required)}, authorizers in scope are "
            f"{_parties(authorizers)}, missing {_parties(self.missing)}{extra}"
        )


class EnsureFailedError(InterpretationError):
    """A template's ``ensure`` precondition returned false for a new contract."""

    def __init__(self, template_id: str) -> None:
        self.template_id = template_id
        super().__init__(f"ensure of {template_id} failed")


class ContractNotFoundError(InterpretationError, LookupError):
    """The contract is unknown to the lookup (never existed or not visible)."""

    def __init__(self, contract_id: str) -> None:
        self.contract_id = contract_id
        super().__init__(f"contract {contract_id} not found")


class ContractNotActiveError(InterpretationError):
    """The contract was archived, or consumed earlier in the same transaction."""

    def __init__(self, contract_id: str, template_id: str, consumed_by: str | None) -> None:
        self.contract_id = contract_id
        self.template_id = template_id
        self.consumed_by = consumed_by
        where = f" by node {consumed_by}" if consumed_by is not None else ""
        super().__init__(f"contract {contract_id} of {template_id} is not active (consumed{where})")


class DuplicateKeyError(InterpretationError):
    """A create would give a key that an active contract already has."""

    def __init__(self, template_id: str, key: str, existing: str) -> None:
        self.template_id = template_id
        self.key = key
        self.existing = existing
        super().__init__(f"key {key} of {template_id} already belongs to contract {existing}")


class KeyNotFoundError(InterpretationError, LookupError):
    """fetchByKey / exerciseByKey found no active contract with that key."""

    def __init__(self, template_id: str, key: str) -> None:
        self.template_id = template_id
        self.key = key
        super().__init__(f"no active contract of {template_id} with key {key}")


class TypeMismatchError(InterpretationError, TypeError):
    """A value does not have the type its field, argument or result declares."""

    def __init__(self, where: str, expected: str, got: str) -> None:
        self.where = where
        self.expected = expected
        self.got = got
        super().__init__(f"{where}: expected {expected}, got {got}")


class UnknownTemplateError(InterpretationError, LookupError):
    """A template, or a choice of a template, that the package does not define."""

    def __init__(self, template_id: str, choice: str | None = None) -> None:
        self.template_id = template_id
        self.choice = choice
        what = template_id if choice is None else f"choice {choice} of {template_id}"
        super().__init__(f"unknown {what}")


class ArithmeticOverflowError(InterpretationError):
    """An Int left the signed 64-bit range or a Decimal left Numeric(38, 10)."""

    def __init__(self, operation: str, detail: str) -> None:
        self.operation = operation
        self.detail = detail
        super().__init__(f"arithmetic overflow in {operation}: {detail}")


class UserAbortError(InterpretationError):
    """Package code called ``abort(message)``."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(f"aborted: {message}")


class UserCodeError(InterpretationError):
    """Package code raised an exception (division by zero, missing map key, ...)."""

    def __init__(self, exception_type: str, message: str) -> None:
        self.exception_type = exception_type
        self.message = message
        super().__init__(f"package code raised {exception_type}: {message}")


class BudgetExceededError(InterpretationError):
    """A budget ran out: steps, value size, call depth or value depth.

    ``resource`` is ``"steps"``, ``"value_size"``, ``"depth"`` (package calls),
    ``"value_depth"`` or ``"recursion"`` (Python's own limit, which the counted depths keep
    out of reach); ``limit`` is the budget and ``context`` says what was running (a
    command, or a package's module body).
    """

    def __init__(self, resource: str, limit: int, context: str) -> None:
        self.resource = resource
        self.limit = limit
        self.context = context
        super().__init__(f"{resource} budget of {limit} exceeded in {context}")


class PackageBudgetExceededError(PackageValidationError, BudgetExceededError):
    """A package's module body ran out of the step or value-size budget at upload.

    Both a refused package (``rule = "budget"``) and a :class:`BudgetExceededError`
    with its ``resource``, ``limit`` and ``context``.
    """

    def __init__(self, file: str, line: int, resource: str, limit: int, context: str) -> None:
        self.resource = resource
        self.limit = limit
        self.context = context
        self.file = file
        self.line = line
        self.reason = f"{resource} budget of {limit} exceeded in {context}"
        self.rule = "budget"
        Exception.__init__(self, f"{file}:{line}: [budget] {self.reason}")


class ConformanceError(EngineError):
    """Re-interpreting a view gave a different result from the view itself."""

    def __init__(self, node_id: str, expected: bytes, actual: bytes | None, reason: str) -> None:
        self.node_id = node_id
        self.expected = expected
        self.actual = actual
        self.reason = reason
        super().__init__(f"view {node_id} does not conform: {reason}")
