"""Output formats for records and read progress: plain JSON lines, Airbyte messages, Singer messages.

Records are serialised a page at a time with orjson and written as they are: they are the user's
data, so a record that happens to contain the key's text (a contact named like the key) is not
rewritten. The one conversion: the typed outputs (Airbyte, Singer) carry the dates a record schema
declares in an API format as RFC 3339, and declare them `date-time` (`protocols/typed_dates.py`).
What the connector itself says (STATE, LOG, TRACE, SCHEMA messages) is scrubbed of secrets.
Records go to stdout, or to one file per resource under an output directory; protocol messages that
are not records (STATE, LOG, TRACE) always go to stdout.

The `airbyte_*` builders are also used by the `spec`, `check` and `discover` verbs."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

import orjson

from insightly_connector.errors import ConfigError, ConnectorError
from insightly_connector.protocols.page_dates import TypedPages, framed
from insightly_connector.protocols.typed_dates import DateConverter, typed_schema
from insightly_connector.redaction import Redactor
from insightly_connector.source.raw_records import RawRecords

if TYPE_CHECKING:
    from insightly_connector.source.discover import Catalog
    from insightly_connector.spec.loader import Spec

FORMATS = ("jsonl", "airbyte", "singer")
_NEWLINE = orjson.OPT_APPEND_NEWLINE


@dataclass(frozen=True)
class StreamInfo:
    """What the protocols need to know about one resource (same field names as a catalog entry)."""

    name: str
    schema: dict = field(default_factory=dict)
    primary_key: str | None = None
    cursor_field: str | None = None
    key_fields: tuple[str, ...] = ()  # when set: the whole key (a parent's key, then the primary key)


def incremental_without_key(stream: Any) -> bool:
    """A stream read incrementally whose records carry no cursor of their own: one read under a parent
    (a child or flattened stream), whose bookmark is the parent's cursor, kept in the source's state."""
    return not stream.cursor_field and bool((getattr(stream, "capabilities", None) or {}).get("incremental"))


def key_fields(stream: Any) -> list[str]:
    """The fields identifying a stream's records: its declared key fields, else its primary key."""
    declared = list(getattr(stream, "key_fields", None) or ())
    return declared or ([stream.primary_key] if stream.primary_key else [])


# -- Airbyte message builders ------------------------------------------------------------------------
# The public ones return one serialised message (no trailing newline) for the spec/check/discover verbs.

def _now_ms() -> int:
    return int(time.time() * 1000)


def airbyte_spec(spec: Spec, connection_specification: dict | None = None, **fields: Any) -> bytes:
    """SPEC from a loaded spec: its credential form is the connection specification unless one is given
    (a platform adapter's: the form plus its options); `fields` are further SPEC keys, e.g.
    `supported_destination_sync_modes`."""
    body: dict[str, Any] = {"connectionSpecification": connection_specification or spec.credential_form}
    docs_url = spec.connector.get("docs_url")
    if docs_url:
        body["documentationUrl"] = docs_url
    body.update(fields)
    return orjson.dumps({"type": "SPEC", "spec": body})


def airbyte_connection_status(succeeded: bool, message: str | None = None) -> bytes:
    status: dict[str, Any] = {"status": "SUCCEEDED" if succeeded else "FAILED"}
    if message:
        status["message"] = message
    return orjson.dumps({"type": "CONNECTION_STATUS", "connectionStatus": status})


class Stream(Protocol):
    """A stream as the protocols see it: a `StreamInfo` or a discover catalog entry."""

    name: str
    schema: dict
    primary_key: str | None
    cursor_field: str | None


def airbyte_stream(stream: Stream) -> dict:
    """One AirbyteStream from anything with name, schema, primary_key and cursor_field."""
    entry: dict[str, Any] = {
        "name": stream.name,
        "json_schema": typed_schema(stream.schema, airbyte=True) if stream.schema else {"type": "object"},
        "supported_sync_modes": ["full_refresh", "incremental"]
        if stream.cursor_field or incremental_without_key(stream) else ["full_refresh"],
    }
    if key_fields(stream):
        entry["source_defined_primary_key"] = [[field] for field in key_fields(stream)]
    if stream.cursor_field:
        entry["source_defined_cursor"] = True
        entry["default_cursor_field"] = [stream.cursor_field]
    elif incremental_without_key(stream):
        entry["source_defined_cursor"] = True  # the parent's cursor, in the stream's STATE
    return entry


def airbyte_catalog(catalog: Catalog | Sequence[Stream]) -> bytes:
    """CATALOG from a discover catalog (its `entries`) or a plain list of streams."""
    streams: Sequence[Stream] = getattr(catalog, "entries", catalog)
    return orjson.dumps({"type": "CATALOG", "catalog": {"streams": [airbyte_stream(s) for s in streams]}})


def airbyte_log(level: str, message: str) -> dict:
    return {"type": "LOG", "log": {"level": level, "message": message}}


def airbyte_stream_status(stream: str, status: str, *, rate_limited: bool = False) -> dict:
    """TRACE STREAM_STATUS: STARTED, RUNNING, COMPLETE or INCOMPLETE."""
    body: dict[str, Any] = {"stream_descriptor": {"name": stream}, "status": status}
    if rate_limited:
        body["reasons"] = [{"type": "RATE_LIMITED", "rate_limited": {}}]
    return {"type": "TRACE", "trace": {"type": "STREAM_STATUS", "emitted_at": _now_ms(), "stream_status": body}}


def airbyte_error(error: ConnectorError, stream: str | None = None) -> dict:
    """TRACE ERROR with the error's Airbyte failure type."""
    body: dict[str, Any] = {"message": error.message, "internal_message": error.category,
                            "failure_type": error.failure_type}
    if stream:
        body["stream_descriptor"] = {"name": stream}
    return {"type": "TRACE", "trace": {"type": "ERROR", "emitted_at": _now_ms(), "error": body}}


def airbyte_state(stream: str, stream_state: dict, record_count: int) -> dict:
    """Per-stream STATE, with the records emitted since the previous STATE of that stream."""
    return {"type": "STATE", "state": {
        "type": "STREAM",
        "stream": {"stream_descriptor": {"name": stream}, "stream_state": stream_state},
        "sourceStats": {"recordCount": float(record_count)},
    }}


def singer_schema(stream: StreamInfo) -> dict:
    """SCHEMA, its API-format dates typed `date-time` (the records carry them in RFC 3339)."""
    return {
        "type": "SCHEMA",
        "stream": stream.name,
        "schema": typed_schema(stream.schema) if stream.schema else {"type": "object"},
        "key_properties": key_fields(stream),
        "bookmark_properties": [stream.cursor_field] if stream.cursor_field else [],
    }


def singer_state(document: dict) -> dict:
    return {"type": "STATE", "value": document}


def dump_message(message: dict) -> bytes:
    """One message as a JSON line."""
    return orjson.dumps(message, option=_NEWLINE)


# -- emitters ------------------------------------------------------------------------------------------

class Emitter:
    """Writes one run's output. Subclasses decide how records and protocol messages look.

    Call order per resource: begin_stream, (write_records, flush, state)*, end_stream."""

    format_name = "jsonl"
    #: Typed outputs carry API-format dates as RFC 3339 (protocols/typed_dates.py); jsonl keeps the API's.
    typed_dates = False

    def __init__(self, redactor: Redactor, *, stdout: IO[bytes] | None = None,
                 output_dir: str | os.PathLike | None = None):
        self.redactor = redactor
        self.stdout = stdout if stdout is not None else sys.stdout.buffer
        if output_dir is not None and not os.fspath(output_dir):
            raise ConfigError("--output: an empty path; name the directory to write into")
        self.output_dir = Path(output_dir).resolve() if output_dir is not None else None
        if self.output_dir is not None and self.output_dir.exists() and not self.output_dir.is_dir():
            raise ConfigError(f"--output: {self.output_dir} exists and is not a directory")
        self._output_ready = self.output_dir is None
        self._files: dict[str, IO[bytes]] = {}
        self._counts: dict[str, int] = {}
        self._dates: dict[str, DateConverter] = {}
        self._typed_pages = TypedPages()

    # resource lifecycle ---------------------------------------------------------------------------

    def open_output(self) -> None:
        """Create the output directory: called once the run's inputs are validated, so that a usage
        error leaves nothing behind (`begin_stream` calls it too, for emitters used on their own)."""
        if not self._output_ready and self.output_dir is not None:
            prepare_output_dir(self.output_dir)
            self._output_ready = True

    def begin_stream(self, stream: StreamInfo, *, fresh: bool, resume_output: dict | None = None) -> None:
        """Open the resource's output: `fresh` truncates its file (a full read starting over);
        `resume_output` (from `output_checkpoint`) cuts off what an interrupted run wrote after its
        last checkpoint, so a resumed run's file holds every record exactly once."""
        if self.output_dir is not None:
            self.open_output()
            path = self.output_dir / f"{stream.name}.jsonl"
            try:
                handle = open(path, "wb" if fresh else "ab")  # noqa: SIM115 (closed in end_stream)
                if resume_output and resume_output.get("path") == str(path) \
                        and handle.tell() >= int(resume_output.get("offset", 0)):
                    handle.truncate(int(resume_output["offset"]))
            except OSError as exc:
                raise ConfigError(f"--output: cannot write {path} ({exc.strerror})") from None
            self._files[stream.name] = handle
        self._counts[stream.name] = 0
        if self.typed_dates:
            converter = DateConverter.for_schema(stream.schema)
            if converter.fields:
                self._dates[stream.name] = converter

    def output_checkpoint(self, stream: str) -> dict | None:
        """Where the resource's file ends now (None on stdout), to be saved with the state."""
        handle = self._files.get(stream)
        return {"path": handle.name, "offset": handle.tell()} if handle is not None else None

    def write_records(self, stream: str, records: list[dict]) -> None:
        """The hot path: one page, serialised as one buffer. Record data is the user's and is written
        unaltered (never scrubbed); the envelope around it holds only the stream name and a time."""
        if not records:
            return
        self._counts[stream] = self._counts.get(stream, 0) + len(records)
        self._record_sink(stream).write(self._serialise(stream, records))

    def flush(self) -> None:
        """Push everything written so far to the OS: state may only be saved after this."""
        for handle in self._files.values():
            handle.flush()
        self.stdout.flush()

    def state(self, stream: str, stream_state: dict, document: dict) -> None:
        """A checkpoint was saved (jsonl keeps state in the state file only)."""

    def end_run(self, document: dict) -> None:
        """Every resource has been read (or has failed): `document` is the run's final state."""

    def end_stream(self, stream: str, status: str, *, rate_limited: bool = False) -> None:
        """`status` is COMPLETE or INCOMPLETE; also valid for a stream that never began (it failed first)."""
        handle = self._files.pop(stream, None)
        if handle is not None:
            handle.close()

    def log(self, level: str, message: str) -> None:
        """Protocol-level log line (jsonl has none: progress reports on stderr)."""

    def error(self, error: ConnectorError, stream: str | None = None) -> None:
        """Protocol-level error report (jsonl has none: the CLI prints the error)."""

    def close(self) -> None:
        for stream in list(self._files):
            self.end_stream(stream, "INCOMPLETE")
        self.flush()

    # helpers ----------------------------------------------------------------------------------------

    def _serialise(self, stream: str, records: Sequence[dict]) -> bytes | bytearray:
        return self._enveloped(stream, records, b"", b"\n")

    def _enveloped(self, stream: str, records: Sequence[dict], head: bytes, tail: bytes) -> bytes | bytearray:
        """Each record between `head` and `tail`. A page read from the API is written as its own bytes
        (`RawRecords`), dates made RFC 3339 in place for the typed outputs (`page_dates.py`); parsed
        records (or a page that cannot be copied exactly, e.g. pretty-printed) are serialised with orjson."""
        converter = self._dates.get(stream)
        if isinstance(records, RawRecords) and records.single_line:
            if converter is None:
                return b"".join(framed(records.raw, head, tail))
            return self._typed_pages.rfc3339(records, converter, head, tail)
        dumps = orjson.dumps
        return b"".join([head + dumps(record) + tail for record in self._typed(stream, records)])

    def _typed(self, stream: str, records: Sequence[dict]) -> Sequence[dict]:
        """The records as a typed output carries them: dates in RFC 3339, every other value as read."""
        converter = self._dates.get(stream)
        return [converter.to_rfc3339(r) for r in records] if converter is not None else records

    def _record_sink(self, stream: str) -> IO[bytes]:
        return self._files.get(stream, self.stdout)

    def _message(self, message: dict) -> None:
        self.stdout.write(self.redactor.scrub_bytes(dump_message(message)))

    def _take_count(self, stream: str) -> int:
        count = self._counts.get(stream, 0)
        self._counts[stream] = 0
        return count


class JsonLinesEmitter(Emitter):
    """One record per line, nothing else."""


class AirbyteEmitter(Emitter):
    """Airbyte protocol: RECORD, STATE (per stream), LOG and TRACE (ERROR, STREAM_STATUS)."""

    format_name = "airbyte"
    typed_dates = True

    def __init__(self, redactor: Redactor, **kwargs: Any):
        super().__init__(redactor, **kwargs)
        self._started: set[str] = set()
        self._running: set[str] = set()

    def begin_stream(self, stream: StreamInfo, *, fresh: bool, resume_output: dict | None = None) -> None:
        super().begin_stream(stream, fresh=fresh, resume_output=resume_output)
        self._start(stream.name)

    def _start(self, stream: str) -> None:
        if stream not in self._started:
            self._started.add(stream)
            self._message(airbyte_stream_status(stream, "STARTED"))

    def write_records(self, stream: str, records: list[dict]) -> None:
        if records and stream not in self._running:
            self._running.add(stream)
            self._message(airbyte_stream_status(stream, "RUNNING"))
        super().write_records(stream, records)

    def _serialise(self, stream: str, records: Sequence[dict]) -> bytes | bytearray:
        head = b'{"type":"RECORD","record":{"stream":' + orjson.dumps(stream) + b',"emitted_at":' \
            + str(_now_ms()).encode() + b',"data":'
        return self._enveloped(stream, records, head, b"}}\n")

    def state(self, stream: str, stream_state: dict, document: dict) -> None:
        self._message(airbyte_state(stream, stream_state, self._take_count(stream)))

    def end_stream(self, stream: str, status: str, *, rate_limited: bool = False) -> None:
        super().end_stream(stream, status)
        self._start(stream)  # a stream that failed before it began still gets a well-formed status pair
        self._running.discard(stream)
        self._message(airbyte_stream_status(stream, status, rate_limited=rate_limited))

    def log(self, level: str, message: str) -> None:
        self._message(airbyte_log(level, message))

    def error(self, error: ConnectorError, stream: str | None = None) -> None:
        self._message(airbyte_error(error, stream))


class SingerEmitter(Emitter):
    """Singer spec: SCHEMA before a stream's records, RECORD with time_extracted, STATE."""

    format_name = "singer"
    typed_dates = True

    def begin_stream(self, stream: StreamInfo, *, fresh: bool, resume_output: dict | None = None) -> None:
        super().begin_stream(stream, fresh=fresh, resume_output=resume_output)
        schema = dump_message(singer_schema(stream))
        self._record_sink(stream.name).write(self.redactor.scrub_bytes(schema))

    def _serialise(self, stream: str, records: Sequence[dict]) -> bytes | bytearray:
        extracted = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        head = b'{"type":"RECORD","stream":' + orjson.dumps(stream) + b',"time_extracted":"' \
            + extracted.encode() + b'","record":'
        return self._enveloped(stream, records, head, b"}\n")

    def state(self, stream: str, stream_state: dict, document: dict) -> None:
        self._message(singer_state(document))

    def end_run(self, document: dict) -> None:
        """A last STATE after everything: a target hands back only the last state it saw."""
        self._message(singer_state(document))


_EMITTERS: dict[str, type[Emitter]] = {"jsonl": JsonLinesEmitter, "airbyte": AirbyteEmitter,
                                       "singer": SingerEmitter}


def make_emitter(format_name: str, redactor: Redactor, *, stdout: IO[bytes] | None = None,
                 output_dir: str | os.PathLike | None = None) -> Emitter:
    try:
        emitter_class = _EMITTERS[format_name]
    except KeyError:
        raise ConfigError(f"--format: {format_name!r} is not one of {', '.join(FORMATS)}") from None
    return emitter_class(redactor, stdout=stdout, output_dir=output_dir)


def prepare_output_dir(path: Path) -> None:
    """Create the output directory, or explain in one line why it cannot be used."""
    if path.exists() and not path.is_dir():
        raise ConfigError(f"--output: {path} exists and is not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"--output: cannot create {path} ({exc.strerror})") from None
