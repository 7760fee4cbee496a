"""The command line: a thin dispatcher over one module per verb.

Whatever goes wrong, the user gets one scrubbed line and a documented exit code; a traceback only
with INSIGHTLY_CONNECTOR_DEBUG=1, and scrubbed too."""

from __future__ import annotations

import argparse
import os
import sys
import traceback

from insightly_connector import __version__
from insightly_connector.commands import check, discover, harness, read, spec, write
from insightly_connector.errors import ConnectorError, ExitCode
from insightly_connector.redaction import process_redactor

VERBS = (spec, check, discover, read, write, harness)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="insightly-connector",
        description="Insightly CRM (API v3.1) connector: spec, check, discover, read, write, and a local harness.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    for verb in VERBS:
        verb.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ConnectorError as exc:
        _report(f"error: {exc}")
        return int(exc.exit_code)
    except KeyboardInterrupt:
        _report("interrupted")
        return 130
    except BrokenPipeError:
        return ExitCode.FATAL
    except Exception as exc:  # the last line of defence: never a raw traceback with secrets in it
        if os.environ.get("INSIGHTLY_CONNECTOR_DEBUG") == "1":
            _report(traceback.format_exc())
        _report(f"internal error: {type(exc).__name__}: {exc}")
        return ExitCode.FATAL


def _report(text: str) -> None:
    print(process_redactor.scrub(text), file=sys.stderr)
