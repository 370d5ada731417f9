"""Static validation and instrumentation of package source.

A package is untrusted Python source uploaded by a participant's administrator (see
``docs/package-threat-model.md``). Before any of it runs, :func:`validate` checks its
size, its nesting and its syntax tree against a whitelist; only then does
:func:`instrument` rewrite it so that the budget (``budget.py``) is charged at every
function entry and loop iteration, and every operator runs with Daml's arithmetic. Every
refusal is a :class:`PackageValidationError` with the line and one of :data:`RULES`. The
rules, in the order a reader meets them:

* size: at most ``MAX_SOURCE_BYTES`` of source, ``MAX_AST_NODES`` syntax nodes and
  ``MAX_AST_DEPTH`` levels of nesting (checked without recursion, before anything walks
  the tree recursively, so deep nesting is a refusal, not a ``RecursionError``);
* syntax: only the node types in ``ALLOWED_NODES`` (no ``try``, ``with``, ``raise``,
  ``assert``, ``del``, ``global``/``nonlocal``, ``async``, ``yield``, ``match``, walrus,
  sets, float literals);
* imports: only ``from participant.engine.api import name, ...`` at module level, and only
  names of the API's ``__all__``;
* names: no dunder names, no builtin outside ``budget.SAFE_BUILTIN_NAMES``; at module
  level no rebinding of an imported API name or a builtin;
* attributes: no name starting with ``_``, no frame/code/generator internals, no method
  that amplifies a value past the budget (``join``, ``ljust``, ``format``, ...); no
  attribute assignment at all (contracts and records are immutable);
* identity: ``is`` / ``is not`` only against ``None``, ``True`` or ``False`` (the identity
  of other values depends on the process's caches);
* classes: exactly one of ``@template`` / ``@record`` / ``@variant``, no bases, no
  keywords; functions may carry ``@choice(...)`` or ``@staticmethod`` only inside a class;
  default arguments (of functions and lambdas) are literals;
* the module names itself with ``PACKAGE = package("name", "version")`` (literals).

What cannot be checked statically (module-level state, closure cells and class
attributes are deeply immutable) is checked after the module body ran, by
``package.load_package``.
"""

from __future__ import annotations

import ast
import builtins
import io
import re
import tokenize
import types
from dataclasses import dataclass

from participant.engine import api
from participant.engine.api import PackageDecl
from participant.engine.budget import SAFE_BUILTIN_NAMES
from participant.engine.errors import PackageValidationError
from participant.engine.types import NAME_RE

API_MODULE = "participant.engine.api"
API_NAMES = frozenset(api.__all__)
"""The only names a package may import: the API's ``__all__``."""

MAX_SOURCE_BYTES = 256 * 1024
"""Largest package source (UTF-8 bytes); the example packages are about 4 KiB."""
MAX_AST_NODES = 50_000
MAX_STATEMENT_OPERATORS = 400
"""Most operators, opening brackets, ``.``, ``not``, ``if`` and ``lambda`` in one
statement (a bound on its nesting that holds before parsing)."""
MAX_AST_DEPTH = 50
"""Deepest nesting of syntax nodes; the example packages nest about 12 deep."""

RULES: dict[str, str] = {
    "size": "source larger than MAX_SOURCE_BYTES or with more than MAX_AST_NODES nodes",
    "nesting": "syntax nested deeper than MAX_AST_DEPTH (or too deep for the parser)",
    "syntax": "not valid Python",
    "node": "a construct outside the whitelist (try, with, match, async, yield, ...)",
    "import": "an import other than names of the API's __all__ at module level",
    "name": "a dunder or engine-reserved name",
    "builtin": "a builtin outside the sandbox's pure set",
    "shadowing": "rebinding an imported API name or a builtin at module level",
    "attribute": "an attribute starting with '_' or an interpreter internal",
    "amplifying": "a method that does unbounded work or I/O",
    "format-string": "str.format / format_map, which read attributes named in the string",
    "assignment": "assignment to an attribute",
    "literal": "a literal other than str, int, bool and None",
    "format-spec": "a format spec in an f-string",
    "identity": "'is' against anything but None, True or False",
    "comparison": "a chained comparison with 'in'",
    "augmented": "augmented assignment to anything but a plain name",
    "class": "a class without exactly one of @template/@record/@variant, or with bases",
    "decorator": "a decorator other than @choice(...) or @staticmethod in a class",
    "default": "a default argument that is not a literal",
    "signature": "*args or **kwargs",
    "declaration": "no single PACKAGE = package(<literals>) declaration",
    "module-body": "the module body raised an exception at upload",
    "budget": "the module body ran out of the step or value-size budget at upload",
    "mutable-state": "module state that is not deeply immutable after the body ran",
    "ledger-type": "a class or annotation that is not a ledger type",
}
"""Every rule a :class:`PackageValidationError` can name, with what it refuses."""

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
    ast.Match: "match is not allowed (class patterns read attributes by name)",
    ast.TryStar: "try/except* is not allowed (it could swallow budget and engine errors)",
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
FORMAT_ATTRS = frozenset({"format", "format_map"})
"""``str.format`` reads attributes named in the format string (``"{0.__globals__}"``)."""
_INTERNAL_ATTR = re.compile(r"(gi|f|cr|ag|tb|co)_[a-z_]+|cell_contents")
CLASS_DECORATORS = frozenset({"template", "record", "variant"})
_IDENTITY_CONSTANTS = (None, True, False)


@dataclass(frozen=True, slots=True)
class ValidatedSource:
    """A source that passed :func:`validate`, with what was read from it statically."""

    source: str
    tree: ast.Module
    decl: PackageDecl
    class_lines: dict[str, int]
    """Line of each class definition, for errors found while loading."""
    binding_lines: dict[str, int]
    """Line of the last module-level statement binding each name."""


class _Validator(ast.NodeVisitor):
    def __init__(self, file: str) -> None:
        self.file = file
        self.class_depth = 0
        self.function_depth = 0
        self.imported: set[str] = set()

    def fail(self, node: ast.AST, rule: str, reason: str) -> None:
        raise PackageValidationError(self.file, getattr(node, "lineno", 0), reason, rule)

    def check_name(self, node: ast.AST, name: str, what: str) -> None:
        if name.startswith("__") or name.startswith("_cd"):
            self.fail(
                node, "name", f"{what} {name!r}: dunder and engine-reserved names are not allowed"
            )
        if name in FORBIDDEN_BUILTINS:
            self.fail(node, "builtin", f"{what} {name!r}: builtin {name!r} is not allowed")

    def generic_visit(self, node: ast.AST) -> None:
        kind = type(node)
        if kind not in ALLOWED_NODES:
            self.fail(node, "node", _WHY_NOT.get(kind, f"{kind.__name__} is not allowed"))
        super().generic_visit(node)

    def visit_Module(self, node: ast.Module) -> None:
        for statement in node.body:
            if isinstance(statement, ast.ImportFrom):
                self.visit_ImportFrom(statement)  # first: an import outside the API says most
                self.imported.update(a.asname or a.name for a in statement.names)
        for statement in node.body:
            if not isinstance(statement, ast.ImportFrom):
                for target, line in _module_bindings(statement):
                    self._check_module_binding(target, line)
        self.generic_visit(node)

    def _check_module_binding(self, name: str, line: int) -> None:
        if name in self.imported or name in SAFE_BUILTINS or name == "staticmethod":
            raise PackageValidationError(
                self.file, line, f"module-level rebinding of {name!r} is not allowed", "shadowing"
            )

    def visit_Import(self, node: ast.Import) -> None:
        names = ", ".join(a.name for a in node.names)
        self.fail(
            node, "import", f"import of {names!r} is not allowed (only 'from {API_MODULE} import')"
        )

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module != API_MODULE or node.level != 0:
            self.fail(
                node,
                "import",
                f"import from {node.module!r} is not allowed (only 'from {API_MODULE} import')",
            )
        if node.col_offset != 0 or self.class_depth or self.function_depth:
            self.fail(node, "import", "imports are only allowed at module level")
        for alias in node.names:
            if alias.name == "*":
                self.fail(node, "import", "star imports are not allowed")
            if alias.name not in API_NAMES:
                self.fail(
                    node,
                    "import",
                    f"{alias.name!r} is not part of {API_MODULE}'s API (its __all__)",
                )
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
            self.fail(
                node, "attribute", f"attribute {attr!r}: names starting with '_' are not accessible"
            )
        if _INTERNAL_ATTR.fullmatch(attr):
            self.fail(
                node, "attribute", f"attribute {attr!r}: interpreter internals are not accessible"
            )
        if attr in FORMAT_ATTRS:
            self.fail(
                node,
                "format-string",
                f"attribute {attr!r}: format strings can read attributes ('{{0.__class__}}'); "
                "use an f-string",
            )
        if attr in AMPLIFYING_ATTRS:
            self.fail(
                node, "amplifying", f"attribute {attr!r} is not allowed (unbounded work or I/O)"
            )
        if not isinstance(node.ctx, ast.Load):
            self.fail(node, "assignment", f"assignment to attribute {attr!r}: values are immutable")
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if not isinstance(node.value, str | int | bool | type(None)):
            self.fail(
                node, "literal", f"literal {node.value!r}: only str, int, bool and None literals"
            )
        self.generic_visit(node)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> None:
        if node.format_spec is not None:
            self.fail(node, "format-spec", "format specs in f-strings are not allowed")
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if not isinstance(node.target, ast.Name):
            self.fail(node, "augmented", "augmented assignment only to plain names")
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        if len(node.ops) > 1 and any(isinstance(op, ast.In | ast.NotIn) for op in node.ops):
            self.fail(node, "comparison", "chained comparisons with 'in' are not allowed")
        operands = [node.left, *node.comparators]
        for index, op in enumerate(node.ops):
            if isinstance(op, ast.Is | ast.IsNot):
                pair = operands[index : index + 2]
                if not any(
                    isinstance(o, ast.Constant) and o.value in _IDENTITY_CONSTANTS
                    and type(o.value) in (type(None), bool)
                    for o in pair
                ):  # fmt: skip
                    self.fail(node, "identity", "'is' only against None, True or False; use ==")
        self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.check_name(node, node.name, "class")
        if NAME_RE.fullmatch(node.name) is None:
            self.fail(node, "class", f"class name {node.name!r} is not an identifier")
        if self.class_depth or self.function_depth:
            self.fail(node, "class", "classes are only allowed at module level")
        if node.bases or node.keywords:
            self.fail(
                node, "class", f"class {node.name}: base classes and keywords are not allowed"
            )
        marks = [d.id for d in node.decorator_list if isinstance(d, ast.Name)]
        if len(node.decorator_list) != 1 or len(marks) != 1 or marks[0] not in CLASS_DECORATORS:
            self.fail(
                node,
                "class",
                f"class {node.name}: needs exactly one of @template, @record, @variant",
            )
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
        self.fail(statement, "class", f"class {cls}: only fields, methods and choices are allowed")

    def _check_defaults(self, node: ast.AST, name: str, args: ast.arguments) -> None:
        for default in [*args.defaults, *args.kw_defaults]:
            if default is not None and not isinstance(default, ast.Constant):
                self.fail(default, "default", f"{name}: default arguments must be literals")
        if args.vararg is not None or args.kwarg is not None:
            self.fail(node, "signature", f"{name}: *args and **kwargs are not allowed")

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
                self.fail(
                    node,
                    "decorator",
                    f"{node.name}: only @choice(...) and @staticmethod in a class",
                )
        self._check_defaults(node, node.name, node.args)
        outer = self.class_depth
        self.class_depth = 0
        self.function_depth += 1
        self.generic_visit(node)
        self.function_depth -= 1
        self.class_depth = outer

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._check_defaults(node, "lambda", node.args)
        self.function_depth += 1
        self.generic_visit(node)
        self.function_depth -= 1


def _module_bindings(statement: ast.stmt) -> list[tuple[str, int]]:
    """Names a module-level statement binds, with its line (not descending into bodies
    of functions and classes, whose names are local)."""
    if isinstance(statement, ast.FunctionDef | ast.ClassDef):
        return [(statement.name, statement.lineno)]
    found: list[tuple[str, int]] = []
    stack: list[ast.AST] = [statement]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            found.append((node.name, node.lineno))
            continue
        if isinstance(node, ast.Lambda | ast.ListComp | ast.DictComp | ast.GeneratorExp):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            found.append((node.id, node.lineno))
        stack.extend(ast.iter_child_nodes(node))
    return found


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
                file,
                statement.lineno,
                "PACKAGE must be package(<str literal>, ...) ",
                "declaration",
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
                file, statement.lineno, "package() needs a name and a version", "declaration"
            ) from None
        if args or kwargs or NAME_RE.fullmatch(module) is None or not name or not version:
            raise PackageValidationError(
                file,
                statement.lineno,
                "package(name, version, module=...) with a valid module",
                "declaration",
            )
        found.append(PackageDecl(str(name), str(version), str(module)))
    if len(found) != 1:
        raise PackageValidationError(
            file,
            1,
            'the module must name itself once: PACKAGE = package("name", "version")',
            "declaration",
        )
    return found[0]


_DEEPENING_OPS = frozenset(
    ["(", "[", "{", ".", "+", "-", "*", "/", "//", "%", "**", "<<", ">>", "&", "|", "^", "~",
     "@", "<", ">", "<=", ">=", "==", "!="]
)  # fmt: skip
_DEEPENING_WORDS = frozenset({"not", "if", "lambda"})


def _check_tokens(source: str, file: str) -> None:
    """Refuse, before parsing, a statement with more than ``MAX_STATEMENT_OPERATORS``
    tokens that can nest (operators, opening brackets, ``.``, ``not``, ``if``,
    ``lambda``). CPython's parser gives up on deep nesting with ``RecursionError`` at a
    point that depends on how deep the caller's stack is, so such a source would get a
    different answer on different participants; this bound keeps every source the parser
    sees far from that point, and ``_check_shape`` then refuses deep trees exactly."""
    count = 0
    start: int | None = None
    layout = (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT)
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
                count, start = 0, None
                continue
            if token.type in layout:
                continue
            if start is None:
                start = token.start[0]
            if (token.type == tokenize.OP and token.string in _DEEPENING_OPS) or (
                token.type == tokenize.NAME and token.string in _DEEPENING_WORDS
            ):
                count += 1
                if count > MAX_STATEMENT_OPERATORS:
                    raise PackageValidationError(
                        file,
                        start,
                        f"a statement with more than {MAX_STATEMENT_OPERATORS} nesting operators",
                        "nesting",
                    )
    except (tokenize.TokenError, SyntaxError):
        return  # the parser reports it, with a better message


def _parse(source: str, file: str) -> ast.Module:
    """Parse with the size limits first and the parser's own limits as typed refusals."""
    size = len(source.encode("utf-8", "surrogatepass"))
    if size > MAX_SOURCE_BYTES:
        raise PackageValidationError(
            file, 0, f"source of {size} bytes is larger than {MAX_SOURCE_BYTES}", "size"
        )
    _check_tokens(source, file)
    try:
        return ast.parse(source, filename=file, mode="exec")
    except SyntaxError as exc:
        rule = "nesting" if "nested" in (exc.msg or "") else "syntax"
        raise PackageValidationError(
            file, exc.lineno or 0, f"syntax error: {exc.msg}", rule
        ) from None
    except (RecursionError, MemoryError):
        # CPython's parser gives up on deep nesting with one of these (a bounded stack,
        # not an exhausted heap: the source is at most MAX_SOURCE_BYTES)
        raise PackageValidationError(
            file, 0, "the source is nested too deeply to parse", "nesting"
        ) from None
    except ValueError as exc:  # e.g. NUL bytes
        raise PackageValidationError(file, 0, f"syntax error: {exc}", "syntax") from None


def _check_shape(tree: ast.Module, file: str) -> None:
    """Node count and nesting depth, without recursion (the validator and the compiler
    recurse per level, so this runs first)."""
    count = 0
    stack: list[tuple[ast.AST, int, int]] = [(tree, 1, 0)]
    while stack:
        node, depth, line = stack.pop()
        line = getattr(node, "lineno", line)
        count += 1
        if count > MAX_AST_NODES:
            raise PackageValidationError(
                file, line, f"more than {MAX_AST_NODES} syntax nodes", "size"
            )
        if depth > MAX_AST_DEPTH:
            raise PackageValidationError(
                file, line, f"syntax nested more than {MAX_AST_DEPTH} levels deep", "nesting"
            )
        stack.extend((child, depth + 1, line) for child in ast.iter_child_nodes(node))


def validate(source: str, file: str = "<package>") -> ValidatedSource:
    """Parse ``source`` and check it against the whitelist; nothing of it runs."""
    tree = _parse(source, file)
    _check_shape(tree, file)
    _Validator(file).visit(tree)
    decl = _package_decl(file, tree)
    lines = {n.name: n.lineno for n in tree.body if isinstance(n, ast.ClassDef)}
    bindings: dict[str, int] = {}
    for statement in tree.body:
        if isinstance(statement, ast.ImportFrom):
            for alias in statement.names:
                bindings[alias.asname or alias.name] = statement.lineno
        for name, line in _module_bindings(statement):
            bindings[name] = line
    return ValidatedSource(source, tree, decl, lines, bindings)


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
        leave = ast.Expr(value=_runtime("__cd_leave__"))
        guarded = ast.Try(body=node.body, handlers=[], orelse=[], finalbody=[leave])
        node.body = [ast.Expr(value=_runtime("__cd_enter__")), guarded]
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
        thunk = ast.Lambda(
            args=ast.arguments(
                posonlyargs=[], args=[], vararg=None, kwonlyargs=[], kw_defaults=[],
                kwarg=None, defaults=[],
            ),
            body=node.body,
        )  # fmt: skip
        node.body = _runtime("__cd_frame__", thunk)
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
        node.value = _runtime("__cd_text__", node.value)
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
    # a fresh tree from the source (not copy.deepcopy, which recurses several frames
    # per level); the source was validated, its nesting is bounded
    tree = _Instrumenter().visit(ast.parse(validated.source, filename=file, mode="exec"))
    ast.fix_missing_locations(tree)
    try:
        return compile(tree, file, "exec", dont_inherit=True)
    except SyntaxError as exc:  # what only the compiler checks: 'return' outside a function,
        # a repeated argument or keyword, ...
        raise PackageValidationError(
            file, exc.lineno or 0, f"syntax error: {exc.msg}", "syntax"
        ) from None
