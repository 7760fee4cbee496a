"""What the `spec` verb prints, remembered with every file it was built from and the package's code.

Building the spec and its description is most of the verb's time, yet the answer is a function of the
declaration, the schemas it names and this package's code alone (it needs no credential and holds no
secret). So it is stored next to the validation cache with the list of files the build read, under one
entry per declaration and format, and printed again while the digest of those files' bytes, the code
(each module's size and modification time) and the output itself is the one stored: any edit of
connector.yaml, a schema or a module builds it anew.
The entry is written atomically; an entry that cannot be read or written only costs a build."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from insightly_connector.spec import validation_cache

if TYPE_CHECKING:
    from insightly_connector.spec.loader import Spec

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def printed_spec(path: str | None, output_format: str, render: Callable[[Spec], bytes]) -> bytes:
    """`render` of the spec at `path` (None: the bundled one), from the cache when nothing it used changed."""
    entry = entry_name(path, output_format)
    remembered = _recall(entry, output_format)
    if remembered is not None:
        return remembered
    from insightly_connector.spec.documents import files_read
    from insightly_connector.spec.loader import load_spec

    with files_read() as files:
        spec = load_spec(path)
    output = render(spec)
    sources = sorted({os.path.abspath(file) for file in files})
    listed = "\0".join(sources).encode("utf-8", "surrogateescape")
    stamp = _digest(sources, output_format, output)
    validation_cache.remember(entry, b"%s\n%d\n%s%s" % (stamp.encode(), len(listed), listed, output))
    return output


def entry_name(path: str | None, output_format: str) -> str:
    """The cache entry of the output for the spec at `path` in `output_format` (one each, overwritten)."""
    return validation_cache.digest("printed spec", os.path.abspath(path).encode() if path else b"bundled",
                                   output_format.encode())


def _recall(entry: str, output_format: str) -> bytes | None:
    stored = validation_cache.recall(entry)
    if stored is None:
        return None
    try:
        stamp, length, rest = stored.split(b"\n", 2)
        listed, output = rest[:int(length)], rest[int(length):]
        sources = listed.decode("utf-8", "surrogateescape").split("\0")
        current = _digest(sources, output_format, output)
    except (ValueError, OSError):  # a damaged entry, or a file that is gone: build again
        return None
    return output if current.encode() == stamp else None


def _digest(sources: list[str], output_format: str, output: bytes) -> str:
    hasher = hashlib.sha256(_code_digest().encode() + b"\0" + output_format.encode())
    for source in sources:
        content = Path(source).read_bytes()
        hasher.update(b"%d\0%s\0%d\0" % (len(source), source.encode("utf-8", "surrogateescape"), len(content)))
        hasher.update(content)
    hasher.update(output)
    return hasher.hexdigest()


def _code_digest() -> str:
    """The package's code: each module's path, size and modification time, which is what tells Python
    that a module's bytecode is stale (an edited checkout keeps its version number)."""
    hasher = hashlib.sha256()
    for directory, subdirectories, names in os.walk(_PACKAGE_DIR):
        subdirectories[:] = sorted(name for name in subdirectories if name != "__pycache__")
        for name in sorted(names):
            if name.endswith(".py"):
                module = os.path.join(directory, name)
                status = os.stat(module)
                where = os.path.relpath(module, _PACKAGE_DIR).encode("utf-8", "surrogateescape")
                hasher.update(b"%s\0%d\0%d\0" % (where, status.st_size, status.st_mtime_ns))
    return hasher.hexdigest()
