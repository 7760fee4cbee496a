"""Results of validating the connector's own files, remembered by content hash across runs.

Parsing connector.yaml and checking it against the meta-schema cost more than everything else a run
does before its first request (importing PyYAML and jsonschema alone takes most of it), yet the
answer only changes when one of the files does. So the answer is stored under a digest of every byte
it depends on (the files, and this package's version for the code that judges them): an edited file
has another digest and is validated again. Only declarations are cached (and, by `printed_spec.py`,
the `spec` verb's output; by the loader, the record schemas' verdict, keyed like Python's bytecode by each
file's size and modification time), never a credential. When no cache directory can be written, everything is
simply validated every time."""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

from insightly_connector import __version__

_FORMAT = b"validation-cache 1"


def digest(kind: str, *parts: bytes) -> str:
    """The cache key of one judgement (`kind`) over the bytes it depends on."""
    hasher = hashlib.sha256(_FORMAT + b"\0" + kind.encode() + b"\0" + __version__.encode())
    for part in parts:
        hasher.update(len(part).to_bytes(8, "little"))
        hasher.update(part)
    return hasher.hexdigest()


def cache_directory() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / __package__.split(".")[0] / "validated"


def recall(key: str) -> bytes | None:
    """What was stored under `key`, or None (never stored, or unreadable)."""
    try:
        return (cache_directory() / key).read_bytes()
    except OSError:
        return None


def remember(key: str, payload: bytes) -> None:
    """Store `payload` under `key` atomically; a cache that cannot be written is skipped silently."""
    directory = cache_directory()
    temporary = directory / f".{key}.{os.getpid()}.tmp"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        temporary.write_bytes(payload)
        os.replace(temporary, directory / key)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink()
