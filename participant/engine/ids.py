"""Deterministic node seeds and contract ids.

Every Create and Exercise node gets a 32-byte *node seed*; every contract id is derived
from the seed of the node that created it, so every participant re-interpreting a view
arrives at the same ids without talking to anyone (Daml's contract-id discriminators):

====================  ====================================================================
value                 definition (``H`` = sha256 of the canonical encoding, tag first)
====================  ====================================================================
root node seed        ``H(tag "engine.NodeSeed" v1, bytes submission_seed, u32 index)``
child node seed       ``H(tag "engine.NodeSeed" v1, bytes parent node seed, u32 index)``
contract id           ``"00" ‖ hex H(tag "engine.ContractId" v1, fixed32 node seed,``
                      ``i64 ledger time, str template id, value argument)``
====================  ====================================================================

``index`` is the node's position among its siblings (among the roots for a root node), so
the seed of a node is a function of the submission seed and the node's id alone.
"""

from __future__ import annotations

import hashlib

from participant.engine.types import ContractId, NodeId, TemplateId
from participant.engine.values import RecordValue, write_value
from protocol.canonical import Writer, encode

SEED_SIZE = 32


def node_seed(parent: bytes, index: int) -> bytes:
    """Seed of the ``index``-th child of a node (or root) whose seed is ``parent``."""
    data = encode(lambda w: w.tag("engine.NodeSeed", 1).bytes(parent).u32(index))
    return hashlib.sha256(data).digest()


def seed_of_node(submission_seed: bytes, node_id: NodeId) -> bytes:
    """Walk the node id's path from the submission seed."""
    seed = submission_seed
    for part in node_id.split("."):
        seed = node_seed(seed, int(part))
    return seed


def contract_id(
    seed: bytes, ledger_time: int, template_id: TemplateId, argument: RecordValue
) -> ContractId:
    """The id of the contract created by the node with seed ``seed``."""

    def write(w: Writer) -> None:
        w.tag("engine.ContractId", 1).fixed(seed, SEED_SIZE).i64(ledger_time).str(template_id)
        write_value(w, argument)

    data = encode(write)
    return ContractId("00" + hashlib.sha256(data).hexdigest())
