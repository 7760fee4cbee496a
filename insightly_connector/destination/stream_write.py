"""A streaming write: a platform's records, routed by stream, with each checkpoint released only when
every record before it is confirmed or in the rejects file.

Platforms (an Airbyte destination, a Singer target) send RECORD and STATE messages interleaved. A
STATE may be acknowledged only once the records before it are durable, so the records of each
stream are buffered and written a chunk at a time: when a stream's buffer reaches `chunk_size`, and
at every checkpoint, where every buffer is written before the caller's `release` runs (it echoes
the state). Memory stays bounded by the chunk size whatever the gap between two states.

A stream's name is the resource's name. The platform's metadata columns (`_sdc_*`, `_airbyte_*`)
are not the user's data and are removed first. A stream that names no resource, or a resource that
cannot take the stream's mode, is not a reason to stop the whole sync: its records go to the
rejects folder's `unroutable.rejects.jsonl` with the reason (streams the caller opens up front
fail instead, before anything is written)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from insightly_connector.destination.custom_field_cache import CustomFieldCache
from insightly_connector.destination.modes import RECORD_MODES
from insightly_connector.destination.report import WriteReport
from insightly_connector.destination.stream_sink import StreamSink, UnroutableSink
from insightly_connector.destination.write import resolve_resource, resolve_upsert_key
from insightly_connector.errors import ConfigError
from insightly_connector.http.client import Client
from insightly_connector.spec.loader import Spec

METADATA_PREFIXES = ("_sdc_", "_airbyte_")
UNROUTABLE_FILE = "unroutable.rejects.jsonl"
DEFAULT_CHUNK_SIZE = 500


@dataclass(frozen=True)
class StreamOptions:
    """How one stream is written: the mode, and the field an upsert matches on (None: the default)."""

    mode: str
    upsert_key: str | None = None


class Unroutable(ConfigError):
    """The stream's name or mode cannot be written (a bad key the config names is a plain ConfigError)."""


def without_metadata(record: Any) -> Any:
    """The record without the columns platforms add (`_sdc_extracted_at`, `_airbyte_raw_id`, ...)."""
    if not isinstance(record, dict):
        return record
    return {name: value for name, value in record.items() if not name.startswith(METADATA_PREFIXES)}


class StreamingWrite:
    """Routes records to per-stream sinks and releases checkpoints once what precedes them is settled."""

    def __init__(self, client: Client, spec: Spec, *, streams: Mapping[str, StreamOptions],
                 default: StreamOptions | None, rejects_dir: str, journal_dir: str | None = None,
                 chunk_size: int = DEFAULT_CHUNK_SIZE, progress: Callable[[WriteReport], None] | None = None):
        for folder, option in ((rejects_dir, "rejects_dir"), (journal_dir, "journal_dir")):
            if folder is not None and not os.path.isdir(folder):
                raise ConfigError(f"{option}: {folder} is not an existing folder")
        self.client = client
        self.spec = spec
        self.options = dict(streams)
        self.default = default
        self.rejects_dir = rejects_dir
        self.journal_dir = journal_dir
        self.chunk_size = max(1, chunk_size)
        self.progress = progress
        self.sinks: dict[str, StreamSink | UnroutableSink] = {}
        self.custom_fields = CustomFieldCache()  # each resource's metadata read once for the whole sync

    def open(self, stream: str) -> StreamSink:
        """The stream's sink, made now: a stream that cannot be written is a ConfigError here."""
        sink = self.sinks.get(stream)
        if isinstance(sink, StreamSink):
            return sink
        options = self.options.get(stream, self.default)
        if options is None:
            raise Unroutable(f"stream {stream!r} is not one this run was configured to write")
        if options.mode not in RECORD_MODES:
            raise ConfigError(f"stream {stream!r}: mode {options.mode!r} is not one of {', '.join(RECORD_MODES)}")
        try:
            resource = resolve_resource(self.client, self.spec, stream)
        except ConfigError as exc:
            raise Unroutable(f"stream {stream!r}: {exc}") from None
        if options.mode not in resource.write:
            allowed = ", ".join(m for m in RECORD_MODES if m in resource.write) or "none"
            raise Unroutable(f"stream {stream!r}: {resource.name} does not support {options.mode} "
                             f"(supported: {allowed})")
        key = resolve_upsert_key(resource, options.mode, options.upsert_key, self.client, self.spec,
                                 self.custom_fields)
        journal = os.path.join(self.journal_dir, f"{resource.name}.journal.jsonl") if self.journal_dir else None
        sink = StreamSink(self.client, self.spec, resource, options.mode, key, journal_path=journal,
                          rejects_path=os.path.join(self.rejects_dir, f"{resource.name}.rejects.jsonl"),
                          progress=self.progress, custom_fields=self.custom_fields)
        self.sinks[stream] = sink
        return sink

    def record(self, stream: str, data: Any, position: int) -> None:
        """Take one record; `position` (its message's line in the input) names it in the rejects file."""
        sink = self.sinks.get(stream)
        if sink is None:
            try:
                sink = self.open(stream)
            except Unroutable as exc:
                sink = UnroutableSink(stream, f"cannot be written: {exc}",
                                      rejects_path=os.path.join(self.rejects_dir, UNROUTABLE_FILE))
                self.sinks[stream] = sink
        clean = without_metadata(data)
        sink.add(clean, clean, position)
        if len(sink) >= self.chunk_size:
            sink.flush()

    def checkpoint(self, release: Callable[[], None], streams: Iterable[str] | None = None) -> None:
        """Write every buffered record, then `release` the checkpoint (echo the state). `streams`
        names the streams the state covers (None: all); their journal segments are then done."""
        for sink in self.sinks.values():
            sink.flush()
        release()
        covered = self.sinks if streams is None else [name for name in streams if name in self.sinks]
        for name in covered:
            self.sinks[name].segment_done()

    def finish(self) -> list[WriteReport]:
        """Write what is left (records after the last state: done, but not checkpointed) and close."""
        try:
            for sink in self.sinks.values():
                sink.flush()
        finally:
            self.close()
        return [sink.report for sink in self.sinks.values()]

    def close(self) -> None:
        for sink in self.sinks.values():
            sink.close()
