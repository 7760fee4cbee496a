"""`check`: verify a credential and list which resources it can read."""

from __future__ import annotations

import argparse
import sys

import orjson

from insightly_connector.commands.check_verb import check
from insightly_connector.commands.common import add_connection_arguments, load_connection
from insightly_connector.errors import ExitCode
from insightly_connector.protocols.emitters import airbyte_connection_status


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("check", help="verify the credential (GET the check request) and probe access")
    add_connection_arguments(parser)
    parser.add_argument("--format", choices=["json", "airbyte"], default="json")
    parser.add_argument("--no-probe", action="store_true", help="skip the per-resource access probe")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    spec, credential = load_connection(args)
    result = check(spec, credential, probe_resources=not args.no_probe)
    if args.format == "airbyte":
        sys.stdout.buffer.write(airbyte_connection_status(result.ok, result.message) + b"\n")
    else:
        sys.stdout.buffer.write(orjson.dumps(result.to_dict(), option=orjson.OPT_INDENT_2) + b"\n")
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"check: {result.status}: {result.message}", file=sys.stderr)
    return ExitCode.OK if result.ok else ExitCode.FATAL
