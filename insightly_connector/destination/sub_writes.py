"""Writes to what lives under a record (tags, links, a pipeline, attachments, comments, ...).

Each is a write mode of the parent's resource, declared in the YAML (`sub_writes`): the method, the
path (built from the record's fields), which of the record's fields make the JSON body (or, for an
upload, the multipart form), the fields it needs and their JSON types, and what a success means
(created, updated, deleted). An input record names the parent by its primary key and carries the
sub-record's fields (a record id and a tag name, say, for a mode that adds a tag). It is checked
before anything is sent (the parent's key, the required fields, the types, no field the write would
not send, a readable file), so a bad record costs no request and lands in the rejects with a reason.
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft7Validator

from insightly_connector.destination.templates import Request, render_path
from insightly_connector.destination.validation import RecordRejected, ValidatedRecord
from insightly_connector.http.multipart import encode_form
from insightly_connector.spec.templating import runtime_macros


@dataclass(frozen=True)
class Upload:
    """A multipart form with one file: the file's path, and the form's other fields."""

    file_field: str
    file_path: str
    file_name: str
    content_type: str
    fields: dict[str, str]

    def encode(self) -> tuple[bytes, str]:
        """The multipart/form-data body (the file read now, one file per request) and its content type."""
        with open(self.file_path, "rb") as handle:
            data = handle.read()
        parts: dict[str, Any] = {self.file_field: (self.file_name, data, self.content_type)}
        parts.update({name: value for name, value in self.fields.items()})
        parts.update({"file_name": self.file_name, "content_type": self.content_type})
        return encode_form(parts)


@dataclass(frozen=True)
class SubWrite:
    """One sub-write mode of a resource, compiled from its YAML template."""

    mode: str
    primary_key: str
    method: str
    path: str
    body: tuple[str, ...]
    required: tuple[str, ...]
    types: Mapping[str, str]
    outcome: str
    returns: str | None
    multipart: Mapping[str, str]

    @classmethod
    def compile(cls, mode: str, primary_key: str, declared: Mapping[str, Any]) -> SubWrite:
        return cls(mode, primary_key, declared["method"], declared["path"], tuple(declared.get("body") or ()),
                   tuple(declared.get("required") or ()), dict(declared.get("types") or {}), declared["outcome"],
                   declared.get("returns"), dict(declared.get("multipart") or {}))

    @property
    def path_fields(self) -> set[str]:
        return {macro.removeprefix("record.") for macro in runtime_macros(self.path) if macro.startswith("record.")}

    @property
    def fields(self) -> set[str]:
        """Every field a record of this mode may carry (the parent's key always: a record names it even
        where the route does not, as `DELETE /FileAttachments/{id}`)."""
        return {self.primary_key, *self.path_fields, *self.body, *self.required, *self.multipart.values()}

    def request(self, payload: dict[str, Any]) -> Request:
        body = {name: payload[name] for name in self.body if name in payload}
        return Request(self.method, render_path(self.path, {"record": payload}), None, body or None)

    def upload(self, payload: dict[str, Any]) -> Upload:
        """The multipart form of an upload: the part `file` is the file named by the record; the parts
        `file_name` and `content_type` default to the file's name and guessed type; others go as given."""
        form = {part: payload.get(name) for part, name in self.multipart.items()}
        path = str(form.pop("file"))
        name = form.pop("file_name", None) or os.path.basename(path)
        kind = form.pop("content_type", None) or mimetypes.guess_type(name)[0] or "application/octet-stream"
        return Upload("file", path, str(name), str(kind),
                      {part: str(value) for part, value in form.items() if value is not None})


class SubWriteValidator:
    """Checks a sub-write record before sending; the same interface as `RecordValidator`."""

    def __init__(self, sub_write: SubWrite):
        self.sub_write = sub_write
        self.custom_fields = None  # what planning asks of a validator: sub-records carry no custom fields
        self._allowed = sub_write.fields
        self._types = {name: Draft7Validator({"type": [kind, "null"]}) for name, kind in sub_write.types.items()}

    def validate(self, record: Mapping[str, Any]) -> ValidatedRecord:
        sub = self.sub_write
        unknown = sorted(name for name in record if name not in self._allowed)
        if unknown:
            raise RecordRejected("unknown_field", f"{', '.join(unknown)}: not a field of {sub.mode} (it takes "
                                                  f"{', '.join(sorted(self._allowed))})")
        needed = [*sorted(sub.path_fields, key=lambda name: name != sub.primary_key), *sub.required]
        missing = [name for name in dict.fromkeys(needed) if record.get(name) in (None, "")]
        if missing:
            raise RecordRejected("validation", f"{sub.mode} needs {', '.join(missing)}")
        for name, value in record.items():
            checker = self._types.get(name)
            if checker is not None and not checker.is_valid(value):
                raise RecordRejected("validation", f"{name} must be {sub.types[name]}, not {type(value).__name__}")
        if sub.multipart:
            path = str(record[sub.multipart["file"]])
            if not os.path.isfile(path) or not os.access(path, os.R_OK):
                raise RecordRejected("validation", f"{sub.multipart['file']}: {path} is not a readable file")
        return ValidatedRecord(dict(record))
