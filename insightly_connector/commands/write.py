"""`write`: send records (JSON lines, Airbyte or Singer RECORD messages) to one resource.

stderr gets progress while the write runs and the summary table at the end, as `read` does
(`--quiet`: errors only); stdout gets only what a pipe consumes: the dry-run plan (JSON lines), or
with `--format json` one machine-readable summary. The exit code says how it ended: 0 all
confirmed, 3 some rejected, 1 fatal stop, 4 daily quota spent (resumable with the journal), 2 bad
arguments or input."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from insightly_connector.commands.common import (
    add_connection_arguments,
    add_observer_arguments,
    load_connection,
    verb_parser,
)
from insightly_connector.destination.file_paths import check_writable_path
from insightly_connector.destination.modes import RECORD_MODES
from insightly_connector.errors import ConfigError, ExitCode
from insightly_connector.redaction import process_redactor
from insightly_connector.wording import count_of


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = verb_parser(
        subparsers, "write",
        description="Send records to one resource, one request per record, paced within the rate limit. With "
                    "--journal a stopped write resumes where it stopped; rejected records go to the rejects "
                    "file with the reason.",
        examples="""\
insightly-connector write --credential cred.json --resource contacts --mode upsert --input contacts.jsonl --dry-run
insightly-connector write --credential cred.json --resource contacts --mode upsert --input contacts.jsonl \\
    --journal contacts.journal --rejects contacts.rejects.jsonl
insightly-connector read --credential a.json --resources contacts | insightly-connector write --credential b.json \\
    --resource contacts --mode create --id-map ids.jsonl""",
        exit_codes={ExitCode.OK: "every record was confirmed", ExitCode.FATAL: "the write stopped (e.g. the key "
                                                                              "was refused); --journal resumes it",
                    ExitCode.USAGE: "bad arguments, credential or input",
                    ExitCode.REJECTED: "some records were rejected (see the rejects file)",
                    ExitCode.QUOTA: "the daily quota is spent; re-run with the same --journal after it resets",
                    ExitCode.INTERRUPTED: "interrupted (Ctrl-C); re-run with the same --journal to resume"})
    add_connection_arguments(parser)
    parser.add_argument("--resource", required=True, help="resource to write to, e.g. contacts")
    parser.add_argument("--mode", required=True, metavar="MODE",
                        help=f"{', '.join(RECORD_MODES)}, or a write under a record that the resource declares "
                             "(`discover` lists each resource's sub_writes)")
    parser.add_argument("--upsert-key", metavar="FIELD", default=None,
                        help="field to match on (upsert; default: the resource's upsert key); with create, "
                             "used to dedupe and to resolve unknown outcomes")
    parser.add_argument("--input", metavar="FILE", default="-", help="JSON-lines input file, or - for stdin")
    parser.add_argument("--journal", metavar="FILE", default=None,
                        help="write journal: re-run with the same input and journal to resume")
    parser.add_argument("--rejects", metavar="FILE", default=None,
                        help="rejects file (JSON lines; default <resource>.rejects.jsonl)")
    parser.add_argument("--dry-run", action="store_true", help="print the plan; send no write request")
    parser.add_argument("--read-only", choices=["drop", "reject"], default="drop",
                        help="read-only fields in a record (custom fields that are not editable included): "
                             "drop them with a warning (default), or reject the record")
    parser.add_argument("--unknown-fields", choices=["drop", "reject"], default="reject",
                        help="fields that are neither in the record schema nor custom fields of the account: "
                             "reject the record (default), or drop them with a warning")
    parser.add_argument("--results", metavar="FILE", default=None,
                        help="per-record results, JSON lines: input line, key, outcome, id, attempts")
    parser.add_argument("--id-map", metavar="FILE", default=None,
                        help="copies between accounts: source id -> new id (JSON lines), appended as records are "
                             "confirmed; references the YAML declares are rewritten through it")
    parser.add_argument("--retry-rejects", action="store_true",
                        help="with --journal: send the records an earlier run rejected again (else they stay "
                             "rejected and the run exits 3)")
    parser.add_argument("--format", choices=["text", "json"], default="text",
                        help="the summary: a table on stderr (text), or one JSON object on stdout (json)")
    parser.add_argument("--duplicates", choices=["collapse", "reject"], default="collapse",
                        help="records sharing a key: merge them into one write (default), or reject the later ones")
    parser.add_argument("--quiet", action="store_true", help="no progress and no summary on stderr: errors only")
    add_observer_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import orjson  # the writer's machinery loads only when a write runs (the parser is built on every start)

    from insightly_connector.destination.input_records import read_records
    from insightly_connector.destination.write import write
    from insightly_connector.http.client import Client
    from insightly_connector.protocols.progress import Progress

    # Paths that could never be written are usage errors before anything is loaded or sent.
    if args.journal is not None:
        check_writable_path(args.journal, "--journal")
    check_writable_path(args.rejects if args.rejects is not None else f"{args.resource}.rejects.jsonl", "--rejects")
    for path, option in ((args.results, "--results"), (args.id_map, "--id-map")):
        if path is not None:
            check_writable_path(path, option)
    spec, credential = load_connection(args)
    progress = Progress(quiet=args.quiet, redactor=process_redactor)
    with _open_input(args.input) as lines, Client(spec, credential, observer=args.observer) as client:
        report = write(client, spec, args.resource, args.mode, read_records(lines), upsert_key=args.upsert_key,
                       journal_path=args.journal, rejects_path=args.rejects, dry_run=args.dry_run,
                       read_only=args.read_only, unknown_fields=args.unknown_fields, duplicates=args.duplicates,
                       results_path=args.results, id_map_path=args.id_map, retry_rejects=args.retry_rejects,
                       progress=progress.write_counts)
    progress.close()
    out = sys.stdout.buffer
    if args.format == "json":
        out.write(process_redactor.scrub_bytes(orjson.dumps(report.to_dict(), default=str)) + b"\n")
    else:
        for entry in report.plan:
            out.write(process_redactor.scrub_bytes(orjson.dumps(entry, default=str)) + b"\n")
    out.flush()
    if not args.quiet and args.format != "json":
        sys.stderr.write(process_redactor.scrub(report.summary_table()) + "\n")
    else:
        if report.stop_reason:
            sys.stderr.write(process_redactor.scrub(f"write stopped: {report.stop_reason}") + "\n")
        if report.counts["rejected"]:
            sys.stderr.write(process_redactor.scrub(f"write: {count_of(report.counts['rejected'], 'record')} rejected"
                                                    f"{f', see {report.rejects_path}' if report.rejects_path else ''}")
                             + "\n")
    sys.stderr.flush()
    return int(report.exit_code)


@contextmanager
def _open_input(name: str) -> Iterator[IO[bytes]]:
    if name == "-":
        if sys.stdin.isatty():  # a forgotten --input, or a pipe that is not there: say what it waits for
            sys.stderr.write("write: reading records from the terminal, one JSON object a line; end with Ctrl-D "
                             "(or give --input FILE)\n")
            sys.stderr.flush()
        yield sys.stdin.buffer
        return
    try:
        handle = open(name, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise ConfigError(f"--input: {name} cannot be read ({exc.strerror})") from None
    try:
        yield handle
    finally:
        handle.close()
