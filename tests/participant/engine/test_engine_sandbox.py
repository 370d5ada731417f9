"""The package sandbox against known CPython sandbox escapes and nondeterminism tricks.

Each technique (public Python-sandbox and "pyjail" write-ups) is either refused at upload
with the rule and line of the :class:`PackageValidationError`, or shown harmless: it
runs, and cannot reach anything or make two participants disagree. The first cases are
the routes reported against the engine: a module of the API reached through its
imports (``inspect``, ``dataclasses.sys``), a handle kept in a closure and the import
rebound, and a closure over a list that made results depend on process history.
"""

from __future__ import annotations

import dataclasses
import decimal
import sys
import textwrap
import types
from collections import deque
from pathlib import Path

import pytest

from participant.engine import (
    BudgetExceededError,
    CreateAndExerciseCommand,
    Engine,
    ExerciseNode,
    InMemoryLedger,
    PackageStore,
    PackageValidationError,
    TypeMismatchError,
    UserCodeError,
)
from participant.engine import api as api_module
from participant.engine.budget import safe_builtins
from participant.engine.errors import PackageBudgetExceededError
from participant.engine.facade import ApiFacade, make_facade, restricted_import
from participant.engine.sandbox import MAX_AST_DEPTH, MAX_SOURCE_BYTES, RULES
from participant.engine.types import TemplateId
from participant.engine.values import TextValue

HEADER = """\
from participant.engine.api import Party, Update, choice, package, record, template

PACKAGE = package("escape", "0.1")


@template
class T:
    p: Party

    def signatory(self) -> list[Party]:
        return [self.p]

"""
BASE = HEADER.count("\n")
"""Lines before a case's snippet: the snippet's line 1 is line BASE + 1."""


def _refused(source: str) -> PackageValidationError:
    store = PackageStore()
    with pytest.raises(PackageValidationError) as info:
        store.upload(source, "escape.py")
    assert store.list() == []
    assert info.value.rule in RULES
    return info.value


@dataclasses.dataclass(frozen=True)
class Escape:
    id: str
    snippet: str
    rule: str
    line: int
    """Line of the refusal within the snippet (1-based)."""


ESCAPES = [
    # --- introspection walks ----------------------------------------------------------------
    Escape("subclasses_walk_via_class_base", "X = ().__class__.__base__.__subclasses__()",
           "attribute", 1),
    Escape("mro_walk", "X = T.mro()", "amplifying", 1),
    Escape("gi_frame_f_back_f_globals", "X = (y for y in []).gi_frame.f_back.f_globals",
           "attribute", 1),
    Escape("generator_gi_code", "X = (y for y in []).gi_code.co_consts", "attribute", 1),
    Escape("traceback_tb_frame", "def f(e):\n    return e.__traceback__.tb_frame", "attribute", 2),
    Escape("tb_frame_without_dunder", "def f(tb):\n    return tb.tb_frame.f_globals",
           "attribute", 2),
    Escape("builtins_via_function_globals", 'def f():\n    return f.__globals__["__builtins__"]',
           "attribute", 2),
    Escape("closure_cell_contents", "def f(g):\n    return g.__closure__[0].cell_contents",
           "attribute", 2),
    Escape("cell_contents_without_dunder", "def f(cell):\n    return cell.cell_contents",
           "attribute", 2),
    Escape("reduce_ex", "X = T.__reduce_ex__(2)", "attribute", 1),
    Escape("dunder_dict_write", 'def f():\n    T.__dict__["p"] = 1', "attribute", 2),
    Escape("sys_modules_via_module_attribute", "X = T.__module__", "attribute", 1),
    Escape("fullwidth_dunder_attribute_normalised", "X = T.__\uff44\uff49\uff43\uff54__",
           "attribute", 1),
    Escape("fullwidth_underscore_is_not_an_identifier", "X = T.\uff3f\uff3fdict\uff3f\uff3f",
           "syntax", 1),
    # --- format strings ---------------------------------------------------------------------
    Escape("str_format_attribute_walk", 'X = "{0.__globals__}".format(T.signatory)',
           "format-string", 1),
    Escape("str_format_map_walk", 'X = "{t.__class__}".format_map({"t": T})', "format-string", 1),
    Escape("format_via_unbound_method", 'def f(s: str):\n    return str.format("{0.p}", s)',
           "format-string", 2),
    Escape("fstring_nested_format_spec", 'X = f"{1:{T}}"', "format-spec", 1),
    Escape("format_builtin", 'X = format(T, "")', "builtin", 1),
    # --- match, decorators, metaclasses, class hooks ----------------------------------------
    Escape("match_class_pattern_reads_attributes",
           "def f(x):\n    match x:\n        case T(p=q):\n            return q\n", "node", 2),
    Escape("arbitrary_decorator_on_function",
           "def deco(f):\n    return f\n\n\n@deco\ndef g():\n    return 1\n", "decorator", 6),
    Escape("arbitrary_class_decorator",
           "def deco(c):\n    return c\n\n\n@deco\nclass K:\n    pass\n", "class", 6),
    Escape("metaclass_keyword", "@record\nclass M(metaclass=T):\n    p: Party\n", "class", 2),
    Escape("str_subclass_base", "@record\nclass S(str):\n    p: Party\n", "class", 2),
    Escape("str_subclass_eq_hash_tricks",
           "@record\nclass S:\n    p: Party\n\n    def __eq__(self, other):\n        return True\n",
           "name", 5),
    Escape("init_subclass_hook",
           "@record\nclass S:\n    p: Party\n\n    def __init_subclass__(cls):\n        pass\n",
           "name", 5),
    Escape("class_getitem_hook",
           "@record\nclass S:\n    p: Party\n\n    def __class_getitem__(cls, i):\n"
           "        return i\n", "name", 5),
    Escape("set_name_hook",
           "@record\nclass S:\n    p: Party\n\n    def __set_name__(self, o, n):\n        pass\n",
           "name", 5),
    Escape("descriptor_get",
           "@record\nclass S:\n    p: Party\n\n    def __get__(self, o, t):\n        return o\n",
           "name", 5),
    Escape("operator_overloading_dunder",
           "@record\nclass S:\n    p: Party\n\n    def __add__(self, o):\n        return o\n",
           "name", 5),
    Escape("class_attribute_value", "@record\nclass S:\n    p: Party\n    cache = []\n",
           "class", 4),
    Escape("decorator_hijack_by_rebinding_api_name", "template = record", "shadowing", 1),
    Escape("staticmethod_rebinding", "def staticmethod(f):\n    return f\n", "shadowing", 1),
    Escape("builtins_name_shadowing", "__builtins__ = {}", "name", 1),
    Escape("builtin_rebinding_at_module_level", "len = 3", "shadowing", 1),
    # --- dynamic code, names, objects -------------------------------------------------------
    Escape("type_three_arg", 'X = type("X", (), {})', "builtin", 1),
    Escape("getattr_computed_name", 'X = getattr(T, "__" + "dict__")', "builtin", 1),
    Escape("vars", "X = vars(T)", "builtin", 1),
    Escape("dir", "X = dir(T)", "builtin", 1),
    Escape("globals_and_locals", "X = globals()", "builtin", 1),
    Escape("dunder_import", 'X = __import__("os")', "name", 1),
    Escape("exec", 'exec("1")', "builtin", 1),
    Escape("eval", 'X = eval("1")', "builtin", 1),
    Escape("compile", 'X = compile("1", "f", "exec")', "builtin", 1),
    Escape("breakpoint", "breakpoint()", "builtin", 1),
    Escape("fullwidth_exec_normalised", '\uff45\uff58\uff45\uff43("1")', "builtin", 1),
    Escape("math_bold_eval_normalised", 'X = \U0001d41e\U0001d42f\U0001d41a\U0001d425("1")',
           "builtin", 1),
    Escape("object_getattribute", 'X = object.__getattribute__(T, "p")', "attribute", 1),
    Escape("object_builtin", "X = object", "builtin", 1),
    Escape("object_setattr_on_frozen", 'def f(t):\n    object.__setattr__(t, "p", "x")',
           "attribute", 2),
    Escape("super_tricks", "def f(self):\n    return super()", "builtin", 2),
    Escape("keyword_with_dunder_name", "X = T(__class__=1)", "name", 1),
    Escape("open_file", 'X = open("/etc/passwd")', "builtin", 1),
    Escape("memoryview", "X = memoryview(3)", "builtin", 1),
    Escape("bytearray", "X = bytearray(3)", "builtin", 1),
    Escape("bytes_literal", 'X = b"abc"', "literal", 1),
    # --- imports ----------------------------------------------------------------------------
    Escape("import_os", "import os", "import", 1),
    Escape("sys_modules_via_api_import", "from participant.engine.api import sys", "import", 1),
    Escape("api_non_export", "from participant.engine.api import T as U", "import", 1),
    Escape("star_import", "from participant.engine.api import *", "import", 1),
    Escape("relative_import", "from . import api", "import", 1),
    Escape("import_in_function", "def f():\n    from participant.engine.api import Party",
           "import", 2),
    Escape("random_module", "from random import random", "import", 1),
    Escape("time_module", "from time import time", "import", 1),
    Escape("os_urandom", "from os import urandom", "import", 1),
    Escape("operator_attrgetter", "from operator import attrgetter", "import", 1),
    # --- control flow that could swallow engine errors or hide frames -----------------------
    Escape("exception_groups", "try:\n    pass\nexcept* ValueError:\n    pass\n", "node", 1),
    Escape("try_except_swallows_budget", "try:\n    pass\nexcept Exception:\n    pass\n",
           "node", 1),
    Escape("with_statement", "with T:\n    pass\n", "node", 1),
    Escape("generator_function_gi_frame", "def g():\n    yield 1\n", "node", 2),
    Escape("coroutine_cr_frame", "async def c():\n    return 1\n", "node", 1),
    Escape("async_generator", "async def a():\n    yield 1\n", "node", 1),
    Escape("walrus", "X = (y := 1)", "node", 1),
    Escape("del_statement", "X = 1\ndel X", "node", 2),
    # --- nondeterminism ---------------------------------------------------------------------
    Escape("id_of_objects", "X = id(T)", "builtin", 1),
    Escape("hash_of_objects", 'X = hash("a")', "builtin", 1),
    Escape("set_iteration_order", 'X = [x for x in {"a", "b"}]', "node", 1),
    Escape("set_builtin", 'X = tuple(set(["a"]))', "builtin", 1),
    Escape("frozenset_builtin", 'X = frozenset(["a"])', "builtin", 1),
    Escape("float_literal", "X = 0.1", "literal", 1),
    Escape("float_formatting_of_true_division", 'X = f"{True / True}"', "module-body", 1),
    Escape("float_builtin", 'X = float("0.1")', "builtin", 1),
    Escape("is_identity_of_strings", 'def f(a, b):\n    return a is b', "identity", 2),
    Escape("mutable_default_argument", "def f(xs=[]):\n    return xs", "default", 1),
    Escape("lambda_default_capturing", "F = lambda xs=[]: xs", "default", 1),
    Escape("choice_controller_default_capturing", textwrap.dedent("""\
        @template
        class C:
            p: Party

            def signatory(self) -> list[Party]:
                return [self.p]

            @choice(controller=lambda self, arg, seen=[]: seen.append(1) or [self.p])
            def Go(self, ctx: Update) -> None:
                return None
        """), "default", 8),
    Escape("global_mutation", "def f():\n    global X\n    X = 1\n", "node", 2),
    Escape("nonlocal_mutation",
           "def f():\n    n = 0\n\n    def g():\n        nonlocal n\n        n = n + 1\n",
           "node", 5),
    Escape("class_attribute_mutation", 'def f():\n    T.p = "x"\n', "assignment", 2),
    Escape("module_level_list", "CACHE = []", "mutable-state", 1),
    Escape("module_level_dict_in_tuple", 'X = ({"a": 1},)', "mutable-state", 1),
    Escape("closure_over_mutable_list",
           "def make(xs):\n    return lambda: xs.append(1) or len(xs)\n\n\nCOUNTER = make([])\n",
           "mutable-state", 5),
    Escape("closure_over_bound_list_method", "APPEND = [].append", "mutable-state", 1),
    Escape("closure_over_iterator",
           "def make(it):\n    return lambda: next(it)\n\n\nNEXT = make(iter([1, 2]))\n",
           "builtin", 2),
    Escape("iterator_at_module_level", "IT = map(str, [1, 2])", "mutable-state", 1),
    Escape("generator_at_module_level", "GEN = (x for x in [1, 2])", "mutable-state", 1),
    Escape("abort_at_module_level", 'from participant.engine.api import abort\nabort("x")',
           "module-body", 2),
]  # fmt: skip


@pytest.mark.parametrize("case", ESCAPES, ids=[c.id for c in ESCAPES])
def test_escape_is_refused_at_upload_with_rule_and_line(case: Escape) -> None:
    error = _refused(HEADER + case.snippet + "\n")
    assert (error.rule, error.line) == (case.rule, BASE + case.line), error.reason


def test_the_corpus_covers_at_least_forty_distinct_techniques() -> None:
    assert len({c.id for c in ESCAPES}) == len(ESCAPES) >= 40


# --- the reported routes: nothing of the package runs ---------------------------------------


def _marker_source(tmp_path: Path, imports: str, action: str) -> tuple[str, Path]:
    marker = tmp_path / "ran"
    source = (
        f"from participant.engine.api import Party, package, template, {imports}\n"
        'PACKAGE = package("leak", "0.1")\n'
        f"X = {action.format(path=str(marker))}\n"
    )
    return source, marker


@pytest.mark.parametrize(
    ("imports", "action"),
    [
        ("inspect", 'inspect.os.mkdir("{path}")'),
        ("dataclasses", 'dataclasses.sys.modules["os"].mkdir("{path}")'),
    ],
    ids=["inspect_os_via_api_import", "dataclasses_sys_via_api_import"],
)
def test_a_module_imported_by_the_api_is_not_reachable_and_nothing_runs(
    tmp_path: Path, imports: str, action: str
) -> None:
    source, marker = _marker_source(tmp_path, imports, action)
    error = _refused(source)
    assert (error.rule, error.line) == ("import", 1)
    assert f"{imports!r} is not part of" in error.reason
    assert not marker.exists()


def test_a_handle_kept_in_a_closure_and_the_import_rebound_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    source = textwrap.dedent(f"""\
        from participant.engine.api import Party, Update, choice, package, template, inspect

        PACKAGE = package("shell", "0.1")


        def make(m):
            return lambda: m.os.mkdir("{marker}")


        shell = make(inspect)
        inspect = None
        """)
    error = _refused(source)
    assert (error.rule, error.line) == ("import", 1)
    assert not marker.exists()
    # without the import, rebinding an API name to keep the original in a closure
    error = _refused(source.replace(", inspect\n", "\n").replace("make(inspect)", "make(choice)")
                     .replace("inspect = None", "choice = None"))  # fmt: skip
    assert (error.rule, error.line) == ("shadowing", 11)


def test_the_import_hook_refuses_names_outside_all_at_run_time() -> None:
    """The second check behind the static one: even code that reached the hook could get
    only the façade, and the façade only the API's ``__all__``."""
    facade = make_facade(safe_builtins())
    hook = restricted_import(facade)
    assert hook("participant.engine.api", None, None, ("Party",), 0) is facade
    for name in ("inspect", "dataclasses", "sys", "decimal", "api"):
        with pytest.raises(ImportError):
            hook("participant.engine.api", None, None, (name,), 0)
    with pytest.raises(ImportError):
        hook("os", None, None, (), 0)
    with pytest.raises(AttributeError):
        facade.inspect  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(AttributeError):
        facade.Party = str


# --- the façade: no chain of public attributes leads anywhere -------------------------------

_FORBIDDEN_KINDS = (
    types.ModuleType,
    types.FrameType,
    types.CodeType,
    types.TracebackType,
    types.GeneratorType,
    types.CoroutineType,
    types.AsyncGeneratorType,
    types.CellType,
)


REACHABLE_FUNCTIONS = [
    "participant.engine.api.Date.add_days",
    "participant.engine.api.Time.add_seconds",
    *(
        f"participant.engine.api.Update.{m}"
        for m in ("archive", "create", "exercise", "exercise_by_key", "fetch", "fetch_by_key",
                  "get_time", "lookup_by_key")
    ),
    "participant.engine.api.choice.<locals>.wrap",
    "participant.engine.budget._charged.<locals>.run",
    "participant.engine.budget._range",
]  # fmt: skip


def _public_attributes(obj: object) -> list[tuple[str, object]]:
    found = []
    for name in dir(obj):
        if name.startswith("_"):
            continue
        try:
            found.append((name, getattr(obj, name)))
        except Exception:  # a property that needs an instance
            continue
    return found


def test_no_chain_of_public_attributes_from_the_facade_reaches_a_module_frame_or_globals() -> None:
    """Breadth-first over every attribute package code may name (no leading ``_``), from
    every name of the façade, the builtins and typical runtime values, five levels deep."""
    builtins_table = safe_builtins()
    facade = make_facade(builtins_table)
    modules = [m for m in sys.modules.values() if isinstance(m, types.ModuleType)]
    module_dicts = {id(d): d for d in (vars(m) for m in modules)}  # kept alive: ids stay unique
    roots: list[tuple[str, object]] = [(n, getattr(facade, n)) for n in api_module.__all__]
    roots += [(n, v) for n, v in builtins_table.items() if not n.startswith("__")]
    roots += [
        ("text", "abc"),
        ("int", 3),
        ("decimal", api_module.Decimal("1.5")),
        ("time", api_module.Time(1)),
        ("date", api_module.Date(1)),
        ("list", [1]),
        ("dict", {"a": 1}),
        ("tuple", (1,)),
        ("range", range(3)),
        ("choice_wrapper", api_module.choice(controller=lambda s, a: [])),
    ]
    seen: set[int] = set()
    functions: set[str] = set()
    queue = deque((path, value, 0) for path, value in roots)
    while queue:
        path, value, depth = queue.popleft()
        if id(value) in seen:
            continue
        seen.add(id(value))
        assert not isinstance(value, _FORBIDDEN_KINDS), path
        assert id(value) not in module_dicts, path
        assert value is not __builtins__, path
        if isinstance(value, types.FunctionType):
            functions.add(f"{value.__module__}.{value.__qualname__}")
        if depth < 5:
            for name, child in _public_attributes(value):
                queue.append((f"{path}.{name}", child, depth + 1))
    assert isinstance(facade, ApiFacade)
    # the Python functions on the way hold their globals only behind ``__globals__``,
    # which package code cannot name; a new one here is a new surface to review
    assert sorted(functions) == sorted(REACHABLE_FUNCTIONS)


# --- deep nesting and huge sources ----------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "rule"),
    [
        ("(" * 150 + "1," + ")," * 149 + ")", "nesting"),
        ("(" * 5000 + "1" + ")" * 5000, "nesting"),
        ("-" * 100_000 + "1", "nesting"),
        ("1" + "+1" * 100_000, "nesting"),
        ("[" * (MAX_AST_DEPTH + 5) + "]" * (MAX_AST_DEPTH + 5), "nesting"),
        ("str(" * 60 + ")" * 60, "nesting"),
        ("x" + ".a" * 5000, "nesting"),
        ("not " * 5000 + "x", "nesting"),
        ("1 if x else " * 1000 + "1", "nesting"),
    ],
    ids=[
        "tuples_150",
        "parens_5000",
        "unary_chain",
        "binop_chain",
        "lists",
        "calls",
        "attribute_chain",
        "not_chain",
        "conditional_chain",
    ],
)
def test_deep_nesting_is_a_typed_refusal(expression: str, rule: str) -> None:
    """The same answer whatever the caller's stack: CPython's own parser limits (which
    raise RecursionError at a stack-dependent point) are never reached."""
    error = _refused(HEADER + f"X = {expression}\n")
    assert (error.rule, error.line) == (rule, BASE + 1)


def test_nesting_refusals_do_not_depend_on_the_caller_stack() -> None:
    source = HEADER + "X = 1" + "+1" * 100_000 + "\n"

    def nested(levels: int) -> tuple[str, int]:
        if levels:
            return nested(levels - 1)
        error = _refused(source)
        return error.rule, error.line

    assert nested(0) == nested(600) == ("nesting", BASE + 1)


@pytest.mark.parametrize(
    "snippet",
    ["return 1", "break", "continue", "def f(a, a):\n    return a", "X = T(p=1, p=2)", "\0"],
    ids=[
        "return_outside_function", "break_outside_loop", "continue_outside_loop",
        "duplicate_argument", "repeated_keyword", "nul_byte",
    ],
)  # fmt: skip
def test_what_only_the_compiler_checks_is_a_typed_refusal(snippet: str) -> None:
    error = _refused(HEADER + snippet + "\n")
    assert error.rule == "syntax"
    assert error.line in (0, BASE + 1)


@pytest.mark.parametrize(
    ("annotation", "line"),
    [("[Party]", 2), ("{}", 2), ("list[[Party]]", 2), ("dict[[1], int]", 2), ("list[1]", 2)],
)
def test_any_value_as_an_annotation_is_a_typed_refusal(annotation: str, line: int) -> None:
    error = _refused(HEADER + f"@record\nclass R:\n    p: {annotation}\n")
    assert (error.rule, error.line) == ("ledger-type", BASE + line)


def test_a_huge_source_is_a_typed_refusal() -> None:
    error = _refused(HEADER + "X = 1\n" * (MAX_SOURCE_BYTES // 6 + 1))
    assert (error.rule, error.line) == ("size", 0)


def test_a_module_body_out_of_budget_is_a_package_error_with_its_line() -> None:
    store = PackageStore(max_steps=1_000)
    with pytest.raises(PackageBudgetExceededError) as info:
        store.upload(HEADER + "while True:\n    pass\n", "loop.py")
    assert info.value.rule == "budget" and info.value.line in (BASE + 1, BASE + 2)
    assert isinstance(info.value, BudgetExceededError) and info.value.resource == "steps"


def test_deep_recursion_at_upload_is_the_depth_budget() -> None:
    source = HEADER + "def f(n):\n    return f(n + 1)\n\n\nX = f(0)\n"
    with pytest.raises(PackageBudgetExceededError) as info:
        PackageStore().upload(source, "deep.py")
    assert info.value.resource == "depth"


# --- shown harmless at interpretation: they run and reach nothing, or fail the same way ------

PROBE = """\
from participant.engine.api import (
    Int, List, Map, Party, Text, Update, abort, choice, package, record, template, variant,
)

PACKAGE = package("probe", "1.0.0", module="Probe")

{prelude}

@template
class Probe:
    owner: Party

    def signatory(self) -> list[Party]:
        return [self.owner]

    @choice(controller=lambda self, arg: [self.owner], consuming=False)
    def Run(self, ctx: Update) -> Text:
{body}
"""


class Probe:
    """A package with one choice ``Run`` whose body is the technique under test."""

    def __init__(self, body: str, prelude: str = "", store: PackageStore | None = None) -> None:
        self.store = store or PackageStore()
        source = PROBE.format(prelude=prelude, body=textwrap.indent(textwrap.dedent(body), " " * 8))
        self.package = self.store.upload(source, "probe.py")
        self.engine = Engine(self.store, max_steps=50_000)
        self.runs = 0

    def run(self) -> str:
        self.runs += 1
        tid = TemplateId(f"{self.package.package_id}:Probe:Probe")
        tx = self.engine.submit(
            [CreateAndExerciseCommand(tid, {"owner": "Alice"}, "Run", {})],
            act_as=["Alice"],
            lookup=InMemoryLedger(),
            vetted={self.package.package_id},
            seed=bytes(32),
            ledger_time=1_000_000,
        )
        exercise = tx.roots[1]
        assert isinstance(exercise, ExerciseNode)
        result = exercise.result
        assert isinstance(result, TextValue)
        return result.value


@pytest.mark.parametrize(
    "body",
    [
        "return str(ctx)",
        'return f"{ctx}"',
        'return f"{ctx!r}"',
        "return Text(ctx)",
        "return str(self.signatory)",
        'return f"{Probe}"',
        'return f"{[lambda: 1]}"',
        "return str((x for x in []))",
        "return str(str)",
        "abort(ctx)",
    ],
    ids=[
        "str_of_ctx_shows_address",
        "fstring_of_ctx",
        "fstring_repr_conversion",
        "text_alias_of_ctx",
        "bound_method_repr",
        "class_repr",
        "lambda_in_list_repr",
        "generator_repr",
        "builtin_wrapper_repr",
        "abort_message_with_address",
    ],
)
def test_text_with_a_memory_address_is_refused_at_interpretation(body: str) -> None:
    with pytest.raises(TypeMismatchError) as info:
        Probe(body).run()
    assert info.value.where == "text of a value"


def test_true_division_never_makes_a_float() -> None:
    with pytest.raises(TypeMismatchError):
        Probe("return str(True / True)").run()
    assert Probe('return str(Decimal("1") / 4)', "from participant.engine.api import Decimal") \
        .run() == "0.25"  # fmt: skip


def test_the_type_aliases_of_the_api_are_the_metered_builtins() -> None:
    with pytest.raises(BudgetExceededError) as info:
        Probe("xs = [1] * 90000\nreturn Text(len(List(xs)))").run()
    assert info.value.resource == "steps"
    with pytest.raises(TypeMismatchError):
        Probe('return Text(Int("1" * 40))').run()


def test_recursion_stops_at_the_same_depth_whatever_the_caller_stack() -> None:
    """A participant deep in its own stack (a confirmer) and a shallow one (the submitter)
    must agree on a package that recurses 850 deep: both refuse it at the counted depth."""
    prelude = "def down(n):\n    return 0 if n == 0 else 1 + down(n - 1)\n"
    probe = Probe("return str(down(850))", prelude)

    def nested(levels: int) -> str:
        if levels:
            return nested(levels - 1)
        try:
            return probe.run()
        except BudgetExceededError as exc:
            return f"{exc.resource} {exc.limit}"

    assert nested(0) == nested(300) == "depth 100"


def test_lambda_recursion_is_counted_too() -> None:
    with pytest.raises(BudgetExceededError) as info:
        Probe("return str(spin(0))", "spin = lambda n: spin(n + 1)\n").run()
    assert info.value.resource == "depth"


def test_values_nested_deeper_than_the_limit_are_refused_before_c_walks_them() -> None:
    with pytest.raises(BudgetExceededError) as info:
        Probe("x = []\nfor i in range(500):\n    x = [x]\nreturn str(x)").run()
    assert info.value.resource == "value_depth"
    with pytest.raises(BudgetExceededError) as info:
        Probe("x = []\nfor i in range(500):\n    x = [x]\nreturn Text(x == x)").run()
    assert info.value.resource == "value_depth"


def test_identical_commands_give_identical_results_whatever_ran_before() -> None:
    """Two participants: one ran the choice many times before, the other never."""
    body = 'total = 0\nfor x in PRIMES:\n    total += x\nreturn f"{total} {KEY} {POINT}"'
    prelude = textwrap.dedent("""\
        @record
        class Point:
            x: Int
            y: Int


        PRIMES = (2, 3, 5)
        KEY = ("a", ("b", 1))
        POINT = Point(1, 2)
        """)
    busy, fresh = Probe(body, prelude), Probe(body, prelude)
    for _ in range(5):
        busy.run()
    assert busy.run() == fresh.run() == "10 ('a', ('b', 1)) Point(x=1, y=2)"


def test_a_closure_over_a_list_cannot_make_participants_diverge() -> None:
    prelude = "def make(xs):\n    return lambda: xs.append(1) or len(xs)\n\n\nCOUNTER = make([])\n"
    error = _refused(PROBE.format(prelude=prelude, body="        return str(COUNTER())"))
    assert error.rule == "mutable-state"
    assert "closure cell 'xs'" in error.reason


def test_immutable_module_state_of_every_kind_still_loads() -> None:
    prelude = textwrap.dedent("""\
        @variant
        class Side:
            Buy: None
            Sell: Int


        @record
        class Limit:
            side: Side
            qty: Int


        LIMITS = (Limit(Side.Buy(None), 1), Limit(Side.Sell(2), 3))
        NAMES = ("a", "b")
        DEFAULT = Limit(Side.Sell(5), 7)
        TEN = 10
        NOTHING = None


        def twice(x: Int = 10) -> Int:
            return x * 2


        def adder(n: Int):
            return lambda x: x + n


        ADD_ONE = adder(1)
        """)
    body = (
        'return f"{twice()} {ADD_ONE(TEN)} {NAMES[0].upper()} {LIMITS[1].side.value} {DEFAULT.qty}"'
    )
    assert Probe(body, prelude).run() == "20 11 A 2 7"


def test_the_host_decimal_context_does_not_change_results() -> None:
    probe = Probe(
        "return str(Decimal(1) / Decimal(3))", "from participant.engine.api import Decimal"
    )
    plain = probe.run()
    with decimal.localcontext() as host:
        host.prec = 5
        assert probe.run() == plain
    assert len(plain) > 30


def test_operators_on_facade_objects_reach_nothing() -> None:
    """Operator overloading on the API's objects: what works gives plain data, what does
    not is an ordinary, deterministic failure of the package's code."""
    prelude = "from participant.engine.api import Date, Decimal, Time\n"
    body = (
        "return f\"{Party('a') * 2} {Time(1) < Time(2)} {Date(3) == Date(3)} "
        "{Decimal('1.5') + 1} {[Time(1)] + [Date(2)]}\""
    )
    assert Probe(body, prelude).run() == ("aa True True 2.5 [Time(micros=1), Date(days=2)]")
    for expression in ("Time(1) + Time(2)", "template | record", "choice < choice", "-Party('a')"):
        with pytest.raises(UserCodeError) as info:
            Probe(f"return str({expression})", prelude).run()
        assert info.value.exception_type == "TypeError"


@pytest.mark.parametrize(
    ("body", "prelude"),
    [
        ("return str(down(200))", "def down(n):\n    return 0 if n == 0 else 1 + down(n - 1)\n"),
        (
            "return str(down(200))",
            "def down(n):\n    return 0 if n == 0 else 1 + sum([down(n - 1) for i in range(1)])\n",
        ),
        (
            "return str(down(200))",
            "def down(n):\n"
            "    return 0 if n == 0 else 1 + sorted([n], key=lambda x: down(x - 1))[0]\n",
        ),
        ('return ctx.exercise(ctx.create(Probe(self.owner)), "Run")', ""),
    ],
    ids=["plain_recursion", "through_comprehensions", "through_sorted_key", "nested_exercises"],
)
def test_the_counted_depth_keeps_python_far_from_its_recursion_limit(
    body: str, prelude: str
) -> None:
    """Every way of nesting calls meets the counted depth while Python's stack is still
    under 450 frames, so Python's own limit (1000) is never what stops a package."""
    probe = Probe(body, prelude)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(450)
    try:
        with pytest.raises(BudgetExceededError) as info:
            probe.run()
    finally:
        sys.setrecursionlimit(limit)
    assert info.value.resource == "depth"


@pytest.mark.parametrize("op", ["&", "|", "-", "^"])
def test_set_operations_on_dict_views_are_refused(op: str) -> None:
    """``a.keys() & b.keys()`` is a set: iterated, it lists the keys in the process's hash
    order (PYTHONHASHSEED), so a list made from it differs between participants."""
    body = (
        'a = {"alpha": 1, "beta": 2, "gamma": 3}\n'
        f"return Text([k for k in a.keys() {op} a.keys()])"
    )
    with pytest.raises(TypeMismatchError) as info:
        Probe(body).run()
    assert info.value.got == "a dict view"
    with pytest.raises(TypeMismatchError):
        Probe('a = {"x": 1}\nb = a.items()\nb &= a.items()\nreturn Text(len(b))').run()
