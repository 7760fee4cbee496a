"""`read`: copy resources out of the API as JSON lines, Airbyte or Singer messages, with state."""

from __future__ import annotations

import argparse
import gc
import sys

from insightly_connector.commands.common import add_connection_arguments, add_observer_arguments, load_connection
from insightly_connector.errors import ConfigError, ExitCode
from insightly_connector.http.client import Client
from insightly_connector.protocols.emitters import FORMATS, make_emitter
from insightly_connector.protocols.progress import Progress
from insightly_connector.protocols.summary import table
from insightly_connector.redaction import process_redactor
from insightly_connector.source.read import ReadReport, read


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("read", help="read resources (full or incremental) to stdout or files")
    add_connection_arguments(parser)
    parser.add_argument("--resources", metavar="A,B", default=None,
                        help="comma-separated resources to read (default: every readable one)")
    parser.add_argument("--state", metavar="FILE", default=None,
                        help="state file: read to resume or go incremental, rewritten after every page")
    parser.add_argument("--output", metavar="DIR", default=None,
                        help="write one <resource>.jsonl file per resource here instead of stdout")
    parser.add_argument("--format", choices=FORMATS, default="jsonl", help="output format (default: jsonl)")
    parser.add_argument("--limit", metavar="N", type=int, default=None,
                        help="sample mode: at most N records per resource, and no state is written")
    parser.add_argument("--full-refresh", action="store_true",
                        help="ignore saved cursors and read everything (the new cursor is still saved)")
    parser.add_argument("--quiet", action="store_true", help="no progress or summary on stderr (warnings stay)")
    add_observer_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    names = parse_resource_names(args.resources)
    if args.limit is not None and args.limit < 1:
        raise ConfigError("--limit: must be a positive number of records")
    spec, credential = load_connection(args)
    collect_garbage_rarely()
    progress = Progress(quiet=args.quiet, redactor=process_redactor)
    emitter = make_emitter(args.format, process_redactor, output_dir=args.output)
    with Client(spec, credential, observer=args.observer) as client:
        report = read(client, spec, names, emitter=emitter, state_path=args.state, limit=args.limit,
                      full_refresh=args.full_refresh, progress=progress)
        quota = (client.quota_remaining, client.quota_limit)
    if not args.quiet:
        print_summary(report, *quota)
    if report.error is not None:
        raise report.error
    return ExitCode.OK


def collect_garbage_rarely() -> None:
    """Parsed records are acyclic and freed by reference counting, so the cyclic collector scanning
    every page's fresh objects is wasted work (about a tenth of the CPU of a read). Done in the CLI
    process only: an application embedding the Python API keeps its own settings."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def parse_resource_names(value: str | None) -> list[str] | None:
    if value is None:
        return None
    names = [name.strip() for name in value.split(",") if name.strip()]
    if not names:
        raise ConfigError("--resources: expected a comma-separated list of resource names")
    return names


def print_summary(report: ReadReport, quota_remaining: int | None, quota_limit: int | None) -> None:
    """A table of what each resource did, on stderr."""
    rows: list[tuple[str | int, ...]] = [("resource", "status", "mode", "records", "pages", "requests")]
    rows += [(r.name, r.status + (" (resumed)" if r.resumed else ""), r.mode, r.records, r.pages, r.requests)
             for r in report.resources]
    lines = table(rows)
    if report.sampled:
        lines.append("sample mode (--limit): no state was written")
    if quota_remaining is not None:
        lines.append(f"daily quota: {quota_remaining}" + (f" of {quota_limit}" if quota_limit else "")
                     + " requests left")
    print(process_redactor.scrub("\n".join(lines)), file=sys.stderr)
