"""The account's custom-field metadata, fetched once per resource and kept for a run or a session.

Validation asks about custom fields for every field of every record, the upsert-key check asks
before the first record, and a streaming write asks per chunk: each ask used to be a request, so
a write of 20 records could spend hundreds of requests of the daily quota on the same answer. One
cache serves a whole CLI run; a `Connector` keeps one for its session, so the metadata is read once
per resource however many writes it makes (a custom field added meanwhile is seen by a new session).
"""

from __future__ import annotations

import threading

from insightly_connector.errors import AccessDenied
from insightly_connector.http.client import Client
from insightly_connector.source.custom_fields import CustomField, fetch_custom_fields
from insightly_connector.spec.loader import Spec
from insightly_connector.spec.model import Resource


class CustomFieldCache:
    """Custom fields per metadata path; a resource whose metadata may not be read has none."""

    def __init__(self) -> None:
        self._fields: dict[str, list[CustomField]] = {}
        self._lock = threading.Lock()
        self.fetched: list[str] = []  # the metadata paths read, in order: what a dry run reports

    def fields(self, client: Client, spec: Spec, resource: Resource) -> list[CustomField]:
        path = resource.custom_fields_path
        if not path or spec.custom_fields is None:
            return []
        with self._lock:
            if path not in self._fields:
                try:
                    self._fields[path] = fetch_custom_fields(client, spec, resource)
                except AccessDenied:
                    self._fields[path] = []
                self.fetched.append(path)
            return self._fields[path]
