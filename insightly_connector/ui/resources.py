"""The resource browser: `discover` as a list a person can scan, and a sample read (the read verb's sample
mode, 20 records) as a table."""

from __future__ import annotations

from typing import Any

from insightly_connector.errors import ConnectorError
from insightly_connector.http.client import Client
from insightly_connector.protocols.memory import MemoryEmitter
from insightly_connector.redaction import process_redactor
from insightly_connector.source import read as source
from insightly_connector.source.discover import discover
from insightly_connector.spec.credential import Credential
from insightly_connector.spec.loader import Spec

SAMPLE_SIZE = 20


def browse(spec: Spec, credential: Credential) -> dict[str, Any]:
    """Every resource: name, key, cursor, capabilities, live custom fields, and whether it was found live (a
    dynamic template's object, such as a custom object) rather than declared."""
    with Client(spec, credential) as client:
        catalog = discover(client, spec)
    return {"resources": [
        {"name": entry.name, "display_name": entry.display_name,
         "primary_key": entry.primary_key, "cursor_field": entry.cursor_field,
         "capabilities": [name for name, able in entry.capabilities.items() if able],
         "custom_fields": [{"name": f["name"], "label": f["label"], "type": f["type"]}
                           for f in entry.schema.get("x-custom-fields", [])],
         "found_live": entry.name not in spec.resources}
        for entry in catalog.entries], "warnings": catalog.warnings}


def sample(spec: Spec, credential: Credential, name: str) -> dict[str, Any]:
    """The first records of one resource, read as `read --limit 20` reads them; columns in first-seen order."""
    records: list[dict] = []
    emitter = MemoryEmitter(process_redactor, on_records=lambda _stream, page: records.extend(page))
    with Client(spec, credential) as client:
        report = source.read(client, spec, [name], emitter=emitter, limit=SAMPLE_SIZE)
    if report.error is not None:
        raise report.error
    failed = [r for r in report.resources if r.status != "complete"]
    if failed:
        raise ConnectorError(f"{name}: {failed[0].status} ({failed[0].message})")
    columns: dict[str, None] = {}
    for record in records:
        columns.update(dict.fromkeys(record))
    return {"resource": name, "columns": list(columns), "records": records[:SAMPLE_SIZE]}

