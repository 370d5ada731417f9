"""Identifiers and small values of the engine.

Identifiers are plain strings at run time, distinguished by ``NewType`` for the type
checker. Their textual forms are fixed here because they are hashed and shown to users:

==============  ==========================================================
identifier      form
==============  ==========================================================
``PartyId``     1..255 characters from ``[A-Za-z0-9:_-]`` (Daml's party id set)
``PackageId``   64 lower-case hex digits: sha256 of the canonical package source
``TemplateId``  ``<package id>:<module>:<Template>``
``ContractId``  ``"00"`` followed by 64 lower-case hex digits (see ``ids.py``)
``NodeId``      dotted path of child positions from the roots, e.g. ``"0.2.1"``
==============  ==========================================================

``PartyId``, ``PackageId`` and ``ContractId`` are the protocol's own types
(``protocol.identifiers``, ``protocol.topology``, ``protocol.transaction``), so a value
passes between the engine and the protocol as it is; the forms above are what the engine
checks and makes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NewType

from protocol.identifiers import PartyId
from protocol.topology.mappings import PackageId
from protocol.transaction.types import ContractId

TemplateId = NewType("TemplateId", str)
NodeId = NewType("NodeId", str)

PARTY_RE = re.compile(r"[A-Za-z0-9:_\-]{1,255}")
PACKAGE_ID_RE = re.compile(r"[0-9a-f]{64}")
CONTRACT_ID_RE = re.compile(r"00[0-9a-f]{64}")
NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def is_party(text: str) -> bool:
    """Whether ``text`` is a well-formed party id."""
    return PARTY_RE.fullmatch(text) is not None


def is_contract_id(text: str) -> bool:
    """Whether ``text`` is a well-formed contract id."""
    return CONTRACT_ID_RE.fullmatch(text) is not None


@dataclass(frozen=True, slots=True)
class QualifiedName:
    """The parts of a ``TemplateId``."""

    package_id: PackageId
    """Hash of the package that defines the template."""
    module: str
    """Module name inside the package."""
    name: str
    """The template's (class) name."""

    def template_id(self) -> TemplateId:
        return TemplateId(f"{self.package_id}:{self.module}:{self.name}")


def make_template_id(package_id: PackageId, module: str, name: str) -> TemplateId:
    """``package_id:module:name``."""
    return TemplateId(f"{package_id}:{module}:{name}")


def split_template_id(template_id: str) -> QualifiedName | None:
    """Parse a template id; ``None`` if it is malformed."""
    parts = template_id.split(":")
    if len(parts) != 3:
        return None
    package_id, module, name = parts
    if PACKAGE_ID_RE.fullmatch(package_id) is None:
        return None
    if NAME_RE.fullmatch(module) is None or NAME_RE.fullmatch(name) is None:
        return None
    return QualifiedName(PackageId(package_id), module, name)


def child_node_id(parent: NodeId | None, index: int) -> NodeId:
    """Id of the ``index``-th child of ``parent`` (``None`` for the roots)."""
    return NodeId(str(index) if parent is None else f"{parent}.{index}")


__all__ = [
    "CONTRACT_ID_RE",
    "NAME_RE",
    "PACKAGE_ID_RE",
    "PARTY_RE",
    "ContractId",
    "NodeId",
    "PackageId",
    "PartyId",
    "QualifiedName",
    "TemplateId",
    "child_node_id",
    "is_contract_id",
    "is_party",
    "make_template_id",
    "split_template_id",
]
