"""Arguments every API-facing verb shares, and turning them into a spec, a credential and the run's
request observer. Kept import-light: the spec loader and the HTTP stack load only when a verb runs."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from insightly_connector.errors import ConfigError

if TYPE_CHECKING:
    from insightly_connector.protocols.request_log import RequestLog
    from insightly_connector.spec.credential import Credential
    from insightly_connector.spec.loader import Spec


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--credential", required=True, metavar="FILE",
                        help="credential JSON file (name, description, api_key, password, pod)")
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
    from insightly_connector.spec.loader import load_spec

    spec = load_spec(args.config) if args.config else load_spec()
    credential = load_credential(args.credential, spec, pod_base_urls=parse_pod_base_urls(args.pod_base_url))
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
