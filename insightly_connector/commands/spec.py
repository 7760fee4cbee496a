"""`spec`: the connector's identity, credential form and endpoints, as a platform renders them."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from insightly_connector.commands.common import verb_parser
from insightly_connector.errors import ExitCode

if TYPE_CHECKING:
    from insightly_connector.spec.loader import Spec


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = verb_parser(
        subparsers, "spec",
        description="The connector's identity, credential form (JSON Schema with UI hints) and endpoints; "
                    "needs no credential and sends no request.",
        examples="""\
insightly-connector spec
insightly-connector spec --format airbyte""",
        exit_codes={ExitCode.OK: "the spec was printed", ExitCode.USAGE: "bad arguments or connector.yaml"})
    parser.add_argument("--config", metavar="YAML", default=None, help="connector.yaml to use")
    parser.add_argument("--format", choices=["json", "airbyte"], default="json")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from insightly_connector.spec.printed_spec import printed_spec

    sys.stdout.buffer.write(printed_spec(args.config, args.format, lambda spec: render(spec, args.format)))
    return ExitCode.OK


def render(spec: Spec, output_format: str) -> bytes:
    """What the verb prints: the Nexla-style description (json) or an Airbyte SPEC message."""
    if output_format == "airbyte":
        from insightly_connector.protocols.emitters import airbyte_spec

        return airbyte_spec(spec) + b"\n"
    import orjson

    from insightly_connector.spec.describe import describe

    return orjson.dumps(describe(spec), option=orjson.OPT_INDENT_2) + b"\n"
