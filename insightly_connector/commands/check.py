"""`check`: is this credential usable, and for what? The verb, and its command-line arguments.

It calls the spec's check request and classifies the answer: verified; the credential refused (the
error policy's `fatal`), on this pod or also on every other known pod; one of the check's declared
answers (`credential.check.answers`, e.g. a 403 meaning API access is off); a refused redirect; or a
network failure. When verified it probes each resource with a one-record read: a resource the key
may not see is a warning in the access list (`credential.check.probe_access`), not a failure, since
permissions and plans can differ per resource."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

import orjson

from insightly_connector.commands.common import add_connection_arguments, add_observer_arguments, load_connection
from insightly_connector.errors import ApiError, AuthError, ConnectorError, ExitCode, QuotaExhausted, TransientError
from insightly_connector.http.client import Client
from insightly_connector.http.request_event import RequestObserver
from insightly_connector.protocols.emitters import airbyte_connection_status
from insightly_connector.spec.credential import Credential
from insightly_connector.spec.json_path import follow
from insightly_connector.spec.loader import Spec
from insightly_connector.spec.model import Resource

VERIFIED = "verified"
WRONG_KEY = "wrong_key"
WRONG_POD = "key_valid_on_another_pod"
NETWORK_FAILURE = "network_failure"
REDIRECT_REFUSED = "redirect_refused"
QUOTA = "quota_exhausted"


@dataclass
class ResourceAccess:
    resource: str
    access: str  # "ok", "error", or what `credential.check.probe_access` names for the status
    message: str = ""


@dataclass
class CheckResult:
    """Nexla-like verification record: a status string, a timestamp, and the detail behind them."""

    status: str
    verified_status: str
    verified_at: str | None
    message: str
    pod: str
    pods_tried: list[str] = field(default_factory=list)
    user: dict = field(default_factory=dict)
    access: list[ResourceAccess] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == VERIFIED

    def to_dict(self) -> dict:
        result = asdict(self)
        result["nexla_status"] = "VERIFIED" if self.ok else "FAILED"
        return result


def check(spec: Spec, credential: Credential, *, probe_resources: bool = True,
          observer: RequestObserver | None = None) -> CheckResult:
    """Verify the credential against its pod, and say what else was tried when it fails."""
    request = spec.credential_policy.check
    with Client(spec, credential, max_attempts=request.max_attempts, observer=observer) as client:
        try:
            response = client.request(request.method, request.path)
        except AuthError as exc:
            return _wrong_key_or_pod(spec, credential, exc, observer)
        except QuotaExhausted as exc:
            return _failed(credential, QUOTA, exc, str(exc))
        except ApiError as exc:
            answer = request.answers.get(str(exc.status))
            if answer is not None:
                return _failed(credential, answer.status, exc, answer.message)
            if _is_redirect(exc):
                return _failed(credential, REDIRECT_REFUSED, exc,
                               f"the API answered with a redirect (HTTP {exc.status}), which was refused: the key "
                               "is only sent to the configured host; check the pod (or the base URL)")
            return _failed(credential, NETWORK_FAILURE, exc, f"could not reach the API: {exc}")
        except TransientError as exc:
            return _failed(credential, NETWORK_FAILURE, exc, f"could not reach the API: {exc}")
        body = follow(response.json(), request.record_path) if response.content else {}
        identity = {name: body.get(name) for name in request.identity if isinstance(body, dict)}
        result = CheckResult(
            status=VERIFIED, verified_status=f"{response.status_code} Ok", verified_at=_now(),
            message=f"verified on pod {credential.pod}" if credential.pod else "verified", pod=credential.pod,
            pods_tried=[credential.pod], user=identity)
        if probe_resources:
            result.access = _probe(client, spec)
            result.warnings = [f"{a.resource}: {a.access} ({a.message})" for a in result.access if a.access != "ok"]
        return result


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("check", help="verify the credential (GET the check request) and probe access")
    add_connection_arguments(parser)
    parser.add_argument("--format", choices=["json", "airbyte"], default="json")
    parser.add_argument("--no-probe", action="store_true", help="skip the per-resource access probe")
    add_observer_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    spec, credential = load_connection(args)
    result = check(spec, credential, probe_resources=not args.no_probe, observer=args.observer)
    if args.format == "airbyte":
        sys.stdout.buffer.write(airbyte_connection_status(result.ok, result.message) + b"\n")
    else:
        sys.stdout.buffer.write(orjson.dumps(result.to_dict(), option=orjson.OPT_INDENT_2) + b"\n")
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"check: {result.status}: {result.message}", file=sys.stderr)
    return ExitCode.OK if result.ok else ExitCode.FATAL


def _wrong_key_or_pod(spec: Spec, credential: Credential, first: AuthError,
                      observer: RequestObserver | None) -> CheckResult:
    """A 401 on our pod: try the other known pods, so the user learns where the key does work."""
    tried = [credential.pod]
    request = spec.credential_policy.check
    pods = spec.credential_policy.pods
    # With loopback overrides (the harness) only the overridden pods are tried: never a real host.
    candidates = (list(credential.pod_base_urls) or list(pods.known)) if pods else []
    for pod in candidates:
        if pod == credential.pod:
            continue
        try:
            other = credential.for_pod(pod, spec)
        except ConnectorError:
            continue
        tried.append(pod)
        with Client(spec, other, max_attempts=request.max_attempts, observer=observer) as client:
            try:
                client.request(request.method, request.path)
            except ConnectorError:
                continue
        result = _failed(credential, WRONG_POD, first,
                         f"the key is not valid on pod {credential.pod} but is valid on pod {pod}; "
                         f"set the credential's pod to {pod!r}")
        result.pods_tried = tried
        return result
    where = f" (tried pods: {', '.join(tried)})" if pods else ""
    result = _failed(credential, WRONG_KEY, first, f"the API key was refused{where}; {request.refused_hint}")
    result.pods_tried = tried
    return result


def _probe(client: Client, spec: Spec) -> list[ResourceAccess]:
    """One cheap read per static resource, in parallel up to the limiter's in-flight cap."""
    resources = [r for r in spec.resources.values() if not r.dynamic]
    access = spec.credential_policy.check.probe_access
    with ThreadPoolExecutor(max_workers=client.limiter.max_in_flight) as pool:
        return list(pool.map(lambda r: _probe_one(client, r, access), resources))


def _probe_one(client: Client, resource: Resource, access: Mapping[str, str]) -> ResourceAccess:
    params = {**resource.params, **resource.paginator.probe_params()}
    try:
        client.request("GET", resource.path, params=params)
    except ApiError as exc:
        label = access.get(str(exc.status))
        if label is None:
            return ResourceAccess(resource.name, "error", str(exc))
        return ResourceAccess(resource.name, label, exc.api_message or exc.category)
    except ConnectorError as exc:
        return ResourceAccess(resource.name, "error", str(exc))
    return ResourceAccess(resource.name, "ok")


def _failed(credential: Credential, status: str, exc: ConnectorError, message: str) -> CheckResult:
    code = getattr(exc, "status", None)
    verified_status = f"{code} {status}" if code else status
    return CheckResult(status=status, verified_status=verified_status, verified_at=None, message=message,
                       pod=credential.pod, pods_tried=[credential.pod])


def _is_redirect(exc: ApiError) -> bool:
    """A 3xx: redirects are never followed (the key would go to a host nobody checked)."""
    return isinstance(exc.status, int) and 300 <= exc.status < 400


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
