"""Loading a package: canonical source, package id, validation, evaluation, definitions.

``load_package`` is the only place package source turns into running code:

1. the source is put in canonical form (:func:`canonical_source`) and hashed into the
   package id, so the id names exactly the text every participant validated;
2. ``sandbox.validate`` checks the syntax tree; nothing has run yet;
3. the instrumented module body runs under a step budget with restricted builtins (a
   module body that loops forever is stopped here, at upload);
4. what the body defined is checked (module state must be immutable) and turned into
   typed :class:`TemplateDef` / :class:`ChoiceDef` values the interpreter works with.
"""

from __future__ import annotations

import dataclasses
import decimal
import hashlib
import inspect
import sys
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from participant.engine import api
from participant.engine.budget import (
    DEFAULT_MAX_STEPS,
    RUNTIME_NAMES,
    Meter,
    metered,
    safe_builtins,
)
from participant.engine.errors import (
    BudgetExceededError,
    PackageBudgetExceededError,
    PackageValidationError,
)
from participant.engine.facade import make_facade, restricted_import
from participant.engine.immutability import first_mutable
from participant.engine.sandbox import ValidatedSource, instrument, validate
from participant.engine.types import PackageId, TemplateId, make_template_id
from participant.engine.typesys import (
    TList,
    TPrim,
    TRecord,
    TVariant,
    Type,
    TypeDeclError,
    dataclass_fields,
    parse_type,
)
from participant.engine.values import DECIMAL_CONTEXT
from protocol.canonical import encode

PARTIES = TList(TPrim("Party"))
TEMPLATE_ID_ATTR = "__cd_template_id__"
"""Set on each template class at load, so ``ctx.create(Iou(...))`` finds its template id."""
RESERVED_CHOICES = frozenset({"Archive"})


def canonical_source(source: str | bytes) -> str:
    """The one text a package id names: UTF-8, ``\\n`` line ends, no trailing blanks,
    exactly one final newline."""
    text = source.decode("utf-8") if isinstance(source, bytes) else source
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n") + "\n"


def package_id_of(canonical: str) -> PackageId:
    """sha256 (hex) of the tagged canonical source."""
    data = encode(lambda w: w.tag("engine.PackageSource", 1).str(canonical))
    return PackageId(hashlib.sha256(data).hexdigest())


@dataclass(frozen=True, slots=True)
class ChoiceDef:
    name: str
    consuming: bool
    controller: Callable[[Any, Any], Any]
    observer: Callable[[Any, Any], Any] | None
    body: Callable[..., Any] | None
    """``None`` for the built-in ``Archive``."""
    argument_type: TRecord
    result_type: Type


@dataclass(frozen=True, slots=True)
class KeyDef:
    key_type: Type
    key: Callable[[Any], Any]
    maintainer: Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class TemplateDef:
    template_id: TemplateId
    package_id: PackageId
    name: str
    cls: type
    record_type: TRecord
    signatory: Callable[[Any], Any]
    observer: Callable[[Any], Any] | None
    ensure: Callable[[Any], Any] | None
    key: KeyDef | None
    choices: Mapping[str, ChoiceDef]


@dataclass(frozen=True, slots=True)
class Package:
    """A loaded, validated package."""

    package_id: PackageId
    name: str
    version: str
    module: str
    source: str
    """The canonical source the id was computed from."""
    templates: Mapping[str, TemplateDef]
    """By template name."""

    def template(self, name: str) -> TemplateDef | None:
        return self.templates.get(name)

    def template_ids(self) -> list[TemplateId]:
        return [t.template_id for t in self.templates.values()]


def load_package(
    source: str | bytes, file: str = "<package>", max_steps: int = DEFAULT_MAX_STEPS
) -> Package:
    """Validate, evaluate (under the budget) and load a package; nothing is stored.

    Every refusal is a :class:`PackageValidationError` naming the line and the rule
    (``sandbox.RULES``); nothing of a refused package is kept.
    """
    try:
        canonical = canonical_source(source)
    except UnicodeDecodeError as exc:
        raise PackageValidationError(file, 0, f"the source is not UTF-8: {exc}", "syntax") from None
    validated = validate(canonical, file)
    decl = validated.decl
    package_id = package_id_of(canonical)
    code = instrument(validated, file)
    builtins_table = safe_builtins()
    facade = make_facade(builtins_table)
    builtins_table["__import__"] = restricted_import(facade)
    namespace: dict[str, Any] = {
        "__builtins__": builtins_table,
        "__name__": f"package_{decl.name}",
        **RUNTIME_NAMES,
    }
    meter = Meter(f"module body of package {decl.name!r}", max_steps=max_steps)
    try:
        with metered(meter), decimal.localcontext(DECIMAL_CONTEXT):
            exec(code, namespace)
    except PackageValidationError:
        raise
    except BudgetExceededError as exc:
        raise PackageBudgetExceededError(
            file, _error_line(exc, file), exc.resource, exc.limit, exc.context
        ) from None
    except RecursionError as exc:
        raise PackageBudgetExceededError(
            file, _error_line(exc, file), "recursion", sys.getrecursionlimit(), meter.context
        ) from None
    except MemoryError as exc:
        raise PackageBudgetExceededError(
            file, _error_line(exc, file), "value_size", meter.max_value_size, meter.context
        ) from None
    except Exception as exc:  # the module body is package code: anything can come out
        line = _error_line(exc, file)
        raise PackageValidationError(
            file, line, f"module body raised {type(exc).__name__}: {exc}", "module-body"
        ) from None
    provided = frozenset(
        id(v) for v in [*builtins_table.values(), *facade.values(), *RUNTIME_NAMES.values()]
    )
    return _collect(
        file,
        package_id=package_id,
        decl=decl,
        canonical=canonical,
        namespace=namespace,
        validated=validated,
        provided=provided,
    )


def _error_line(exc: BaseException, file: str) -> int:
    line = 0
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == file:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _collect(
    file: str,
    *,
    package_id: PackageId,
    decl: api.PackageDecl,
    canonical: str,
    namespace: dict[str, Any],
    validated: ValidatedSource,
    provided: frozenset[int],
) -> Package:
    class_lines = validated.class_lines
    module_name = namespace["__name__"]
    user_types: dict[str, TRecord | TVariant] = {}
    template_classes: list[type] = []
    for name, value in namespace.items():
        if name.startswith("__") or id(value) in provided:
            continue
        line = validated.binding_lines.get(name, 1)
        if isinstance(value, type):
            type_name = make_template_id(package_id, decl.module, value.__name__)
            if value.__name__ != name:
                raise PackageValidationError(
                    file, line, f"class {value.__name__} bound to {name}", "ledger-type"
                )
            if getattr(value, api.TEMPLATE_MARK, False):
                user_types[name] = TRecord(type_name, value)
                template_classes.append(value)
            elif getattr(value, api.RECORD_MARK, False):
                user_types[name] = TRecord(type_name, value)
            elif getattr(value, api.VARIANT_MARK, None) is not None:
                user_types[name] = TVariant(type_name, value)
            else:
                raise PackageValidationError(
                    file, line, f"class {name} is not a ledger type", "ledger-type"
                )
            for attr, member in vars(value).items():
                if attr.startswith("__"):
                    continue
                if not isinstance(member, api.ChoiceDecl | types.FunctionType | staticmethod):
                    raise PackageValidationError(
                        file,
                        class_lines.get(name, line),
                        f"{name}.{attr}: class attributes must be methods",
                        "mutable-state",
                    )
        found = first_mutable(
            value, f"module-level {name!r}", module_name=module_name, provided=provided
        )
        if found is not None:
            what, path = found
            raise PackageValidationError(
                file,
                line,
                f"{path} is mutable ({what}); module state, closure cells and class "
                "attributes must be deeply immutable",
                "mutable-state",
            )
    try:
        for name, ty in user_types.items():
            where = f"{name}"
            if isinstance(ty, TRecord):
                for field, annotation in dataclass_fields(ty.cls):
                    ty.fields[field] = parse_type(annotation, user_types, f"{name}.{field}")
            else:
                annotations = inspect.get_annotations(ty.cls)
                for tag in getattr(ty.cls, api.VARIANT_MARK):
                    ty.constructors[tag] = parse_type(annotations[tag], user_types, where)
        templates = {
            cls.__name__: _template_def(package_id, cls, user_types) for cls in template_classes
        }
    except TypeDeclError as exc:
        name = str(exc).split(".")[0].split(":")[0]
        raise PackageValidationError(
            file, class_lines.get(name, 1), str(exc), "ledger-type"
        ) from None
    except Exception as exc:  # annotations are package values: anything can come out
        raise PackageValidationError(
            file, 1, f"declarations could not be read: {type(exc).__name__}: {exc}", "ledger-type"
        ) from None
    return Package(package_id, decl.name, decl.version, decl.module, canonical, templates)


def _method(cls: type, name: str) -> Callable[..., Any] | None:
    member = cls.__dict__.get(name)
    if member is None:
        return None
    if isinstance(member, staticmethod):
        fn: Callable[..., Any] = member.__func__
        return fn
    if not isinstance(member, types.FunctionType):
        raise TypeDeclError(f"{cls.__name__}.{name} must be a method")
    return member


def _template_def(
    package_id: PackageId, cls: type, user_types: dict[str, TRecord | TVariant]
) -> TemplateDef:
    name = cls.__name__
    record_type = user_types[name]
    assert isinstance(record_type, TRecord)
    signatory = _method(cls, "signatory")
    if signatory is None:
        raise TypeDeclError(f"{name}: a template needs a signatory(self) method")
    key_def: KeyDef | None = None
    key_fn = _method(cls, "key")
    if key_fn is not None:
        maintainer = cls.__dict__.get("maintainer")
        if not isinstance(maintainer, staticmethod):
            raise TypeDeclError(f"{name}: a key needs a @staticmethod maintainer(key)")
        returns = key_fn.__annotations__.get("return")
        if returns is None:
            raise TypeDeclError(f"{name}.key needs a return annotation (the key type)")
        key_type = parse_type(returns, user_types, f"{name}.key")
        key_def = KeyDef(key_type, key_fn, maintainer.__func__)
    choices: dict[str, ChoiceDef] = {}
    for attr, member in vars(cls).items():
        if isinstance(member, api.ChoiceDecl):
            if attr in RESERVED_CHOICES:
                raise TypeDeclError(f"{name}.{attr}: the choice name is reserved")
            choices[attr] = _choice_def(name, record_type.type_name, member, user_types)
    choices["Archive"] = ChoiceDef(
        "Archive",
        True,
        lambda contract, _arg: signatory(contract),
        None,
        None,
        TRecord(f"{record_type.type_name}.Archive", _argument_class(name, "Archive", [])),
        TPrim("Unit"),
    )
    setattr(cls, TEMPLATE_ID_ATTR, record_type.type_name)
    return TemplateDef(
        TemplateId(record_type.type_name),
        package_id,
        name,
        cls,
        record_type,
        signatory,
        _method(cls, "observer"),
        _method(cls, "ensure"),
        key_def,
        choices,
    )


def _argument_class(template: str, choice: str, names: list[str]) -> type:
    """A frozen record class for a choice's argument (Daml's choice argument record)."""
    return dataclasses.make_dataclass(
        f"{template}_{choice}", [(n, object) for n in names], frozen=True
    )


def _choice_def(
    template: str, type_name: str, decl: api.ChoiceDecl, user_types: dict[str, TRecord | TVariant]
) -> ChoiceDef:
    where = f"{template}.{decl.name}"
    signature = inspect.signature(decl.body)
    params = list(signature.parameters.values())
    if len(params) < 2 or [p.name for p in params[:2]] != ["self", "ctx"]:
        raise TypeDeclError(f"{where}: a choice takes (self, ctx, <arguments>)")
    names = [p.name for p in params[2:]]
    argument_type = TRecord(f"{type_name}.{decl.name}", _argument_class(template, decl.name, names))
    for param in params[2:]:
        if param.annotation is inspect.Parameter.empty:
            raise TypeDeclError(f"{where}: argument {param.name} needs a type annotation")
        if param.kind is not inspect.Parameter.POSITIONAL_OR_KEYWORD:
            raise TypeDeclError(f"{where}: argument {param.name} must be a plain parameter")
        argument_type.fields[param.name] = parse_type(
            param.annotation, user_types, f"{where}.{param.name}"
        )
    if signature.return_annotation is inspect.Signature.empty:
        raise TypeDeclError(f"{where}: a choice needs a return annotation (-> None for Unit)")
    result_type = parse_type(signature.return_annotation, user_types, f"{where} result")
    return ChoiceDef(
        decl.name,
        decl.consuming,
        decl.controller,
        decl.observer,
        decl.body,
        argument_type,
        result_type,
    )
