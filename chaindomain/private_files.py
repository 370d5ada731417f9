"""Writing a file only its owner may read: keys, passwords, client secrets."""

from __future__ import annotations

import os
from pathlib import Path


def write_private(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` with mode 0600.

    The file is created 0600 (never readable by others, not even for a moment), and an
    existing file is set to 0600 too: ``O_CREAT``'s mode applies only to a new file.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        os.fchmod(f.fileno(), 0o600)
        f.write(data.encode() if isinstance(data, str) else data)
