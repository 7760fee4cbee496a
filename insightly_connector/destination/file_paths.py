"""Where a write's own files go (journal, rejects): checked before anything is sent, so a run never
gets half way and then finds it cannot record what it did."""

from __future__ import annotations

import os
from typing import BinaryIO

from insightly_connector.errors import ConfigError


def check_writable_path(path: str | os.PathLike[str], option: str) -> None:
    """Refuse a path that could never be written: empty, a directory, or a file in a folder that does
    not exist. One line naming the option and the path."""
    text = os.fspath(path)
    if not text:
        raise ConfigError(f"{option}: an empty path; name a file")
    if os.path.isdir(text):
        raise ConfigError(f"{option}: {text} is a directory; name a file")
    folder = os.path.dirname(os.path.realpath(text)) or "."
    if not os.path.isdir(folder):
        raise ConfigError(f"{option}: the folder {os.path.dirname(text) or '.'} of {text} does not exist")


def open_for_the_run(path: str, option: str, mode: str) -> BinaryIO:
    """The file kept open for the whole run (`ab` to append, `wb` to start afresh); a failure is one line
    naming the option and the path."""
    try:
        return open(path, mode)
    except OSError as exc:
        raise ConfigError(f"{option}: cannot write {path} ({exc.strerror})") from None
