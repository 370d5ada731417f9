"""Run one sequencer node as its own process: ``python -m sequencer_chain --config node.toml``.

Prints ``READY {"grpc": ..., "ops": ...}`` once serving. Exits 0 on SIGINT/SIGTERM, 1 if
the node fails, 2 on a configuration error (``docs/nodes.md`` §1; ``node_runtime.process``).
"""

from __future__ import annotations

import sys

from node_runtime.process import NodeProgram, run_node_program
from sequencer_chain.config import load_node_config
from sequencer_chain.errors import SequencerChainError
from sequencer_chain.node import SequencerNode

PROGRAM: NodeProgram[SequencerNode] = NodeProgram(
    package="sequencer_chain",
    title="sequencer node",
    build=lambda path: SequencerNode(load_node_config(path)),
    ready=lambda node: {"grpc": node.target, "ops": node.ops.url if node.ops else None},
    start_errors=(SequencerChainError,),
)


def main(argv: list[str] | None = None) -> int:
    return run_node_program(PROGRAM, argv)


if __name__ == "__main__":
    sys.exit(main())
