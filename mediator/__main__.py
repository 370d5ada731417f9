"""Run the mediator as its own process: ``python -m mediator --config mediator.toml
[--log-level INFO]``.

Prints ``READY {"member": ..., "ops": ...}`` once the member runtime has started and it is
serving its operations endpoint. Exits 0 on SIGINT/SIGTERM, 1 if the node fails, 2 on a
configuration error (``docs/nodes.md`` §1; ``node_runtime.process``).
"""

from __future__ import annotations

import sys

from mediator.config import load_mediator_config
from mediator.errors import MediatorConfigError, MediatorError
from mediator.node import MediatorNode
from node_runtime.member import MemberRuntimeError
from node_runtime.process import NodeProgram, run_node_program
from protocol.errors import ProtocolError

PROGRAM: NodeProgram[MediatorNode] = NodeProgram(
    package="mediator",
    title="mediator",
    build=lambda path: MediatorNode(load_mediator_config(path)),
    ready=lambda node: {"member": node.member, "ops": node.ops.url if node.ops else ""},
    config_errors=(MediatorConfigError,),
    start_errors=(MediatorError, MemberRuntimeError, ProtocolError),
)


def main(argv: list[str] | None = None) -> int:
    return run_node_program(PROGRAM, argv)


if __name__ == "__main__":
    sys.exit(main())
