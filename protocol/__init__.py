"""What every chaindomain node shares: canonical encoding, hashing, signing and
encryption, identifiers, wire messages and the on-chain batch format.

Modules (import from them directly; each has one job):

- ``canonical``: the canonical binary Writer/Reader (docs/protocol-encoding.md §1)
- ``errors``: the error tree, rooted at ``ProtocolError``
- ``identifiers``: Fingerprint, Namespace, MemberId, PartyId, DomainId and their grammar
- ``timestamp``: Timestamp (µs since the epoch) and helpers
- ``crypto``: purpose-tagged hashing, Ed25519 signing, hybrid encryption, keystores
- ``sequencer_messages``: submission requests, sequenced events, authentication challenge
- ``batch_format``: the on-chain batch (docs/batch-format.md)
- ``sequencing_time``: the deterministic sequencing-time rule
- ``v1``: the gRPC transport (generated stubs, committed)
- ``topology``, ``transaction``: topology and transaction-protocol values

This package imports no other chaindomain component.
"""
