"""A destination's config: the credential form's fields plus the write options, in one JSON object.

Airbyte and Meltano hand a destination one config file. The credential form forbids unknown keys,
and it stays that way for the other verbs: the write options are named here, taken out of the
config, validated on their own, and only the rest is loaded as the credential. A platform has no
notion of a credential's name, so `name` defaults to the connector's display name."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from insightly_connector.destination.stream_write import StreamOptions
from insightly_connector.platforms.config import default_name
from insightly_connector.spec.credential import Credential, load_credential
from insightly_connector.spec.documents import validate_against
from insightly_connector.spec.loader import Spec

SINGER_MODES = ("create", "update", "upsert")

_KEY = {"title": "Upsert key", "type": "string", "minLength": 1,
        "description": "The field records are matched on (append_dedup / upsert), e.g. EMAIL_ADDRESS. "
                       "Default: the stream's primary key, else the resource's own upsert key."}
_MODE = {"title": "Write mode", "enum": list(SINGER_MODES), "default": "create",
         "description": "create (POST each record), update (PUT by the record's id) or upsert (look the "
                        "record up by the upsert key, then update it or create it)."}
_FOLDERS = {
    "journal_dir": {"title": "Journal folder", "type": "string", "minLength": 1,
                    "description": "An existing folder for the write journals (one per stream): a sync that is "
                                   "retried after a crash then creates nothing twice."},
    "rejects_dir": {"title": "Rejects folder", "type": "string", "minLength": 1,
                    "description": "An existing folder for the rejects files (JSON lines, one per stream): every "
                                   "record that could not be written, with the reason. Default: the working "
                                   "folder."},
}


def options_schema(*, with_mode: bool) -> dict[str, dict[str, Any]]:
    """The write options (JSON Schema per option). Airbyte's mode comes from the catalog's
    `destination_sync_mode`, so only the Singer target takes `mode`."""
    per_stream: dict[str, Any] = {"upsert_key": _KEY}
    if with_mode:
        per_stream = {"mode": _MODE, **per_stream}
    options: dict[str, dict[str, Any]] = {"mode": _MODE} if with_mode else {}
    options["upsert_key"] = _KEY
    options["streams"] = {
        "title": "Per-stream options", "type": "object",
        "description": "Options of one stream by its name (the resource's name), overriding the run's.",
        "additionalProperties": {"type": "object", "additionalProperties": False, "properties": per_stream}}
    options.update(_FOLDERS)
    return copy.deepcopy(options)


@dataclass(frozen=True)
class DestinationConfig:
    credential: Credential
    rejects_dir: str
    journal_dir: str | None = None
    mode: str = "create"
    upsert_key: str | None = None
    streams: dict[str, dict[str, Any]] = field(default_factory=dict)

    def stream_options(self, stream: str, *, mode: str | None = None, key: str | None = None) -> StreamOptions:
        """One stream's options: its own entry wins over the run's, which win over `mode` and `key`
        (what the platform says of the stream: its sync mode, its primary key)."""
        own = self.streams.get(stream, {})
        return StreamOptions(own.get("mode") or mode or self.mode, own.get("upsert_key") or self.upsert_key or key)


def load_destination_config(spec: Spec, config: dict[str, Any], *, with_mode: bool) -> DestinationConfig:
    """Split a config into the credential (validated, bound to its host) and the write options."""
    fields = {key: value for key, value in config.items() if value is not None}
    names = options_schema(with_mode=with_mode)
    options = {name: fields.pop(name) for name in list(fields) if name in names}
    validate_against({"type": "object", "properties": names}, options, "config")
    fields.setdefault("name", default_name(spec))
    credential = load_credential(fields, spec)
    return DestinationConfig(credential, rejects_dir=options.get("rejects_dir", "."),
                             journal_dir=options.get("journal_dir"), mode=options.get("mode", "create"),
                             upsert_key=options.get("upsert_key"), streams=options.get("streams", {}))
