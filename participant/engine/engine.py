"""The engine's entry points: interpret a submission, cut views, re-interpret a view."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from participant.engine.budget import DEFAULT_MAX_STEPS, DEFAULT_MAX_VALUE_SIZE, Meter
from participant.engine.commands import Command, ContractLookup
from participant.engine.conformance import View, ViewLookup, parent_of, view_of
from participant.engine.errors import ConformanceError, EngineError, TypeMismatchError
from participant.engine.ids import SEED_SIZE
from participant.engine.interpreter import Interpreter, PackageResolver, _Scope
from participant.engine.transaction import (
    CreateNode,
    ExerciseNode,
    FetchNode,
    LookupByKeyNode,
    Node,
    Transaction,
    node_bytes,
)
from participant.engine.types import NodeId, PackageId, PartyId, is_party


class Engine:
    """Interprets commands with the packages of one store, under fixed budgets."""

    def __init__(
        self,
        packages: PackageResolver,
        max_steps: int = DEFAULT_MAX_STEPS,
        max_value_size: int = DEFAULT_MAX_VALUE_SIZE,
    ) -> None:
        self.packages = packages
        self.max_steps = max_steps
        self.max_value_size = max_value_size

    def _meter(self, context: str) -> Meter:
        return Meter(context, self.max_steps, self.max_value_size)

    def submit(
        self,
        commands: Sequence[Command],
        *,
        act_as: Collection[str],
        lookup: ContractLookup,
        vetted: Collection[PackageId],
        seed: bytes,
        ledger_time: int,
        read_as: Collection[str] = (),
    ) -> Transaction:
        """Interpret ``commands`` submitted by ``act_as`` into a transaction.

        ``read_as`` parties only widen what ``lookup`` may show; they authorize nothing.
        ``seed`` is the 32-byte submission seed from which all node seeds and contract
        ids derive; ``ledger_time`` is in microseconds since the epoch.
        """
        if not commands:
            raise TypeMismatchError("submission", "at least one command", "none")
        if len(seed) != SEED_SIZE:
            raise TypeMismatchError("submission seed", f"{SEED_SIZE} bytes", f"{len(seed)} bytes")
        submitters = frozenset(PartyId(p) for p in act_as)
        if not submitters or not all(is_party(p) for p in [*submitters, *read_as]):
            raise TypeMismatchError("act_as", "one or more party ids", repr(sorted(act_as)))
        meter = self._meter(f"submission by {sorted(submitters)}")
        interp = Interpreter(self.packages, frozenset(vetted), lookup, ledger_time, meter)
        scope = _Scope(None, seed, submitters)

        def run() -> None:
            for command in commands:
                interp.run_command(scope, command)

        interp.run(run)
        return Transaction(
            submitters,
            ledger_time,
            seed,
            scope.nodes(),
            tuple(interp.node_seeds.items()),
            tuple(interp.inputs[c] for c in sorted(interp.inputs)),
            tuple(interp.resolved_keys[k] for k in sorted(interp.resolved_keys)),
        )

    def view(self, transaction: Transaction, node_id: str) -> View:
        """The view rooted at ``node_id`` (see ``conformance.view_of``)."""
        return view_of(transaction, NodeId(node_id))

    def reinterpret(self, view: View, vetted: Collection[PackageId]) -> Node:
        """Re-run a view's action; return the node if it is byte-identical to the view's.

        Raises :class:`ConformanceError` if the result differs, or if re-interpretation
        fails (the failure is the error's ``__cause__``).
        """
        node = view.node
        expected = node_bytes(node)
        meter = self._meter(f"re-interpretation of view {node.node_id}")
        interp = Interpreter(
            self.packages, frozenset(vetted), ViewLookup(view), view.ledger_time, meter
        )
        position = int(node.node_id.rpartition(".")[2])
        scope = _Scope(
            parent_of(node.node_id), b"", view.authorizers, offset=position, first_seed=view.seed
        )

        def run() -> None:
            if isinstance(node, CreateNode | ExerciseNode) and view.seed is None:
                raise TypeMismatchError("view seed", "a node seed", "none")
            match node:
                case CreateNode():
                    interp.create(scope, interp.template(node.template_id), node.argument)
                case ExerciseNode():
                    cid, key = node.contract_id, None
                    if node.by_key is not None:
                        tdef = interp.template(node.template_id)
                        cid, key = interp.by_key(tdef, node.by_key.key)
                    interp.exercise(
                        scope,
                        cid,
                        node.choice,
                        node.argument,
                        expected_template=node.template_id,
                        by_key=key,
                    )
                case FetchNode():
                    tdef = interp.template(node.template_id)
                    cid, key = node.contract_id, None
                    if node.by_key is not None:
                        cid, key = interp.by_key(tdef, node.by_key.key)
                    interp.fetch(scope, cid, tdef, key)
                case LookupByKeyNode():
                    tdef = interp.template(node.template_id)
                    interp.lookup_by_key(scope, tdef, node.key.key)

        try:
            interp.run(run)
            (produced,) = scope.nodes()
        except EngineError as exc:
            raise ConformanceError(
                node.node_id, expected, None, f"re-interpretation failed: {exc}"
            ) from exc
        actual = node_bytes(produced)
        if actual != expected:
            raise ConformanceError(
                node.node_id, expected, actual, "re-interpreted sub-tree differs"
            )
        return produced

    def conforms(self, view: View, vetted: Collection[PackageId]) -> bool:
        """Whether :meth:`reinterpret` accepts the view."""
        try:
            self.reinterpret(view, vetted)
        except ConformanceError:
            return False
        return True
