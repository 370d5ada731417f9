"""Run the domain manager as its own process:
``python -m domain_manager --config dm.toml [--log-level INFO]``.

Prints ``READY {"grpc": ..., "ops": ...}`` once serving. Exits 0 on SIGINT/SIGTERM, 1 if
the node fails, 2 on a configuration error (``docs/nodes.md`` §1; ``node_runtime.process``).
"""

from __future__ import annotations

import sys

from domain_manager.config import load_dm_config
from domain_manager.errors import DomainManagerError
from domain_manager.node import DomainManagerNode
from node_runtime.process import NodeProgram, run_node_program
from protocol.errors import ProtocolError

PROGRAM: NodeProgram[DomainManagerNode] = NodeProgram(
    package="domain_manager",
    title="domain manager",
    build=lambda path: DomainManagerNode(load_dm_config(path)),
    ready=lambda node: {"grpc": node.target, "ops": node.ops.url if node.ops else ""},
    start_errors=(DomainManagerError, ProtocolError),
)


def main(argv: list[str] | None = None) -> int:
    return run_node_program(PROGRAM, argv)


if __name__ == "__main__":
    sys.exit(main())
