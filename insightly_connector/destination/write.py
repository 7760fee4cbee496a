"""The write verb: records in, every one confirmed by the API or in the rejects file with its reason.

The flow is plan, then send. The plan (`plan`) validates every record and gives one write per key;
the target (`target`) knows what a record must look like and how it is addressed; the writer
(`writer`) sends, confirms and rejects. How a write is addressed comes from the resource's compiled
write templates, what a failed status means from the error policy. Nothing here knows the API."""

from __future__ import annotations

import difflib
import os
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from insightly_connector.destination.custom_field_cache import CustomFieldCache
from insightly_connector.destination.file_paths import check_writable_path
from insightly_connector.destination.id_map import IdMap
from insightly_connector.destination.input_records import InputRecord, unwrap
from insightly_connector.destination.journal import Journal, JournalState, load
from insightly_connector.destination.modes import RECORD_MODES
from insightly_connector.destination.plan import COLLAPSE, REJECT, Plan, build_plan
from insightly_connector.destination.rejects import RejectsFile
from insightly_connector.destination.report import WriteReport
from insightly_connector.destination.results import ResultsFile
from insightly_connector.destination.target import WriteTarget
from insightly_connector.destination.writer import OUTCOME_UNKNOWN, Writer
from insightly_connector.errors import ConfigError
from insightly_connector.http.client import Client
from insightly_connector.source.catalog import select
from insightly_connector.spec.loader import Spec
from insightly_connector.spec.model import Resource


def write(client: Client, spec: Spec, resource: str | Resource, mode: str, records: Iterable[Any], *,
          upsert_key: str | None = None, journal_path: str | None = None, rejects_path: str | None = None,
          dry_run: bool = False, read_only: str = "drop", unknown_fields: str = "reject",
          duplicates: str = COLLAPSE, results_path: str | None = None, id_map_path: str | None = None,
          retry_rejects: bool = False, custom_fields: CustomFieldCache | None = None,
          progress: Callable[[WriteReport], None] | None = None) -> WriteReport:
    """Write records (dicts, Airbyte/Singer RECORD messages, or `InputRecord`s) to one resource.

    Rejects go to `rejects_path` (default `<resource>.rejects.jsonl`, created only when needed); a
    journal makes the write resumable, and its rejects stay rejects unless `retry_rejects`. A dry run
    validates and plans, looks up upsert keys, and sends no write request; its plan is in
    `report.plan`. `results_path` gets one JSON line per input record; `id_map_path` maps a copy's
    source ids to the new ones and rewrites references through it. `custom_fields` is the metadata
    cache to share (a `Connector` passes its session's); without one, this run reads each once."""
    started = time.monotonic()
    requests_before = client.stats["requests"]
    check_choices(read_only=read_only, unknown_fields=unknown_fields, duplicates=duplicates)
    target = resolve_resource(client, spec, resource)
    check_mode(target, mode)
    cache = custom_fields if custom_fields is not None else CustomFieldCache()
    fetched_before = len(cache.fetched)
    key = resolve_upsert_key(target, mode, upsert_key, client, spec, cache)
    for path, option in ((results_path, "--results"), (id_map_path, "--id-map")):
        if path is not None:
            check_writable_path(path, option)
    id_map = IdMap(id_map_path, append=not dry_run) if id_map_path else None
    setup = WriteTarget(client, spec, target, mode, key, read_only=read_only, dry_run=dry_run,
                        unknown_fields=unknown_fields, custom_fields=cache, id_map=id_map)
    try:
        plan = build_plan(_as_inputs(records), setup.validator, duplicates=duplicates, key_of=setup.key_of,
                          primary_key=target.primary_key, rewrite=setup.rewrite)
        setup.check_addresses(plan)
        report = WriteReport(target.name, mode, setup.run_id, dry_run=dry_run, records=plan.records,
                             warnings=plan.warnings, journal_path=journal_path, results_path=results_path)
        state = load(journal_path, resource=target.name, mode=mode, upsert_key=key) if journal_path \
            else JournalState()
        check_journal_matches(plan, state)
        retried = state.rejected_lines(except_category=OUTCOME_UNKNOWN) if retry_rejects else set()
        journal = None
        if journal_path and not dry_run:
            journal = Journal.start(journal_path, run_id=setup.run_id, resource=target.name, mode=mode,
                                    upsert_key=key, redactor=setup.redactor)
        rejects = None
        if not dry_run:
            rejects = RejectsFile(rejects_path or f"{target.name}.rejects.jsonl", resource=target.name, mode=mode,
                                  run_id=setup.run_id, redactor=setup.redactor, fresh=not state.lines)
            rejects.forget(retried)
        results = ResultsFile(results_path, redactor=setup.redactor) if results_path else None
        try:
            Writer(setup, report, journal=journal, state=state, rejects=rejects, progress=progress,
                   results=results, retry_rejects=retry_rejects).run(plan)
        finally:
            for opened in (journal, results):
                if opened is not None:
                    opened.close()
            if rejects is not None:
                rejects.close()
                report.rejects_path = rejects.path if os.path.exists(rejects.path) else None
    finally:
        if id_map is not None:
            id_map.close()
    report.metadata_reads = cache.fetched[fetched_before:]
    report.requests = client.stats["requests"] - requests_before
    report.elapsed_seconds = time.monotonic() - started
    return report


# -- setting up -------------------------------------------------------------------------------------


#: The policies a write takes, by option, with the values each accepts.
_CHOICES = {"--read-only": ("drop", "reject"), "--unknown-fields": ("drop", "reject"),
            "--duplicates": (COLLAPSE, REJECT)}


def check_choices(**policies: str) -> None:
    """A policy outside its choices is a usage error before any request (the command line's parser
    already holds its options to them; an embedder's call is checked here)."""
    for name, value in policies.items():
        option = "--" + name.replace("_", "-")
        allowed = _CHOICES[option]
        if value not in allowed:
            raise ConfigError(f"{option}: {value!r} is not one of {', '.join(allowed)}")


def resolve_resource(client: Client, spec: Spec, resource: str | Resource) -> Resource:
    if not isinstance(resource, str):
        return resource
    found = select(client, spec, [resource], option="--resource").resources
    if len(found) != 1:
        raise ConfigError(f"--resource: {resource!r} names {len(found)} resources; name exactly one")
    return found[0]


def modes_of(target: Resource) -> list[str]:
    """The write modes a resource accepts: its record writes, then its sub-writes (as discover lists them)."""
    return [*(m for m in RECORD_MODES if m in target.write), *target.sub_writes]


def check_mode(target: Resource, mode: str) -> None:
    """A mode the resource does not support is a usage error, before any record is read."""
    if mode not in modes_of(target):
        allowed = ", ".join(modes_of(target)) or "none"
        raise ConfigError(f"--mode: {target.name} does not support {mode} (supported: {allowed})")
    if mode == "upsert" and target.writes.lookup_template is None:
        raise ConfigError(f"--mode: {target.name} has no lookup to match an upsert on")


def resolve_upsert_key(target: Resource, mode: str, given: str | None, client: Client | None = None,
                       spec: Spec | None = None, custom_fields: CustomFieldCache | None = None) -> str | None:
    """The key to match on: named by the user, else (upsert only) the resource's default.

    A named key must be a field of the resource: a property of its record schema, or one of the
    account's custom fields (a name that ends as custom fields do, `custom_fields.name_suffix`, is
    checked with the one read of the metadata the write makes anyway; any other needs no request).
    Anything else is a usage error, not a reject per record."""
    if given:
        properties = (target.schema or {}).get("properties") or {}
        if properties and given not in properties:
            custom: list[str] = []
            suffix = spec.custom_fields.name_suffix if spec is not None and spec.custom_fields else None
            named_like_one = suffix is None or given.endswith(suffix)  # else no custom field: no request to tell
            if client is not None and spec is not None and target.custom_fields_path and named_like_one:
                cache = custom_fields if custom_fields is not None else CustomFieldCache()
                custom = [f.name for f in cache.fields(client, spec, target)]
            if given not in custom:
                close = difflib.get_close_matches(given, [*properties, *custom], n=3, cutoff=0.5)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                raise ConfigError(f"--upsert-key: {given!r} is not a field of {target.name}{hint}")
        return given
    if mode == "upsert":
        if not target.upsert_key:
            raise ConfigError(f"--upsert-key: {target.name} has no default upsert key; name the field to match on")
        return target.upsert_key
    return None


def _as_inputs(records: Iterable[Any]) -> Iterator[InputRecord]:
    """Accept InputRecords as they are; number plain dicts and messages 1, 2, ... like input lines."""
    for number, item in enumerate(records, start=1):
        if isinstance(item, InputRecord):
            yield item
            continue
        kind, record = unwrap(item)
        if kind == "record":
            yield InputRecord(number, record, record)
        elif kind == "invalid":
            yield InputRecord(number, None, item, f"record {number} is not a JSON object")


def check_journal_matches(plan: Plan, state: JournalState) -> None:
    if not state.lines:
        return
    for write in plan.writes:
        for line, digest in write.lines:
            state.check_digest(line, digest)
    for reject in plan.rejects:
        state.check_digest(reject.line, reject.digest)
