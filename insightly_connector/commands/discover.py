"""`discover`: the catalog of resources, record schemas (with live custom fields) and capabilities;
or, with `--format table`, one line per resource to read before choosing what to sync."""

from __future__ import annotations

import argparse
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
    from insightly_connector.source.discover import Catalog

EXAMPLES = """\
insightly-connector discover --credential cred.json --format table
insightly-connector discover --credential cred.json --output catalog.json
insightly-connector discover --credential cred.json --resources contacts,leads --format airbyte"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = verb_parser(
        subparsers, "discover",
        description="The catalog: every resource with its record schema (custom fields read live), primary key, "
                    "cursor and what can be done with it. --format table prints one line per resource instead.",
        examples=EXAMPLES,
        exit_codes={ExitCode.OK: "the catalog was written",
                    ExitCode.FATAL: "the credential was refused or the API could not be reached",
                    ExitCode.USAGE: "bad arguments or credential"})
    add_connection_arguments(parser)
    parser.add_argument("--resources", default=None, help="comma-separated subset (default: all)")
    parser.add_argument("--format", choices=["json", "airbyte", "table"], default="json",
                        help="json (the catalog), airbyte (a CATALOG message) or table (one line per resource)")
    parser.add_argument("--output", metavar="FILE", default=None,
                        help="write the catalog to FILE instead of stdout")
    add_observer_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import orjson

    from insightly_connector.destination.file_paths import check_writable_path
    from insightly_connector.http.client import Client
    from insightly_connector.protocols.emitters import airbyte_catalog
    from insightly_connector.source.discover import discover

    if args.output is not None:
        check_writable_path(args.output, "--output")  # before any request is spent
    spec, credential = load_connection(args)
    names = [n.strip() for n in args.resources.split(",") if n.strip()] if args.resources else None
    with Client(spec, credential, observer=args.observer) as client:
        catalog = discover(client, spec, names)
    if args.format == "airbyte":
        text = airbyte_catalog(catalog) + b"\n"
    elif args.format == "table":
        text = "\n".join(listing(catalog)).encode() + b"\n"
    else:
        text = orjson.dumps(catalog.to_dict(), option=orjson.OPT_INDENT_2) + b"\n"
    _write(text, args.output)
    for warning in catalog.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    saved = f", written to {args.output}" if args.output else ""
    if args.output is None and args.format == "json" and sys.stdout.isatty():
        saved = " (--format table lists them one per line; --output FILE saves the catalog)"
    count = len(catalog.entries)
    print(f"discover: {count} {'resource' if count == 1 else 'resources'}{saved}", file=sys.stderr)
    return ExitCode.OK


def listing(catalog: Catalog) -> list[str]:
    """One line per resource: name, primary key, cursor, capabilities, and how many live custom fields."""
    from insightly_connector.protocols.summary import table

    rows: list[tuple[str | int, ...]] = [("resource", "key", "cursor", "capabilities", "custom fields")]
    for entry in catalog.entries:
        custom = len(entry.schema.get("x-custom-fields") or ())  # found live by `extend_schema`
        can = ",".join(name for name, able in entry.capabilities.items() if able) or "-"
        rows.append((entry.name, ",".join(entry.key_fields) or entry.primary_key or "-", entry.cursor_field or "-",
                     can, custom))
    return table(rows)


def _write(text: bytes, output: str | None) -> None:
    if output is None:
        sys.stdout.buffer.write(text)
        return
    try:
        with open(output, "wb") as handle:
            handle.write(text)
    except OSError as exc:
        raise ConfigError(f"--output: {output} cannot be written ({exc.strerror})") from None
