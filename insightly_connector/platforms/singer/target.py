"""`target-insightly`: a Singer target, as Meltano runs targets (`--config FILE`, messages on stdin).

Each RECORD goes to the resource its stream names, in the mode the config gives for the run or the
stream (create by default, update, upsert). Each STATE's value is echoed on stdout as one bare JSON
line, as singer-python and SDK targets do and as Meltano stores it, only after every record before
it is confirmed or in the rejects file. stdout carries nothing else; the summary goes to stderr.
Records that end in the rejects file do not fail the run (exit 0); a stop does (1, or 4 when the
daily quota is spent, 2 for a bad config)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Iterable
from typing import Any

import orjson

from insightly_connector import __version__
from insightly_connector.destination.stream_write import StreamingWrite
from insightly_connector.errors import ConnectorError, ExitCode
from insightly_connector.http.client import Client
from insightly_connector.platforms.config import connection_specification, read_config
from insightly_connector.platforms.destination_config import (
    DestinationConfig,
    load_destination_config,
    options_schema,
)
from insightly_connector.platforms.message_lines import messages
from insightly_connector.platforms.write_summary import summary_lines
from insightly_connector.redaction import process_redactor
from insightly_connector.spec.loader import Spec, load_spec

NAME = "target-insightly"
CAPABILITIES = ["about"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=NAME, description="Singer target: write records to the API.")
    parser.add_argument("--config", metavar="FILE", help="the credential's fields and the write options (JSON)")
    parser.add_argument("--input", metavar="FILE", help="read the messages from FILE instead of stdin")
    parser.add_argument("--about", action="store_true", help="describe the target and its settings")
    parser.add_argument("--format", choices=["json", "markdown"], default=None, help="the --about format")
    args = parser.parse_args(argv)
    try:
        spec = load_spec()
        if args.about:
            return _about(spec, args.format or "markdown")
        if not args.config:
            parser.error("--config is required (or --about)")
        config = load_destination_config(spec, read_config(args.config), with_mode=True)
        if args.input:
            with open(args.input, "rb") as handle:
                return _write(spec, config, handle)
        return _write(spec, config, sys.stdin.buffer)
    except ConnectorError as exc:
        _say(f"error: {exc.message}")
        return int(exc.exit_code)
    except OSError as exc:
        _say(f"error: --input: {exc.strerror or exc}")
        return ExitCode.USAGE
    except Exception as exc:  # never a raw traceback, which could carry a secret
        if os.environ.get("INSIGHTLY_CONNECTOR_DEBUG") == "1":
            _say(traceback.format_exc())
        _say(f"internal error: {type(exc).__name__}: {exc}")
        return ExitCode.FATAL


def _about(spec: Spec, output: str) -> int:
    about = {"name": NAME, "description": f"Singer target for {spec.connector.get('display_name', 'the API')}",
             "version": __version__, "capabilities": CAPABILITIES,
             "settings": connection_specification(spec, options_schema(with_mode=True))}
    if output == "json":
        print(json.dumps(about, indent=2))
        return 0
    print(f"# {NAME}\n\n{about['description']}\n\nVersion: {__version__}\n\n## Settings\n")
    for name, prop in about["settings"]["properties"].items():
        print(f"- `{name}`: {' '.join(str(prop.get('description', '')).split())}")
    return 0


def _write(spec: Spec, config: DestinationConfig, lines: Iterable[bytes]) -> int:
    with Client(spec, config.credential) as client:
        run = StreamingWrite(client, spec, streams={name: config.stream_options(name) for name in config.streams},
                             default=config.stream_options(""), rejects_dir=config.rejects_dir,
                             journal_dir=config.journal_dir)
        try:
            for name in config.streams:
                run.open(name)  # a stream the config names but cannot be written: a config error, up front
            _consume(run, config, lines)
        except BaseException:
            run.close()
            raise
        reports = run.finish()
    for level, line in summary_lines(run, reports):
        _say(f"{level.lower()}: {line}")
    return 0


def _consume(run: StreamingWrite, config: DestinationConfig, lines: Iterable[bytes]) -> None:
    def skipped(position: int) -> None:
        _say(f"warning: input line {position} is not a Singer message; skipped")

    for position, message in messages(lines, skipped):
        kind = message.get("type")
        stream = str(message.get("stream"))
        if kind == "RECORD":
            run.record(stream, message.get("record"), position)
        elif kind == "SCHEMA" and stream not in run.sinks:
            options = config.stream_options(stream)
            keys = message.get("key_properties") or []
            if options.mode == "upsert" and not options.upsert_key and len(keys) == 1 and isinstance(keys[0], str):
                options = config.stream_options(stream, key=keys[0])  # an upsert matches on the stream's key
            run.options[stream] = options
        elif kind == "STATE":
            value = message.get("value")
            run.checkpoint(lambda value=value: _echo(value))


def _echo(value: Any) -> None:
    """The state's value as one bare JSON line: what Meltano stores and hands back to the tap."""
    sys.stdout.buffer.write(orjson.dumps(value) + b"\n")
    sys.stdout.buffer.flush()


def _say(text: str) -> None:
    print(process_redactor.scrub(text), file=sys.stderr, flush=True)
