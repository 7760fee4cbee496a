"""`read`: copy resources out of the API as JSON lines, Airbyte or Singer messages, with state.

Import-light: the read machinery loads when the verb runs, not when the parser is built."""

from __future__ import annotations

import argparse
import gc
import sys
from typing import TYPE_CHECKING

from insightly_connector.commands.common import (
    add_connection_arguments,
    add_observer_arguments,
    load_connection,
    verb_parser,
)
from insightly_connector.errors import ConfigError, ExitCode

if TYPE_CHECKING:
    from insightly_connector.source.read import ReadReport

FORMATS = ("jsonl", "airbyte", "singer")  # protocols.emitters.FORMATS, without importing it to build the parser

EXAMPLES = """\
insightly-connector read --credential cred.json --resources contacts > contacts.jsonl
insightly-connector read --credential cred.json --output out/ --state state.json
insightly-connector read --credential cred.json --resources contacts,notes --limit 5 --format airbyte
insightly-connector read --credential cred.json --output out/ --state state.json --start-date 2024-01-01"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = verb_parser(
        subparsers, "read",
        description="Read resources page by page. With --state, resources with a cursor are read incrementally "
                    "after the first run, and an interrupted run resumes where it stopped. With --output DIR, "
                    "a full read rewrites <resource>.jsonl and an incremental or resumed read appends to it. "
                    "Progress and a summary go to stderr.",
        examples=EXAMPLES,
        exit_codes={ExitCode.OK: "every resource was read (skipped ones, e.g. not on the plan, are warnings)",
                    ExitCode.FATAL: "a resource failed or the credential was refused; the state keeps what was "
                                    "done",
                    ExitCode.USAGE: "bad arguments, credential or state file",
                    ExitCode.QUOTA: "the daily quota is spent; run again after it resets to resume",
                    ExitCode.INTERRUPTED: "interrupted (Ctrl-C); the state file keeps what was done"})
    add_connection_arguments(parser)
    parser.add_argument("--resources", metavar="A,B", default=None,
                        help="comma-separated resources to read (default: every readable one but the child "
                             "streams, which cost a request per parent and are read only when named)")
    parser.add_argument("--state", metavar="FILE", default=None,
                        help="state file: read to resume or go incremental, rewritten after every page")
    parser.add_argument("--output", metavar="DIR", default=None,
                        help="write one <resource>.jsonl file per resource here instead of stdout (a full read "
                             "rewrites the file, an incremental or resumed read appends to it)")
    parser.add_argument("--format", choices=FORMATS, default="jsonl", help="output format (default: jsonl)")
    parser.add_argument("--limit", metavar="N", type=int, default=None,
                        help="sample mode: at most N records per resource, and no state is written")
    parser.add_argument("--full-refresh", action="store_true",
                        help="ignore saved cursors and read everything (the new cursor is still saved)")
    parser.add_argument("--start-date", metavar="DATE", default=None,
                        help="first sync of an incremental resource (no saved cursor): read only records updated "
                             "after DATE (2024-01-01 or 2024-01-01T00:00:00Z, UTC) instead of everything")
    parser.add_argument("--quiet", action="store_true", help="no progress or summary on stderr (warnings stay)")
    add_observer_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from insightly_connector.http.client import Client
    from insightly_connector.protocols.emitters import make_emitter
    from insightly_connector.protocols.progress import Progress
    from insightly_connector.redaction import process_redactor
    from insightly_connector.source.read import read
    from insightly_connector.source.start_date import parse_start_date

    names = parse_resource_names(args.resources)
    if args.limit is not None and args.limit < 1:
        raise ConfigError("--limit: must be a positive number of records")
    refuse_untagged_stdout(names, args.output, args.format)
    start_date = parse_start_date(args.start_date, "--start-date")
    spec, credential = load_connection(args)
    freeze_start_up_objects()
    progress = Progress(quiet=args.quiet, redactor=process_redactor, tty=False if args.verbose else None)
    emitter = make_emitter(args.format, process_redactor, output_dir=args.output)
    with Client(spec, credential, observer=args.observer) as client:
        report = read(client, spec, names, emitter=emitter, state_path=args.state, limit=args.limit,
                      full_refresh=args.full_refresh, start_date=start_date, progress=progress)
        quota = (client.quota_remaining, client.quota_limit)
    if not args.quiet:
        print_summary(report, *quota)
    if report.error is not None:
        raise report.error
    return ExitCode.OK


def refuse_untagged_stdout(names: list[str] | None, output: str | None, output_format: str) -> None:
    """Plain JSON lines carry no resource name: every readable resource's records on one stdout could not
    be told apart, so a read of them all must say where they go."""
    if names is None and output is None and output_format == "jsonl":
        raise ConfigError("read: every resource's records would go to stdout as JSON lines, interleaved and "
                          "untagged; give --output DIR (one <resource>.jsonl file each), --resources NAME, "
                          "or --format airbyte|singer (each record tagged with its stream); see "
                          "insightly-connector read --help")


def freeze_start_up_objects() -> None:
    """The modules and the spec live as long as the run: the cyclic collector need never scan them again
    (the command line already makes it run rarely, `cli.GC_THRESHOLDS`). Done in the CLI process only: an
    application embedding the Python API keeps its own settings."""
    gc.freeze()


def parse_resource_names(value: str | None) -> list[str] | None:
    if value is None:
        return None
    names = [name.strip() for name in value.split(",") if name.strip()]
    if not names:
        raise ConfigError("--resources: expected a comma-separated list of resource names")
    return names


def print_summary(report: ReadReport, quota_remaining: int | None, quota_limit: int | None) -> None:
    """A table of what each resource did, on stderr."""
    from insightly_connector.protocols.summary import table
    from insightly_connector.redaction import process_redactor

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
