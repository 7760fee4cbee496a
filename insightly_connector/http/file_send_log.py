"""One instance's send log in a file that every process on this machine locks, so that two connections,
or a read and a write, started side by side by a platform pace together without any server.

The file lives in a directory of the user's own (mode 0700, under `XDG_RUNTIME_DIR` or the temp
directory) and is named by a digest of the instance's identity, never by the key. Its record is a
fixed little binary: the end of a 429 pause, then the latest send times, all on `CLOCK_MONOTONIC`,
which every process of the machine shares. `flock` serialises processes; a thread lock serialises
this process's threads, which share one descriptor (and so one `flock`)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import struct
import threading
import time
from pathlib import Path

from insightly_connector.http.send_log import KEEP, MAX_AHEAD_SECONDS, moved_later, next_send_wait

_HEADER = struct.Struct("<dI")  # paused_until, number of send times that follow
_TIME = struct.Struct("<d")
_MAX_BYTES = _HEADER.size + KEEP * _TIME.size
_STALE_SECONDS = 86_400  # a log nobody touched for a day belongs to a finished run
_SWEEP_EVERY_SECONDS = 3_600  # a sweep stats every log (thousands on a test host: ~20 ms), so once an hour
_SWEPT_MARK = ".swept"  # its modification time is the last sweep's


class UnusableDirectory(OSError):
    """The directory exists but is not safely ours (another owner, a symlink, open to others)."""


def default_directory(namespace: str) -> Path:
    """The per-user directory for the logs of the connector `namespace`."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    if not base:
        import tempfile  # only when there is no runtime directory

        base = tempfile.gettempdir()
    return Path(base) / f"{namespace}-rate-limits-{os.getuid()}"


class FileSendLog:
    """The send log of one instance, in `directory/<key>.log`. Raises `OSError` if it cannot be opened."""

    def __init__(self, directory: Path, key: str):
        _own_directory(directory)
        _sweep_now_and_then(directory)
        self.path = directory / f"{key}.log"
        self.description = "file"
        self._fd = self._open()
        self._lock = threading.Lock()

    def _open(self) -> int:
        self._pid = os.getpid()
        return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)

    def _descriptor(self) -> int:
        """This process's descriptor. A forked child opens its own: an inherited descriptor shares the
        parent's open file, and `flock` would let both hold the lock at once."""
        if self._pid != os.getpid():
            inherited, self._fd = self._fd, self._open()
            os.close(inherited)
        return self._fd

    def _lock_file(self) -> None:
        fcntl.flock(self._descriptor(), fcntl.LOCK_EX)

    def try_send(self, capacity: int, window: float) -> tuple[float, float]:
        with self._lock:
            self._lock_file()
            try:
                now = time.monotonic()  # taken with the lock held: no other process stamps in between
                paused_until, sent = self._read(now)
                wait = next_send_wait(sent, paused_until, now, capacity, window)
                if wait > 0.0:
                    return wait, 0.0
                sent.append(now)
                self._write(paused_until, sent[-KEEP:])
                return 0.0, now
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def move_later(self, stamp: float, by: float, to: float) -> None:
        with self._lock:
            self._lock_file()
            try:
                now = time.monotonic()
                paused_until, sent = self._read(now)
                moved = moved_later(sent, stamp + by, stamp + to, now)
                if moved is not None:
                    self._write(paused_until, moved)
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def pause(self, seconds: float) -> None:
        with self._lock:
            self._lock_file()
            try:
                now = time.monotonic()
                paused_until, sent = self._read(now)
                self._write(max(paused_until, now + seconds), sent)
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1

    def _read(self, now: float) -> tuple[float, list[float]]:
        """The record as it stands; a short, torn or impossible one (a restarted clock) counts as empty."""
        data = os.pread(self._fd, _MAX_BYTES, 0)
        if len(data) < _HEADER.size:
            return 0.0, []
        paused_until, count = _HEADER.unpack_from(data)
        if count > KEEP or len(data) < _HEADER.size + count * _TIME.size:
            return 0.0, []
        sent = [value for (value,) in _TIME.iter_unpack(data[_HEADER.size:_HEADER.size + count * _TIME.size])]
        if paused_until > now + MAX_AHEAD_SECONDS or (sent and sent[-1] > now):
            return 0.0, []
        return paused_until, sent

    def _write(self, paused_until: float, sent: list[float]) -> None:
        data = _HEADER.pack(paused_until, len(sent)) + struct.pack(f"<{len(sent)}d", *sent)
        os.pwrite(self._fd, data, 0)
        os.ftruncate(self._fd, len(data))


def _own_directory(directory: Path) -> None:
    """Create the directory private to this user, or refuse one that another user could write to."""
    with contextlib.suppress(FileExistsError):
        directory.mkdir(mode=0o700, parents=True)
    info = os.lstat(directory)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o022:
        raise UnusableDirectory(f"{directory} is not a private directory of this user")


def _sweep_now_and_then(directory: Path) -> None:
    """Remove the stale logs if no process did in the last hour: a process start then costs one stat."""
    mark = directory / _SWEPT_MARK
    try:
        if time.time() - os.stat(mark, follow_symlinks=False).st_mtime < _SWEEP_EVERY_SECONDS:
            return
    except FileNotFoundError:
        pass
    try:
        os.close(os.open(mark, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600))
        os.utime(mark, follow_symlinks=False)
    except OSError:
        pass  # a read-only directory: every start sweeps (and removes nothing)
    _remove_stale(directory)


def _remove_stale(directory: Path) -> None:
    cutoff = time.time() - _STALE_SECONDS
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                if entry.name.endswith(".log") and entry.stat(follow_symlinks=False).st_mtime < cutoff:
                    os.unlink(entry.path)
    except OSError:
        pass  # another process removed it first, or the directory is read-only: the logs stay
