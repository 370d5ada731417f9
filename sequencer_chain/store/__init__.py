"""The sequencer node's event store (aiosqlite, WAL): derived events, cursor, counters."""

from sequencer_chain.store.event_store import (
    Cursor,
    DedupEntry,
    EventStore,
    Rollback,
    StepWrite,
    StoredEvent,
    StoreIdentity,
)

__all__ = [
    "Cursor",
    "DedupEntry",
    "EventStore",
    "Rollback",
    "StepWrite",
    "StoreIdentity",
    "StoredEvent",
]
