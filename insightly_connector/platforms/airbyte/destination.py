"""`destination-insightly`: the Airbyte destination protocol (`spec`, `check --config`, `write --config
--catalog` with messages on stdin), over the streaming write.

Every stdout line is an Airbyte message: SPEC, CONNECTION_STATUS, the echoed STATEs, LOG and TRACE.
A STATE is echoed only after every record before it is confirmed or in the rejects file (the
platform takes an echoed state as committed). `append` creates and `append_dedup` upserts; a mode
the API cannot honour (`overwrite` would need the collection emptied, `update` and `soft_delete`
another contract) is refused before anything is written. Failures follow the CDK: a failed check is
CONNECTION_STATUS FAILED with exit 0, any other error a TRACE ERROR with its failure type, exit 1."""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections.abc import Iterable
from typing import Any

import orjson

from insightly_connector.commands.check import check
from insightly_connector.destination.stream_write import StreamingWrite
from insightly_connector.errors import ConfigError, ConnectorError
from insightly_connector.http.client import Client
from insightly_connector.platforms.config import connection_specification, read_config
from insightly_connector.platforms.destination_config import (
    load_destination_config,
    options_schema,
)
from insightly_connector.platforms.message_lines import messages
from insightly_connector.platforms.write_summary import summary_lines
from insightly_connector.redaction import process_redactor
from insightly_connector.spec.loader import Spec, load_spec

SYNC_MODES = {"append": "create", "append_dedup": "upsert"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="destination-insightly",
                                     description="Airbyte destination: write records to the API.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("spec", help="the connection specification (SPEC)")
    commands.add_parser("check", help="check the config (CONNECTION_STATUS)").add_argument("--config", required=True)
    write = commands.add_parser("write", help="write the RECORD messages on stdin; echo each STATE once committed")
    write.add_argument("--config", required=True)
    write.add_argument("--catalog", required=True)
    args = parser.parse_args(argv)
    try:
        spec = load_spec()
        if args.command == "spec":
            return _spec(spec)
        if args.command == "check":
            return _check(spec, args.config)
        return _write(spec, args.config, args.catalog, sys.stdin.buffer)
    except ConnectorError as exc:
        _emit(_trace_error(exc.message, exc.failure_type))
    except Exception as exc:  # the CDK's uncaught-exception hook: a TRACE, never a raw traceback
        detail = traceback.format_exc() if os.environ.get("INSIGHTLY_CONNECTOR_DEBUG") == "1" else ""
        _emit(_trace_error(f"internal error: {type(exc).__name__}: {exc}", "system_error", detail))
    return 1


def _spec(spec: Spec) -> int:
    body: dict[str, Any] = {"connectionSpecification": connection_specification(spec, options_schema(with_mode=False)),
                            "supportsIncremental": True,
                            "supported_destination_sync_modes": list(SYNC_MODES)}
    if spec.connector.get("docs_url"):
        body["documentationUrl"] = spec.connector["docs_url"]
    _emit({"type": "SPEC", "spec": body})
    return 0


def _check(spec: Spec, config_path: str) -> int:
    try:
        config = load_destination_config(spec, read_config(config_path), with_mode=False)
        for folder in (config.rejects_dir, config.journal_dir):
            if folder is not None and not os.path.isdir(folder):
                raise ConfigError(f"config: {folder} is not an existing folder")
    except ConfigError as exc:
        _emit({"type": "CONNECTION_STATUS", "connectionStatus": {"status": "FAILED", "message": exc.message}})
        return 0
    result = check(spec, config.credential, probe_resources=False)
    status: dict[str, Any] = {"status": "SUCCEEDED" if result.ok else "FAILED"}
    if result.message:
        status["message"] = result.message
    _emit({"type": "CONNECTION_STATUS", "connectionStatus": status})
    return 0


def _write(spec: Spec, config_path: str, catalog_path: str, stdin: Iterable[bytes]) -> int:
    config = load_destination_config(spec, read_config(config_path), with_mode=False)
    streams = {name: config.stream_options(name, mode=mode, key=key)
               for name, (mode, key) in configured_streams(read_config(catalog_path)).items()}
    with Client(spec, config.credential) as client:
        run = StreamingWrite(client, spec, streams=streams, default=None, rejects_dir=config.rejects_dir,
                             journal_dir=config.journal_dir)
        try:
            for name in streams:
                run.open(name)  # a stream that cannot be written fails the sync before anything is sent
            _consume(run, stdin)
        except BaseException:
            run.close()
            raise
        reports = run.finish()
    for level, line in summary_lines(run, reports):
        _emit(_log(level, line))
    return 0


def configured_streams(catalog: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    """Stream name -> (write mode, the stream's primary key as an upsert key, if it is one field)."""
    entries = catalog.get("streams")
    if not isinstance(entries, list):
        raise ConfigError("--catalog: expected a configured catalog, an object with a list of streams")
    streams: dict[str, tuple[str, str | None]] = {}
    for entry in entries:
        stream = entry.get("stream") if isinstance(entry, dict) else None
        if not isinstance(stream, dict) or not isinstance(stream.get("name"), str):
            raise ConfigError("--catalog: each stream needs stream.name")
        name = stream["name"]
        sync_mode = entry.get("destination_sync_mode", "append")
        if sync_mode not in SYNC_MODES:
            raise ConfigError(f"stream {name!r}: destination_sync_mode {sync_mode!r} cannot be honoured by this "
                              f"destination (supported: {', '.join(SYNC_MODES)}): records are never deleted or "
                              "overwritten in bulk")
        key_paths = entry.get("primary_key") or stream.get("source_defined_primary_key") or []
        key = key_paths[0][0] if len(key_paths) == 1 and len(key_paths[0]) == 1 else None
        streams[name] = (SYNC_MODES[sync_mode], key)
    return streams


def _consume(run: StreamingWrite, stdin: Iterable[bytes]) -> None:
    def skipped(position: int) -> None:
        _emit(_log("WARN", f"input line {position} is not an Airbyte message; skipped"))

    for position, message in messages(stdin, skipped):
        kind = message.get("type")
        if kind == "RECORD":
            record = message.get("record") or {}
            run.record(str(record.get("stream")), record.get("data"), position)
        elif kind == "STATE":
            run.checkpoint(lambda message=message: _emit(message), _state_streams(message))


def _state_streams(message: dict[str, Any]) -> list[str] | None:
    """The streams a STATE covers: its stream for a per-stream state, every stream otherwise."""
    state = message.get("state") or {}
    if state.get("type") == "STREAM":
        name = ((state.get("stream") or {}).get("stream_descriptor") or {}).get("name")
        return [name] if isinstance(name, str) else None
    return None


def _log(level: str, message: str) -> dict[str, Any]:
    return {"type": "LOG", "log": {"level": level, "message": process_redactor.scrub(message)}}


def _trace_error(message: str, failure_type: str, stack: str = "") -> dict[str, Any]:
    error: dict[str, Any] = {"message": process_redactor.scrub(message), "failure_type": failure_type}
    if stack:
        error["stack_trace"] = process_redactor.scrub(stack)
    return {"type": "TRACE", "trace": {"type": "ERROR", "emitted_at": time.time() * 1000, "error": error}}


def _emit(message: dict[str, Any]) -> None:
    sys.stdout.buffer.write(orjson.dumps(message) + b"\n")
    sys.stdout.buffer.flush()

