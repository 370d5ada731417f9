"""The genesis topology: the transactions a domain starts from, and its file format.

A genesis is a list of signed topology transactions, all sequenced at the genesis
timestamp, in this order:

1. the domain's root certificate (its namespace is the domain id's namespace);
2. member transactions supplied by the caller (root certificates and OwnerToKeyMappings of
   the sequencers and mediators, signed by their own keys);
3. the SequencerDomainState (each sequencer with its chain writer account);
4. the MediatorDomainState;
5. the DomainParameters — last, so that no topology change delay is in force yet while
   the others are processed, and all of them are effective at the genesis timestamp.

Every member processes these through the normal state machine, so a genesis that is not
fully authorized is refused like any other transaction.

File format (JSON, UTF-8)::

    {
      "format": "chaindomain-topology-genesis",
      "version": 1,
      "domain": "<domain id>",
      "timestamp": <microseconds>,
      "hash": "<multihash of the canonical Genesis encoding>",
      "transactions": ["<hex of a SignedTopologyTransaction encoding>", ...]
    }

The canonical encoding is ``tag("TopologyGenesis", 1) domain-id u64 timestamp
sequence(bytes(SignedTopologyTransaction))``; its hash
(``hash(TOPOLOGY_TRANSACTION, encoding)``) is what operators compare out of band.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from protocol.canonical import Reader, Writer, encode
from protocol.crypto.hashing import Hash, HashPurpose, hash_bytes
from protocol.crypto.signing import SigningPrivateKey
from protocol.errors import MalformedError, ProtocolError
from protocol.identifiers import (
    DomainId,
    MemberId,
    Namespace,
    make_domain_id,
    parse_domain_id,
    read_domain_id,
    split_unique_id,
    write_domain_id,
)
from protocol.timestamp import MIN_TIMESTAMP, Timestamp, read_timestamp, timestamp, write_timestamp
from protocol.topology.errors import TopologyStoreError
from protocol.topology.mappings import (
    DomainParameters,
    MediatorDomainState,
    SequencerDomainState,
    SequencerWriter,
)
from protocol.topology.transactions import (
    SignedTopologyTransaction,
    add_mapping,
    decode_signed_topology_transaction,
    root_certificate,
)

GENESIS_TAG = "TopologyGenesis"
GENESIS_FORMAT = "chaindomain-topology-genesis"
GENESIS_VERSION = 1
MAX_GENESIS_TRANSACTIONS = 4_096


@dataclass(frozen=True, slots=True)
class Genesis:
    """The transactions a domain's topology starts from."""

    domain: DomainId
    timestamp: Timestamp
    """The sequencing (and effective) time of every genesis transaction."""
    transactions: tuple[SignedTopologyTransaction, ...]

    def write(self, w: Writer) -> None:
        w.tag(GENESIS_TAG, GENESIS_VERSION)
        write_domain_id(w, self.domain)
        write_timestamp(w, self.timestamp)
        w.sequence(self.transactions, lambda w_, t: w_.bytes(t.encode()))

    @classmethod
    def read(cls, r: Reader) -> Genesis:
        r.expect_tag(GENESIS_TAG, GENESIS_VERSION)
        domain, ts = read_domain_id(r), read_timestamp(r)
        raw = r.sequence(lambda r_: r_.bytes(), max_count=MAX_GENESIS_TRANSACTIONS)
        return cls(domain, ts, tuple(decode_signed_topology_transaction(b) for b in raw))

    def hash(self) -> Hash:
        return hash_bytes(HashPurpose.TOPOLOGY_TRANSACTION, encode(self.write))


def build_genesis(
    domain_key: SigningPrivateKey,
    domain_name: str,
    *,
    sequencers: Sequence[SequencerWriter],
    mediators: Sequence[MemberId],
    mediator_threshold: int = 1,
    parameters: DomainParameters | None = None,
    member_transactions: Sequence[SignedTopologyTransaction] = (),
    at: Timestamp = MIN_TIMESTAMP,
) -> Genesis:
    """A genesis signed by the domain's root key (see the module docstring for the order).

    ``parameters`` defaults to :meth:`DomainParameters.defaults`; its domain must be the
    new domain's. ``member_transactions`` are placed after the root certificate as given.
    """
    domain = make_domain_id(domain_name, Namespace(domain_key.fingerprint))
    params = parameters if parameters is not None else DomainParameters.defaults(domain)
    if params.domain != domain:
        raise TopologyStoreError(None, f"parameters are for {params.domain}, not {domain}")
    txs = [root_certificate(domain_key), *member_transactions]
    txs.append(add_mapping(SequencerDomainState(domain, tuple(sequencers)), [domain_key]))
    mediator_state = MediatorDomainState(domain, mediator_threshold, tuple(mediators))
    txs.append(add_mapping(mediator_state, [domain_key]))
    txs.append(add_mapping(params, [domain_key]))
    return Genesis(domain, timestamp(at), tuple(txs))


def write_genesis(path: str | os.PathLike[str], genesis: Genesis) -> Path:
    """Write ``genesis`` as JSON, atomically; refuses to overwrite an existing file."""
    target = Path(path)
    if target.exists():
        raise TopologyStoreError(target, "file exists; refusing to overwrite a genesis")
    document = {
        "format": GENESIS_FORMAT,
        "version": GENESIS_VERSION,
        "domain": genesis.domain,
        "timestamp": genesis.timestamp,
        "hash": genesis.hash().to_multihash(),
        "transactions": [t.encode().hex() for t in genesis.transactions],
    }
    tmp = target.with_name(target.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(document, f, indent=2)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, target)
    return target


def read_genesis(path: str | os.PathLike[str]) -> Genesis:
    """Read and check a genesis file; any problem raises :class:`TopologyStoreError`."""
    target = Path(path)
    try:
        doc: Any = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TopologyStoreError(target, f"unreadable genesis: {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != GENESIS_FORMAT:
        raise TopologyStoreError(target, f"not a {GENESIS_FORMAT} file")
    if doc.get("version") != GENESIS_VERSION:
        raise TopologyStoreError(target, f"unsupported version {doc.get('version')!r}")
    raw = doc.get("transactions")
    if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
        raise TopologyStoreError(target, "'transactions' must be a list of hex strings")
    try:
        genesis = Genesis(
            parse_domain_id(doc.get("domain")),  # type: ignore[arg-type]
            timestamp(doc.get("timestamp")),  # type: ignore[arg-type]
            tuple(decode_signed_topology_transaction(bytes.fromhex(t)) for t in raw),
        )
    except (ValueError, MalformedError, ProtocolError) as exc:
        raise TopologyStoreError(target, f"invalid genesis: {exc}") from None
    if genesis.hash().to_multihash() != doc.get("hash"):
        raise TopologyStoreError(target, "hash does not match the transactions")
    if split_unique_id(genesis.domain)[1] != _root_namespace(genesis):
        raise TopologyStoreError(target, "first transaction is not the domain's root certificate")
    return genesis


def _root_namespace(genesis: Genesis) -> str | None:
    if not genesis.transactions:
        return None
    mapping = genesis.transactions[0].transaction.mapping
    namespace = getattr(mapping, "namespace", None)
    is_root = getattr(mapping, "is_root_certificate", False)
    return namespace if is_root else None
