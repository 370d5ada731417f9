"""A writer in its own process, for the crash test: accept N requests, print ACKED, keep going.

Usage: python writer_proc.py RPC_URL INBOX OUTBOX N MAX_BATCH_SIZE
The test kills it with SIGKILL; nothing here flushes or shuts down.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from sequencer_chain.chain_keys import dev_account
from sequencer_chain.writer import BatchWriter, WriterConfig
from sequencer_chain.writer.packer import LengthPrefixedPacker


def request(i: int) -> bytes:
    return f"request-{i:05d}-".encode() * 20


async def main() -> None:
    rpc_url, inbox, outbox, n, max_size = sys.argv[1:6]
    writer = BatchWriter(
        rpc_url=rpc_url,
        inbox_address=inbox,
        account=dev_account(1, 31337),
        outbox_path=Path(outbox),
        packer=LengthPrefixedPacker(),
        config=WriterConfig(
            linger_s=0.02, poll_interval_s=0.02, max_batch_size=int(max_size), max_in_flight=4
        ),
    )
    await writer.start()
    await asyncio.gather(*(writer.enqueue(request(i), b"k%d" % i) for i in range(int(n))))
    print("ACKED", flush=True)
    await asyncio.sleep(3600)


if __name__ == "__main__":
    asyncio.run(main())
