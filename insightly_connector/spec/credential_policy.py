"""`credential:` compiled once: where the key may go, how it is sent, and how the check request reads.

Everything an API says about itself to a person checking a credential (where to find the key, what a
refused check means) is declared here from the YAML, so the runner's messages stay generic.
Compiled once per run and compared by identity (`eq=False`: a class made with a generated `__eq__` and
`__hash__` costs more to create, at every start-up)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from insightly_connector.errors import ApiError, ConnectorError
from insightly_connector.http.auth import AuthScheme, compile_auth


@dataclass(frozen=True, eq=False)
class PodPolicy:
    """Accounts that live on one of several hosts (pods), and how a pasted API URL names its pod."""

    default: str
    known: tuple[str, ...]
    url_pattern: str


@dataclass(frozen=True, eq=False)
class CheckAnswer:
    """What an error answer to the check request means: a status for the result and a message."""

    status: str
    message: str


@dataclass(frozen=True, eq=False)
class CheckRequest:
    """The request `check` sends to prove a credential, and what its answers mean."""

    method: str
    path: str
    record_path: str  # where the answer holds the identity fields
    identity: tuple[str, ...]
    verified_status: str
    max_attempts: int | None  # None: as every request (http.retry.max_attempts)
    refused_hint: str  # said when the key is refused everywhere, e.g. where to find it
    answers: Mapping[str, CheckAnswer]  # by status
    probe_access: Mapping[str, str]  # a resource probe's status -> the access it reports
    access_reasons: Mapping[str, str]  # an access -> what it means, in the connector's words

    def access_words(self, error: ConnectorError) -> str:
        """A refused resource in the connector's words (`access_reasons`), the request and status after;
        the error as it is when the spec has no words for its status."""
        status = error.status if isinstance(error, ApiError) else None
        reason = self.access_reasons.get(self.probe_access.get(str(status), ""))
        if reason is None or not isinstance(error, ApiError):
            return str(error)
        return f"{reason} ({error.method} {error.path}: HTTP {error.status})"


@dataclass(frozen=True, eq=False)
class CredentialPolicy:
    """Where a credential may be sent (its base URL, allowed hosts, pods), how it is sent, how it is checked."""

    base_url: str  # a template; `${pod}` when the API has pods
    allowed_hosts: tuple[str, ...]
    pods: PodPolicy | None
    auth: AuthScheme
    non_secure: tuple[str, ...]
    check: CheckRequest

    @classmethod
    def compile(cls, declared: Mapping[str, Any]) -> CredentialPolicy:
        pods, check = declared.get("pods"), declared["check"]
        return cls(
            base_url=declared["base_url"],
            allowed_hosts=tuple(declared["allowed_hosts"]),
            pods=PodPolicy(pods["default"], tuple(pods["known"]), pods["url_pattern"]) if pods else None,
            auth=compile_auth(declared["auth"]),
            non_secure=tuple(declared.get("non_secure", ())),
            check=CheckRequest(
                method=check["method"], path=check["path"], record_path=check["record_path"],
                identity=tuple(check.get("identity", ())),
                verified_status=check["verified_status"], max_attempts=check.get("max_attempts"),
                refused_hint=check["refused_hint"],
                answers={status: CheckAnswer(answer["status"], answer["message"])
                         for status, answer in check.get("answers", {}).items()},
                probe_access=dict(check.get("probe_access", {})),
                access_reasons=dict(check.get("access_reasons", {}))),
        )
