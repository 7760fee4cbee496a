"""The one error policy: an API answer's status and the verb that met it resolve to a `Resolution`.

`connector.yaml` (`http.errors`) declares, per status or status class, an action for reads, writes
and deletes, or that the answer is retried. This module compiles that table once and is the only
place that says what each action means, as the Airbyte CDK's `ErrorResolution` does. Categories are
labels for people (messages, rejects, Airbyte's internal message); no behaviour hangs on them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from insightly_connector.errors import AccessDenied, ApiError, AuthError


class Action(str, Enum):
    """What the runner does with an answer. The values are the words `connector.yaml` uses."""

    RETRY = "retry"  # back off and send again; counts against http.retry.max_attempts
    WAIT_OUT = "wait_out"  # the API paces us: wait (within the rate-limited budget), never counted
    FAIL = "fail"  # read: this resource fails (no cursor saved); the run goes on to the next one
    FATAL = "fatal"  # the credential is refused: the run stops at once, nothing more is sent
    SKIP = "skip_resource"  # read: the key may not read this resource here; a reported skip
    REJECT = "reject"  # write: this record goes to the rejects file with the reason
    STOP = "stop_rejecting"  # write: no further write can succeed; the rest are rejected unsent
    ALREADY_ABSENT = "already_absent"  # delete: the record is gone, which is what was asked


class Verb(str, Enum):
    READ = "read"
    WRITE = "write"
    DELETE = "delete"


#: Airbyte failure type per action: whose problem it is.
_FAILURE_TYPES = {Action.FATAL: "config_error", Action.SKIP: "config_error", Action.RETRY: "transient_error",
                  Action.WAIT_OUT: "transient_error"}


@dataclass(frozen=True)
class Resolution:
    """What one answer means for one verb."""

    action: Action
    failure_type: str
    category: str
    message: str


@dataclass(frozen=True)
class ErrorRule:
    """One declared status (or status class): how each verb treats it, or how it is retried."""

    category: str
    meaning: str
    retry: Action | None  # RETRY or WAIT_OUT; None when the answer is final
    read: Action
    write: Action
    delete: Action

    def action(self, verb: Verb) -> Action:
        return {Verb.READ: self.read, Verb.WRITE: self.write, Verb.DELETE: self.delete}[verb]


#: A status the YAML does not declare (e.g. a 3xx, never followed): final, the resource fails, the record
#: is rejected. Defined here once; the meta-schema's `Nxx` keys let a spec declare its own.
UNDECLARED = ErrorRule(category="http_error", meaning="an answer connector.yaml does not declare", retry=None,
                       read=Action.FAIL, write=Action.REJECT, delete=Action.REJECT)


@dataclass(frozen=True)
class ErrorPolicy:
    """`http.errors` compiled: exact statuses first, then the status class (`4xx`)."""

    rules: Mapping[str, ErrorRule]

    @classmethod
    def compile(cls, errors: Mapping[str, Mapping[str, Any]]) -> ErrorPolicy:
        return cls({status: _rule(declared) for status, declared in errors.items()})

    def rule(self, status: int) -> ErrorRule:
        return self.rules.get(str(status)) or self.rules.get(f"{status // 100}xx") or UNDECLARED

    def resolve(self, status: int, verb: Verb) -> Resolution:
        rule = self.rule(status)
        action = rule.retry or rule.action(verb)
        return Resolution(action, _FAILURE_TYPES.get(action, "system_error"), rule.category, rule.meaning)


def _rule(declared: Mapping[str, Any]) -> ErrorRule:
    """The meta-schema guarantees the shape: `retry: true` (optionally `throttled`), or read + write."""
    if declared.get("retry"):
        retry = Action.WAIT_OUT if declared.get("throttled") else Action.RETRY
        return ErrorRule(declared["category"], declared["meaning"], retry, retry, retry, retry)
    write = Action(declared["write"])
    return ErrorRule(declared["category"], declared["meaning"], None, Action(declared["read"]), write,
                     Action(declared.get("delete", write)))


def exception_class(rule: ErrorRule) -> type[ApiError]:
    """The error a final answer raises: callers that only ask "refused?" or "not readable here?" catch
    these; everything else resolves the status for its verb."""
    if rule.read is Action.FATAL:
        return AuthError
    if rule.read is Action.SKIP:
        return AccessDenied
    return ApiError
