"""The credential: validated against the form schema, normalised to a pod, bound to one host.

The key may only ever be sent to the host the spec's `base_url` template gives (for the pod, when the
API has pods), and that host must match `allowed_hosts`, over HTTPS. A base-URL override exists for a
local harness and is accepted only for loopback hosts, so a typo or a hostile config cannot send the
key anywhere else. The auth scheme (`credential.auth.type`) turns the fields into the header."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from insightly_connector.errors import ConfigError
from insightly_connector.redaction import process_redactor
from insightly_connector.spec.credential_policy import PodPolicy
from insightly_connector.spec.documents import validate_against
from insightly_connector.spec.host_pinning import Origin, host_allowed, parse_base_url, shown
from insightly_connector.spec.loader import Spec
from insightly_connector.spec.templating import render_build

_POD_TOKEN = re.compile(r"^[a-z0-9]+$")


@dataclass(frozen=True)
class Credential:
    """What a client needs to talk to one account. `repr` never shows the secrets."""

    name: str
    pod: str  # "" when the API has no pods
    base_url: str
    origin: Origin
    authorization: str = field(repr=False)  # the Authorization header's value
    secrets: tuple[str, ...] = field(default=(), repr=False)
    description: str = ""
    non_secure_data: dict[str, Any] = field(default_factory=dict)
    pod_base_urls: dict[str, str] = field(default_factory=dict, repr=False)
    plan: str | None = None
    requests_per_second: float | None = None
    rate_limit_store: str | None = field(default=None, repr=False)  # redis://host:port/db; None: a local file

    @property
    def identity(self) -> tuple[str, str]:
        """A stable, secret-free identity: the limiter and the quota are per credential."""
        return (self.base_url, hashlib.sha256(self.authorization.encode()).hexdigest())

    def for_pod(self, pod: str, spec: Spec) -> Credential:
        """The same key aimed at another pod (used by `check` to say where a key does work)."""
        origin, base_url = _base_url_for(spec, pod, self.pod_base_urls.get(pod))
        return replace(self, pod=pod, base_url=base_url, origin=origin)


def load_credential(source: str | Path | dict | None, spec: Spec, *,
                    pod_base_urls: dict[str, str] | None = None, extra_pods: Iterable[str] = ()) -> Credential:
    """Read a credential, validate it, and bind it to its host. `source` is a dict of its fields, a JSON
    file's path, "-" for a JSON object on stdin, or None for environment variables (`credential_sources`).
    `extra_pods` are pods to accept besides the spec's known ones (a new region, before the spec knows it)."""
    data = _fields(source, spec)
    for name in _secret_fields(spec):
        if isinstance(data.get(name), str):
            process_redactor.add(data[name])
            data[name] = data[name].strip()  # a pasted key often carries a newline or spaces
    validate_against(spec.credential_form, data, "credential")
    pods = spec.credential_policy.pods
    overrides = dict(pod_base_urls or {})
    accepted = {*extra_pods, *overrides}
    if data.get("base_url"):  # a loopback harness: the pod only names the one it emulates
        accepted.add(str(data.get("pod") or "").strip().lower())
    pod = normalise_pod(str(data.get("pod") or pods.default), pods, accepted) if pods else ""
    if data.get("base_url"):
        overrides[pod] = data["base_url"]
    for url in overrides.values():
        _require_loopback(url)
    origin, base_url = _base_url_for(spec, pod, overrides.get(pod))
    auth = spec.credential_policy.auth.bind(data)
    non_secure = {key: data[key] for key in spec.credential_policy.non_secure if key in data}
    if pods:
        non_secure["pod"] = pod
    return Credential(
        name=str(data.get("name", "")),
        description=str(data.get("description", "")),
        pod=pod,
        base_url=base_url,
        origin=origin,
        authorization=auth.header,
        secrets=auth.secrets,
        non_secure_data=non_secure,
        pod_base_urls=overrides,
        plan=data.get("plan"),
        requests_per_second=data.get("requests_per_second"),
        rate_limit_store=data.get("rate_limit_store") or None,
    )


def normalise_pod(value: str, pods: PodPolicy, accepted: Iterable[str] = ()) -> str:
    """A known pod from a pod token (e.g. the default pod) or a pasted API URL that `pods.url_pattern`
    reads. A pod the spec does not know is refused unless `accepted` names it."""
    value = value.strip()
    match = re.match(pods.url_pattern, value, flags=re.IGNORECASE)
    if match:
        pod = match.group("pod").lower()
    elif _POD_TOKEN.match(value.lower()):
        pod = value.lower()
    else:
        raise ConfigError(f"credential.pod: {shown(value)} is neither a pod name such as {pods.default!r} "
                          "nor an API URL")
    if pod not in pods.known and pod not in {name.lower() for name in accepted}:
        raise ConfigError(f"credential.pod: unknown pod {shown(pod)}; known: {', '.join(pods.known)} "
                          "(a pod the connector does not know yet can be allowed explicitly: see the README)")
    return pod


def _base_url_for(spec: Spec, pod: str, override: str | None) -> tuple[Origin, str]:
    """The origin the key is bound to and the base URL: a loopback override, else the spec's host."""
    if override:
        return _require_loopback(override), override.rstrip("/")
    policy = spec.credential_policy
    url = render_build(policy.base_url, {"pod": pod}).rstrip("/")
    origin, _ = parse_base_url(url, "credential.pod")
    if origin.scheme != "https" or not host_allowed(origin.host, list(policy.allowed_hosts)):
        raise ConfigError(f"credential.pod: {shown(pod)} gives host {origin.host!r}, which is not an allowed host "
                          "(only https to the allowed hosts)")
    return origin, url


def _require_loopback(url: str) -> Origin:
    origin, _ = parse_base_url(url, "credential.base_url")
    if not origin.is_loopback:
        raise ConfigError("credential.base_url: only a loopback harness URL (http://127.0.0.1:PORT/...) may "
                          f"override the API host; {origin.scheme}://{origin.host} is refused")
    return origin


def _secret_fields(spec: Spec) -> list[str]:
    properties = spec.credential_form.get("properties", {})
    return [name for name, prop in properties.items() if prop.get("secret") or prop.get("writeOnly")]


def _fields(source: str | Path | dict | None, spec: Spec) -> dict:
    from insightly_connector.spec.credential_sources import credential_from_environment, credential_from_stream

    if isinstance(source, dict):
        return dict(source)
    if source is None:
        return credential_from_environment(spec)
    if str(source) == "-":
        return credential_from_stream()
    return _read(source)


def _read(path: str | Path) -> dict:
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"credential file {path}: cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"credential file {path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"credential file {path}: not valid JSON (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise ConfigError(f"credential file {path}: nested too deeply to be a credential") from None
    if not isinstance(data, dict):
        raise ConfigError(f"credential file {path}: must hold a JSON object")
    return data
