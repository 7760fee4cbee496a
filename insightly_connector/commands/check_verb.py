"""The `check` verb: is this credential usable, and for what?

It calls the spec's check request and classifies the answer (verified, wrong key, key valid on
another pod, API access disabled, network failure). When verified it probes each resource with a
one-record read: a resource the key may not see is a warning in the access list, not a failure,
because Insightly permissions and plans are per object."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

from insightly_connector.errors import (
    AccessDenied,
    ApiError,
    AuthError,
    ConnectorError,
    NotFound,
    QuotaExhausted,
    TransientError,
)
from insightly_connector.http.client import Client
from insightly_connector.spec.credential import Credential
from insightly_connector.spec.loader import Resource, Spec

VERIFIED = "verified"
WRONG_KEY = "wrong_key"
WRONG_POD = "key_valid_on_another_pod"
ACCESS_DISABLED = "api_access_disabled"
NETWORK_FAILURE = "network_failure"
REDIRECT_REFUSED = "redirect_refused"
QUOTA = "quota_exhausted"


@dataclass
class ResourceAccess:
    resource: str
    access: str  # "ok" | "forbidden" | "not_available" | "error"
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


def check(spec: Spec, credential: Credential, *, probe_resources: bool = True) -> CheckResult:
    """Verify the credential against its pod, and say what else was tried when it fails."""
    request = spec.credential["check"]
    with Client(spec, credential, max_attempts=request.get("max_attempts")) as client:
        try:
            response = client.request(request.get("method", "GET"), request["path"])
        except AuthError as exc:
            return _wrong_key_or_pod(spec, credential, exc)
        except AccessDenied as exc:
            return _failed(credential, ACCESS_DISABLED, exc,
                           "the key is known but its user's API access is disabled (ask an administrator)")
        except QuotaExhausted as exc:
            return _failed(credential, QUOTA, exc, str(exc))
        except ApiError as exc:
            if _is_redirect(exc):
                return _failed(credential, REDIRECT_REFUSED, exc,
                               f"the API answered with a redirect (HTTP {exc.status}), which was refused: the key "
                               "is only sent to the configured host; check the pod (or the base URL)")
            return _failed(credential, NETWORK_FAILURE, exc, f"could not reach the API: {exc}")
        except TransientError as exc:
            return _failed(credential, NETWORK_FAILURE, exc, f"could not reach the API: {exc}")
        body = response.json() if response.content else {}
        identity = {name: body.get(name) for name in request.get("identity", []) if isinstance(body, dict)}
        result = CheckResult(
            status=VERIFIED, verified_status=f"{response.status_code} Ok", verified_at=_now(),
            message=f"verified on pod {credential.pod}", pod=credential.pod, pods_tried=[credential.pod],
            user=identity)
        if probe_resources:
            result.access = _probe(client, spec)
            result.warnings = [f"{a.resource}: {a.access} ({a.message})" for a in result.access if a.access != "ok"]
        return result


def _wrong_key_or_pod(spec: Spec, credential: Credential, first: AuthError) -> CheckResult:
    """A 401 on our pod: try the other known pods, so the user learns where the key does work."""
    tried = [credential.pod]
    request = spec.credential["check"]
    # With loopback overrides (the harness) only the overridden pods are tried: never a real host.
    candidates = list(credential.pod_base_urls) or spec.credential["pods"].get("known", [])
    for pod in candidates:
        if pod == credential.pod:
            continue
        try:
            other = credential.for_pod(pod, spec)
        except ConnectorError:
            continue
        tried.append(pod)
        with Client(spec, other, max_attempts=request.get("max_attempts")) as client:
            try:
                client.request(request.get("method", "GET"), request["path"])
            except ConnectorError:
                continue
        result = _failed(credential, WRONG_POD, first,
                         f"the key is not valid on pod {credential.pod} but is valid on pod {pod}; "
                         f"set the credential's pod to {pod!r}")
        result.pods_tried = tried
        return result
    result = _failed(credential, WRONG_KEY, first,
                     f"the API key was refused (tried pods: {', '.join(tried)}); check the key in "
                     "Insightly under User Settings > API")
    result.pods_tried = tried
    return result


def _probe(client: Client, spec: Spec) -> list[ResourceAccess]:
    """One cheap read per static resource, in parallel up to the limiter's in-flight cap."""
    resources = [r for r in spec.resources.values() if not r.dynamic]
    with ThreadPoolExecutor(max_workers=client.limiter.max_in_flight) as pool:
        return list(pool.map(lambda r: _probe_one(client, r), resources))


def _probe_one(client: Client, resource: Resource) -> ResourceAccess:
    params = dict(resource.read.get("params", {}))
    limit_param = resource.read.get("pagination", {}).get("limit_param")
    if limit_param and not resource.single_object:
        params[limit_param] = 1
    try:
        client.request("GET", resource.path, params=params)
    except AccessDenied as exc:
        return ResourceAccess(resource.name, "forbidden", exc.api_message or exc.category)
    except NotFound as exc:
        return ResourceAccess(resource.name, "not_available", exc.api_message or exc.category)
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
