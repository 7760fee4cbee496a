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
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from insightly_connector.commands.common import (
    add_connection_arguments,
    add_observer_arguments,
    load_connection,
    verb_parser,
)
from insightly_connector.errors import ApiError, AuthError, ConnectorError, ExitCode, QuotaExhausted, TransientError

if TYPE_CHECKING:
    from insightly_connector.http.client import Client
    from insightly_connector.http.request_event import RequestObserver
    from insightly_connector.spec.credential import Credential
    from insightly_connector.spec.loader import Spec
    from insightly_connector.spec.model import Resource

VERIFIED = "verified"
WRONG_KEY = "wrong_key"
WRONG_POD = "key_valid_on_another_pod"
NETWORK_FAILURE = "network_failure"
REDIRECT_REFUSED = "redirect_refused"
QUOTA = "quota_exhausted"
NOT_FOUND = "not_found"
UNEXPECTED_ANSWER = "unexpected_answer"

#: Told how many resources have been probed so far, and of how many.
ProbeProgress = Callable[[int, int], None]


@dataclass
class ResourceAccess:
    resource: str
    access: str  # "ok", "error", or what `credential.check.probe_access` names for the status
    message: str = ""  # in the connector's words (`credential.check.access_reasons`)
    detail: str = ""  # the API's own text, for a support ticket


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
          observer: RequestObserver | None = None, progress: ProbeProgress | None = None) -> CheckResult:
    """Verify the credential against its pod, and say what else was tried when it fails."""
    from insightly_connector.http.client import Client
    from insightly_connector.spec.json_path import follow

    request = spec.credential_policy.check
    with Client(spec, credential, max_attempts=request.max_attempts, observer=observer) as client:
        try:
            response = client.request(request.method, request.path)
        except AuthError as exc:
            return _wrong_key_or_pod(spec, credential, exc, observer)
        except QuotaExhausted as exc:
            return _failed(credential, QUOTA, exc, str(exc))
        except ApiError as exc:
            return _answered(spec, credential, exc)
        except TransientError as exc:
            return _failed(credential, NETWORK_FAILURE, exc, f"could not reach the API: {exc}")
        body = follow(response.json(), request.record_path) if response.content else {}
        identity = {name: body.get(name) for name in request.identity if isinstance(body, dict)}
        result = CheckResult(
            status=VERIFIED, verified_status=f"{response.status_code} Ok", verified_at=_now(),
            message=f"verified on pod {credential.pod}" if credential.pod else "verified", pod=credential.pod,
            pods_tried=[credential.pod], user=identity)
        if probe_resources:
            result.access = _probe(client, spec, progress)
            result.warnings = [f"{a.resource}: {a.access}: {a.message}" for a in result.access if a.access != "ok"]
        return result


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = verb_parser(
        subparsers, "check",
        description="Verify the credential, then probe each resource with a one-record read. The result is JSON "
                    "on stdout; resources the key may not read are warnings on stderr, not failures.",
        examples="""insightly-connector check --credential credential.json
insightly-connector check --credential - --no-probe < credential.json
insightly-connector check --verbose      (the credential's fields from environment variables: see README)""",
        exit_codes={ExitCode.OK: "the credential is verified",
                    ExitCode.FATAL: "the credential is refused, or the API could not be reached",
                    ExitCode.USAGE: "bad arguments or credential"})
    add_connection_arguments(parser)
    parser.add_argument("--format", choices=["json", "airbyte"], default="json")
    parser.add_argument("--no-probe", action="store_true", help="skip the per-resource access probe")
    add_observer_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import orjson

    from insightly_connector.protocols.emitters import airbyte_connection_status
    from insightly_connector.protocols.progress import Progress

    spec, credential = load_connection(args)
    progress = Progress(tty=False if args.verbose else None)
    result = check(spec, credential, probe_resources=not args.no_probe, observer=args.observer,
                   progress=progress.probed)
    progress.close()
    if args.format == "airbyte":
        sys.stdout.buffer.write(airbyte_connection_status(result.ok, result.message) + b"\n")
    else:
        sys.stdout.buffer.write(orjson.dumps(result.to_dict(), option=orjson.OPT_INDENT_2) + b"\n")
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"check: {result.status}: {result.message}", file=sys.stderr)
    return ExitCode.OK if result.ok else ExitCode.FATAL


def _answered(spec: Spec, credential: Credential, exc: ApiError) -> CheckResult:
    """The check request got an answer that is neither a success nor a refused key: say what it means."""
    from insightly_connector.spec.templating import render_build

    request = spec.credential_policy.check
    answer = request.answers.get(str(exc.status))
    if answer is not None:
        return _failed(credential, answer.status, exc, answer.message)
    if _is_redirect(exc):
        return _failed(credential, REDIRECT_REFUSED, exc,
                       f"the API answered with a redirect (HTTP {exc.status}), which was refused: the key "
                       "is only sent to the configured host; check the pod (or the base URL)")
    if exc.status == 404:
        policy = spec.credential_policy
        pod = credential.pod or (policy.pods.default if policy.pods else "")
        example = render_build(policy.base_url, {"pod": pod}).rstrip("/")
        return _failed(credential, NOT_FOUND, exc,
                       f"nothing was found at {credential.base_url}{request.path} (HTTP 404): the base URL must "
                       f"be the API's root, with its version path, like {example}")
    return _failed(credential, UNEXPECTED_ANSWER, exc, f"the API answered the check request with an error: {exc}")


def _wrong_key_or_pod(spec: Spec, credential: Credential, first: AuthError,
                      observer: RequestObserver | None) -> CheckResult:
    """A 401 on our pod: try the other known pods, so the user learns where the key does work."""
    from insightly_connector.http.client import Client

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


def _probe(client: Client, spec: Spec, progress: ProbeProgress | None) -> list[ResourceAccess]:
    """One cheap read per static resource, in parallel up to the limiter's in-flight cap."""
    from concurrent.futures import ThreadPoolExecutor

    # Streams read under a parent record (child, flattened) have no list of their own to probe.
    resources = [r for r in spec.resources.values() if not r.dynamic and r.child is None and r.flatten is None]
    policy = spec.credential_policy.check
    results = []
    with ThreadPoolExecutor(max_workers=client.limiter.max_in_flight) as pool:
        for done, access in enumerate(pool.map(lambda r: _probe_one(client, r, policy.probe_access,
                                                                    policy.access_reasons), resources), 1):
            results.append(access)
            if progress is not None:
                progress(done, len(resources))
    return results


def _probe_one(client: Client, resource: Resource, access: Mapping[str, str],
               reasons: Mapping[str, str]) -> ResourceAccess:
    params = {**resource.params, **resource.paginator.probe_params()}
    try:
        client.request("GET", resource.path, params=params)
    except ApiError as exc:
        label = access.get(str(exc.status))
        if label is None:
            return ResourceAccess(resource.name, "error", str(exc))
        reason = reasons.get(label) or f"HTTP {exc.status} {exc.category}"
        return ResourceAccess(resource.name, label, reason, exc.api_message)
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
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
