"""Arguments every API-facing verb shares, and turning them into a spec and a credential."""

from __future__ import annotations

import argparse

from insightly_connector.errors import ConfigError
from insightly_connector.spec.credential import Credential, load_credential
from insightly_connector.spec.loader import Spec, load_spec


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--credential", required=True, metavar="FILE",
                        help="credential JSON file (name, description, api_key, password, pod)")
    parser.add_argument("--config", metavar="YAML", default=None,
                        help="connector.yaml to use instead of the bundled one")
    parser.add_argument("--pod-base-url", action="append", default=[], metavar="POD=URL",
                        help="loopback harness URL for a pod (repeatable); other hosts are refused")


def load_connection(args: argparse.Namespace) -> tuple[Spec, Credential]:
    spec = load_spec(args.config) if args.config else load_spec()
    return spec, load_credential(args.credential, spec, pod_base_urls=parse_pod_base_urls(args.pod_base_url))


def parse_pod_base_urls(values: list[str]) -> dict[str, str]:
    result = {}
    for value in values:
        pod, sep, url = value.partition("=")
        if not sep or not pod or not url:
            raise ConfigError(f"--pod-base-url: expected POD=URL, got {value!r}")
        result[pod.strip().lower()] = url.strip()
    return result
