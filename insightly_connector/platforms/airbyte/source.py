"""The Airbyte source command line (the CDK's): `spec`, `check --config`, `discover --config`,
`read --config --catalog [--state]`; installed as the console script `source-insightly`.

It follows the CDK's conventions, which PyAirbyte and the platform rely on: every stdout line is one
Airbyte message (logs are LOG messages); a failed check is CONNECTION_STATUS FAILED with exit 0; any
other failure is a TRACE ERROR with its failure type and exit 1. CONFIG is the credential form's fields
plus the source options (`platforms/config.py`); the read is the runner's own read with the Airbyte
emitter, so records, per-stream STATE and stream statuses are exactly what `read --format airbyte` says."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import IO

from insightly_connector.commands.check import check
from insightly_connector.errors import ConfigError, ConnectorError
from insightly_connector.http.client import Client
from insightly_connector.platforms.airbyte.catalog import load_configured_catalog
from insightly_connector.platforms.airbyte.state import load_airbyte_state
from insightly_connector.platforms.config import connection_specification, load_platform_config, read_config
from insightly_connector.protocols.emitters import (
    airbyte_catalog,
    airbyte_connection_status,
    airbyte_error,
    airbyte_log,
    airbyte_spec,
    dump_message,
    make_emitter,
)
from insightly_connector.redaction import process_redactor
from insightly_connector.source.discover import discover
from insightly_connector.source.read import ReadReport, read
from insightly_connector.spec.loader import Spec, load_spec
from insightly_connector.wording import count_of


class Messages:
    """stdout as a stream of Airbyte messages, each scrubbed of the config's secrets."""

    def __init__(self, stdout: IO[bytes]):
        self.stdout = stdout

    def write(self, message: dict | bytes) -> None:
        line = message + b"\n" if isinstance(message, bytes) else dump_message(message)
        self.stdout.write(process_redactor.scrub_bytes(line))
        self.stdout.flush()

    def log(self, level: str, text: str) -> None:
        self.write(airbyte_log(level, text))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="An Airbyte source (the Airbyte protocol on stdout).")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("spec", help="the SPEC: the config's JSON Schema")
    for name, text in (("check", "check the config's credential"), ("discover", "the CATALOG of streams")):
        commands.add_parser(name, help=text).add_argument("--config", required=True, metavar="CONFIG")
    reader = commands.add_parser("read", help="RECORD, STATE, LOG and TRACE messages for the configured catalog")
    reader.add_argument("--config", required=True, metavar="CONFIG")
    reader.add_argument("--catalog", required=True, metavar="CONFIGURED_CATALOG")
    reader.add_argument("--state", default=None, metavar="STATE", help="a JSON list of per-stream states")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    out = Messages(sys.stdout.buffer)
    try:
        return COMMANDS[args.command](load_spec(), args, out)
    except ConnectorError as exc:
        out.write(airbyte_error(exc))
    except BrokenPipeError:
        pass
    except Exception as exc:  # the CDK's last line: a TRACE ERROR (system_error), never a raw traceback
        out.write(airbyte_error(ConnectorError(f"internal error: {type(exc).__name__}: {exc}")))
    return 1


def _spec(spec: Spec, args: argparse.Namespace, out: Messages) -> int:
    out.write(airbyte_spec(spec, connection_specification(spec), supportsIncremental=True))
    return 0


def _check(spec: Spec, args: argparse.Namespace, out: Messages) -> int:
    """CONNECTION_STATUS, exit 0 whether or not the credential works (a bad config included)."""
    try:
        config = load_platform_config(spec, read_config(args.config))
    except ConfigError as exc:
        out.write(airbyte_connection_status(False, str(exc)))
        return 0
    result = check(spec, config.credential, probe_resources=False)
    out.write(airbyte_connection_status(result.ok, result.message))
    return 0


def _discover(spec: Spec, args: argparse.Namespace, out: Messages) -> int:
    config = load_platform_config(spec, read_config(args.config))
    with Client(spec, config.credential) as client:
        catalog = discover(client, spec)
    for warning in catalog.warnings:
        out.log("WARN", warning)
    out.write(airbyte_catalog(catalog))
    return 0


def _read(spec: Spec, args: argparse.Namespace, out: Messages) -> int:
    config = load_platform_config(spec, read_config(args.config))
    selection = load_configured_catalog(args.catalog)
    state = load_airbyte_state(args.state, process_redactor)
    emitter = make_emitter("airbyte", process_redactor, stdout=out.stdout)
    with Client(spec, config.credential) as client:
        report = read(client, spec, selection.names, emitter=emitter, state=state,
                      full_refresh=selection.full_refresh, start_date=config.options.start_date)
    log_summary(report, out.log)
    return 1 if report.error is not None else 0  # the error itself was a TRACE ERROR already


def log_summary(report: ReadReport, log: Callable[[str, str], None]) -> None:
    for entry in report.resources:
        log("INFO", f"{entry.name}: {entry.status} ({entry.mode}), {count_of(entry.records, 'record')}, "
                    f"{count_of(entry.pages, 'page')}, {count_of(entry.requests, 'request')}")


COMMANDS: dict[str, Callable[[Spec, argparse.Namespace, Messages], int]] = {
    "spec": _spec, "check": _check, "discover": _discover, "read": _read}
