"""The command line: a thin dispatcher over one module per verb.

Whatever goes wrong, the user gets one scrubbed line and a documented exit code; a traceback only
with INSIGHTLY_CONNECTOR_DEBUG=1, and scrubbed too."""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from insightly_connector import __version__
from insightly_connector.commands import VERBS
from insightly_connector.commands.common import open_request_log
from insightly_connector.errors import ConnectorError, ExitCode
from insightly_connector.redaction import process_redactor

GETTING_STARTED = """\
getting started (against the bundled emulator, no account needed):
  insightly-connector harness --port 8765 --credential-out harness.json     (leave it running)
  insightly-connector check --credential harness.json
  insightly-connector discover --credential harness.json --format table
  insightly-connector read --credential harness.json --resources contacts --limit 5

the credential: --credential FILE, --credential - (stdin), or environment variables (see README)

exit codes:
  0  done
  1  failed: refused credential, unreachable API, a resource failed, or a write stopped
  2  bad arguments, credential, state or input file
  3  write: some records were rejected
  4  the daily quota is spent; run again after it resets to resume
  130  interrupted (Ctrl-C)"""


#: The cyclic collector runs after 50,000 net allocations instead of 700. Start-up (modules, the spec) made it run
#: some 45 times, about 15 ms, before a read's first request, and records are acyclic and freed by reference
#: counting: scanning every page's fresh objects was a tenth of a read's CPU. Cycles are still collected.
GC_THRESHOLDS = (50_000, 20, 100)


class ArgumentParser(argparse.ArgumentParser):
    """argparse with one-line errors: the problem and where to find the usage, not the whole usage block.

    Subparsers are made by the same class (argparse uses the parent's class), so every verb's argument
    errors look alike; the exit code stays 2."""

    def error(self, message: str) -> NoReturn:
        text = " ".join(message.split())
        _report(f"{self.prog}: error: {text} (see {self.prog} --help)")
        sys.exit(ExitCode.USAGE)


def build_parser(verb: str | None = None) -> argparse.ArgumentParser:
    """`verb`'s whole parser (from its module, the only one imported) and every other verb's name and
    summary, which is all the top-level --help and a usage error show of them."""
    parser = ArgumentParser(
        prog="insightly-connector",
        description="A declarative API connector (connector.yaml): spec, check, discover, read, write, and a local "
                    "harness. Each verb has its own --help with examples.",
        epilog=GETTING_STARTED, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="verb", required=True, metavar="VERB")
    for name, summary in VERBS.items():
        if name == verb:
            importlib.import_module(f"insightly_connector.commands.{name}").register(subparsers)
        else:
            subparsers.add_parser(name, help=summary)
    return parser


def main(argv: list[str] | None = None) -> int:
    gc.set_threshold(*GC_THRESHOLDS)  # this process's own setting: the Python API leaves its caller's alone
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(_verb_named(argv)).parse_args(argv)
    args.observer = None
    code = _run(args)
    if args.observer is not None:
        args.observer.close(code)
    return code


def _verb_named(argv: Sequence[str]) -> str | None:
    """The verb the command line names: its first word that is not an option (no option before the verb
    takes a value). None when there is none, e.g. for --help."""
    return next((word for word in argv if not word.startswith("-")), None)


def _run(args: argparse.Namespace) -> int:
    try:
        args.observer = open_request_log(args)
        return int(args.func(args))
    except ConnectorError as exc:
        _report(f"error: {exc}")
        return int(exc.exit_code)
    except KeyboardInterrupt:
        _report("interrupted")
        return ExitCode.INTERRUPTED
    except BrokenPipeError:  # `read ... | head`: the reader has what it wanted; say why the run stopped
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit's flush
        _report("stopped: the output was closed (broken pipe) before the run finished")
        return ExitCode.FATAL
    except Exception as exc:  # the last line of defence: never a raw traceback with secrets in it
        if os.environ.get("INSIGHTLY_CONNECTOR_DEBUG") == "1":
            import traceback

            _report(traceback.format_exc())
        _report(f"internal error: {type(exc).__name__}: {exc}")
        return ExitCode.FATAL


def _report(text: str) -> None:
    print(process_redactor.scrub(text), file=sys.stderr)
