"""The error taxonomy: every failure the runner reports maps to a category, an exit code and an
Airbyte failure type, so the CLI, the Python API and the protocol adapters all speak one language."""

from __future__ import annotations

from enum import IntEnum
from typing import Any


class ExitCode(IntEnum):
    """Process exit codes, documented in the README."""

    OK = 0
    FATAL = 1
    USAGE = 2
    REJECTED = 3
    QUOTA = 4
    INTERRUPTED = 130  # Ctrl-C: what was done is kept (state file, journal)


class ConnectorError(Exception):
    """Base of every error the runner raises on purpose; its message is meant for the user."""

    exit_code: int = ExitCode.FATAL
    failure_type: str = "system_error"
    category: str = "error"
    report: Any = None  # the Python API attaches what a read or write did before it stopped

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(ConnectorError):
    """Bad input: connector.yaml, credential, CLI arguments, state file, input file."""

    exit_code = ExitCode.USAGE
    failure_type = "config_error"
    category = "config"


class ApiError(ConnectorError):
    """A non-retryable answer from the API; carries what a user needs to act on it."""

    def __init__(self, message: str, *, status: int | None = None, api_message: str = "",
                 category: str = "api_error", method: str = "", path: str = ""):
        super().__init__(message)
        self.status = status
        self.api_message = api_message
        self.category = category
        self.method = method
        self.path = path


class AuthError(ApiError):
    """The API refused the credential (an answer whose read action is `fatal`): nothing more is sent with it."""

    failure_type = "config_error"


class AccessDenied(ApiError):
    """The key may not read this resource here (an answer whose read action is `skip_resource`: not
    permitted, or not on the account's plan): a per-resource skip on reads."""

    failure_type = "config_error"


class QuotaExhausted(ConnectorError):
    """The daily request quota is spent: a clean stop that the next run resumes from."""

    exit_code = ExitCode.QUOTA
    failure_type = "transient_error"
    category = "quota_exhausted"


class TransientError(ConnectorError):
    """Retries ran out on rate limits, server errors, timeouts or connection failures."""

    failure_type = "transient_error"
    category = "transient"


class OutcomeUnknown(TransientError):
    """A non-idempotent request may or may not have been applied; resolve it before re-sending."""

    category = "outcome_unknown"
