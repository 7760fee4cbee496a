"""`probe`: Nexla's probe actions for an api-kind connector, `validate` and `sample` (no `tree`).

`validate` checks an inline credential before anything is saved, as Nexla does with a temporary
credential: the form first, then the check request. `sample` reads a few records of one source
endpoint through the runner's own read loop and answers `{samples, schema, sample_format}`. Both
answer in Nexla's shapes: `{ok: true, kind, ...}`, or `{ok: false, error, detail, nexla_request_id}`
(with the classic `{status, message, connection_type}` alongside)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from insightly_connector.commands.common import add_connection_arguments, parse_pod_base_urls, verb_parser
from insightly_connector.errors import ApiError, ConfigError, ConnectorError, ExitCode

if TYPE_CHECKING:
    from insightly_connector.http.client import Client
    from insightly_connector.spec.credential import Credential
    from insightly_connector.spec.loader import Spec
    from insightly_connector.spec.model import Resource

KIND = "api"
SAMPLE_FORMAT = "records"
DEFAULT_SAMPLE_SIZE = 10


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = verb_parser(
        subparsers, "probe",
        description="Nexla's probe actions for an api-kind connector; each answers one JSON object on stdout in "
                    "Nexla's shape ({ok: true, ...} or {ok: false, error, detail}).",
        examples="""\
insightly-connector probe validate --credential inline-credential.json
insightly-connector probe sample --credential cred.json --endpoint insightly_api.get_contacts --count 5""",
        exit_codes={ExitCode.OK: "the probe succeeded (ok: true)",
                    ExitCode.FATAL: "the probe failed (ok: false: the answer says why)",
                    ExitCode.USAGE: "bad arguments or an unreadable credential file"})
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    validate_parser = verb_parser(
        actions, "validate", summary="validate an inline credential: form, then the check request",
        description="Validate a credential before it is saved: the form, then the check request. Nothing is "
                    "stored. One JSON object on stdout: {ok: true, kind, status, message, ...} or {ok: false, "
                    "error, detail, nexla_request_id}.",
        examples="insightly-connector probe validate --credential inline-credential.json",
        exit_codes={ExitCode.OK: "the credential is verified (ok: true)",
                    ExitCode.FATAL: "it is not (ok: false: the answer says why, e.g. invalid_credential)",
                    ExitCode.USAGE: "bad arguments or an unreadable credential file"})
    add_connection_arguments(validate_parser, file_only=True)
    validate_parser.set_defaults(func=run_validate)
    sample_parser = verb_parser(
        actions, "sample", summary="a few records of a source endpoint, with their schema",
        description="Read a few records of one source endpoint (spec lists them) through the runner's own read, "
                    "with their draft-04 schema, live custom fields included. One JSON object on stdout: {ok: "
                    "true, kind, samples, schema, sample_format, ...} or {ok: false, error, detail, "
                    "nexla_request_id}.",
        examples="insightly-connector probe sample --credential cred.json --endpoint insightly_api.get_contacts "
                 "--count 5",
        exit_codes={ExitCode.OK: "the records were read (ok: true)",
                    ExitCode.FATAL: "they were not (ok: false: the answer says why)",
                    ExitCode.USAGE: "bad arguments (e.g. --count below 1) or an unreadable credential file"})
    add_connection_arguments(sample_parser, file_only=True)
    sample_parser.add_argument("--endpoint", required=True, help="a source endpoint, e.g. <code>.get_<resource>")
    sample_parser.add_argument("--count", type=int, default=DEFAULT_SAMPLE_SIZE, help="records to sample (default 10)")
    sample_parser.set_defaults(func=run_sample)


def run_validate(args: argparse.Namespace) -> int:
    from insightly_connector.spec.loader import load_spec

    spec = load_spec(args.config) if args.config else load_spec()
    answer = validate(spec, _credential_fields(args.credential), parse_pod_base_urls(args.pod_base_url))
    return _print(answer)


def run_sample(args: argparse.Namespace) -> int:
    if args.count < 1:
        raise ConfigError("--count: must be a positive number of records")
    from insightly_connector.spec.credential import load_credential
    from insightly_connector.spec.loader import load_spec

    spec = load_spec(args.config) if args.config else load_spec()
    fields = _credential_fields(args.credential)
    try:
        credential = load_credential(fields, spec, pod_base_urls=parse_pod_base_urls(args.pod_base_url))
    except ConfigError as exc:
        return _print(failure(spec, "invalid_credential", str(exc), 400))
    return _print(sample(spec, credential, args.endpoint, args.count))


# -- the actions -------------------------------------------------------------------------------------


def validate(spec: Spec, fields: dict, pod_base_urls: dict[str, str] | None = None) -> dict:
    """Form validation, then the check request; nothing is stored either way."""
    from insightly_connector.commands.check import check
    from insightly_connector.spec.credential import load_credential

    try:
        credential = load_credential(fields, spec, pod_base_urls=pod_base_urls)
    except ConfigError as exc:
        return failure(spec, "invalid_credential", str(exc), 400)
    result = check(spec, credential, probe_resources=False)
    status = _leading_status(result.verified_status)
    if not result.ok:
        answer = failure(spec, result.status, result.message, status)
        answer["verified_status"] = result.verified_status
        return answer
    return {"ok": True, "kind": KIND, "status": status, "message": result.message,
            "connection_type": spec.connector["connection_type"], "verified_status": result.verified_status,
            "verified_at": result.verified_at}


def sample(spec: Spec, credential: Credential, endpoint: str, count: int) -> dict:
    """Up to `count` records of a source endpoint, its draft-04 schema (with the live custom fields)."""
    from insightly_connector.http.client import Client
    from insightly_connector.protocols.memory import MemoryEmitter
    from insightly_connector.redaction import process_redactor
    from insightly_connector.source import read as source
    from insightly_connector.source.custom_fields import extend_schema, fetch_custom_fields
    from insightly_connector.spec.nexla import draft04

    samples: list[dict] = []
    emitter = MemoryEmitter(process_redactor, on_records=lambda _stream, records: samples.extend(records))
    with Client(spec, credential) as client:
        try:
            resource = _source_resource(client, spec, endpoint)
            if resource is None:
                return failure(spec, "unknown_endpoint", _unknown(spec, endpoint), 404)
            report = source.read(client, spec, [resource], emitter=emitter, limit=count)
            if report.error is not None:
                raise report.error
            schema = extend_schema(resource.schema, fetch_custom_fields(client, spec, resource), spec)
        except ConnectorError as exc:
            return failure(spec, exc.category, str(exc), exc.status if isinstance(exc, ApiError) else None)
    return {"ok": True, "kind": KIND, "status": 200, "message": f"{len(samples)} records of {endpoint}",
            "connection_type": spec.connector["connection_type"], "endpoint": endpoint,
            "samples": samples[:count], "schema": draft04(schema), "sample_format": SAMPLE_FORMAT}


def failure(spec: Spec, error: str, detail: str, status: int | None) -> dict:
    """Nexla's probe error, with the classic probe's `status` and `message` alongside."""
    import uuid

    return {"ok": False, "kind": KIND, "error": error, "detail": detail, "nexla_request_id": uuid.uuid4().hex,
            "status": status, "message": detail, "connection_type": spec.connector["connection_type"]}


# -- helpers -----------------------------------------------------------------------------------------


def _source_resource(client: Client, spec: Spec, endpoint: str) -> Resource | None:
    """The resource behind a source endpoint (full or incremental variant); dynamic ones found live."""
    from insightly_connector.source.catalog import select

    static = [r for r in spec.resources.values() if not r.dynamic]
    found = _by_endpoint(static, endpoint)
    if found is None and any(r.dynamic for r in spec.resources.values()):
        found = _by_endpoint(select(client, spec, None).resources, endpoint)
    return found


def _by_endpoint(resources: list[Resource], endpoint: str) -> Resource | None:
    for resource in resources:
        if endpoint == resource.endpoint or endpoint == (resource.incremental or {}).get("endpoint"):
            return resource
    return None


def _unknown(spec: Spec, endpoint: str) -> str:
    import difflib

    names = [r.endpoint for r in spec.resources.values() if not r.dynamic]
    close = difflib.get_close_matches(endpoint, names, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else "; `spec` lists the source endpoints"
    return f"{endpoint!r} is not a source endpoint{hint}"


def _credential_fields(path: str) -> dict:
    """The inline credential's fields; a file that cannot be read as a JSON object is a usage error."""
    from pathlib import Path

    from insightly_connector.spec.documents import read_json

    fields = read_json(Path(path), f"--credential {path}")
    if not isinstance(fields, dict):
        raise ConfigError(f"--credential {path}: expected a JSON object")
    return fields


def _leading_status(verified_status: str) -> int | None:
    head = verified_status.split(" ", 1)[0]
    return int(head) if head.isdigit() else None


def _print(answer: dict) -> int:
    import orjson

    sys.stdout.buffer.write(orjson.dumps(answer, option=orjson.OPT_INDENT_2) + b"\n")
    if not answer["ok"]:
        print(f"probe: {answer['error']}: {answer['detail']}", file=sys.stderr)
    return ExitCode.OK if answer["ok"] else ExitCode.FATAL
