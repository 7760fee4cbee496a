"""Replacing a file whole: a crash leaves the old file or the new one, never a mix (the state, a saved
credential)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Write `data` to `path` through a temp file in the same folder and a rename. With `mode`, the temp file
    gets it before any byte is written, so a secret never sits in a file with wider permissions. The temp
    file's name carries this process's id (`.<name>.<pid>.<random>.tmp`), so a later run can tell the
    leftovers of a killed writer from a live writer's file."""
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
