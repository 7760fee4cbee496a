"""The in-process Python API a platform embeds: the same verbs as the CLI, without a subprocess.

    from insightly_connector.api import Connector, describe_connector
    form = describe_connector()["credential"]["form"]          # render the credential form
    with Connector(credential_fields, config="connector.yaml") as conn:   # the fields its credential form asks for
        result = conn.check()                                   # result.ok, result.to_dict()
        catalog = conn.discover()
        report = conn.read(["contacts"], state_path="state.json", output_dir="out")
        written = conn.write("contacts", "upsert", records, upsert_key="EMAIL_ADDRESS")

Every call shares one client, hence one rate limiter and one view of the daily quota."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from insightly_connector.commands import check as check_verb
from insightly_connector.destination import write as destination
from insightly_connector.destination.custom_field_cache import CustomFieldCache
from insightly_connector.destination.report import WriteReport
from insightly_connector.http.client import Client
from insightly_connector.protocols.emitters import make_emitter
from insightly_connector.redaction import process_redactor
from insightly_connector.source import discover
from insightly_connector.source import read as source
from insightly_connector.spec.credential import load_credential
from insightly_connector.spec.describe import describe
from insightly_connector.spec.loader import load_spec


def describe_connector(config: str | Path | None = None) -> dict:
    """Identity, credential form and endpoints; needs no credential."""
    return describe(load_spec(config) if config else load_spec())


class Connector:
    """One credential's connection to the API, with the CLI's verbs as methods."""

    def __init__(self, credential: dict | str | Path, *, config: str | Path | None = None,
                 pod_base_urls: dict[str, str] | None = None):
        self.spec = load_spec(config) if config else load_spec()
        self.credential = load_credential(credential, self.spec, pod_base_urls=pod_base_urls)
        self._client: Client | None = None
        self._custom_fields = CustomFieldCache()  # custom-field metadata, read once per resource per session

    @property
    def client(self) -> Client:
        if self._client is None:
            self._client = Client(self.spec, self.credential)
        return self._client

    def check(self, *, probe_resources: bool = True) -> check_verb.CheckResult:
        return check_verb.check(self.spec, self.credential, probe_resources=probe_resources)

    def discover(self, resources: list[str] | None = None) -> discover.Catalog:
        return discover.discover(self.client, self.spec, resources)

    def read(self, resources: list[str] | None = None, *, output_format: str = "jsonl",
             output_dir: str | Path | None = None, state_path: str | Path | None = None,
             limit: int | None = None, full_refresh: bool = False, **emitter_options: Any) -> source.ReadReport:
        """Read into files under `output_dir` (or stdout), checkpointing `state_path` after each page."""
        emitter = make_emitter(output_format, process_redactor,
                               output_dir=str(output_dir) if output_dir else None, **emitter_options)
        try:
            return source.read(self.client, self.spec, resources, emitter=emitter,
                               state_path=str(state_path) if state_path else None, limit=limit,
                               full_refresh=full_refresh)
        finally:
            emitter.close()

    def write(self, resource: str, mode: str, records: Iterable[Any], **options: Any) -> WriteReport:
        """Write records (dicts or Airbyte/Singer RECORD messages); see `destination.write` for options."""
        options.setdefault("custom_fields", self._custom_fields)
        return destination.write(self.client, self.spec, resource, mode, records, **options)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> Connector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
