"""The marker of a topology broadcast: how a sequencer recognises, in the requests it
sequences, the topology transactions it must process itself (``docs/topology.md`` §11).

A **topology broadcast** is an envelope of a *valid* (delivered) submission request whose

* sender is an active domain manager (member kind ``DOM``) of the domain, and
* payload is exactly the canonical encoding of a :class:`SignedTopologyTransaction`, so it
  begins with :data:`TOPOLOGY_PAYLOAD_PREFIX` (the encoding of the tag
  ``SignedTopologyTransaction`` version 1).

The domain manager addresses such envelopes to every active member. Every sequencer
processes each of them, in envelope order, at the request's sequencing time, whatever the
recipients; a payload that carries the prefix but does not decode is processed too (it is
recorded as a ``MALFORMED`` rejection), so every node takes the same decision.
"""

from __future__ import annotations

from protocol.canonical import encode
from protocol.topology.transactions import ENCODING_VERSION, SIGNED_TRANSACTION_TAG

TOPOLOGY_PAYLOAD_PREFIX: bytes = encode(lambda w: w.tag(SIGNED_TRANSACTION_TAG, ENCODING_VERSION))
"""The first bytes of every encoded :class:`SignedTopologyTransaction`."""


def is_topology_payload(payload: bytes) -> bool:
    """Whether an envelope payload is marked as a topology transaction."""
    return payload.startswith(TOPOLOGY_PAYLOAD_PREFIX)
