"""What a run sent over the wire: `--request-log FILE` (JSON lines) and `--verbose` (one line per
request on stderr).

The log's lines, each flushed as written, so a tail or a crash loses nothing:
- `{"event": "run", "verb", "started_at", "requests_per_second", "daily_quota"}`, first; the daily
  quota is the one the API reports on its first answer (null when it reports none or nothing was sent);
- `{"event": "request", "t", "method", "path", "query", "status", "ms", "attempt", "resource",
  "error", "quota_remaining"}` per HTTP attempt, `t` in seconds since the run started;
- `{"event": "end", "t", "exit_code"}`, last.
Everything comes from `RequestEvent`s, which carry no header, and is scrubbed once more here."""

from __future__ import annotations

import re
import sys
import threading
import time
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import IO, TYPE_CHECKING, Any

import orjson

from insightly_connector.errors import ConfigError
from insightly_connector.http.request_event import RequestEvent
from insightly_connector.redaction import Redactor, process_redactor

if TYPE_CHECKING:
    from insightly_connector.spec.credential import Credential
    from insightly_connector.spec.loader import Spec
    from insightly_connector.spec.model import Resource


class RequestLog:
    """One CLI run's request observer; give it to every `Client` of the run, then `close` it."""

    def __init__(self, verb: str, *, path: str | None = None, verbose: bool = False,
                 stream: IO[str] | None = None, redactor: Redactor = process_redactor):
        self.verb = verb
        self.verbose = verbose
        self.stream = stream if stream is not None else sys.stderr
        self.redactor = redactor
        self._started = time.monotonic()
        self._started_at = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        self._lock = threading.Lock()
        self._file: IO[bytes] | None = None
        if path is not None:
            try:
                self._file = open(path, "wb")  # noqa: SIM115 - closed by close()
            except OSError as exc:
                raise ConfigError(f"--request-log: {path} cannot be written ({exc.strerror})") from None
        self._run_written = False
        self._requests_per_second: float | None = None
        self._base_path = ""
        self._resource_paths: list[tuple[re.Pattern[str], str]] = []
        self._check_path: str | None = None
        self._spec: Spec | None = None
        self._named: set[str] = set()  # the resources whose paths are in _resource_paths

    def configure(self, spec: Spec, credential: Credential, requests_per_second: float) -> None:
        """Learn the run's pace and how to name a request's resource from its path."""
        from urllib.parse import urlsplit

        self._requests_per_second = requests_per_second
        self._base_path = urlsplit(credential.base_url).path.rstrip("/")
        self._check_path = spec.credential_policy.check.path.rstrip("/")  # the credential's, no resource's
        self._spec = spec
        self._learn(spec.resources.values())

    def _learn(self, resources: Iterable[Resource]) -> None:
        """Add the paths of resources not named yet, most specific first: a child stream's
        /Contacts/{parent.id}/Notes before /Contacts."""
        paths = [(pattern.pattern, name) for pattern, name in self._resource_paths]
        for resource in resources:
            if resource.dynamic is not None and resource.dynamic_source is None:
                continue  # a template: its path names no one object yet
            if resource.name in self._named:
                continue
            self._named.add(resource.name)
            paths.append((_path_pattern(resource.path).pattern, resource.name))
            if resource.cursor is not None:
                paths.append((_path_pattern(resource.cursor.path).pattern, resource.name))
        paths.sort(key=lambda entry: len(_PLACEHOLDER.sub("", entry[0])), reverse=True)
        self._resource_paths = [(re.compile(pattern), name) for pattern, name in paths]

    def __call__(self, event: RequestEvent) -> None:
        with self._lock:  # naming may learn new paths: one thread at a time
            resource = self._resource_of(event.path)
            if self._file is not None:
                self._write_run_line(event.quota_limit)
                self._write({"event": "request", "t": round(event.sent_at - self._started, 4),
                             "method": event.method, "path": event.path, "query": event.query,
                             "status": event.status, "ms": round(event.ms, 2), "attempt": event.attempt,
                             "resource": resource, "error": event.error,
                             "quota_remaining": event.quota_remaining})
            if self.verbose:
                self.stream.write(self.redactor.scrub(verbose_line(event, resource)) + "\n")
                self.stream.flush()

    def close(self, exit_code: int) -> None:
        with self._lock:
            if self._file is None:
                return
            self._write_run_line(None)
            self._write({"event": "end", "t": round(time.monotonic() - self._started, 4), "exit_code": exit_code})
            self._file.close()
            self._file = None

    def _resource_of(self, path: str) -> str | None:
        relative = path[len(self._base_path):] if path.startswith(self._base_path) else path
        if relative == self._check_path:
            return None
        for pattern, name in self._resource_paths:
            if pattern.match(relative):
                return name
        if self._spec is not None and not self._named.issuperset(self._spec.expanded):
            self._learn(list(self._spec.expanded.values()))  # objects found live since (custom objects)
            return self._resource_of(path)
        return None

    def _write_run_line(self, daily_quota: int | None) -> None:
        if not self._run_written:
            self._run_written = True
            self._write({"event": "run", "verb": self.verb, "started_at": self._started_at,
                         "requests_per_second": self._requests_per_second, "daily_quota": daily_quota})

    def _write(self, line: dict[str, Any]) -> None:
        assert self._file is not None
        self._file.write(self.redactor.scrub_bytes(orjson.dumps(line)) + b"\n")
        self._file.flush()


_PLACEHOLDER = re.compile(r"\{[^}]*\}")


def _path_pattern(path: str) -> re.Pattern[str]:
    """A resource's path as a pattern: a `{macro}` is one path segment, and anything may follow (an id,
    `/Search`)."""
    literal = [re.escape(part) for part in _PLACEHOLDER.split(path.rstrip("/"))]
    return re.compile("[^/]+".join(literal) + "(?:/.*)?$")


def verbose_line(event: RequestEvent, resource: str | None) -> str:
    """`GET /v3.1/Contacts?skip=0&top=500 -> 200 in 41 ms (contacts, attempt 2, 99873 left today)`."""
    url = event.path + (f"?{event.query}" if event.query else "")
    outcome = str(event.status) if event.status is not None else "no answer"
    notes = [note for note in (
        resource,
        f"attempt {event.attempt}" if event.attempt > 1 else None,
        event.error,
        f"{event.quota_remaining} left today" if event.quota_remaining is not None else None) if note]
    return f"{event.method} {url} -> {outcome} in {event.ms:.0f} ms" + (f" ({', '.join(notes)})" if notes else "")
