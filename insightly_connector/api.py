"""The in-process Python API a platform embeds: the same verbs as the CLI, without a subprocess.

    from insightly_connector.api import Connector, AuthError, QuotaExhausted, describe_connector
    form = describe_connector()["credential"]["form"]          # render the credential form
    with Connector(credential_fields) as conn:                  # the fields its credential form asks for
        result = conn.check()                                   # result.ok, result.to_dict()
        catalog = conn.discover()
        state = {}                                              # kept up to date as records are taken
        for record in conn.records("contacts", state=state):    # a stream of dicts, one page in memory
            ...
        report = conn.read(["contacts"], state_path="state.json", output_dir="out")
        written = conn.write("contacts", "upsert", records, upsert_key="EMAIL_ADDRESS")

Errors: every method raises a typed `ConnectorError` subclass when it cannot do what it was asked
(`ConfigError` for bad arguments or credential, `AuthError` for a refused key, `AccessDenied`,
`ApiError`, `QuotaExhausted`, `TransientError`; `AllResourcesSkipped` when nothing could be read).
`read` and `write` attach what they did before stopping as the exception's `report`. The answers that
are results, not failures, are returned: `check` returns its verdict (a refused key is
`result.ok == False`), a read's skipped resources are in its report, a write's rejected records in
its report (`exit_code` 3). Messages name this API's parameters, never command-line flags.

Every call shares one client, hence one rate limiter and one view of the daily quota."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Literal

from insightly_connector.commands.check import CheckResult, check
from insightly_connector.destination import write as destination
from insightly_connector.destination.custom_field_cache import CustomFieldCache
from insightly_connector.destination.report import WriteReport
from insightly_connector.errors import (
    AccessDenied,
    ApiError,
    AuthError,
    ConfigError,
    ConnectorError,
    ExitCode,
    OutcomeUnknown,
    QuotaExhausted,
    TransientError,
)
from insightly_connector.http.client import Client
from insightly_connector.http.request_event import RequestEvent, RequestObserver
from insightly_connector.page_stream import Checkpoint, PageStream
from insightly_connector.protocols.emitters import make_emitter
from insightly_connector.protocols.progress import Progress
from insightly_connector.redaction import process_redactor
from insightly_connector.source import read as source
from insightly_connector.source.catalog import resolve_resources
from insightly_connector.source.discover import Catalog, discover
from insightly_connector.source.read import AllResourcesSkipped, ReadReport
from insightly_connector.source.start_date import parse_start_date
from insightly_connector.source.state import STATE_VERSION, StateFile
from insightly_connector.spec.credential import load_credential
from insightly_connector.spec.describe import describe
from insightly_connector.spec.loader import load_spec
from insightly_connector.spec.model import Resource

__all__ = ["AccessDenied", "AllResourcesSkipped", "ApiError", "AuthError", "ConfigError", "Connector",
           "ConnectorError", "OutcomeUnknown", "QuotaExhausted", "RequestEvent", "RequestObserver", "TransientError",
           "WriteStopped", "describe_connector"]

OutputFormat = Literal["jsonl", "airbyte", "singer"]


class WriteStopped(ConnectorError):
    """A write stopped before every record was handled (its report says why and what was done)."""


def describe_connector(config: str | Path | None = None) -> dict:
    """Identity, credential form and endpoints; needs no credential."""
    with api_words():
        return describe(load_spec(config) if config else load_spec())


class Connector:
    """One credential's connection to the API, with the CLI's verbs as methods.

    `credential` is the credential form's fields (a dict), a JSON file's path, or None to read the
    fields from environment variables (`<VENDOR>_<FIELD>`, e.g. INSIGHTLY_API_KEY). `extra_pods` allows
    pods the connector does not know yet; `observer` is told of every HTTP attempt (a `RequestEvent`)."""

    def __init__(self, credential: dict | str | Path | None = None, *, config: str | Path | None = None,
                 pod_base_urls: dict[str, str] | None = None, extra_pods: Iterable[str] = (),
                 observer: RequestObserver | None = None):
        with api_words():
            self.spec = load_spec(config) if config else load_spec()
            if isinstance(credential, str) and credential == "-":
                raise ConfigError("credential: a dict of fields, a file path, or None for the environment")
            self.credential = load_credential(credential, self.spec, pod_base_urls=pod_base_urls,
                                              extra_pods=extra_pods)
        self.observer = observer
        self._client: Client | None = None
        self._custom_fields = CustomFieldCache()  # custom-field metadata, read once per resource per session

    @property
    def client(self) -> Client:
        if self._client is None:
            self._client = Client(self.spec, self.credential, observer=self.observer)
        return self._client

    def check(self, *, probe_resources: bool = True) -> CheckResult:
        """Is the credential usable, and for what? A refused key is an answer (`ok` False), not an error."""
        with api_words():
            return check(self.spec, self.credential, probe_resources=probe_resources, observer=self.observer)

    def discover(self, resources: list[str] | None = None) -> Catalog:
        """The catalog: resources with their record schemas (live custom fields) and capabilities."""
        with api_words():
            return discover(self.client, self.spec, resources)

    def records(self, resource: str, *, state: dict | str | Path | None = None, full_refresh: bool = False,
                start_date: str | datetime | None = None) -> Iterator[dict]:
        """The records of one resource, as dicts, while they are read (about one page in memory).

        `state` is a state document (a dict, updated in place) or a state file's path (rewritten); it
        advances only past records this iterator has handed out, so a consumer that stops early and
        comes back resumes after the last record it took. Without `state` every call reads afresh
        (`start_date` still bounds an incremental resource's read)."""
        with api_words():
            target = self._resource(resource)
            start = parse_start_date(start_date)
            saved = _state_file(state)
            entry = {} if full_refresh or saved is None else dict(saved.resource(target.name))
            if not entry.get("cursor") and start is not None and target.cursor is not None:
                entry = {**entry, "cursor": target.cursor.format(start)}
            stream = PageStream(self.client, self.spec, target, entry)
        with api_words():
            for item in stream:
                if isinstance(item, Checkpoint):
                    if saved is not None:
                        saved.document["resources"][target.name] = item.entry
                        saved.save()
                    continue
                yield from item.records
            report = stream.report
            if report is not None and report.error is not None:
                _attach(report.error, report)
                raise report.error
            if report is not None and report.resources and report.resources[0].status == "skipped":
                raise _attach(AccessDenied(f"{target.name}: skipped: {report.resources[0].message}"), report)

    def read(self, resources: list[str] | None = None, *, output_format: OutputFormat = "jsonl",
             output_dir: str | Path | None = None, stream: IO[bytes] | None = None,
             state_path: str | Path | None = None, state: dict | None = None, limit: int | None = None,
             full_refresh: bool = False, start_date: str | datetime | None = None,
             progress: bool | Progress = False) -> ReadReport:
        """Read into one file per resource under `output_dir`, or into `stream` (default: stdout),
        checkpointing `state_path` (a file) or `state` (a dict, updated in place) after each page.
        `progress` True prints progress on stderr (or give a `Progress`). Raises the run's error with
        the report attached; skipped resources are in the returned report."""
        with api_words():
            start = parse_start_date(start_date)
            held = StateFile.from_document(state, label="state") if state is not None else None
            shown = progress if isinstance(progress, Progress) else Progress(quiet=not progress,
                                                                             redactor=process_redactor)
            emitter = make_emitter(output_format, process_redactor, stdout=stream,
                                   output_dir=str(output_dir) if output_dir else None)
            try:
                report = source.read(self.client, self.spec, resources, emitter=emitter,
                                     state_path=str(state_path) if state_path else None, state=held, limit=limit,
                                     full_refresh=full_refresh, start_date=start, progress=shown)
            finally:
                emitter.close()
            if report.error is not None:
                raise _attach(report.error, report)
            return report

    def write(self, resource: str, mode: str, records: Iterable[Any], *, upsert_key: str | None = None,
              journal_path: str | Path | None = None, rejects_path: str | Path | None = None,
              dry_run: bool = False, read_only: Literal["drop", "reject"] = "drop",
              unknown_fields: Literal["drop", "reject"] = "reject",
              duplicates: Literal["collapse", "reject"] = "collapse", results_path: str | Path | None = None,
              id_map_path: str | Path | None = None, retry_rejects: bool = False,
              progress: Callable[[WriteReport], None] | None = None) -> WriteReport:
        """Write records (dicts or Airbyte/Singer RECORD messages) to one resource; see the README's
        writing section for the modes, journal and rejects. Rejected records are in the returned report
        (`exit_code` 3); a write that stops raises `QuotaExhausted` or `WriteStopped`, report attached."""
        with api_words():
            report = destination.write(
                self.client, self.spec, resource, mode, records, upsert_key=upsert_key,
                journal_path=_text(journal_path), rejects_path=_text(rejects_path), dry_run=dry_run,
                read_only=read_only, unknown_fields=unknown_fields, duplicates=duplicates,
                results_path=_text(results_path), id_map_path=_text(id_map_path), retry_rejects=retry_rejects,
                custom_fields=self._custom_fields, progress=progress)
            if report.exit_code == ExitCode.QUOTA:
                raise _attach(QuotaExhausted(report.stop_reason or "the daily request quota is spent"), report)
            if report.exit_code == ExitCode.FATAL:
                raise _attach(WriteStopped(report.stop_reason or "the write stopped"), report)
            return report

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> Connector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _resource(self, name: str) -> Resource:
        [resource] = resolve_resources(self.client, self.spec, [name])
        return resource


# -- this API's words ---------------------------------------------------------------------------------

#: The command line's options and the parameters of this API that mean the same.
_PARAMETERS = {"--resources": "resources", "--resource": "resource", "--limit": "limit", "--output": "output_dir",
               "--format": "output_format", "--state": "state_path", "--start-date": "start_date",
               "--mode": "mode", "--upsert-key": "upsert_key", "--journal": "journal_path",
               "--rejects": "rejects_path", "--results": "results_path", "--id-map": "id_map_path",
               "--full-refresh": "full_refresh", "--credential": "credential", "--read-only": "read_only",
               "--unknown-fields": "unknown_fields", "--duplicates": "duplicates"}
_OPTION = re.compile(r"--[a-z][a-z-]*")


@contextmanager
def api_words() -> Iterator[None]:
    """Errors raised below the command line name its options; say this API's parameters instead."""
    try:
        yield
    except ConnectorError as exc:
        worded = _OPTION.sub(lambda match: _PARAMETERS.get(match.group(), match.group()), exc.message)
        if worded != exc.message:
            exc.message = worded
            exc.args = (worded,)
        raise


def _attach(error: ConnectorError, report: ReadReport | WriteReport) -> ConnectorError:
    error.report = report
    return error


def _state_file(state: dict | str | Path | None) -> StateFile | None:
    """A state document held by the caller (an empty dict becomes one) or a state file."""
    if state is None:
        return None
    if isinstance(state, dict):
        if not state:
            state.update({"version": STATE_VERSION, "resources": {}})
        return StateFile.from_document(state, label="state")
    return StateFile(str(state))


def _text(path: str | Path | None) -> str | None:
    return str(path) if path is not None else None
