"""Participant node: business-logic engine, transaction protocol, stores and Ledger API.

Run it with ``python -m participant --config participant.toml``; the node itself is
:class:`participant.node.ParticipantNode` (imported lazily here, so that the engine and
the protocol core can be used without the node's dependencies).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from participant.node import ParticipantConfig, ParticipantNode, load_participant_config

__all__ = ["ParticipantConfig", "ParticipantNode", "load_participant_config"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from participant import node  # noqa: PLC0415 (lazy: see the docstring)

        return getattr(node, name)
    raise AttributeError(f"module 'participant' has no attribute {name!r}")
