"""A dlt source over the runner: `from insightly_connector.dlt import insightly_source`.

Each readable resource of the spec becomes a dlt resource with its primary key, `merge` write
disposition and typed columns (`protocols/typed_columns.py`). Records are read by the runner itself
(`page_stream.py`: the same paging, limiter, error policy and incremental window as the read verb).

dlt's incremental on the cursor field feeds that window: its start value is the window's cursor. The
window has then already applied the range (boundary ties included), so the incremental is advanced
to the window's next cursor (the server's clock at the sync start, which also catches a record updated
behind the read's position) and passes rows through unfiltered. The window's boundary is kept in the
resource's dlt state, so all of it is saved with the load, in the pipeline."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from typing import Any

import dlt
from dlt.extract.incremental import Incremental

from insightly_connector.errors import AccessDenied
from insightly_connector.http.client import Client
from insightly_connector.page_stream import Checkpoint, PageStream
from insightly_connector.protocols.typed_columns import TypedColumns
from insightly_connector.protocols.typed_dates import api_from, rfc3339_from
from insightly_connector.source.catalog import resolve_resources
from insightly_connector.source.custom_fields import fetch_custom_fields
from insightly_connector.spec.credential import Credential, load_credential
from insightly_connector.spec.loader import Spec, load_spec
from insightly_connector.spec.model import Resource

log = logging.getLogger(__name__)
_WINDOW = "window"  # the key of the runner's window (cursor + boundary) in a resource's dlt state


@dlt.source
def insightly_source(credential: Any, resources: Sequence[str] | None = None, start_date: Any = None,
                     config: str | None = None) -> list:
    """Every readable resource (or `resources`, by name), incremental ones from `start_date` on the first run.

    `credential` is the credential form's fields (a dict) or a JSON file; `start_date` an RFC 3339 string
    or a datetime; `config` another connector.yaml."""
    spec = load_spec(config) if config else load_spec()
    return spec_resources(spec, load_credential(credential, spec), resources, start_date)


def spec_resources(spec: Spec, credential: Credential, names: Sequence[str] | None = None,
                   start_date: Any = None) -> list:
    """The dlt resources of a spec; custom objects and custom fields are found live, once, here."""
    start = _rfc3339(start_date)
    with Client(spec, credential) as client:
        selected = resolve_resources(client, spec, list(names) if names is not None else None)
        return [_resource(spec, credential, resource, TypedColumns(resource.schema, _custom_fields(client, spec,
                                                                                                   resource),
                                                                   spec.custom_fields), start)
                for resource in selected]


def _resource(spec: Spec, credential: Credential, resource: Resource, typed: TypedColumns, start: str | None) -> Any:
    hints = {"name": resource.name, "primary_key": list(resource.key_fields), "write_disposition": "merge",
             "columns": typed.columns}
    if resource.cursor is None or resource.paginator.single_request:
        def records() -> Iterator[list[dict]]:
            yield from _read(spec, credential, resource, typed, None)
    else:
        def records(updated: Incremental = dlt.sources.incremental(  # noqa: B008 (dlt binds it per run)
                resource.cursor.cursor_field, initial_value=start)) -> Iterator[list[dict]]:
            yield from _read(spec, credential, resource, typed, updated)
    return dlt.resource(records, **hints)


def _read(spec: Spec, credential: Credential, resource: Resource, typed: TypedColumns,
          updated: Incremental | None) -> Iterator[list[dict]]:
    """Pages of typed records. A page is held until its checkpoint, so the incremental is advanced
    before dlt sees a row."""
    state = dlt.current.resource_state() if updated is not None else None
    with Client(spec, credential) as client:
        stream = PageStream(client, spec, resource, _window_entry(resource, updated, state))
        held: list[dict] = []
        for item in stream:
            if not isinstance(item, Checkpoint):
                held.extend(typed.shape(record) for record in item.records)
                continue
            if updated is not None:
                _advance(resource, updated, state, item.entry)
            if held:
                yield held
                held = []
    report = stream.report.resources[0]
    if stream.report.error is not None:
        raise stream.report.error
    if report.status == "skipped":
        log.warning("%s: skipped: %s", resource.name, report.message)


def _window_entry(resource: Resource, updated: Incremental | None, state: dict | None) -> dict:
    """The runner's state entry for this run: the incremental's start value as the cursor, with the
    boundary saved by the previous run when it ended at that same cursor."""
    if updated is None or not updated.start_value:
        return {}
    cursor = api_from(str(updated.start_value), resource.cursor.cursor_format)
    saved = (state or {}).get(_WINDOW) or {}
    return {"cursor": cursor, "boundary": saved.get("boundary", {}) if saved.get("cursor") == cursor else {}}


def _advance(resource: Resource, updated: Incremental, state: dict, entry: dict) -> None:
    """Move the incremental to the window's next cursor: its sync start while reading, its final cursor
    (and boundary, into the resource's state) once the read is complete."""
    cursor_format = resource.cursor.cursor_format
    in_progress = entry.get("in_progress")
    if in_progress is not None:
        if in_progress.get("sync_start"):
            updated.advance(rfc3339_from(in_progress["sync_start"], cursor_format))
        return
    updated.advance(rfc3339_from(entry["cursor"], cursor_format))
    state[_WINDOW] = {"cursor": entry["cursor"], "boundary": entry.get("boundary", {})}


def _custom_fields(client: Client, spec: Spec, resource: Resource) -> list:
    try:
        return fetch_custom_fields(client, spec, resource)
    except AccessDenied:
        return []  # the read reports the resource as skipped


def _rfc3339(value: Any) -> str | None:
    """A start date as the incremental compares it: RFC 3339 UTC text, like the records' dates."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")

