"""`write`: send records (JSON lines, Airbyte or Singer RECORD messages) to one resource.

stdout gets the dry-run plan (JSON lines) and the summary table; stderr gets progress while the
write runs. The exit code says how it ended: 0 all confirmed, 3 some rejected, 1 fatal stop,
4 daily quota spent (resumable with the journal), 2 bad arguments or input."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

import orjson

from insightly_connector.commands.common import add_connection_arguments, add_observer_arguments, load_connection
from insightly_connector.destination.file_paths import check_writable_path
from insightly_connector.destination.input_records import read_records
from insightly_connector.destination.write import MODES, write
from insightly_connector.errors import ConfigError
from insightly_connector.http.client import Client
from insightly_connector.protocols.progress import Progress
from insightly_connector.redaction import process_redactor


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "write", help="create, update, upsert or delete records (JSON lines, Airbyte or Singer RECORD messages)")
    add_connection_arguments(parser)
    parser.add_argument("--resource", required=True, help="resource to write to, e.g. contacts")
    parser.add_argument("--mode", required=True, choices=MODES)
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
                        help="read-only fields in a record: drop them with a warning, or reject the record")
    parser.add_argument("--duplicates", choices=["collapse", "reject"], default="collapse",
                        help="records sharing a key: merge them into one write, or reject the later ones")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    add_observer_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Paths that could never be written are usage errors before anything is loaded or sent.
    if args.journal is not None:
        check_writable_path(args.journal, "--journal")
    check_writable_path(args.rejects if args.rejects is not None else f"{args.resource}.rejects.jsonl", "--rejects")
    spec, credential = load_connection(args)
    progress = Progress(quiet=args.quiet, redactor=process_redactor)
    with _open_input(args.input) as lines, Client(spec, credential, observer=args.observer) as client:
        report = write(client, spec, args.resource, args.mode, read_records(lines), upsert_key=args.upsert_key,
                       journal_path=args.journal, rejects_path=args.rejects, dry_run=args.dry_run,
                       read_only=args.read_only, duplicates=args.duplicates, progress=progress.write_counts)
    progress.close()
    out = sys.stdout.buffer
    for entry in report.plan:
        out.write(process_redactor.scrub_bytes(orjson.dumps(entry, default=str)) + b"\n")
    out.write(process_redactor.scrub(report.summary_table()).encode() + b"\n")
    out.flush()
    return int(report.exit_code)


@contextmanager
def _open_input(name: str) -> Iterator[IO[bytes]]:
    if name == "-":
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
