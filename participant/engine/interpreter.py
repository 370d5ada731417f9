"""Interpretation: commands → a transaction tree, by running package code.

The interpreter owns the rules of Daml's ledger model; package code only decides *what*
to do. For every action it:

1. resolves the contract (activeness: not archived, not consumed earlier in this
   transaction) and its template, refusing templates of packages that are not vetted;
2. computes signatories, observers, key and maintainers by calling the template's
   methods, and controllers / choice observers by calling the choice's;
3. checks authorization: the node's required authorizers must be a subset of the
   authorizers in scope — the submitters (``act_as``) for root nodes, and inside a choice
   body the contract's signatories ∪ the choice's actors;
4. records the node with its informees, derives seeds and contract ids (``ids.py``), and
   keeps the transaction's own view of contract keys so key uniqueness holds both
   against the ledger and within the transaction.

All package code runs under one :class:`~participant.engine.budget.Meter` per
interpretation and under a fixed decimal context, so the result depends on nothing but
the inputs: the commands, the submitters, the lookup's answers, the seed and the time.
"""

from __future__ import annotations

import decimal
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from participant.engine import api
from participant.engine.budget import EXERCISE_DEPTH, Meter, metered
from participant.engine.commands import (
    Argument,
    Command,
    ContractLookup,
    CreateAndExerciseCommand,
    CreateCommand,
    ExerciseByKeyCommand,
    ExerciseCommand,
)
from participant.engine.errors import (
    ArithmeticOverflowError,
    AuthorizationError,
    BudgetExceededError,
    ContractNotActiveError,
    ContractNotFoundError,
    DuplicateKeyError,
    EngineError,
    EnsureFailedError,
    KeyNotFoundError,
    PackageNotFoundError,
    PackageNotVettedError,
    TypeMismatchError,
    UnknownTemplateError,
    UserCodeError,
)
from participant.engine.ids import contract_id, node_seed
from participant.engine.package import PARTIES, TEMPLATE_ID_ATTR, ChoiceDef, Package, TemplateDef
from participant.engine.transaction import (
    ContractInstance,
    CreateNode,
    ExerciseNode,
    FetchNode,
    GlobalKey,
    KeyWithMaintainers,
    LookupByKeyNode,
    Node,
)
from participant.engine.types import (
    ContractId,
    NodeId,
    PackageId,
    PartyId,
    TemplateId,
    child_node_id,
    split_template_id,
)
from participant.engine.typesys import (
    TRecord,
    Type,
    contract_id_template,
    from_plain,
    to_native,
    to_value,
    typed_contract_id,
)
from participant.engine.values import (
    DECIMAL_CONTEXT,
    ListValue,
    PartyValue,
    RecordValue,
    Value,
    show_value,
)


class PackageResolver(Protocol):
    """Finds loaded packages by id (``store.PackageStore`` is one)."""

    def get(self, package_id: PackageId) -> Package: ...


@dataclass
class _Scope:
    """Where new nodes go: the roots, or the children of one exercise node."""

    parent: NodeId | None
    seed: bytes
    authorizers: frozenset[PartyId]
    children: list[Node | None] = field(default_factory=list)
    offset: int = 0
    """Position of the first child (non-zero when re-interpreting one view)."""
    first_seed: bytes | None = None
    """Seed of the first child, when the parent's seed is not known (a view)."""

    def reserve(self) -> tuple[int, NodeId, bytes]:
        index = len(self.children)
        self.children.append(None)
        position = self.offset + index
        if index == 0 and self.first_seed is not None:
            seed = self.first_seed
        else:
            seed = node_seed(self.seed, position)
        return index, child_node_id(self.parent, position), seed

    def nodes(self) -> tuple[Node, ...]:
        done = tuple(n for n in self.children if n is not None)
        if len(done) != len(self.children):
            raise RuntimeError("a node was reserved and never filled")
        return done


def _call(meter: Meter, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run package code, mapping whatever it raises to an engine error."""
    try:
        return fn(*args, **kwargs)
    except EngineError:
        raise
    except RecursionError:
        raise BudgetExceededError("recursion", sys.getrecursionlimit(), meter.context) from None
    except MemoryError:
        raise BudgetExceededError("value_size", meter.max_value_size, meter.context) from None
    except decimal.DecimalException as exc:
        raise ArithmeticOverflowError("Decimal", type(exc).__name__) from None
    except Exception as exc:  # package code: anything can come out
        raise UserCodeError(type(exc).__name__, str(exc)[:200]) from None


def _parties(values: Value) -> frozenset[PartyId]:
    if not isinstance(values, ListValue):
        raise TypeError("expected a list of parties")
    return frozenset(PartyId(v.value) for v in values.items if isinstance(v, PartyValue))


class Interpreter:
    """Interprets one submission (or re-interprets one view). Not reusable."""

    def __init__(
        self,
        packages: PackageResolver,
        vetted: frozenset[PackageId],
        lookup: ContractLookup,
        ledger_time: int,
        meter: Meter,
    ) -> None:
        self.packages = packages
        self.vetted = vetted
        self.lookup = lookup
        self.ledger_time = ledger_time
        self.meter = meter
        self.created: dict[ContractId, ContractInstance] = {}
        self.consumed: dict[ContractId, NodeId] = {}
        self.inputs: dict[ContractId, ContractInstance] = {}
        self.keys: dict[bytes, ContractId | None] = {}
        self.resolved_keys: dict[bytes, tuple[GlobalKey, ContractId | None]] = {}
        self.node_seeds: dict[NodeId, bytes] = {}

    # -- packages and templates ------------------------------------------------------

    def template(self, template_id: str) -> TemplateDef:
        name = split_template_id(template_id)
        if name is None:
            raise UnknownTemplateError(template_id)
        if name.package_id not in self.vetted:
            raise PackageNotVettedError(name.package_id, template_id)
        try:
            package = self.packages.get(name.package_id)
        except PackageNotFoundError:
            raise UnknownTemplateError(template_id) from None
        found = package.template(name.name)
        if found is None or found.template_id != template_id:
            raise UnknownTemplateError(template_id)
        return found

    def template_of(self, cls: object) -> TemplateDef:
        tid = getattr(cls, TEMPLATE_ID_ATTR, None) if isinstance(cls, type) else None
        if not isinstance(tid, str):
            raise TypeMismatchError("template", "a @template class", repr(cls)[:60])
        tdef = self.template(tid)
        if tdef.cls is not cls:
            raise TypeMismatchError("template", tid, repr(cls)[:60])
        return tdef

    # -- contract metadata -----------------------------------------------------------

    def _parties_of(self, fn: Callable[..., Any], where: str, *args: Any) -> frozenset[PartyId]:
        return _parties(to_value(_call(self.meter, fn, *args), PARTIES, where, self.meter))

    def metadata(
        self, tdef: TemplateDef, contract: Any
    ) -> tuple[frozenset[PartyId], frozenset[PartyId], KeyWithMaintainers | None]:
        """Signatories, observers (non-signatory stakeholders) and key of a contract."""
        name = tdef.name
        signatories = self._parties_of(tdef.signatory, f"{name}.signatory", contract)
        if not signatories:
            raise AuthorizationError(f"create {tdef.template_id}", frozenset(), frozenset(),
                                     "a contract needs at least one signatory")  # fmt: skip
        observers: frozenset[PartyId] = frozenset()
        if tdef.observer is not None:
            observers = self._parties_of(tdef.observer, f"{name}.observer", contract)
        key: KeyWithMaintainers | None = None
        if tdef.key is not None:
            key_native = _call(self.meter, tdef.key.key, contract)
            key_value = to_value(key_native, tdef.key.key_type, f"{name}.key", self.meter)
            key = KeyWithMaintainers(key_value, self.maintainers(tdef, key_value))
        return signatories, observers - signatories, key

    def maintainers(self, tdef: TemplateDef, key_value: Value) -> frozenset[PartyId]:
        if tdef.key is None:
            raise UnknownTemplateError(tdef.template_id, "key")
        key_native = to_native(key_value, tdef.key.key_type, f"{tdef.name} key")
        where = f"{tdef.name}.maintainer"
        maintainers = self._parties_of(tdef.key.maintainer, where, key_native)
        if not maintainers:
            raise TypeMismatchError(where, "at least one maintainer", "none")
        return maintainers

    # -- contracts and keys ----------------------------------------------------------

    def contract(self, cid: ContractId) -> ContractInstance:
        consumed_by = self.consumed.get(cid)
        instance = self.created.get(cid) or self.inputs.get(cid)
        if instance is None:
            instance = self.lookup.lookup_contract(cid)
            if instance is None:
                raise ContractNotFoundError(cid)
            self.inputs[cid] = instance
        if consumed_by is not None:
            raise ContractNotActiveError(cid, instance.template_id, consumed_by)
        return instance

    def resolve_key(self, key: GlobalKey) -> ContractId | None:
        key_bytes = key.to_bytes()
        if key_bytes in self.keys:
            return self.keys[key_bytes]
        found = self.lookup.lookup_key(key)
        if found is not None and found in self.consumed:
            found = None
        self.keys[key_bytes] = found
        self.resolved_keys[key_bytes] = (key, found)
        return found

    def key_value(self, tdef: TemplateDef, key: object) -> Value:
        if tdef.key is None:
            raise UnknownTemplateError(tdef.template_id, "key")
        return from_plain(key, tdef.key.key_type, f"{tdef.name} key", self.meter)

    # -- actions ---------------------------------------------------------------------

    def create(self, scope: _Scope, tdef: TemplateDef, argument: RecordValue) -> ContractId:
        contract = to_native(argument, tdef.record_type, f"create {tdef.name}")
        signatories, observers, key = self.metadata(tdef, contract)
        if tdef.ensure is not None:
            ok = _call(self.meter, tdef.ensure, contract)
            if not isinstance(ok, bool):
                raise TypeMismatchError(f"{tdef.name}.ensure", "Bool", type(ok).__name__)
            if not ok:
                raise EnsureFailedError(tdef.template_id)
        index, node_id, seed = scope.reserve()
        where = f"create {tdef.template_id} at node {node_id}"
        if not signatories <= scope.authorizers:
            raise AuthorizationError(where, signatories, scope.authorizers)
        if key is not None:
            if not key.maintainers <= signatories:
                raise AuthorizationError(where, key.maintainers, signatories,
                                         "key maintainers must be signatories")  # fmt: skip
            global_key = GlobalKey(tdef.template_id, key.key)
            existing = self.resolve_key(global_key)
            if existing is not None:
                raise DuplicateKeyError(tdef.template_id, show_value(key.key), existing)
            self.keys[global_key.to_bytes()] = None  # set below, once the id is known
        cid = contract_id(seed, self.ledger_time, tdef.template_id, argument)
        node = CreateNode(
            node_id, cid, tdef.template_id, argument, signatories, observers, key,
            informees=signatories | observers, required_authorizers=signatories,
        )  # fmt: skip
        scope.children[index] = node
        self.node_seeds[node_id] = seed
        self.created[cid] = node.instance()
        if key is not None:
            self.keys[GlobalKey(tdef.template_id, key.key).to_bytes()] = cid
        return cid

    def exercise(
        self,
        scope: _Scope,
        cid: ContractId,
        choice_name: str,
        argument: Argument,
        *,
        expected_template: TemplateId | None = None,
        by_key: KeyWithMaintainers | None = None,
    ) -> Value:
        instance = self.contract(cid)
        tdef = self.template(instance.template_id)
        if expected_template is not None and expected_template != instance.template_id:
            raise TypeMismatchError(f"contract {cid}", expected_template, instance.template_id)
        choice = tdef.choices.get(choice_name)
        if choice is None:
            raise UnknownTemplateError(tdef.template_id, choice_name)
        arg_value = self.record_argument(argument, choice.argument_type, f"{choice_name} argument")
        contract = to_native(instance.argument, tdef.record_type, f"contract {cid}")
        signatories, observers, _ = self.metadata(tdef, contract)
        stakeholders = signatories | observers
        arg_native, kwargs = self.argument_fields(choice, arg_value)
        actors = self._parties_of(choice.controller, f"{choice_name} controller",
                                  contract, arg_native)  # fmt: skip
        choice_observers: frozenset[PartyId] = frozenset()
        if choice.observer is not None:
            choice_observers = self._parties_of(
                choice.observer, f"{choice_name} observer", contract, arg_native
            )
        index, node_id, seed = scope.reserve()
        where = f"exercise {choice_name} on {cid} at node {node_id}"
        if not actors <= scope.authorizers:
            raise AuthorizationError(where, actors, scope.authorizers)
        if choice.consuming:
            self.consumed[cid] = node_id
            if instance.key is not None:
                self.keys[GlobalKey(instance.template_id, instance.key.key).to_bytes()] = None
        inner = _Scope(node_id, seed, signatories | actors)
        self.node_seeds[node_id] = seed
        if choice.body is None:
            result_native = None
        else:
            ctx = Update(self, inner)
            self.meter.enter(EXERCISE_DEPTH)
            try:
                result_native = _call(self.meter, choice.body, contract, ctx, **kwargs)
            finally:
                self.meter.leave(EXERCISE_DEPTH)
            ctx._close()
        result = to_value(result_native, choice.result_type, f"{choice_name} result", self.meter)
        base = stakeholders if choice.consuming else signatories
        scope.children[index] = ExerciseNode(
            node_id, cid, instance.template_id, choice_name, choice.consuming, arg_value,
            actors, choice_observers, signatories, stakeholders, by_key, inner.nodes(), result,
            informees=base | actors | choice_observers, required_authorizers=actors,
        )  # fmt: skip
        return result

    def fetch(
        self,
        scope: _Scope,
        cid: ContractId,
        expected: TemplateDef | None = None,
        by_key: KeyWithMaintainers | None = None,
    ) -> Any:
        instance = self.contract(cid)
        tdef = self.template(instance.template_id)
        if expected is not None and expected.template_id != tdef.template_id:
            raise TypeMismatchError(f"fetch {cid}", expected.template_id, tdef.template_id)
        contract = to_native(instance.argument, tdef.record_type, f"contract {cid}")
        signatories, observers, _ = self.metadata(tdef, contract)
        stakeholders = signatories | observers
        index, node_id, _ = scope.reserve()
        actors = scope.authorizers & stakeholders
        if not actors:
            raise AuthorizationError(
                f"fetch {cid} at node {node_id}", stakeholders, scope.authorizers,
                "a fetch needs at least one stakeholder among the authorizers",
            )  # fmt: skip
        scope.children[index] = FetchNode(
            node_id, cid, tdef.template_id, actors, signatories, stakeholders, by_key,
            informees=signatories | actors, required_authorizers=actors,
        )  # fmt: skip
        return contract

    def lookup_by_key(self, scope: _Scope, tdef: TemplateDef, key: Value) -> ContractId | None:
        maintainers = self.maintainers(tdef, key)
        index, node_id, _ = scope.reserve()
        if not maintainers <= scope.authorizers:
            raise AuthorizationError(
                f"lookupByKey {tdef.template_id} at node {node_id}", maintainers,
                scope.authorizers, "lookupByKey needs all maintainers",
            )  # fmt: skip
        result = self.resolve_key(GlobalKey(tdef.template_id, key))
        scope.children[index] = LookupByKeyNode(
            node_id, tdef.template_id, KeyWithMaintainers(key, maintainers), result,
            informees=maintainers, required_authorizers=maintainers,
        )  # fmt: skip
        return result

    def by_key(self, tdef: TemplateDef, key: Value) -> tuple[ContractId, KeyWithMaintainers]:
        found = self.resolve_key(GlobalKey(tdef.template_id, key))
        if found is None:
            raise KeyNotFoundError(tdef.template_id, show_value(key))
        return found, KeyWithMaintainers(key, self.maintainers(tdef, key))

    # -- arguments -------------------------------------------------------------------

    def record_argument(self, argument: object, ty: TRecord, where: str) -> RecordValue:
        value = from_plain(argument, ty, where, self.meter)
        if not isinstance(value, RecordValue):
            raise TypeMismatchError(where, ty.type_name, type(value).__name__)
        return value

    def argument_fields(self, choice: ChoiceDef, value: RecordValue) -> tuple[Any, dict[str, Any]]:
        native = to_native(value, choice.argument_type, f"{choice.name} argument")
        return native, {name: getattr(native, name) for name in choice.argument_type.fields}

    # -- top level -------------------------------------------------------------------

    def run_command(self, scope: _Scope, command: Command) -> None:
        match command:
            case CreateCommand(template_id, argument):
                tdef = self.template(template_id)
                self.create(scope, tdef, self.record_argument(argument, tdef.record_type,
                                                              "create argument"))  # fmt: skip
            case ExerciseCommand(template_id, cid, choice, argument):
                self.template(template_id)
                self.exercise(scope, cid, choice, argument, expected_template=template_id)
            case CreateAndExerciseCommand(template_id, create_argument, choice, argument):
                tdef = self.template(template_id)
                created = self.record_argument(create_argument, tdef.record_type,
                                               "create argument")  # fmt: skip
                cid = self.create(scope, tdef, created)
                self.exercise(scope, cid, choice, argument, expected_template=template_id)
            case ExerciseByKeyCommand(template_id, key, choice, argument):
                tdef = self.template(template_id)
                cid, key_info = self.by_key(tdef, self.key_value(tdef, key))
                self.exercise(
                    scope, cid, choice, argument, expected_template=template_id, by_key=key_info
                )
            case _:
                raise TypeMismatchError("command", "a Command", type(command).__name__)

    def run(self, action: Callable[[], None]) -> None:
        with metered(self.meter), decimal.localcontext(DECIMAL_CONTEXT):
            try:
                action()
            except RecursionError:
                raise BudgetExceededError(
                    "recursion", sys.getrecursionlimit(), self.meter.context
                ) from None


class Update:
    """The ``ctx`` a choice body receives: Daml's ``Update`` actions.

    Package code can reach only the public methods (the sandbox refuses ``_`` names), and
    only while its choice body runs.
    """

    __slots__ = ("_closed", "_engine", "_scope")

    def __init__(self, engine: Interpreter, scope: _Scope) -> None:
        self._engine = engine
        self._scope = scope
        self._closed = False

    def _close(self) -> None:
        self._closed = True

    def _live(self) -> Interpreter:
        if self._closed:
            raise TypeMismatchError("ctx", "the ctx of the running choice", "a finished ctx")
        self._engine.meter.charge()
        return self._engine

    def create(self, contract: Any) -> api.ContractId[Any]:
        engine = self._live()
        tdef = engine.template_of(type(contract))
        argument = to_value(contract, tdef.record_type, f"create {tdef.name}", engine.meter)
        if not isinstance(argument, RecordValue):
            raise TypeMismatchError("create", "a template record", type(argument).__name__)
        return typed_contract_id(engine.create(self._scope, tdef, argument), tdef.template_id)

    def exercise(self, cid: str, choice: str, **args: Any) -> Any:
        engine = self._live()
        return self._exercise(engine, cid, choice, args, None)

    def _exercise(
        self,
        engine: Interpreter,
        typed: object,
        choice: str,
        args: Mapping[str, Any],
        by_key: KeyWithMaintainers | None,
    ) -> Any:
        cid = ContractId(str(typed))
        instance = engine.contract(cid)
        _check_typed(typed, cid, instance.template_id)
        tdef = engine.template(instance.template_id)
        choice_def = tdef.choices.get(str(choice))
        if choice_def is None:
            raise UnknownTemplateError(tdef.template_id, str(choice))
        try:
            native_args = choice_def.argument_type.cls(**args)
        except TypeError:
            raise TypeMismatchError(
                f"{choice} argument", f"arguments {list(choice_def.argument_type.fields)}",
                f"arguments {sorted(args)}",
            ) from None  # fmt: skip
        argument = engine.record_argument(
            native_args, choice_def.argument_type, f"{choice} argument"
        )
        result = engine.exercise(self._scope, cid, str(choice), argument, by_key=by_key)
        return to_native(result, choice_def.result_type, f"{choice} result")

    def exercise_by_key(self, template: type, key: Any, choice: str, **args: Any) -> Any:
        engine = self._live()
        tdef = engine.template_of(template)
        key_value = to_value(key, _key_type(tdef), f"{tdef.name} key", engine.meter)
        cid, key_info = engine.by_key(tdef, key_value)
        return self._exercise(engine, typed_contract_id(cid, tdef.template_id), choice, args,
                              key_info)  # fmt: skip

    def fetch(self, cid: str) -> Any:
        engine = self._live()
        contract_id = ContractId(str(cid))
        _check_typed(cid, contract_id, engine.contract(contract_id).template_id)
        return engine.fetch(self._scope, contract_id)

    def fetch_by_key(self, template: type, key: Any) -> tuple[api.ContractId[Any], Any]:
        engine = self._live()
        tdef = engine.template_of(template)
        key_value = to_value(key, _key_type(tdef), f"{tdef.name} key", engine.meter)
        cid, key_info = engine.by_key(tdef, key_value)
        contract = engine.fetch(self._scope, cid, tdef, key_info)
        return typed_contract_id(cid, tdef.template_id), contract

    def lookup_by_key(self, template: type, key: Any) -> api.ContractId[Any] | None:
        engine = self._live()
        tdef = engine.template_of(template)
        key_value = to_value(key, _key_type(tdef), f"{tdef.name} key", engine.meter)
        found = engine.lookup_by_key(self._scope, tdef, key_value)
        return None if found is None else typed_contract_id(found, tdef.template_id)

    def archive(self, cid: str) -> None:
        engine = self._live()
        self._exercise(engine, cid, "Archive", {}, None)

    def get_time(self) -> api.Time:
        return api.Time(self._live().ledger_time)


def _check_typed(typed: object, cid: ContractId, actual: str) -> None:
    """Daml's wrongly-typed-contract check: an id typed ``ContractId[T]`` (by its declaration
    or by how package code got it) must name a contract of template ``T``."""
    expected = contract_id_template(typed)
    if expected is not None and expected != actual:
        raise TypeMismatchError(f"contract {cid}", expected, actual)


def _key_type(tdef: TemplateDef) -> Type:
    if tdef.key is None:
        raise UnknownTemplateError(tdef.template_id, "key")
    return tdef.key.key_type


def check_sequence(commands: Sequence[Command]) -> None:
    if not commands:
        raise TypeMismatchError("submission", "at least one command", "none")
