"""Arguments every API-facing verb shares, and turning them into a spec, a credential and the run's
request observer. Kept import-light: the spec loader and the HTTP stack load only when a verb runs."""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Mapping
from typing import TYPE_CHECKING

from insightly_connector.commands import VERBS
from insightly_connector.errors import ConfigError, ExitCode

_HELP_WIDTH = 100  # the description is wrapped here; examples and exit codes keep their own lines

if TYPE_CHECKING:
    from insightly_connector.protocols.request_log import RequestLog
    from insightly_connector.spec.credential import Credential
    from insightly_connector.spec.loader import Spec


def verb_parser(subparsers: argparse._SubParsersAction, name: str, *, summary: str | None = None, description: str,
                examples: str, exit_codes: Mapping[ExitCode, str]) -> argparse.ArgumentParser:
    """A verb's parser whose --help ends with examples and the exit codes the verb can end with. A verb's
    summary is its line in `VERBS`; an action under a verb (probe's) gives its own."""
    lines = ["examples:", *(f"  {line}" for line in examples.strip().splitlines()), "", "exit codes:"]
    lines += [f"  {int(code)}  {meaning}" for code, meaning in sorted(exit_codes.items())]
    return subparsers.add_parser(name, help=VERBS[name] if summary is None else summary,
                                 description=textwrap.fill(description, _HELP_WIDTH), epilog="\n".join(lines),
                                 formatter_class=argparse.RawDescriptionHelpFormatter)


def add_connection_arguments(parser: argparse.ArgumentParser, *, file_only: bool = False) -> None:
    """`file_only`: the credential must be a file (the verb reads it as given, e.g. to validate it)."""
    if file_only:
        parser.add_argument("--credential", required=True, metavar="FILE",
                            help="credential JSON file (name, description, api_key, password, pod)")
    else:
        parser.add_argument("--credential", metavar="FILE", default=None,
                            help="credential JSON file (name, api_key, pod, ...), or - to read it from stdin; "
                                 "without it, the fields come from environment variables <VENDOR>_<FIELD> "
                                 "(see README)")
        parser.add_argument("--allow-pod", action="append", default=[], metavar="POD",
                            help="accept a pod the connector does not know yet (repeatable); its host must "
                                 "still be an allowed host")
    parser.add_argument("--config", metavar="YAML", default=None,
                        help="connector.yaml to use instead of the bundled one")
    parser.add_argument("--pod-base-url", action="append", default=[], metavar="POD=URL",
                        help="loopback harness URL for a pod (repeatable); other hosts are refused")


def add_observer_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--verbose", action="store_true",
                        help="print every HTTP request on stderr: method, path, status, time, retries (scrubbed)")
    parser.add_argument("--request-log", metavar="FILE", default=None,
                        help="write every HTTP request of the run to FILE as JSON lines (see README)")


def open_request_log(args: argparse.Namespace) -> RequestLog | None:
    """The run's request observer, when `--verbose` or `--request-log` asks for one."""
    if not getattr(args, "verbose", False) and getattr(args, "request_log", None) is None:
        return None
    from insightly_connector.protocols.request_log import RequestLog

    return RequestLog(args.verb, path=args.request_log, verbose=args.verbose)


def load_connection(args: argparse.Namespace) -> tuple[Spec, Credential]:
    from insightly_connector.http.client import requests_per_second
    from insightly_connector.spec.credential import load_credential
    from insightly_connector.spec.credential_sources import credential_from_environment
    from insightly_connector.spec.loader import load_spec

    spec = load_spec(args.config) if args.config else load_spec()
    source = args.credential
    if source == "-" and getattr(args, "input", None) == "-":
        raise ConfigError("--credential -: stdin already carries the records (--input -); give the credential as "
                          "a file or in the environment, or the records with --input FILE")
    if source is None:
        try:
            source = credential_from_environment(spec)
        except ConfigError as exc:
            raise ConfigError(f"{exc}; or give --credential FILE, or --credential - to read it from stdin "
                              f"(see insightly-connector {args.verb} --help)") from None
    credential = load_credential(source, spec, pod_base_urls=parse_pod_base_urls(args.pod_base_url),
                                 extra_pods=[pod.strip().lower() for pod in args.allow_pod])
    observer = getattr(args, "observer", None)
    if observer is not None:
        observer.configure(spec, credential, requests_per_second(spec, credential))
    return spec, credential


def parse_pod_base_urls(values: list[str]) -> dict[str, str]:
    result = {}
    for value in values:
        pod, sep, url = value.partition("=")
        if not sep or not pod or not url:
            raise ConfigError(f"--pod-base-url: expected POD=URL, got {value!r}")
        result[pod.strip().lower()] = url.strip()
    return result


def add_port_argument(parser: argparse.ArgumentParser) -> None:
    """`--port` of a verb that serves on 127.0.0.1 (the harness, the pages): 0 picks a free port."""
    parser.add_argument("--port", type=_tcp_port, default=0, help="TCP port on 127.0.0.1 (default 0: a free port)")


def _tcp_port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a TCP port (0 to 65535)")
    return value
