"""The Singer tap command line, as Meltano runs taps; installed as the console script `tap-insightly`.

    tap-insightly --config CONFIG --discover                 # the Singer catalog, indented JSON
    tap-insightly --config CONFIG [--catalog F | --properties F] [--state F]
    tap-insightly --about [--format json|markdown]

Discovery is printed indented, so no line comes near the 64 KiB Meltano reads a discovery line with. A
read is the runner's own read with the Singer emitter: SCHEMA, RECORD (dates in RFC 3339), a STATE after
every page and after every stream, and a last STATE after everything, so no RECORD follows the last STATE
(a target hands back only the last one it saw). Logs, progress and errors go to stderr."""

from __future__ import annotations

import argparse
import sys

import orjson

from insightly_connector.commands.read import print_summary
from insightly_connector.errors import ConfigError, ConnectorError, ExitCode
from insightly_connector.http.client import Client
from insightly_connector.platforms.config import PlatformConfig, load_platform_config, read_config
from insightly_connector.platforms.selection import StreamSelection
from insightly_connector.platforms.singer.about import about_info, about_markdown, script_name
from insightly_connector.platforms.singer.catalog import load_selection, singer_catalog
from insightly_connector.platforms.singer.state import load_singer_state
from insightly_connector.protocols.emitters import make_emitter
from insightly_connector.protocols.progress import Progress
from insightly_connector.redaction import process_redactor
from insightly_connector.source.discover import discover
from insightly_connector.source.read import read
from insightly_connector.spec.loader import load_spec

CAPABILITIES = ["about", "catalog", "discover", "state"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="A Singer tap (Singer messages on stdout).")
    parser.add_argument("--config", action="append", default=[], metavar="CONFIG",
                        help="config JSON (repeatable: later files win)")
    parser.add_argument("--discover", action="store_true", help="print the catalog")
    parser.add_argument("--catalog", metavar="CATALOG", help="the catalog: selected streams are read")
    parser.add_argument("--properties", metavar="PROPERTIES", help="the same, under its older name")
    parser.add_argument("--state", metavar="STATE", help="the state the last run ended with ({} for none)")
    parser.add_argument("--about", action="store_true", help="what this tap is, its capabilities and settings")
    parser.add_argument("--format", choices=["json", "markdown"], default=None, help="--about's format")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        spec = load_spec()
        if args.about:
            info = about_info(spec, script_name(f"{__name__}:main"), CAPABILITIES, source_options=True)
            text = orjson.dumps(info, option=orjson.OPT_INDENT_2).decode() if args.format == "json" \
                else about_markdown(info)
            print(text)
            return ExitCode.OK
        if not args.config:
            parser.error("--config is required (except with --about)")
        merged: dict = {}
        for path in args.config:
            merged.update(read_config(path))
        config = load_platform_config(spec, merged)
        if args.discover:
            return _discover(config)
        if args.catalog and args.properties:
            raise ConfigError("--catalog and --properties: give one of them")
        selection_file = args.catalog or args.properties
        selection = load_selection(selection_file) if selection_file else StreamSelection()
        return _read(config, selection, args.state)
    except ConnectorError as exc:
        print(process_redactor.scrub(f"error: {exc}"), file=sys.stderr)
        return int(exc.exit_code)
    except BrokenPipeError:
        return ExitCode.FATAL


def _discover(config: PlatformConfig) -> int:
    with Client(config.spec, config.credential) as client:
        catalog = discover(client, config.spec)
    for warning in catalog.warnings:
        print(process_redactor.scrub(f"warning: {warning}"), file=sys.stderr)
    text = orjson.dumps(singer_catalog(catalog.entries), option=orjson.OPT_INDENT_2)
    sys.stdout.buffer.write(process_redactor.scrub_bytes(text) + b"\n")
    return ExitCode.OK


def _read(config: PlatformConfig, selection: StreamSelection, state_path: str | None) -> int:
    state = load_singer_state(state_path, process_redactor)
    emitter = make_emitter("singer", process_redactor)
    progress = Progress(redactor=process_redactor)
    with Client(config.spec, config.credential) as client:
        report = read(client, config.spec, selection.names, emitter=emitter, state=state,
                      full_refresh=selection.full_refresh, start_date=config.options.start_date, progress=progress)
        print_summary(report, client.quota_remaining, client.quota_limit)
    if report.error is not None:
        print(process_redactor.scrub(f"error: {report.error}"), file=sys.stderr)
    return report.exit_code
