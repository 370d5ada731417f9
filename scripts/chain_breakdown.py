"""What the ordering contract's transactions carried, by protocol message kind.

``bench_ledger.py`` feeds this module the ``submit(writerSeq, batch)`` transactions of the
measured blocks. Each batch is decoded with the batch format (``protocol.batch_format``)
and every signed submission request in it is split into its parts:

* **payloads**, classified by the protocol message their tag names (encrypted view,
  informee message, root hash message, confirmation response, verdict, ACS commitment),
  a topology broadcast, or ``other``; a request with no envelopes is a **time proof**.
  Encrypted views are split further into wrapped session keys and ciphertext, signed
  messages into their signature and the rest;
* **request overhead**: the sender's signature, the message id, the recipient sets, and
  the rest of the request (tags, domain id, sender, length prefixes, max sequencing time);
* **batch overhead**: the batch header, the request count and length prefixes;
* **chain transaction overhead**: the ABI framing of ``submit`` around the batch.

Sizes of payloads and requests are uncompressed; a batch written with zlib is reported
with its ratio (on-chain body over uncompressed content). The breakdown is exact: the
parts of a request add up to its encoding, and the content plus the framing to the batch.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from eth_abi.abi import decode as abi_decode

from protocol.batch_format import BATCH_HEADER_SIZE, Compression, decode_batch
from protocol.canonical import encode
from protocol.crypto.signing import Signature
from protocol.sequencer_messages import SignedSubmissionRequest
from protocol.topology import is_topology_payload
from protocol.transaction import (
    EncryptedViewMessage,
    InformeeMessage,
    MalformedTransactionMessageError,
    RootHashMessage,
    SignedAcsCommitment,
    SignedConfirmationResponse,
    SignedConfirmationResult,
    decode_protocol_message,
)
from sequencer_chain.contract.inbox import SUBMIT_SELECTOR

ENCRYPTED_VIEW = "encrypted view"
INFORMEE = "informee message"
ROOT_HASH = "root hash message"
RESPONSE = "confirmation response"
VERDICT = "verdict"
COMMITMENT = "ACS commitment"
TOPOLOGY = "topology"
TIME_PROOF = "time proof (whole request)"
OTHER = "other"
KINDS = (ENCRYPTED_VIEW, INFORMEE, ROOT_HASH, RESPONSE, VERDICT, COMMITMENT, TOPOLOGY, OTHER)

WRAPPED_KEYS = "wrapped session keys"
CIPHERTEXT = "ciphertext (padded view, GCM tag)"
SIGNATURES = "signatures"

REQUEST_SIGNATURE = "request: sender's signature"
REQUEST_MESSAGE_ID = "request: message id"
REQUEST_RECIPIENTS = "request: recipient sets"
REQUEST_REST = "request: tags, domain, sender, lengths, time"
BATCH_FRAMING = "batch: header, count, length prefixes"
OVERHEADS = (REQUEST_SIGNATURE, REQUEST_MESSAGE_ID, REQUEST_RECIPIENTS, REQUEST_REST)


def signature_size(signature: Signature) -> int:
    return len(encode(signature.write))


def classify_payload(payload: bytes) -> tuple[str, dict[str, int]]:
    """The kind of an envelope payload and the sizes of its notable parts."""
    if is_topology_payload(payload):
        return TOPOLOGY, {}
    try:
        message = decode_protocol_message(payload)
    except MalformedTransactionMessageError:
        return OTHER, {}
    if isinstance(message, EncryptedViewMessage):
        encrypted = message.encrypted
        keys = 4 + sum(len(encode(k.write)) for k in encrypted.keys)
        return ENCRYPTED_VIEW, {WRAPPED_KEYS: keys, CIPHERTEXT: 4 + len(encrypted.ciphertext)}
    if isinstance(message, InformeeMessage):
        return INFORMEE, {SIGNATURES: signature_size(message.signature)}
    if isinstance(message, RootHashMessage):
        return ROOT_HASH, {SIGNATURES: signature_size(message.signature)}
    if isinstance(message, SignedConfirmationResponse):
        return RESPONSE, {SIGNATURES: signature_size(message.signature)}
    if isinstance(message, SignedConfirmationResult):
        return VERDICT, {SIGNATURES: signature_size(message.signature)}
    assert isinstance(message, SignedAcsCommitment)  # the last of ProtocolMessage
    return COMMITMENT, {SIGNATURES: signature_size(message.signature)}


@dataclass
class Breakdown:
    """Bytes the chain carried, accumulated over chain transactions (module docstring)."""

    count: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    """Envelopes (or time-proof requests) per kind."""
    size: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    """Uncompressed bytes per kind, and per overhead row."""
    parts: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    """Bytes of a notable part of a kind: ``(kind, part)``."""
    chain_txs: int = 0
    reverted_txs: int = 0
    batches: int = 0
    zlib_batches: int = 0
    requests: int = 0
    content: int = 0
    """Uncompressed batch bytes: header plus content."""
    on_chain: int = 0
    """Batch bytes as written (header plus a possibly compressed body)."""
    calldata: int = 0
    calldata_zero: int = 0
    gas: int = 0
    undecodable: int = 0
    """Batches that did not decode (their bytes stay in ``on_chain`` only)."""

    def add_transaction(self, calldata: bytes, gas_used: int, ok: bool) -> None:
        """One transaction sent to the ordering contract."""
        self.chain_txs += 1
        self.gas += gas_used
        self.calldata += len(calldata)
        self.calldata_zero += calldata.count(0)
        if not ok:
            self.reverted_txs += 1
            return
        if calldata[:4] != SUBMIT_SELECTOR:
            return
        _writer_seq, batch = abi_decode(["uint64", "bytes"], calldata[4:])
        self.add_batch(bytes(batch))

    def add_batch(self, data: bytes) -> None:
        """One batch as the contract logged it."""
        self.on_chain += len(data)
        try:
            batch = decode_batch(data)
        except Exception:
            self.undecodable += 1
            return
        self.batches += 1
        self.zlib_batches += batch.compression is Compression.ZLIB
        framing = BATCH_HEADER_SIZE + 4
        for signed in batch.requests:
            framing += 4
            self.add_request(signed)
        self.size[BATCH_FRAMING] += framing
        self.content += framing + sum(len(r.to_bytes()) for r in batch.requests)

    def add_request(self, signed: SignedSubmissionRequest) -> None:
        self.requests += 1
        total = len(signed.to_bytes())
        request = signed.request
        envelopes = request.batch.envelopes
        if not envelopes:
            self.count[TIME_PROOF] += 1
            self.size[TIME_PROOF] += total
            return
        signature = signature_size(signed.signature)
        message_id = 4 + len(request.message_id.encode())
        recipients = sum(4 + sum(4 + len(m) for m in e.recipients) for e in envelopes)
        payloads = 0
        for envelope in envelopes:
            kind, parts = classify_payload(envelope.payload)
            self.count[kind] += 1
            self.size[kind] += len(envelope.payload)
            payloads += len(envelope.payload)
            for part, size in parts.items():
                self.parts[kind, part] += size
        self.size[REQUEST_SIGNATURE] += signature
        self.size[REQUEST_MESSAGE_ID] += message_id
        self.size[REQUEST_RECIPIENTS] += recipients
        self.size[REQUEST_REST] += total - signature - message_id - recipients - payloads

    def merge(self, other: Breakdown) -> None:
        for name in ("count", "size", "parts"):
            mine, theirs = getattr(self, name), getattr(other, name)
            for key, value in theirs.items():
                mine[key] += value
        for name in (
            "chain_txs", "reverted_txs", "batches", "zlib_batches", "requests", "content",
            "on_chain", "calldata", "calldata_zero", "gas", "undecodable",
        ):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def render(self, ledger_txs: int) -> str:
        """The table, per committed ledger transaction."""
        n = max(ledger_txs, 1)
        total = max(self.content, 1)
        lines = [
            f"bytes on the chain per committed ledger transaction ({ledger_txs} ledger txs; "
            f"{self.chain_txs} chain txs, {self.batches} batches, {self.requests} requests):",
            f"  {'kind':<44} {'count/tx':>8} {'bytes/tx':>9} {'share':>6}",
        ]

        def row(label: str, count: float | None, size: int) -> None:
            shown = "" if count is None else f"{count / n:8.2f}"
            lines.append(f"  {label:<44} {shown:>8} {size / n:9.0f} {100 * size / total:5.1f}%")

        kinds = [*KINDS, TIME_PROOF]
        for kind in sorted(kinds, key=lambda k: -self.size.get(k, 0)):
            if not self.size.get(kind):
                continue
            row(kind, self.count[kind], self.size[kind])
            for (of, part), size in sorted(self.parts.items()):
                if of == kind:
                    row(f"  of which {part}", None, size)
        for overhead in (*OVERHEADS, BATCH_FRAMING):
            row(overhead, None, self.size.get(overhead, 0))
        row("= batch content, uncompressed", None, self.content)
        ratio = (self.on_chain - BATCH_HEADER_SIZE * self.batches) / max(
            self.content - BATCH_HEADER_SIZE * self.batches, 1
        )
        abi = self.calldata - self.on_chain
        lines.append(
            f"  batches as written: {self.on_chain / n:.0f} B/tx, compression ratio {ratio:.3f} "
            f"({self.zlib_batches} of {self.batches} batches zlib"
            + (f"; {self.undecodable} undecodable" if self.undecodable else "")
            + ")"
        )
        nonzero = self.calldata - self.calldata_zero
        floor = 21_000 * self.chain_txs + 10 * (self.calldata_zero + 4 * nonzero)
        lines.append(
            f"  chain tx overhead (selector, ABI framing): {abi / n:.0f} B/tx; calldata "
            f"{self.calldata / n:.0f} B/tx ({100 * nonzero / max(self.calldata, 1):.0f}% "
            f"non-zero); {self.chain_txs / n:.2f} chain txs/tx"
            + (f", {self.reverted_txs} reverted" if self.reverted_txs else "")
        )
        lines.append(
            f"  gas {self.gas / n:.0f}/tx; EIP-7623 floor of that calldata incl. 21 000 base "
            f"{floor / n:.0f}/tx"
        )
        return "\n".join(lines)
