"""Static validation and instrumentation of package source.

A package is untrusted Python source uploaded by a participant's administrator (see
``docs/package-threat-model.md``). Before any of it runs, :func:`validate` checks its
syntax tree against a whitelist; only then does :func:`instrument` rewrite it so that the
budget (``budget.py``) is charged at every function entry and loop iteration, and every
operator runs with Daml's arithmetic. The rules, in the order a reader meets them:

* syntax: only the node types in ``ALLOWED_NODES`` (no ``try``, ``with``, ``raise``,
  ``assert``, ``del``, ``global``/``nonlocal``, ``async``, ``yield``, ``match``, walrus,
  sets, float literals);
* imports: only ``from participant.engine.api import name, ...`` at module level;
* names: no dunder names, no builtin outside ``budget.SAFE_BUILTIN_NAMES``;
* attributes: no name starting with ``_``, no frame/code/generator internals, no method
  that amplifies a value past the budget (``join``, ``ljust``, ``format``, ...); no
  attribute assignment at all (contracts and records are immutable);
* classes: exactly one of ``@template`` / ``@record`` / ``@variant``, no bases, no
  keywords; functions may carry ``@choice(...)`` or ``@staticmethod`` only inside a class;
* the module names itself with ``PACKAGE = package("name", "version")`` (literals).

What cannot be checked statically (module-level state stays immutable, default arguments
are immutable) is checked after the module body ran, by ``package.load_package``.
"""

from __future__ import annotations

import ast
import builtins
import copy
import re
import types
from dataclasses import dataclass

from participant.engine.api import PackageDecl
from participant.engine.budget import SAFE_BUILTIN_NAMES
from participant.engine.errors import PackageValidationError
from participant.engine.types import NAME_RE

API_MODULE = "participant.engine.api"

ALLOWED_NODES: frozenset[type[ast.AST]] = frozenset(
    {
        ast.Module, ast.ImportFrom, ast.alias, ast.ClassDef, ast.FunctionDef, ast.arguments,
        ast.arg, ast.keyword, ast.Return, ast.Assign, ast.AnnAssign, ast.AugAssign, ast.If,
        ast.For, ast.While, ast.Break, ast.Continue, ast.Pass, ast.Expr, ast.BoolOp,
        ast.BinOp, ast.UnaryOp, ast.Compare, ast.IfExp, ast.Call, ast.Attribute, ast.Name,
        ast.Constant, ast.List, ast.Tuple, ast.Dict, ast.Subscript, ast.Slice, ast.Starred,
        ast.ListComp, ast.DictComp, ast.GeneratorExp, ast.comprehension, ast.Lambda,
        ast.JoinedStr, ast.FormattedValue, ast.Load, ast.Store,
        ast.And, ast.Or, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod,
        ast.Pow, ast.LShift, ast.RShift, ast.BitAnd, ast.BitOr, ast.BitXor,
        ast.Not, ast.USub, ast.UAdd, ast.Invert,
        ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Is, ast.IsNot, ast.In,
        ast.NotIn,
    }
)  # fmt: skip

_WHY_NOT: dict[type[ast.AST], str] = {
    ast.Try: "try/except is not allowed (it could swallow budget and engine errors)",
    ast.Raise: "raise is not allowed; call abort(message)",
    ast.Assert: "assert is not allowed (it vanishes under -O); call abort(message)",
    ast.Global: "global is not allowed: module state is immutable",
    ast.Nonlocal: "nonlocal is not allowed",
    ast.Set: "sets are not allowed: they iterate in a per-process hash order",
    ast.SetComp: "sets are not allowed: they iterate in a per-process hash order",
    ast.Delete: "del is not allowed",
    ast.With: "with is not allowed",
    ast.Import: "imports are not allowed",
    ast.AsyncFunctionDef: "async code is not allowed",
    ast.Yield: "generators are not allowed",
    ast.YieldFrom: "generators are not allowed",
    ast.Await: "async code is not allowed",
    ast.NamedExpr: "assignment expressions are not allowed",
}

SAFE_BUILTINS = frozenset(SAFE_BUILTIN_NAMES)
FORBIDDEN_BUILTINS = frozenset(dir(builtins)) - SAFE_BUILTINS - {"staticmethod"}
AMPLIFYING_ATTRS = frozenset(
    [
        "join",
        "ljust",
        "rjust",
        "center",
        "zfill",
        "expandtabs",
        "replace",
        "format",
        "format_map",
        "translate",
        "maketrans",
        "encode",
        "decode",
        "from_float",
        "from_bytes",
        "to_bytes",
        "fromkeys",
        "mro",
        "scaleb",
        "sort",
        "reverse",
        "remove",
        "extend",
        "insert",
        "count",
        "index",
        "find",
        "rfind",
        "rindex",
        "split",
        "rsplit",
        "splitlines",
        "partition",
        "rpartition",
    ]
)
_INTERNAL_ATTR = re.compile(r"(gi|f|cr|ag|tb|co)_[a-z]+")
CLASS_DECORATORS = frozenset({"template", "record", "variant"})


@dataclass(frozen=True, slots=True)
class ValidatedSource:
    """A source that passed :func:`validate`, with what was read from it statically."""

    tree: ast.Module
    decl: PackageDecl
    class_lines: dict[str, int]
    """Line of each class definition, for errors found while loading."""


class _Validator(ast.NodeVisitor):
    def __init__(self, file: str) -> None:
        self.file = file
        self.class_depth = 0
        self.function_depth = 0

    def fail(self, node: ast.AST, reason: str) -> None:
        raise PackageValidationError(self.file, getattr(node, "lineno", 0), reason)

    def check_name(self, node: ast.AST, name: str, what: str) -> None:
        if name.startswith("__") or name.startswith("_cd"):
            self.fail(node, f"{what} {name!r}: dunder and engine-reserved names are not allowed")
        if name in FORBIDDEN_BUILTINS:
            self.fail(node, f"{what} {name!r}: builtin {name!r} is not allowed in a package")

    def generic_visit(self, node: ast.AST) -> None:
        kind = type(node)
        if kind not in ALLOWED_NODES:
            self.fail(node, _WHY_NOT.get(kind, f"{kind.__name__} is not allowed in a package"))
        super().generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        names = ", ".join(a.name for a in node.names)
        self.fail(node, f"import of {names!r} is not allowed (only 'from {API_MODULE} import')")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module != API_MODULE or node.level != 0:
            self.fail(
                node,
                f"import from {node.module!r} is not allowed (only 'from {API_MODULE} import')",
            )
        if node.col_offset != 0 or self.class_depth or self.function_depth:
            self.fail(node, "imports are only allowed at module level")
        for alias in node.names:
            if alias.name == "*":
                self.fail(node, "star imports are not allowed")
            self.check_name(node, alias.asname or alias.name, "import")
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        self.check_name(node, node.id, "name")
        self.generic_visit(node)

    def visit_arg(self, node: ast.arg) -> None:
        self.check_name(node, node.arg, "argument")
        self.generic_visit(node)

    def visit_keyword(self, node: ast.keyword) -> None:
        if node.arg is not None:
            self.check_name(node, node.arg, "keyword")
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        attr = node.attr
        if attr.startswith("_"):
            self.fail(node, f"attribute {attr!r}: names starting with '_' are not accessible")
        if _INTERNAL_ATTR.fullmatch(attr):
            self.fail(node, f"attribute {attr!r}: interpreter internals are not accessible")
        if attr in AMPLIFYING_ATTRS:
            self.fail(node, f"attribute {attr!r} is not allowed (unbounded work or I/O)")
        if not isinstance(node.ctx, ast.Load):
            self.fail(node, f"assignment to attribute {attr!r}: values are immutable")
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if not isinstance(node.value, str | int | bool | type(None)):
            self.fail(node, f"literal {node.value!r}: only str, int, bool and None literals")
        self.generic_visit(node)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> None:
        if node.format_spec is not None:
            self.fail(node, "format specs in f-strings are not allowed")
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if not isinstance(node.target, ast.Name):
            self.fail(node, "augmented assignment only to plain names")
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        if len(node.ops) > 1 and any(isinstance(op, ast.In | ast.NotIn) for op in node.ops):
            self.fail(node, "chained comparisons with 'in' are not allowed")
        self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.check_name(node, node.name, "class")
        if NAME_RE.fullmatch(node.name) is None:
            self.fail(node, f"class name {node.name!r} is not an identifier")
        if self.class_depth or self.function_depth:
            self.fail(node, "classes are only allowed at module level")
        if node.bases or node.keywords:
            self.fail(node, f"class {node.name}: base classes and keywords are not allowed")
        marks = [d.id for d in node.decorator_list if isinstance(d, ast.Name)]
        if len(node.decorator_list) != 1 or len(marks) != 1 or marks[0] not in CLASS_DECORATORS:
            self.fail(node, f"class {node.name}: needs exactly one of @template, @record, @variant")
        self.class_depth += 1
        for statement in node.body:
            self._check_class_statement(node.name, statement)
        self.generic_visit(node)
        self.class_depth -= 1

    def _check_class_statement(self, cls: str, statement: ast.stmt) -> None:
        if isinstance(statement, ast.AnnAssign) and statement.value is None:
            return
        if isinstance(statement, ast.FunctionDef | ast.Pass):
            return
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            return  # docstring
        self.fail(statement, f"class {cls}: only fields, methods and choices are allowed")

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.check_name(node, node.name, "function")
        for decorator in node.decorator_list:
            is_choice = (
                isinstance(decorator, ast.Call)
                and isinstance(decorator.func, ast.Name)
                and decorator.func.id == "choice"
            )
            is_static = isinstance(decorator, ast.Name) and decorator.id == "staticmethod"
            if not (is_choice or is_static) or not self.class_depth:
                self.fail(node, f"{node.name}: only @choice(...) and @staticmethod in a class")
        for default in [*node.args.defaults, *node.args.kw_defaults]:
            if default is not None and not isinstance(default, ast.Constant):
                self.fail(default, f"{node.name}: default arguments must be literals")
        if node.args.vararg is not None or node.args.kwarg is not None:
            self.fail(node, f"{node.name}: *args and **kwargs are not allowed")
        outer = self.class_depth
        self.class_depth = 0
        self.function_depth += 1
        self.generic_visit(node)
        self.function_depth -= 1
        self.class_depth = outer

    def visit_Return(self, node: ast.Return) -> None:
        self.generic_visit(node)


def _package_decl(file: str, tree: ast.Module) -> PackageDecl:
    found: list[PackageDecl] = []
    for statement in tree.body:
        if not (
            isinstance(statement, ast.Assign)
            and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
            and statement.targets[0].id == "PACKAGE"
        ):
            continue
        call = statement.value
        literal_args = isinstance(call, ast.Call) and all(
            isinstance(a, ast.Constant) and isinstance(a.value, str)
            for a in [*call.args, *(k.value for k in call.keywords)]
        )
        if not (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Name)
            and call.func.id == "package"
            and literal_args
        ):
            raise PackageValidationError(
                file, statement.lineno, "PACKAGE must be package(<str literal>, ...) "
            )
        args = [str(a.value) for a in call.args if isinstance(a, ast.Constant)]
        kwargs = {
            str(k.arg): str(k.value.value)
            for k in call.keywords
            if isinstance(k.value, ast.Constant)
        }
        try:
            name = kwargs.pop("name", None) or args.pop(0)
            version = kwargs.pop("version", None) or args.pop(0)
            module = kwargs.pop("module", None) or (args.pop(0) if args else name.capitalize())
            module = str(module)
        except IndexError:
            raise PackageValidationError(
                file, statement.lineno, "package() needs a name and a version"
            ) from None
        if args or kwargs or NAME_RE.fullmatch(module) is None or not name or not version:
            raise PackageValidationError(
                file, statement.lineno, "package(name, version, module=...) with a valid module"
            )
        found.append(PackageDecl(str(name), str(version), str(module)))
    if len(found) != 1:
        raise PackageValidationError(
            file, 1, 'the module must name itself once: PACKAGE = package("name", "version")'
        )
    return found[0]


def validate(source: str, file: str = "<package>") -> ValidatedSource:
    """Parse ``source`` and check it against the whitelist; nothing of it runs."""
    try:
        tree = ast.parse(source, filename=file, mode="exec")
    except SyntaxError as exc:
        raise PackageValidationError(file, exc.lineno or 0, f"syntax error: {exc.msg}") from None
    _Validator(file).visit(tree)
    decl = _package_decl(file, tree)
    lines = {n.name: n.lineno for n in tree.body if isinstance(n, ast.ClassDef)}
    return ValidatedSource(tree, decl, lines)


def _runtime(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=list(args), keywords=[])


_SYMBOLS: dict[type[ast.operator], str] = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
    ast.Mod: "%", ast.Pow: "**", ast.LShift: "<<", ast.RShift: ">>", ast.BitAnd: "&",
    ast.BitOr: "|", ast.BitXor: "^",
}  # fmt: skip


_DEEP_COMPARISONS = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE)
"""Comparisons CPython runs element by element over whole values."""


class _Instrumenter(ast.NodeTransformer):
    def _tick(self) -> ast.stmt:
        return ast.Expr(value=_runtime("__cd_tick__"))

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        self.generic_visit(node)
        node.body.insert(0, self._tick())
        return node

    def visit_For(self, node: ast.For) -> ast.AST:
        self.generic_visit(node)
        node.body.insert(0, self._tick())
        return node

    def visit_While(self, node: ast.While) -> ast.AST:
        self.generic_visit(node)
        node.body.insert(0, self._tick())
        return node

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        self.generic_visit(node)
        node.body = ast.BoolOp(op=ast.Or(), values=[_runtime("__cd_tick__"), node.body])
        return node

    def visit_comprehension(self, node: ast.comprehension) -> ast.AST:
        self.generic_visit(node)
        node.iter = _runtime("__cd_iter__", node.iter)
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        symbol = ast.Constant(value=_SYMBOLS[type(node.op)])
        return _runtime("__cd_binop__", symbol, node.left, node.right)

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        self.generic_visit(node)
        target = node.target
        if not isinstance(target, ast.Name):  # refused by the validator already
            raise TypeError("augmented assignment to a non-name")
        symbol = ast.Constant(value=_SYMBOLS[type(node.op)])
        value = _runtime("__cd_binop__", symbol, ast.Name(id=target.id, ctx=ast.Load()), node.value)
        return ast.Assign(targets=[ast.Name(id=target.id, ctx=ast.Store())], value=value)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.op, ast.USub):
            return _runtime("__cd_neg__", node.operand)
        return node

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        self.generic_visit(node)
        node.value = _runtime("__cd_deep__", node.value)
        return node

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
        self.generic_visit(node)
        return _runtime("__cd_sized__", node)

    def _unpacking(self, node: ast.List | ast.Tuple) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.ctx, ast.Load) and any(isinstance(e, ast.Starred) for e in node.elts):
            return _runtime("__cd_sized__", node)
        return node

    def visit_List(self, node: ast.List) -> ast.AST:
        return self._unpacking(node)

    def visit_Tuple(self, node: ast.Tuple) -> ast.AST:
        return self._unpacking(node)

    def visit_DictComp(self, node: ast.DictComp) -> ast.AST:
        self.generic_visit(node)
        node.key = _runtime("__cd_deep__", node.key)  # hashing a tuple walks all of it
        return node

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.ctx, ast.Load) and not isinstance(node.slice, ast.Slice):
            node.slice = _runtime("__cd_deep__", node.slice)
        return node

    def visit_Dict(self, node: ast.Dict) -> ast.AST:
        self.generic_visit(node)
        node.keys = [k if k is None else _runtime("__cd_deep__", k) for k in node.keys]
        if any(key is None for key in node.keys):
            return _runtime("__cd_sized__", node)
        return node

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        if len(node.ops) == 1 and isinstance(node.ops[0], ast.In | ast.NotIn):
            negated = ast.Constant(value=isinstance(node.ops[0], ast.NotIn))
            return _runtime("__cd_contains__", node.left, node.comparators[0], negated)
        if any(isinstance(op, _DEEP_COMPARISONS) for op in node.ops):
            node.left = _runtime("__cd_deep__", node.left)
            node.comparators = [_runtime("__cd_deep__", c) for c in node.comparators]
        return node


def instrument(validated: ValidatedSource, file: str) -> types.CodeType:
    """Compile the validated tree with budget and arithmetic instrumentation."""
    tree = _Instrumenter().visit(copy.deepcopy(validated.tree))
    ast.fix_missing_locations(tree)
    return compile(tree, file, "exec", dont_inherit=True)
