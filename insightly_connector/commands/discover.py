"""`discover`: the catalog of resources, record schemas (with live custom fields) and capabilities."""

from __future__ import annotations

import argparse
import sys

import orjson

from insightly_connector.commands.common import add_connection_arguments, add_observer_arguments, load_connection
from insightly_connector.errors import ExitCode
from insightly_connector.http.client import Client
from insightly_connector.protocols.emitters import airbyte_catalog
from insightly_connector.source.discover import discover


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("discover", help="list resources with schemas (live custom fields) and capabilities")
    add_connection_arguments(parser)
    parser.add_argument("--resources", default=None, help="comma-separated subset (default: all)")
    parser.add_argument("--format", choices=["json", "airbyte"], default="json")
    add_observer_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    spec, credential = load_connection(args)
    names = [n.strip() for n in args.resources.split(",") if n.strip()] if args.resources else None
    with Client(spec, credential, observer=args.observer) as client:
        catalog = discover(client, spec, names)
    if args.format == "airbyte":
        sys.stdout.buffer.write(airbyte_catalog(catalog) + b"\n")
    else:
        sys.stdout.buffer.write(orjson.dumps(catalog.to_dict(), option=orjson.OPT_INDENT_2) + b"\n")
    for warning in catalog.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"discover: {len(catalog.entries)} resources", file=sys.stderr)
    return ExitCode.OK
